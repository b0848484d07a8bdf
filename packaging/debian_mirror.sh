#!/usr/bin/env bash
# Print the Debian archive this machine's apt already uses (DEBIAN_MIRROR wins), so the fresh-system checks fetch
# from the same place as apt-get and no address is written into the project.  Prints nothing when none is found.
set -u  # no -e/pipefail: a missing sources file is normal; this always exits 0
if [ -n "${DEBIAN_MIRROR:-}" ]; then
  echo "$DEBIAN_MIRROR"
  exit 0
fi
{
  # deb822 files: "URIs: …" lines; one-line files: "deb [options] URI suite …"
  cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n'
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p'
} | grep -E '^https?://' | grep -v -- '-security' | grep -E '/debian/?$' | head -n 1 | sed 's:/*$::'
exit 0
