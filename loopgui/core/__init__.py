"""Pure-Python logic shared by the window and the terminal: never imports Qt."""
