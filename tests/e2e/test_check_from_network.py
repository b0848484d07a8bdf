"""``loopgui check --from-network`` outside a namespace: bad input, and a loopback listener without the own-address
test (so nothing here connects to this machine's network addresses; the full runs are in test_reach_netns.py)."""

from __future__ import annotations

import io
import json
import socket

import pytest

from loopgui.commands import check

pytestmark = pytest.mark.e2e


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = check.main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--from-network", "example.org:80"], "is not this computer"),
        (["--from-network", "192.0.2.7:80"], "is not this computer"),
        (["--from-network", "localhost"], "has no port"),
        (["--from-network", "localhost:99999"], "ports go from 1 to 65535"),
        (["--from-network", "localhost:80", "--timeout", "0"], "--timeout"),
    ],
)
def test_bad_input_exits_2(argv: list[str], words: str) -> None:
    code, out, err = run(*argv)
    assert code == 2 and out == "" and words in err


def test_cannot_combine_with_another_test() -> None:
    code, _, _ = run("--from-network", "--udp", "localhost:80")
    assert code == 2


def test_loopback_listener_is_only_this_computer() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        code, out, err = run("--from-network", f"127.0.0.1:{port}", "--no-own-test")
        assert code == 1 and err == ""
        assert out.startswith(f"Can other computers connect to port {port} on this computer?")
        assert "Only this computer can connect: it listens on 127.0.0.1." in out
        code, out, _ = run("--from-network", f"localhost:{port}", "--no-own-test", "--json")
        data = json.loads(out)
        assert code == 1 and data["ok"] is False and data["answer"] == "no"
        assert data["listening_on"] == [f"127.0.0.1:{port}"] and data["own_address_test"] == []
    finally:
        server.close()


def test_exit_codes_can_cannot_and_cannot_tell() -> None:
    from loopgui.core.reach import assess as reach
    from loopgui.core.reach.firewall import FirewallAnswer, Inbound, Reason

    reasons = {
        Inbound.ALLOWED: Reason.ALLOWED_BY_RULE,
        Inbound.LIMITED: Reason.DEPENDS_ON_SENDER,
        Inbound.BLOCKED: Reason.BLOCKED_BY_RULE,
        Inbound.UNKNOWN: Reason.RULES_UNREADABLE,
    }
    lan = reach.Interface("eth0", reach.WIRED, ("10.0.0.5/24",))
    listeners = [reach.Listener("0.0.0.0", 8000)]

    def exit_for(inbound: Inbound) -> int:
        v = reach.verdict(8000, "tcp", listeners, [lan], FirewallAnswer(inbound, "nftables", reasons[inbound]))
        return check.from_network_exit(v)

    assert exit_for(Inbound.ALLOWED) == 0 and exit_for(Inbound.LIMITED) == 0
    assert exit_for(Inbound.BLOCKED) == 1
    assert exit_for(Inbound.UNKNOWN) == 3  # cannot tell is not "cannot"
    assert check.from_network_exit(reach.verdict(8000, "tcp", [], [lan], None)) == 1


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run("--help")  # (argparse prints the help itself)
    assert code == 0 and "3 = cannot tell" in " ".join(capsys.readouterr().out.split())


def test_terminal_explanation_never_speaks_of_a_page() -> None:
    """The terminal has no page that updates itself (a step once said "loopgui updates this page")."""
    from loopgui.commands import explain

    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]  # bound, not listening: nothing answers there
    try:
        out, err = io.StringIO(), io.StringIO()
        explain.main([f"connect ECONNREFUSED 127.0.0.1:{port}"], out, err)
    finally:
        free.close()
    assert "Start the program that should answer here" in out.getvalue()
    assert "updates this page" not in out.getvalue()
