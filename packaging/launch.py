"""Entry point of the bundled app (PyInstaller starts here)."""

import sys

from loopgui.app import main

if __name__ == "__main__":
    sys.exit(main())
