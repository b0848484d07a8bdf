"""Words the window shows everywhere: advice to listen on every address warns; one port-range sentence."""

from __future__ import annotations

import ast

from loopgui.core.explain.facts import Range
from loopgui.core.explain.knowledge import PortRange
from loopgui.core.words.explain import port_range_sentence, report
from tests.paths import REPO

CORE = REPO / "loopgui" / "core"


def _texts(tree: ast.AST) -> list[str]:
    """Every string the code builds: constants, f-strings, and '+' chains of them, as one text each."""
    out: list[str] = []

    def text(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(text(v) or "{}" for v in node.values)
        if isinstance(node, ast.FormattedValue):
            return "{}"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = text(node.left), text(node.right)
            if left is not None or right is not None:
                return (left or "{}") + (right or "{}")
        return None

    inner = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, (ast.BinOp, ast.JoinedStr))
        for child in ast.iter_child_nodes(node)
    }
    for node in ast.walk(tree):
        if id(node) in inner:
            continue  # a piece of a longer text: checked as part of it
        found = text(node)
        if found is not None:
            out.append(found)
    return out


def test_advice_to_listen_on_every_address_warns_that_others_can_connect() -> None:
    advice = []
    for path in sorted(CORE.rglob("*.py")):
        for t in _texts(ast.parse(path.read_text(encoding="utf-8"))):
            if "listen on" in t and ("0.0.0.0" in t or "all network connections" in t):
                advice.append((path.name, t))
    assert advice, "the test no longer finds the advice"
    for name, t in advice:
        assert "other computers" in t and "connect" in t.split("0.0.0.0", 1)[-1], (name, t)


def test_one_port_range_sentence_with_this_computers_range() -> None:
    linux = Range(32768, 60999)
    inside = port_range_sentence(40000, linux)
    assert "32768–60999" in inside and "temporary" in inside
    above = port_range_sentence(62893, linux)
    assert "not one of the temporary ports" in above and "49152" not in above
    assert "well-known" in port_range_sentence(80, linux)


def test_a_diagnosis_shows_one_range() -> None:
    from loopgui.core.explain.diagnosis import Environment, diagnose

    env = Environment(
        platform="linux",
        ephemeral=PortRange(32768, 60999),
        excluded=(),
        unprivileged_start=1024,
        localhost=("127.0.0.1",),
        own_addresses=(),
        is_local=lambda h: h in ("127.0.0.1", "localhost"),
    )
    d = diagnose("connect ECONNREFUSED 127.0.0.1:62893", {}, env=env)
    text = report(d)
    assert "32768–60999" in text
    assert "49152–65535" not in text
