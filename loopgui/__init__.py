"""loopgui: which program uses which network port, explained in plain words."""

__version__ = "0.1.0"
