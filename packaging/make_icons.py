"""Render loopgui/resources/desktop/icons/loopgui.svg to PNGs (16–512), the window icon inside the package, and the
Windows .ico / macOS .icns used by the PyInstaller build.

    python packaging/make_icons.py          # PNGs (committed)
    python packaging/make_icons.py --ico --icns build/icons   # for a bundle (needs Pillow)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "loopgui" / "resources" / "desktop" / "icons" / "loopgui.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
PACKAGE_ICON = ROOT / "loopgui" / "resources" / "loopgui-256.png"


def render_pngs(out: Path) -> list[Path]:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    del app
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SVG}")
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out / f"loopgui-{size}.png"
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"cannot write {path}")
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ico", action="store_true")
    parser.add_argument("--icns", action="store_true")
    parser.add_argument("out", nargs="?", default=str(SVG.parent))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pngs = render_pngs(out)
    if out.resolve() == SVG.parent.resolve():
        PACKAGE_ICON.write_bytes((out / "loopgui-256.png").read_bytes())
    if args.ico or args.icns:
        from PIL import Image

        biggest = Image.open(out / "loopgui-512.png")
        if args.ico:
            biggest.save(out / "loopgui.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
        if args.icns:
            biggest.save(out / "loopgui.icns")
    print(f"wrote {len(pngs)} PNGs to {out}")


if __name__ == "__main__":
    main()
