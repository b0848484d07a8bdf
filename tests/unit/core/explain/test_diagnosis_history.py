"""The diagnosis names what held a port earlier, read through a history interface (a fake here)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from loopgui.core.explain.diagnosis import diagnose
from loopgui.core.history.store import HistoryNotice, HistoryUnavailable, NoticeCode, Span
from loopgui.core.words.explain import render, report
from loopgui.core.words.times import clock
from tests.helpers import as_map, row
from tests.unit.core.explain.test_diagnosis import env, facts


def hhmmss(t: float) -> str:
    return clock(t)


def span(port: int, first: float, last: float, **kw: object) -> Span:
    base: dict[str, object] = {
        "proto": "TCP",
        "local_addr": "127.0.0.1",
        "local_port": port,
        "remote_addr": "",
        "remote_port": 0,
        "first_seen": first,
        "last_seen": last,
        "open": False,
        "first_state": "LISTEN",
        "last_state": "LISTEN",
        "listened": True,
    }
    base.update(kw)
    return Span(**base)  # type: ignore[arg-type]


class FakeHistory:
    def __init__(self, spans: Sequence[Span] = (), fail: bool = False) -> None:
        self.spans = list(spans)
        self.fail = fail
        self.asked: list[int] = []

    def port_history(
        self, port: int, *, since: float | None = None, limit: int = 50, include_remote: bool = False
    ) -> Sequence[Span]:
        self.asked.append(port)
        if self.fail:
            raise HistoryUnavailable(HistoryNotice(NoticeCode.BUSY, path="/x/history.sqlite3"))
        return [s for s in self.spans if s.local_port == port][:limit]


def test_a_temporary_port_used_seconds_ago_is_named_with_its_times_and_peer() -> None:
    now = time.time()
    used = span(
        62893, now - 200, now - 196, listened=False, remote_addr="127.0.0.1", remote_port=5432,
        first_state="ESTABLISHED", last_state="ESTABLISHED", pid=4411, program="code",
    )  # fmt: skip
    d = diagnose("connect ECONNREFUSED 127.0.0.1:62893", {}, env=env(), facts=facts, history=FakeHistory([used]))
    expected = (
        f"Nothing listens on 62893 now. code (PID 4411) used it from {hhmmss(now - 200)} to {hhmmss(now - 196)}, "
        "connected to 127.0.0.1:5432."
    )
    assert render(d).findings[0].text == expected
    assert expected in report(d)


def test_a_listener_that_stopped_is_named_with_when_it_stopped() -> None:
    now = time.time()
    node = span(3000, now - 3600, now - 185, pid=812, program="node")
    other = span(3000, now - 9000, now - 8000, pid=77, program="old")
    d = diagnose("ECONNREFUSED 127.0.0.1:3000", {}, env=env(), facts=facts, history=FakeHistory([node, other]))
    texts = [f.text for f in render(d).findings]
    assert f"node (PID 812) listened on 3000 until {hhmmss(now - 185)} (3 minutes ago); it stopped." in texts
    assert any(t.startswith("old (PID 77) listened on 3000 until") for t in texts)


def test_history_is_not_consulted_when_the_port_is_held_now() -> None:
    fake = FakeHistory([span(3000, 1.0, 2.0, pid=1, program="gone")])
    d = diagnose("127.0.0.1:3000", as_map([row(3000, pid=5, program="node")]), env=env(), facts=facts, history=fake)
    assert "gone" not in report(d)


def test_port_in_use_that_was_freed_says_who_had_it() -> None:
    now = time.time()
    fake = FakeHistory([span(8080, now - 100, now - 30, pid=9, program="java")])
    d = diagnose("bind: address already in use 0.0.0.0:8080", {}, env=env(), facts=facts, history=fake)
    assert any(f.text.startswith("java (PID 9) listened on 8080 until") for f in render(d).findings)


def test_unreadable_history_is_a_plain_note_not_a_crash() -> None:
    d = diagnose("ECONNREFUSED 127.0.0.1:3000", {}, env=env(), facts=facts, history=FakeHistory(fail=True))
    assert any(f.text == "loopgui could not read its history of this port." for f in render(d).findings)


def test_without_history_nothing_changes() -> None:
    a = diagnose("ECONNREFUSED 127.0.0.1:3000", {}, env=env(), facts=facts)
    b = diagnose("ECONNREFUSED 127.0.0.1:3000", {}, env=env(), facts=facts, history=FakeHistory())
    assert [f.text for f in render(a).findings] == [f.text for f in render(b).findings]
