"""The reach verdict in words: "can other computers connect?", with the answer a person wants first.

Everything here renders facts from :mod:`loopgui.core.reach.assess` and :mod:`loopgui.core.reach.firewall`:
the headline (where other computers can reach the program, with a warning sign when that exposes it), then the
details (each network connection and IP version, network prefixes, link-local addresses, the firewall rule that
decides, what the own-address test can and cannot show), the safety note and how to check yourself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from loopgui.core.explain import knowledge
from loopgui.core.net.probes import Outcome, ProbeCode, ProbeResult, ProbeTest
from loopgui.core.net.sockets import format_endpoint
from loopgui.core.reach.assess import (
    CONTAINER,
    OPEN,
    VPN,
    WIFI,
    WIRED,
    Interface,
    Listener,
    LocalBlock,
    OwnOutcome,
    OwnResult,
    OwnTest,
    PathFact,
    ReachCode,
    ReachVerdict,
)
from loopgui.core.reach.firewall import (
    MACOS_FIREWALL,
    UFW_CHECK,
    WINDOWS_FIREWALL,
    Condition,
    ConditionCode,
    FirewallAnswer,
    Inbound,
    ReaderStatus,
    Reason,
    RuleRef,
)
from loopgui.core.text.shellquote import posix
from loopgui.core.words.i18n import N_, _, format_list, ngettext

WARNING = "⚠"  # put before a sentence that says the program is open to other computers

_KIND_WORDS = {
    WIFI: N_("your Wi-Fi"),
    WIRED: N_("your wired network"),
    VPN: N_("your VPN"),
    CONTAINER: N_("containers and virtual machines on this computer"),
}


def network_text(iface: Interface) -> str:
    """ "your Wi-Fi (wlan0)", "the network eth1" — a network connection in words (prefixes go in the details)."""
    words = _KIND_WORDS.get(iface.kind)
    if words is None:
        return _("the network {interface}").format(interface=iface.name)
    return _("{network} ({interface})").format(network=_(words), interface=iface.name)


def listener_text(lst: Listener, default_v6only: bool | None) -> str:
    a = lst.address.split("%", 1)[0]
    if a == "0.0.0.0":
        return _("all IPv4 addresses (0.0.0.0)")
    if a in ("::", "*", ""):
        if lst.v6only:
            return _("all IPv6 addresses only (::)")
        if lst.v6only is False:
            return _("all addresses (::, IPv4 too)")
        if default_v6only is False:
            return _("all addresses (::, IPv4 too unless the program turned that off)")
        return _("all IPv6 addresses (::), perhaps IPv4 too")
    return a


def where_text(v: ReachVerdict) -> str:
    shown: list[str] = []
    for lst in v.listeners:
        t = listener_text(lst, v.default_v6only)
        if t not in shown:
            shown.append(t)
    return format_list(shown[:4])


def _best(paths: Sequence[PathFact]) -> PathFact:
    """The address to show first: IPv4 before IPv6, global before link-local."""

    def rank(p: PathFact) -> tuple[int, int]:
        link_local = knowledge.address_kind(p.address) == knowledge.LINK_LOCAL
        return (1 if link_local else 0, 0 if p.version == 4 else 1)

    return sorted(paths, key=rank)[0]


def _networks(paths: Sequence[PathFact]) -> str:
    names: list[str] = []
    for p in paths:
        t = network_text(p.interface)
        if t not in names:
            names.append(t)
    return format_list(names[:3])


def source_name(source: str) -> str:
    """A firewall's name as the user's system names it: the Windows and macOS firewalls have names in each
    language; nftables, iptables, ufw, firewalld and pf are the same everywhere."""
    if source == WINDOWS_FIREWALL:
        return _("Windows Defender Firewall")
    if source == MACOS_FIREWALL:
        return _("macOS application firewall")
    return source


def _firewall_name(answer: FirewallAnswer | None) -> str:
    return source_name(answer.source) if answer and answer.source else _("the firewall")


# -- one firewall's answer in words ------------------------------------------------------------------------------

# What an answer depends on, as words that follow "lets port 8000/tcp in only …" / "… but blocks it …" and stand
# in parentheses after "only some other computers can connect".
_CONDITION_WORDS = {
    # TRANSLATORS: a condition of a firewall rule, put into "lets port 8000/tcp in only {conditions}."; values are
    # addresses or networks as the rule writes them (192.168.1.0/24, LocalSubnet)
    ConditionCode.FROM_ADDRESSES: N_("from {values}"),
    ConditionCode.TO_ADDRESSES: N_("to {values}"),
    ConditionCode.FROM_SOME_ADDRESSES: N_("from some addresses"),
    ConditionCode.TO_SOME_ADDRESSES: N_("to some addresses"),
    # TRANSLATORS: a firewall rule's condition: on the network connection(s) named (eth0, wlan0)
    ConditionCode.ON_INTERFACES: N_("on {values}"),
    ConditionCode.ON_SOME_INTERFACES: N_("on some network connections"),
    ConditionCode.FROM_PORTS: N_("from port {values}"),
    ConditionCode.TO_PORTS: N_("to port {values}"),
    ConditionCode.IN_SET: N_("depending on the list “{values}”"),
    ConditionCode.IN_SOME_CASES: N_("in some cases"),
    ConditionCode.UNREADABLE_RULE: N_("a rule loopgui cannot read"),
    ConditionCode.UNREADABLE_LIST: N_("a list loopgui cannot read"),
    ConditionCode.PROGRAM_DECIDES: N_("a program decides each connection"),
    ConditionCode.IPTABLES_IN_NFTABLES: N_("an iptables rule inside nftables"),
    ConditionCode.STATEMENT: N_("a “{values}” rule"),
    ConditionCode.VERDICT_MAP: N_("a verdict map"),
    ConditionCode.COMPARISON: N_("a comparison “{values}”"),
    ConditionCode.MATCH: N_("the match “{values}”"),
    ConditionCode.ADDRESSES: N_("the addresses {values}"),
    ConditionCode.PORTS: N_("the ports {values}"),
    ConditionCode.PORTS_EITHER_SIDE: N_("ports of either side"),
    ConditionCode.APPLICATION_PROFILE: N_("the application profile “{values}”"),
    ConditionCode.PROGRAM_RULE: N_("a rule for {values}"),
}


def condition_text(c: Condition) -> str:
    """ "from 192.168.1.0/24", "on eth0", "a “queue” rule": what a limited or unknown answer depends on."""
    return _(_CONDITION_WORDS[c.code]).format(values=", ".join(c.values))


def conditions_text(answer: FirewallAnswer) -> str:
    return format_list([condition_text(c) for c in answer.conditions[:3]])


def firewalld_where(answer: FirewallAnswer) -> str:
    """ "zone “public”, network connections eth0" — where firewalld's setting applies."""
    if answer.interfaces:
        return ngettext(
            "zone “{zone}”, network connection {interfaces}",
            "zone “{zone}”, network connections {interfaces}",
            len(answer.interfaces),
        ).format(zone=answer.zone, interfaces=format_list(list(answer.interfaces)))
    return _("zone “{zone}”").format(zone=answer.zone)


