#!/usr/bin/env bash
# A Debian package made from the one-folder bundle (./scripts/build.sh deb runs the build, then this):
#   packaging/build_deb.sh [dist/loopgui]      ->  dist/loopgui_VERSION_ARCH.deb, then lintian on it
# The bundle goes to /opt/loopgui, /usr/bin/loopgui points at it; the menu entry, icons, AppStream file and manual
# page go to the system's places.  Depends: what dpkg-shlibdeps finds for the libraries the bundle does not carry
# (libc, OpenGL/EGL, fontconfig) and a font.  Maintainer: DEBFULLNAME/DEBEMAIL, else git's user.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bundle="$(cd "${1:-$ROOT/dist/loopgui}" && pwd)"
[ -x "$bundle/loopgui" ] || { echo "build_deb: no bundle in $bundle; run ./scripts/build.sh first" >&2; exit 1; }
for tool in dpkg-deb objdump; do
  command -v "$tool" >/dev/null || { echo "build_deb: $tool is missing (apt-get install dpkg binutils)" >&2; exit 1; }
done
APP_ID=io.github.loopgui.loopgui
res="$ROOT/loopgui/resources/desktop"
version="$("$bundle/loopgui" --version | awk '{print $2}')"
arch="$(dpkg --print-architecture)"
maintainer="${DEBFULLNAME:-$(git -C "$ROOT" config user.name || echo "loopgui developers")}"
maintainer="$maintainer <${DEBEMAIL:-$(git -C "$ROOT" config user.email || echo "loopgui@users.noreply.github.com")}>"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pkg="$work/pkg"
umask 022

install -d "$pkg/opt/loopgui" "$pkg/usr/bin" "$pkg/usr/share/applications" "$pkg/usr/share/metainfo" \
  "$pkg/usr/share/man/man1" "$pkg/usr/share/doc/loopgui" "$pkg/usr/share/lintian/overrides" "$pkg/DEBIAN"
cp -a "$bundle/." "$pkg/opt/loopgui/"
# Libraries need not be executable; plain files 0644, folders and the program 0755, whatever the build left.
find "$pkg/opt/loopgui" -type d -exec chmod 0755 {} +
find "$pkg/opt/loopgui" -type f -exec chmod 0644 {} +
chmod 0755 "$pkg/opt/loopgui/loopgui"
ln -s /opt/loopgui/loopgui "$pkg/usr/bin/loopgui"
install -m 0644 "$res/$APP_ID.desktop" "$pkg/usr/share/applications/"
install -m 0644 "$res/$APP_ID.metainfo.xml" "$pkg/usr/share/metainfo/"
for png in "$res"/icons/loopgui-*.png; do
  size="$(basename "$png" .png)"; size="${size#loopgui-}"
  install -D -m 0644 "$png" "$pkg/usr/share/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
install -D -m 0644 "$res/icons/loopgui.svg" "$pkg/usr/share/icons/hicolor/scalable/apps/$APP_ID.svg"
sed "s/@VERSION@/$version/" "$ROOT/packaging/loopgui.1" | gzip -9n > "$pkg/usr/share/man/man1/loopgui.1.gz"
cat > "$pkg/usr/share/doc/loopgui/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: loopgui

Files: *
Copyright: 2026 the loopgui developers
License: MIT

Files: opt/loopgui/_internal/*
Copyright: their authors
License: various
 The bundle carries Python, Qt and PySide6 (LGPL-3), psutil (BSD-3-Clause), Babel (BSD-3-Clause) and the
 libraries they load, each under its own licence.

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
 documentation files (the "Software"), to deal in the Software without restriction, including without limitation
 the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and
 to permit persons to whom the Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or substantial portions of
 the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO
 THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.  IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT,
 TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 SOFTWARE.
COPYRIGHT
printf 'loopgui (%s) unstable; urgency=medium\n\n  * Built from the loopgui sources.\n\n -- %s  %s\n' \
  "$version" "$maintainer" "$(date -R -d "@$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)")" |
  gzip -9n > "$pkg/usr/share/doc/loopgui/changelog.gz"
# Lintian notes that stay, each with its reason (packaging/README.md explains them too).
sed 's/^ *//' > "$pkg/usr/share/lintian/overrides/loopgui" < "$ROOT/packaging/lintian-overrides"

# Depends: the shared libraries the bundle's programs and libraries need and do not carry, each by the package that
# holds it here (dpkg -S); libc6 at least the newest GLIBC_ symbol version they use.  (dpkg-shlibdeps cannot tell
# the bundle's own libraries from the system's copies of them.)
mapfile -t elves < <(find "$pkg/opt/loopgui" -type f \( -name '*.so*' -o -name loopgui \) -exec sh -c \
  'head -c4 "$1" | grep -q "ELF" && echo "$1"' _ {} \;)
carried="$(find "$pkg/opt/loopgui" \( -type f -o -type l \) -printf '%f\n' | sort -u)"
needed="$(objdump -p "${elves[@]}" 2>/dev/null | awk '/^ *NEEDED/ {print $2}' | sort -u)"
packages=()
for soname in $(comm -23 <(echo "$needed") <(echo "$carried")); do
  # awk reads all of ldconfig's output (no early exit): under pipefail a SIGPIPE'd ldconfig would end the build (141)
  path="$(ldconfig -p | awk -v n="$soname" '$1 == n && /x86-64|AArch64|64bit/ && !f {print $NF; f = 1}')"
  [ -n "$path" ] || path="$(ldconfig -p | awk -v n="$soname" '$1 == n && !f {print $NF; f = 1}')"
  [ -n "$path" ] || { echo "build_deb: $soname is needed but neither in the bundle nor on this system" >&2; exit 1; }
  owner="$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null || true)"
  [ -n "$owner" ] || { echo "build_deb: no package holds $path ($soname)" >&2; exit 1; }
  packages+=("${owner%%:*}")
done
glibc="$(objdump -T "${elves[@]}" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)"
depends=""
for p in $(printf '%s\n' "${packages[@]}" | sort -u); do
  [ "$p" = libc6 ] && p="libc6 (>= $glibc)"
  depends="${depends:+$depends, }$p"
done
# The bundled fontconfig reads the system's font settings, and Qt needs at least one font to draw text.
depends="$depends, fontconfig-config, fonts-dejavu-core | fonts-liberation2 | fonts-freefont-ttf"
# Chinese and Japanese need a CJK font, which DejaVu is not (the window would show boxes).  Recommends, not Depends:
# apt installs it by default, and a system that has another CJK font may leave out its 56 MB.
recommends="fonts-noto-cjk"

cat > "$pkg/DEBIAN/control" <<CONTROL
Package: loopgui
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
Depends: $depends
Recommends: $recommends
Section: net
Priority: optional
Description: which program uses which network port, in plain words
 Error messages often name an address such as 127.0.0.1:62893.  Paste the
 message into loopgui and it explains in plain words what the address and
 port mean, which program on this computer uses that port right now, whether
 it answers, and how to free it safely.
 .
 A live table of every network connection and listening program, tests of
 whether a program answers, and closing a program safely after asking.
CONTROL
mkdir -p "$ROOT/dist"
out="$ROOT/dist/loopgui_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$out" >/dev/null
echo "build_deb: $out ($(du -h "$out" | cut -f1)); Depends: $depends; Recommends: $recommends"
if command -v lintian >/dev/null; then
  lintian --info --fail-on error,warning "$out"
  echo "build_deb: lintian passed (notes kept: packaging/lintian-overrides)"
else
  echo "build_deb: lintian is not installed (apt-get install lintian); not checked" >&2
fi
