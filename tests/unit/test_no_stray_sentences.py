"""Every sentence a person reads goes through the catalog: no English sentence is left as a bare string literal
anywhere in loopgui (core logic returns facts; words, the window and the verbs wrap their texts in ``_()``/``N_()``).

Looked at: every string literal of loopgui/ that reads like a sentence (a capital letter, then at least three more
words).  Not counted: docstrings, log messages, texts inside ``_()``/``N_()``/``ngettext``/``pgettext``, dictionary
keys (tables whose keys are translated where shown), what a parser compares input with, and a few product names and
parser tokens listed below with the reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "loopgui"

SENTENCE = re.compile(r"^[A-Z][a-z'’]+(?: [^ ]+){3,}")
WRAPPERS = {"_", "N_", "ngettext", "pgettext", "gettext"}
LOGGING = {"debug", "info", "warning", "error", "exception", "critical"}
PARSING = {"startswith", "endswith", "find", "index", "split", "partition", "rpartition", "replace", "count"}
# Words other programs print, which loopgui reads (never shows as its own sentence).
PARSER_TOKENS = {"End Profile Settings:", "Firewall Policy BlockInbound"}
# Product names that are the same in every language in which the product itself ships.
NAMES = {"Windows Defender Firewall"}


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def stray_sentences(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    parent: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parent[child] = node
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # an f-string: its text with {} for each value
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and not isinstance(parent.get(node), ast.JoinedStr)
        ):
            text = node.value
        else:
            continue
        if not SENTENCE.match(text) or text in PARSER_TOKENS or text in NAMES:
            continue
        up = parent.get(node)
        if isinstance(up, ast.Expr):  # a docstring
            continue
        if isinstance(up, ast.Dict) and any(k is node for k in up.keys):
            continue
        if isinstance(up, ast.Compare):
            continue
        fine = False
        at: ast.AST = node
        while at in parent and not fine:
            at = parent[at]
            if isinstance(at, ast.Call):
                name = _call_name(at)
                fine = name in WRAPPERS or name in LOGGING or name in PARSING
            if isinstance(at, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
                break
        if not fine:
            found.append((node.lineno, text))
    return sorted(found)


def test_no_english_sentence_is_left_outside_the_catalog() -> None:
    stray = [
        f"{path.relative_to(ROOT.parent)}:{line}: {text[:80]}"
        for path in sorted(ROOT.rglob("*.py"))
        for line, text in stray_sentences(path.read_text(encoding="utf-8"))
    ]
    assert not stray, "\n".join(stray)


def test_the_check_finds_a_bare_sentence_and_accepts_the_wrapped_ones() -> None:
    code = '''
def f(x):
    """A docstring is not shown to anyone here."""
    log.info("The scan took a long time to finish")
    table = {"What the state means": 1}
    if x == "End of the list from the tool":
        pass
    ok = _("Nothing listens on this port now.")
    if x:
        return f"Port {x} is a well-known port, kept for standard services."
    return "Nothing listens on this port now."
'''
    assert stray_sentences(code) == [
        (10, "Port {} is a well-known port, kept for standard services."),
        (11, "Nothing listens on this port now."),
    ]