def firewall_text(answer: FirewallAnswer) -> str:
    """One firewall's answer as whole sentences, from its reason code and evidence."""
    r = answer.reason
    fw, port, proto = source_name(answer.source), answer.port, answer.proto
    if r == Reason.NOT_READ:
        return _("loopgui could not read this computer's firewall.")
    if r == Reason.UNSUPPORTED_SYSTEM:
        return _("loopgui cannot read the firewall on this system.")
    if r == Reason.KERNEL_RULES_UNREADABLE:
        return _(
            "Neither ufw nor firewalld is switched on, but reading the system's own firewall rules needs "
            "administrator rights."
        )
    if r == Reason.OTHERS_UNREADABLE:
        first = firewall_text(answer.seen) if answer.seen is not None else ""
        rest = _("Other firewall rules could not be read without administrator rights.")
        return f"{first} {rest}".strip()
    if r == Reason.NO_INBOUND_RULES:
        if not fw:
            return _("The firewall has no rules for incoming connections.")
        return _("The firewall ({firewall}) has no rules for incoming connections.").format(firewall=fw)
    if r == Reason.RULES_UNREADABLE:
        return _("loopgui could not read the rules of the firewall ({firewall}).").format(firewall=fw)
    if r == Reason.TOO_INVOLVED:
        return _("The rules of the firewall ({firewall}) are too involved to follow.").format(firewall=fw)
    if r == Reason.ALLOWED_BY_RULE:
        return _("The firewall ({firewall}) lets new connections to port {port}/{proto} in.").format(
            firewall=fw, port=port, proto=proto
        )
    if r == Reason.BLOCKED_BY_RULE:
        rule = rule_text(answer)
        if rule:
            return _(
                "The firewall ({firewall}) blocks new connections to port {port}/{proto} with the rule “{rule}”."
            ).format(firewall=fw, port=port, proto=proto, rule=rule)
        return _("The firewall ({firewall}) blocks new connections to port {port}/{proto}.").format(
            firewall=fw, port=port, proto=proto
        )
    if r == Reason.POLICY_DROP:
        return _(
            "The firewall ({firewall}) blocks new connections to port {port}/{proto}: no rule lets them in, and "
            "its default (“{rule}”) drops them."
        ).format(firewall=fw, port=port, proto=proto, rule=rule_text(answer))
    if r == Reason.UNINTERPRETABLE:
        return _(
            "The firewall ({firewall}) has rules loopgui cannot interpret for port {port}/{proto} ({what})."
        ).format(firewall=fw, port=port, proto=proto, what=conditions_text(answer))
    if r == Reason.DEPENDS_ON_SENDER:
        # TRANSLATORS: conditions: a list of phrases such as "from 192.168.1.0/24" and "on eth0"
        return _("The firewall ({firewall}) lets port {port}/{proto} in only {conditions}.").format(
            firewall=fw, port=port, proto=proto, conditions=conditions_text(answer)
        )
    if r == Reason.BLOCKED_FOR_SOME:
        return _("The firewall ({firewall}) lets port {port}/{proto} in, but blocks it {conditions}.").format(
            firewall=fw, port=port, proto=proto, conditions=conditions_text(answer)
        )
    if r == Reason.SWITCHED_OFF:
        return _("The firewall ({firewall}) is switched off.").format(firewall=fw)
    if r == Reason.BLOCK_ALL:
        return _("The firewall ({firewall}) blocks all incoming connections (“Block all”).").format(firewall=fw)
    if r == Reason.ALLOWS_ALL:
        if answer.zone:
            return _("The firewall ({firewall}) lets every incoming connection in ({where}).").format(
                firewall=fw, where=firewalld_where(answer)
            )
        return _("The firewall ({firewall}) lets every incoming connection in.").format(firewall=fw)
    if r == Reason.DEFAULT_DENY_UNREADABLE:
        return _(
            "The firewall ({firewall}) is on and blocks incoming connections unless a rule allows them; reading its "
            "rules needs administrator rights."
        ).format(firewall=fw)
    if r == Reason.NO_RULE_DEFAULT_UNKNOWN:
        return _(
            "The firewall ({firewall}) is on and has no rule for port {port}/{proto}; its default for incoming "
            "connections was not shown."
        ).format(firewall=fw, port=port, proto=proto)
    if r == Reason.ALLOWED_PROGRAMS_ONLY:
        return _(
            "The firewall ({firewall}) is on: it lets in only programs you allowed (it asks the first time)."
        ).format(firewall=fw)
    if r == Reason.FIREWALLD_PORT_OPEN:
        return _("firewalld lets port {port}/{proto} in ({where}).").format(
            port=port, proto=proto, where=firewalld_where(answer)
        )
    if r == Reason.FIREWALLD_SERVICE_OPEN:
        return _("firewalld lets port {port}/{proto} in as the service “{service}” ({where}).").format(
            port=port, proto=proto, service=", ".join(answer.services), where=firewalld_where(answer)
        )
    if r == Reason.FIREWALLD_RICH_RULE:
        return _("firewalld has a special rule for port {port} ({where}).").format(
            port=port, where=firewalld_where(answer)
        )
    if r == Reason.FIREWALLD_UNKNOWN_SERVICES:
        return _(
            "firewalld blocks what it does not allow, and allows services loopgui does not know ({services})."
        ).format(services=format_list(list(answer.services)))
    if r == Reason.FIREWALLD_BLOCKS:
        return _("firewalld blocks port {port}/{proto}: no rule allows it ({where}).").format(
            port=port, proto=proto, where=firewalld_where(answer)
        )
    return ""


