"""Make a smaller ICU data library for the Linux bundle (PySide6's libicudata is 32 MB, the bundle's biggest part).

    python packaging/trim_icu.py SOURCE/libicudata.so.73 OUT/libicudata.so.73

ICU's data is one package (the symbol ``icudt73_dat``).  Qt uses ICU for collation (``coll/``), text boundaries
(``brkitr/``), time zones (``zone/``), case mapping, normalisation and text codecs (``*.cnv``), all kept; it has its
own CLDR data for locale names, currencies, units and number spelling, so ICU's display names of languages,
regions, currencies and units, its number spelling and transliteration are removed (about 18 MB).  The package is
cut with ``icupkg`` (icu-devtools) and assembled back into a shared library with the same name and symbol (binutils);
``./scripts/build.sh`` installs both.  Prints what it saved.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Item folders inside the ICU data package that Qt never reads.
UNUSED = ("lang/", "region/", "curr/", "unit/", "rbnf/", "translit/")


def data_symbol(lib: Path) -> tuple[str, int, int]:
    """(name, file offset, size) of the ``icudtNN_dat`` symbol in the library."""
    out = subprocess.run(["objdump", "-T", "-h", str(lib)], capture_output=True, text=True, check=True).stdout
    sym = re.search(r"^([0-9a-f]+) g\s+DO \.rodata\s+([0-9a-f]+)\s+(icudt\d+_dat)$", out, re.MULTILINE)
    sec = re.search(r"\.rodata\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", out)
    if sym is None or sec is None:
        raise SystemExit(f"trim_icu: no ICU data symbol in {lib}")
    address, size, name = int(sym.group(1), 16), int(sym.group(2), 16), sym.group(3)
    offset = address - int(sec.group(1), 16) + int(sec.group(2), 16)
    return name, offset, size


def trim(source: Path, target: Path) -> tuple[int, int]:
    for tool in ("icupkg", "objdump", "as", "ld"):
        if shutil.which(tool) is None:
            raise SystemExit(f"trim_icu: {tool} is missing (apt-get install icu-devtools binutils)")
    name, offset, size = data_symbol(source)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dat = work / f"{name.removesuffix('_dat')}l.dat"
        with source.open("rb") as f:
            f.seek(offset)
            dat.write_bytes(f.read(size))
        items = subprocess.run(["icupkg", "-l", str(dat)], capture_output=True, text=True, check=True).stdout.split()
        drop = [i for i in items if i.startswith(UNUSED)]
        (work / "drop.txt").write_text("\n".join(drop) + "\n", encoding="ascii")
        small = work / "out" / dat.name  # icupkg names the items after the output file: keep "icudt73l"
        small.parent.mkdir()
        subprocess.run(["icupkg", "-r", str(work / "drop.txt"), str(dat), str(small)], check=True)
        (work / "data.s").write_text(
            "\t.section .rodata\n"
            f"\t.globl {name}\n\t.type {name}, @object\n\t.balign 16\n{name}:\n"
            f'\t.incbin "{small}"\n\t.size {name}, .-{name}\n'
            '\t.section .note.GNU-stack,"",@progbits\n',
            encoding="ascii",
        )
        subprocess.run(["as", "-o", str(work / "data.o"), str(work / "data.s")], check=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ld", "-shared", "-soname", source.name, "-o", str(target), str(work / "data.o")], check=True)
    return source.stat().st_size, target.stat().st_size


def main() -> None:
    before, after = trim(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"trim_icu: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
