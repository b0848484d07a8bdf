"""Translation catalogs: <lang>.po (in the repository) and <lang>/LC_MESSAGES/loopgui.mo (made from them)."""