def _unknown_why(v: ReachVerdict) -> str:
    if not v.firewall_read:
        return _("loopgui did not read the firewall")
    paths = [p for p in v.paths if p.code == ReachCode.UNKNOWN]
    if (
        paths
        and all(p.bind is None for p in paths)
        and all(p.firewall is not None and p.firewall.inbound != Inbound.UNKNOWN for p in paths)
    ):
        return _("it listens on :: and loopgui could not read whether the program also takes IPv4 connections")
    failed = [r for r in v.readers if r.status in (ReaderStatus.FAILED, ReaderStatus.NOT_RUN)]
    if failed and not any(r.status == ReaderStatus.READ for r in v.readers):
        return _("loopgui could not read the firewall's rules (that usually needs administrator rights)")
    return _("the firewall has rules loopgui cannot interpret for this port")


def headline(v: ReachVerdict) -> str:
    """The answer first: who can connect, and where."""
    port, proto = v.port, v.proto.upper()
    code = v.code
    if code == ReachCode.NOTHING_LISTENS:
        return _("No computer can connect: nothing on this computer listens on port {port} ({proto}).").format(
            port=port, proto=proto
        )
    if code == ReachCode.ONLY_THIS_COMPUTER:
        return _("Only this computer can connect: it listens on {where}.").format(where=where_text(v))
    if code in OPEN:
        open_paths = v.open_paths()
        best = _best(open_paths)
        at = format_endpoint(best.address, port)
        nets = _networks(open_paths)
        if code == ReachCode.REACHABLE:
            text = _("Other computers on {networks} can reach it at {endpoint}.")
        else:
            text = _("Some other computers on {networks} can reach it at {endpoint}; the firewall lets only some in.")
        return f"{WARNING} " + text.format(networks=nets, endpoint=at)
    if code == ReachCode.BLOCKED_BY_FIREWALL:
        fw = v.firewall()
        return _("Other computers cannot connect: {firewall} on this computer blocks port {port} ({proto}).").format(
            firewall=_firewall_name(fw), port=port, proto=proto
        )
    if code == ReachCode.NOT_LISTENING_HERE:
        return _(
            "Other computers cannot connect: it listens on {where}, and none of this computer's network "
            "addresses right now is one of those."
        ).format(where=where_text(v))
    if code == ReachCode.NOT_ANSWERING:
        return _(
            "Other computers cannot connect right now: the program did not answer on this computer's own network "
            "address, and nothing on this computer filtered that test."
        )
    if code == ReachCode.NO_NETWORK:
        return _("Other computers cannot connect right now: this computer has no network address besides loopback.")
    return _("Cannot tell whether other computers can connect: {why}.").format(why=_unknown_why(v))


