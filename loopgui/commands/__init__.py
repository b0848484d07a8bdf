"""One module per ``loopgui VERB`` (see loopgui/cli.py); none of them imports Qt."""
