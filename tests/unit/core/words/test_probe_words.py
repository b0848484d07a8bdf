"""Connectivity-test facts in words (``loopgui.core.words.probes``): every code has its own sentence, every
sentence and label goes through the catalog, and the JSON carries codes and evidence beside the sentences."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from loopgui.core.explain.facts import ProgramRef
from loopgui.core.net.probes import (
    BadInput,
    Certificate,
    HttpAnswer,
    InputCode,
    Outcome,
    ProbeCode,
    ProbeResult,
    ProbeTest,
)
from loopgui.core.words import i18n
from loopgui.core.words import probes as words


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


def example(code: ProbeCode) -> ProbeResult:
    """A result with the evidence its code goes with (as the probes make it)."""
    test = {
        ProbeCode.PAGE: ProbeTest.HTTPS,
        ProbeCode.NOT_HTTP: ProbeTest.HTTP,
        ProbeCode.FREE: ProbeTest.LISTEN,
        ProbeCode.IN_USE: ProbeTest.LISTEN,
        ProbeCode.NEEDS_ADMIN: ProbeTest.LISTEN,
        ProbeCode.FREE_PORT_FOUND: ProbeTest.FIND_FREE_PORT,
    }.get(code, ProbeTest.TCP)
    if code.value.startswith("udp_"):
        test = ProbeTest.UDP
    if code.value.startswith("self_test_"):
        test = ProbeTest.LOOPBACK_SELF_TEST
    if code.value.startswith("own_") or code is ProbeCode.NO_OWN_ADDRESS:
        test = ProbeTest.OWN_ADDRESS
    return ProbeResult(
        test,
        "[::1]:8000",
        Outcome.ERROR,
        code,
        0.0123,
        greeting="SSH-2.0-x" if code in (ProbeCode.CONNECTED_GREETING, ProbeCode.UDP_ANSWERED) else None,
        http=HttpAnswer(200, "OK", "nginx", "Welcome", True) if code is ProbeCode.PAGE else None,
        certificate=Certificate("CN=localhost", "CN=localhost", time.time() + 86400 * 3.5, 3)
        if code is ProbeCode.PAGE
        else None,
        holder=ProgramRef("node server.js", 812) if code is ProbeCode.IN_USE else None,
        error="Connection refused",
        errno=111,
        port=41234 if code is ProbeCode.FREE_PORT_FOUND else None,
        privileged_below=1024 if code is ProbeCode.NEEDS_ADMIN else None,
        interface="eth0" if code.value.startswith("own_") else "",
        listens="0.0.0.0" if code is ProbeCode.REFUSED_OTHER_FAMILY else "",
    )


def test_every_code_has_its_own_sentence() -> None:
    """No code falls through to the "Failed: …" sentence of an unexpected system error (the firewall block needs
    its rule, tested in tests/unit/core/reach/test_reach.py)."""
    failed = words.verdict_text(example(ProbeCode.FAILED))
    assert failed == "Failed: Connection refused."
    seen: dict[str, ProbeCode] = {}
    for code in ProbeCode:
        if code in (ProbeCode.FAILED, ProbeCode.LOCAL_FIREWALL_BLOCK):
            continue
        text = words.verdict_text(example(code))
        assert text and text != failed, code
        if code is not ProbeCode.CONNECTED_GREETING:  # connected, with a greeting in the details
            assert text not in seen, (code, seen.get(text))
        seen[text] = code


def test_every_test_has_a_name() -> None:
    assert {t: words.name_text(t) for t in ProbeTest}[ProbeTest.TCP] == "Connect (TCP)"
    assert all(words.name_text(t) for t in ProbeTest)


def test_every_sentence_and_label_goes_through_the_catalog() -> None:
    i18n.set_pseudo()
    mark = i18n.Pseudo.MARK
    for code in ProbeCode:
        if code is ProbeCode.LOCAL_FIREWALL_BLOCK:
            continue
        r = example(code)
        line = words.line(r)
        assert line.verdict.startswith(mark), code
        assert line.test.startswith(mark), code
        for label, _value in line.details:
            assert label.startswith(mark), (code, label)
    for input_code in InputCode:
        assert words.bad_input_text(BadInput(input_code, text="x", host="h", port=0, seconds=1)).startswith(mark)
    assert words.summary([example(ProbeCode.REFUSED)]).startswith(mark)
    assert words.latency_text([0.001, None]).startswith(mark)


def test_english_wording_of_a_web_page_and_its_certificate() -> None:
    r = example(ProbeCode.PAGE)
    assert words.verdict_text(r) == (
        "A web server answered: 200 OK — “Welcome”. Its certificate is self-signed: normal for a program on your own "
        "computer, but a browser will warn about it."
    )
    details = dict(words.details(r))
    assert details["Status"] == "200 OK" and details["Server"] == "nginx" and details["Page title"] == "Welcome"
    assert details["Subject"] == "CN=localhost" and details["Valid until"].endswith("(in 3 days)")
    expired = ProbeResult(
        ProbeTest.HTTPS, "x", Outcome.ANSWERED, ProbeCode.PAGE, certificate=Certificate("a", "b", 0.0, -20000)
    )
    assert dict(words.details(expired))["Valid until"] == "1970-01-01 (expired)"
    assert "self-signed" not in words.verdict_text(expired)


def test_a_program_is_named_one_way() -> None:
    assert words.verdict_text(example(ProbeCode.IN_USE)) == (
        "In use by node server.js (PID 812): another program already listens here."
    )
    hidden = ProbeResult(ProbeTest.LISTEN, "x", Outcome.IN_USE, ProbeCode.IN_USE, holder=ProgramRef("", None))
    assert words.verdict_text(hidden) == (
        "In use by a program of another user or of the system: another program already listens here."
    )


def test_json_has_codes_evidence_and_the_sentences() -> None:
    data = words.as_json(example(ProbeCode.IN_USE))
    assert data["test"] == "listen" and data["code"] == "in_use" and data["outcome"] == "error"
    assert data["holder"] == ProgramRef("node server.js", 812).as_dict()
    assert data["errno"] == 111 and data["error"] == "Connection refused"
    text = data["text"]
    assert isinstance(text, dict) and text["verdict"].startswith("In use by node server.js (PID 812)")
    page = words.as_json(example(ProbeCode.PAGE))
    assert page["http"] == {"status": 200, "reason": "OK", "server": "nginx", "title": "Welcome", "complete": True}
    cert = page["certificate"]
    assert isinstance(cert, dict) and cert["self_signed"] is True and cert["days_left"] == 3


def test_bad_input_in_words() -> None:
    assert words.bad_input_text(BadInput(InputCode.PORT_OUT_OF_RANGE, port=70000)) == (
        "70000 is not a port number: ports go from 1 to 65535."
    )
    slow = BadInput(InputCode.LOOKUP_TIMED_OUT, host="db.example", seconds=0.5)
    assert words.bad_input_text(slow) == "Looking up the name db.example took longer than 0.5 s."
    assert slow.as_dict()["code"] == "lookup_timed_out" and slow.as_dict()["seconds"] == 0.5