def rule_text(answer: FirewallAnswer) -> str:
    """The rule that decided, as the firewall shows it ("" when the reader did not name one)."""
    if answer.rule is not None:
        return answer.rule.text
    return answer.details[0] if answer.details else ""


def _path_sentence(p: PathFact, port: int) -> str:
    at = format_endpoint(p.address, port)
    net = network_text(p.interface)
    family = f"IPv{p.version}"
    if p.code == ReachCode.REACHABLE:
        return _("{family} {endpoint} on {network}: other computers can connect.").format(
            family=family, endpoint=at, network=net
        )
    if p.code == ReachCode.REACHABLE_FROM_SOME:
        limit = conditions_text(p.firewall) if p.firewall else ""
        if not limit:  # (firewalld's rich rules: the rule is in the firewall's own sentence)
            return _("{family} {endpoint} on {network}: only some other computers can connect.").format(
                family=family, endpoint=at, network=net
            )
        return _("{family} {endpoint} on {network}: only some other computers can connect ({limit}).").format(
            family=family, endpoint=at, network=net, limit=limit
        )
    if p.code == ReachCode.BLOCKED_BY_FIREWALL:
        return _("{family} {endpoint} on {network}: the firewall blocks it ({rule}).").format(
            family=family, endpoint=at, network=net, rule=rule_text(p.firewall) if p.firewall else ""
        )
    if p.code == ReachCode.NOT_LISTENING_HERE:
        return _("{family} {endpoint} on {network}: the program does not listen on this address.").format(
            family=family, endpoint=at, network=net
        )
    if p.code == ReachCode.NOT_ANSWERING:
        return _("{family} {endpoint} on {network}: the program did not answer there.").format(
            family=family, endpoint=at, network=net
        )
    return _("{family} {endpoint} on {network}: cannot tell.").format(family=family, endpoint=at, network=net)


