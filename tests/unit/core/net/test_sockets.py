"""Snapshot rows, keys, the keyed diff, the row filter and exports."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

from hypothesis import given
from hypothesis import strategies as st

from loopgui.core.net.sockets import SocketRow, cells_to_tsv, diff_rows, make_key, rows_to_csv, rows_to_json
from loopgui.core.words.filter import RowFilter
from tests.helpers import as_map, row


def test_key_layout_matches_kernel_order() -> None:
    key = make_key("TCP", 4, "127.0.0.1", 80, "10.0.0.2", 5000)
    assert key[0] == 6 and key[2:4] == (80).to_bytes(2, "big") and key[4:6] == (5000).to_bytes(2, "big")
    assert key[6:10] == bytes([127, 0, 0, 1]) and key[10:22] == bytes(12)
    assert key[22:26] == bytes([10, 0, 0, 2])
    assert make_key("UDP", 6, "::1", 53, "", 0)[0] == 17
    assert make_key("TCP", 4, "127.0.0.1", 80, "", 0) != make_key("TCP", 6, "::ffff:127.0.0.1", 80, "", 0)


def test_diff_names_added_removed_changed() -> None:
    a, b, c = row(1), row(2), row(3)
    b2 = row(2, state="CLOSE_WAIT")
    d = diff_rows(as_map([a, b, c]), as_map([b2, c, row(4)]))
    assert d.added == {row(4).key}
    assert d.removed == {a.key}
    assert d.changed == {b.key}
    assert not d.empty
    assert diff_rows(as_map([a]), as_map([a])).empty


def test_equal_but_distinct_rows_are_not_changes() -> None:
    assert diff_rows(as_map([row(5)]), as_map([row(5)])).empty


rows_strategy = st.lists(
    st.builds(
        row,
        st.integers(1, 40),
        proto=st.sampled_from(["TCP", "UDP"]),
        state=st.sampled_from(["LISTEN", "ESTABLISHED", "TIME_WAIT", None]),
        pid=st.one_of(st.none(), st.integers(1, 5)),
    ),
    max_size=30,
)


@given(rows_strategy, rows_strategy)
def test_diff_applied_to_old_gives_new(old_rows: list[SocketRow], new_rows: list[SocketRow]) -> None:
    old, new = as_map(old_rows), as_map(new_rows)
    d = diff_rows(old, new)
    rebuilt = {k: v for k, v in old.items() if k not in d.removed}
    for k in d.added | d.changed:
        rebuilt[k] = new[k]
    assert rebuilt == new
    assert not (d.added & d.removed) and not (d.changed & (d.added | d.removed))
    assert all(old[k] != new[k] for k in d.changed)
    assert all(old[k] == new[k] for k in old.keys() & new.keys() - d.changed)


def test_filter_by_text_protocol_listening_and_ports() -> None:
    listen = row(62893, program="python3")
    conn = row(50000, remote="127.0.0.1", rport=62893, program="curl")
    dns = row(53, proto="UDP", program="resolved")
    other = row(8080, program="node")
    rows = [listen, conn, dns, other]

    def shown(f: RowFilter) -> list[SocketRow]:
        return [r for r in rows if f.accepts(r)]

    assert shown(RowFilter()) == rows and RowFilter().is_everything
    assert shown(RowFilter(text="62893")) == [listen, conn]
    assert shown(RowFilter(text="PYTHON")) == [listen]
    assert shown(RowFilter(text="listening")) == [listen, other]
    assert shown(RowFilter(listening_only=True)) == [listen, dns, other]
    assert shown(RowFilter(udp=False)) == [listen, conn, other]
    assert shown(RowFilter(tcp=False)) == [dns]
    assert shown(RowFilter(ports=frozenset({62893}))) == [listen, conn]
    assert shown(RowFilter(text="   ")) == rows


@given(
    st.sampled_from(["", "  ", "node", "62893", "listening", "8080 node"]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.sampled_from([frozenset(), frozenset({62893})]),
    st.booleans(),
)
def test_selecting_rows_is_accepting_each(
    text: str, listening: bool, tcp: bool, udp: bool, ports: frozenset[int], elsewhere: bool
) -> None:
    # the table's first load selects tens of thousands of rows at once: the same rows, in the same order
    rows = [
        row(62893, program="python3"),
        row(50000, remote="127.0.0.1", rport=62893, program="curl"),
        row(53, proto="UDP", program="resolved"),
        row(8080, program="node"),
        dataclasses.replace(row(8080, program="node"), namespace=4026532000),  # another network's listener
    ]
    assert rows[-1].elsewhere
    f = RowFilter(text=text, listening_only=listening, tcp=tcp, udp=udp, ports=ports, elsewhere=elsewhere)
    assert f.select(iter(rows)) == [r for r in rows if f.accepts(r)]


def test_a_number_in_the_filter_matches_whole_ports() -> None:
    """Filtering "8080" finds port 8080, not 48080 nor 18080; other words still match parts of any column."""
    exact = row(8080, program="node", pid=4242)
    longer = row(48080, program="python3", pid=9)
    remote = row(50000, remote="127.0.0.1", rport=8080, program="curl", pid=10)
    listener = row(5000, program="x", pid=8)  # remote port 0: "0" must not match every listener

    def shown(text: str) -> list[SocketRow]:
        return [r for r in (exact, longer, remote, listener) if RowFilter(text=text).accepts(r)]

    assert shown("8080") == [exact, remote]
    assert shown("4242") == [exact]  # a PID is a whole number too
    assert shown("0") == []
    assert shown("8080 node") == [exact]
    assert shown("127.0.0") == [exact, longer, remote, listener]  # not a plain number: part of an address


def test_csv_and_json_exports_round_trip() -> None:
    rows = [row(80, program='we,ird "name"'), row(53, proto="UDP", pid=None, program="")]
    parsed = list(csv.DictReader(io.StringIO(rows_to_csv(rows))))
    assert [p["local_port"] for p in parsed] == ["80", "53"]
    assert parsed[0]["program"] == 'we,ird "name"'
    assert parsed[1]["pid"] == "" and parsed[1]["state"] == ""
    data = json.loads(rows_to_json(rows))
    assert data[0]["local_port"] == 80 and data[0]["state"] == "LISTEN"
    assert data[1]["pid"] is None and data[1]["remote_address"] is None
    assert data[0]["first_seen"].startswith("2023-11-1")


def test_tsv_for_clipboard_flattens_tabs_and_newlines() -> None:
    text = cells_to_tsv(["A", "B"], [["x\ty", "line\nbreak"]])
    assert text == "A\tB\nx y\tline break\n"
