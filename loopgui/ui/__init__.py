"""The Qt face of loopgui: thin over loopgui.core."""