def _prefix_sentence(p: PathFact) -> str:
    if knowledge.address_kind(p.address) == knowledge.LINK_LOCAL:
        return _("{address} is a link-local address: only computers on the same network segment can use it.").format(
            address=p.address
        )
    if p.prefix:
        return _("{address} is in the network {prefix}.").format(address=p.address, prefix=p.prefix)
    return ""


def own_test_sentence(p: PathFact) -> str:
    """What the own-address test showed for one address, knowing that it runs over loopback."""
    if p.own is None:
        return ""
    at = p.address
    code = p.own_test
    if code == OwnTest.LISTENS:
        return _("Tested from this computer: it answered on {address}, so the program takes connections there.").format(
            address=at
        )
    if code == OwnTest.NOT_LISTENING:
        return _(
            "Tested from this computer: {address} refused, so the program does not take connections there."
        ).format(address=at)
    if code == OwnTest.NOT_ANSWERING:
        return _("Tested from this computer: no answer on {address} in time.").format(address=at)
    if code == OwnTest.FILTERED:
        return _(
            "Tested from this computer: {address} gave no usable answer because this computer's firewall filters "
            "its own traffic to that address ({rule}); that does not show what other computers meet."
        ).format(address=at, rule=rule_text(p.own_filter) if p.own_filter else "")
    if code == OwnTest.INCONCLUSIVE:
        if p.own.outcome == OwnOutcome.REFUSED:
            return _(
                "Tested from this computer: {address} refused; loopgui could not read whether this computer's "
                "firewall rejected that test, so it does not count."
            ).format(address=at)
        return _(
            "Tested from this computer: no answer on {address}; loopgui could not read whether this computer's "
            "firewall dropped that test, so it does not count."
        ).format(address=at)
    return _("Tested from this computer: {address} could not be tried ({error}).").format(address=at, error=p.own.error)


OWN_TEST_NOTE = N_(
    "The own-address test connects from this computer to its own network addresses. That traffic goes over "
    "loopback, which the firewall does not filter like traffic from other computers: the test shows whether the "
    "program takes connections on an address, not what the firewall does to other computers."
)


def reasons(v: ReachVerdict) -> list[str]:
    """The details, one sentence each."""
    out: list[str] = []
    if v.listeners:
        out.append(_("It listens on {where}.").format(where=where_text(v)))
    if v.code == ReachCode.ONLY_THIS_COMPUTER:
        out.append(_("Loopback addresses (127.x and ::1) never leave this computer, whatever the firewall says."))
        out.append(
            _(
                "To let other computers connect, the program would have to listen on 0.0.0.0 or on one of this "
                "computer's network addresses; then other computers on the network can connect to it too, so do "
                "that only if they should."
            )
        )
    for p in v.paths:
        out.append(_path_sentence(p, v.port))
    seen: list[str] = []
    for p in v.paths:
        s = _prefix_sentence(p)
        if s and s not in seen:
            seen.append(s)
    out += seen
    fw = v.firewall()
    if fw is not None:
        said = firewall_text(fw)
        if said:
            out.append(said)
    if v.code == ReachCode.UNKNOWN:
        for r in v.readers:
            if r.status in (ReaderStatus.FAILED, ReaderStatus.NOT_RUN):
                out.append(_("The firewall reader {command} could not be run or failed.").format(command=r.command))
    own = [s for s in (own_test_sentence(p) for p in v.paths) if s]
    if v.own_test_run and v.own:
        out.append(_(OWN_TEST_NOTE))
        out += own
        if v.code == ReachCode.ONLY_THIS_COMPUTER:
            out += [_own_plain(o) for o in v.own]
    return out


