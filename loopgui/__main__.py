"""``python -m loopgui``."""

import sys

from loopgui.app import main

if __name__ == "__main__":
    sys.exit(main())