def _own_plain(o: OwnResult) -> str:
    words = {
        OwnOutcome.ANSWERED: _("Tested from this computer: {address} ({interface}) answered."),
        OwnOutcome.REFUSED: _("Tested from this computer: {address} ({interface}) refused."),
        OwnOutcome.NO_ANSWER: _("Tested from this computer: {address} ({interface}) gave no answer in time."),
        OwnOutcome.ERROR: _("Tested from this computer: {address} ({interface}) could not be tried."),
    }[o.outcome]
    return words.format(address=o.address, interface=o.interface)


def safety(v: ReachVerdict) -> str:
    """The warning when other computers can connect ("" otherwise)."""
    if not v.exposed:
        return ""
    if v.wildcard:
        return f"{WARNING} " + _(
            "Listening on all addresses exposes the program to the network: anyone who can reach this computer "
            "can try to connect. If only you use it, make it listen on 127.0.0.1 instead."
        )
    return f"{WARNING} " + _(
        "Listening on a network address exposes the program to that network: anyone on it can try to connect. "
        "If only you use it, make it listen on 127.0.0.1 instead."
    )


def how_to_check(v: ReachVerdict) -> str:
    """The command to look yourself: ufw's own view where ufw is on, else the chain of the rule that decided."""
    fw = v.firewall()
    if fw is None:
        return ""
    if fw.how_to_check == UFW_CHECK:
        return UFW_CHECK
    if fw.rule is not None:
        return check_command(fw.rule) or fw.how_to_check
    return check_place(fw)


def check_place(fw: FirewallAnswer) -> str:
    """The answer's command to look, with the place in the system's settings where it has one."""
    if not fw.how_to_check:
        return ""
    if fw.source == WINDOWS_FIREWALL:
        return _("Windows Security → Firewall & network protection (or: {command})").format(command=fw.how_to_check)
    if fw.source == MACOS_FIREWALL:
        return _("System Settings → Network → Firewall (Options… lists the programs it lets in; or: {command})").format(
            command=fw.how_to_check
        )
    return fw.how_to_check


def check_command(rule: RuleRef) -> str:
    """The command that lists the rule's chain (with nft's rule handles)."""
    if rule.reader == "nft":
        return f"sudo nft -a list chain {posix(rule.family)} {posix(rule.table)} {posix(rule.chain)}"
    if rule.reader:
        return f"sudo {posix(rule.reader)} -t {posix(rule.table)} -S {posix(rule.chain)}"
    return ""


def remove_command(rule: RuleRef) -> str:
    """The command that removes the rule ("" for a chain's policy, which is changed, not removed)."""
    if rule.policy:
        return ""
    if rule.reader == "nft" and rule.handle is not None:
        return f"sudo nft delete rule {posix(rule.family)} {posix(rule.table)} {posix(rule.chain)} handle {rule.handle}"
    if rule.reader and rule.spec:
        words = " ".join(posix(w) for w in rule.spec)
        return f"sudo {posix(rule.reader)} -t {posix(rule.table)} -D {posix(rule.chain)} {words}"
    return ""


def how_to_check_text(command: str) -> str:
    return _("How to check yourself: {command}").format(command=command)


def lines(v: ReachVerdict) -> list[str]:
    """The verdict for the terminal: headline, details, how to check, safety."""
    out = [headline(v)]
    out += [f"- {r}" for r in reasons(v)]
    how = how_to_check(v)
    if how:
        out.append(how_to_check_text(how))
    note = safety(v)
    if note:
        out.append(note)
    return out


def as_dict(v: ReachVerdict) -> dict[str, object]:
    """``--json``: codes and evidence, with the English sentences under "text"."""
    return {
        **v.as_dict(),
        "text": {
            "headline": headline(v),
            "reasons": reasons(v),
            "safety": safety(v) or None,
            "how_to_check": how_to_check(v) or None,
            "firewall": firewall_text(fw) if (fw := v.firewall()) else None,
        },
    }


# -- the firewall dropping local connections ---------------------------------------------------------------------


def local_block_text(b: LocalBlock) -> str:
    rule = rule_text(b.firewall)
    return _(
        "This computer's firewall drops local connections to port {port} ({proto}) at {address}: the rule "
        "“{rule}” ({source}) stops them before any program sees them."
    ).format(port=b.port, proto=b.proto.upper(), address=b.address, rule=rule, source=_firewall_name(b.firewall))


def local_block_steps(b: LocalBlock) -> list[str]:
    """How to look at the rule and remove it."""
    out: list[str] = []
    ref = b.firewall.rule
    look = check_command(ref) if ref is not None else check_place(b.firewall)
    if look:
        out.append(_("See the rule: {command}").format(command=look))
    remove = remove_command(ref) if ref is not None else ""
    if remove:
        out.append(_("Remove it (if nobody put it there on purpose): {command}").format(command=remove))
    elif ref is not None and ref.policy:
        out.append(
            _(
                "The chain's policy drops it: add a rule that accepts loopback traffic (for example "
                "“iif lo accept”) or change the policy."
            )
        )
    return out


LocalBlockFinder = Callable[[int, str, str], "LocalBlock | None"]


def explain_timeouts(results: Sequence[ProbeResult], port: int, find: LocalBlockFinder) -> list[ProbeResult]:
    """Connectivity-test rows where a connection to a loopback address got no answer: when this computer's
    firewall drops local connections to the port (``find``, e.g. :func:`loopgui.core.reach.assess.local_block`),
    the row becomes ``local_firewall_block`` with the rule as evidence (``words.probes`` says how to check and
    remove it), instead of guessing at the cause."""
    out: list[ProbeResult] = []
    asked: dict[str, LocalBlock | None] = {}
    for r in results:
        address = _target_address(r.target)
        if r.outcome != Outcome.TIMEOUT or knowledge.address_kind(address) != knowledge.LOOPBACK:
            out.append(r)
            continue
        if address not in asked:
            asked[address] = find(port, "tcp", address)
        b = asked[address]
        out.append(r if b is None else dataclasses.replace(r, code=ProbeCode.LOCAL_FIREWALL_BLOCK, block=b))
    return out


def _target_address(target: str) -> str:
    if target.startswith("["):
        return target[1:].split("]", 1)[0]
    return target.rsplit(":", 1)[0] if target.count(":") == 1 else target


# -- the own-address test as connectivity-test rows ------------------------------------------------------------

OWN_TEST_NAME = N_("From this computer's network address")


def own_probe_results(results: Sequence[OwnResult], port: int, filtered: Sequence[str] = ()) -> list[ProbeResult]:
    """The own-address test as rows of the Connectivity tests tab (facts; ``words.probes`` renders them).
    ``filtered``: addresses whose loopback traffic this computer's firewall filters (a failure there does not
    show what other computers meet)."""
    test = ProbeTest.OWN_ADDRESS
    if not results:
        return [ProbeResult(test, "", Outcome.NO_ANSWER, ProbeCode.NO_OWN_ADDRESS)]
    out: list[ProbeResult] = []
    for r in results:
        at = format_endpoint(r.address, port)
        if r.outcome == OwnOutcome.ANSWERED:
            outcome, code = Outcome.CONNECTED, ProbeCode.OWN_ANSWERED
        elif r.address in filtered:
            outcome, code = Outcome.ERROR, ProbeCode.OWN_FILTERED
        elif r.outcome == OwnOutcome.REFUSED:
            outcome, code = Outcome.REFUSED, ProbeCode.OWN_REFUSED
        elif r.outcome == OwnOutcome.NO_ANSWER:
            outcome, code = Outcome.TIMEOUT, ProbeCode.OWN_NO_ANSWER
        else:
            outcome, code = Outcome.ERROR, ProbeCode.OWN_NOT_TRIED
        out.append(ProbeResult(test, at, outcome, code, r.seconds, error=r.error, interface=r.interface))
    return out


__all__ = [
    "WARNING",
    "as_dict",
    "check_command",
    "check_place",
    "condition_text",
    "conditions_text",
    "explain_timeouts",
    "firewall_text",
    "headline",
    "how_to_check",
    "how_to_check_text",
    "lines",
    "local_block_steps",
    "local_block_text",
    "network_text",
    "own_probe_results",
    "reasons",
    "remove_command",
    "safety",
]
