"""DNS checks against a real DNS server on loopback (in-test dnspython server, the lab's)."""

from __future__ import annotations

import socket

import pytest
from _dnsstub import DnsStub
from doctor_lab import API_HOST, API_ID, REGION, VPCE, offline

from privateapi._targets import InvokeTarget, Style
from privateapi.doctor import Status, run
from privateapi.doctor._dns import nxdomain_meaning, query

ALIAS = f"{API_ID}-{VPCE}.execute-api.{REGION}.amazonaws.com"
VPCE_DNS = f"{VPCE}-ab12cd34.execute-api.{REGION}.vpce.amazonaws.com"


def _dns(target: InvokeTarget, srv: DnsStub, **kw: object):  # type: ignore[no-untyped-def]
    rep = run(target, offline(resolver=srv.address, checks=("dns",), **kw))
    return rep.result("dns.lookup"), rep.result("dns.vpc")


def test_private_answer_with_cname_chain(fake_dns: DnsStub, target: InvokeTarget) -> None:
    """The private-DNS name CNAMEs to the endpoint name and resolves to private addresses."""
    fake_dns.cnames[API_HOST + "."] = VPCE_DNS + "."
    fake_dns.records[VPCE_DNS + "."] = {"A": ["10.0.1.10", "10.0.2.10"], "AAAA": ["fd00::10"]}
    lookup, vpc = _dns(target, fake_dns)
    assert lookup is not None and vpc is not None
    assert lookup.status is Status.PASS
    assert set(lookup.data["addresses"]) == {"10.0.1.10", "10.0.2.10", "fd00::10"}
    assert vpc.status is Status.PASS
    assert vpc.evidence["cname_chain"] == [f"{API_HOST}. CNAME {VPCE_DNS}."]
    assert "AAAA" in vpc.summary


def test_public_answer_fails_even_for_documentation_ranges(
    fake_dns: DnsStub, target: InvokeTarget
) -> None:
    """192.0.2.x is not the VPC: dns.public-address, although ipaddress calls it private."""
    fake_dns.records[API_HOST + "."] = {"A": ["192.0.2.10", "203.0.113.5"]}
    lookup, _ = _dns(target, fake_dns)
    assert lookup is not None
    assert lookup.status is Status.FAIL
    assert lookup.cause == "dns.public-address"


def test_mixed_answer_warns_and_vpc_cidrs_count(fake_dns: DnsStub, target: InvokeTarget) -> None:
    """One public address among private ones warns; a VPC CIDR makes it private."""
    fake_dns.records[API_HOST + "."] = {"A": ["10.0.0.5", "203.0.113.5"]}
    lookup, _ = _dns(target, fake_dns)
    assert lookup is not None and lookup.status is Status.WARN
    assert lookup.cause == "dns.public-address"
    lookup, _ = _dns(target, fake_dns, vpc_cidrs=("203.0.113.0/24",))
    assert lookup is not None and lookup.status is Status.PASS


def test_cgnat_range_is_private(fake_dns: DnsStub, target: InvokeTarget) -> None:
    """100.64.0.0/10 (VPC secondary CIDRs) is inside the VPC."""
    fake_dns.records[API_HOST + "."] = {"A": ["100.64.3.4"]}
    lookup, _ = _dns(target, fake_dns)
    assert lookup is not None and lookup.status is Status.PASS


@pytest.mark.parametrize(
    ("tgt", "phrase"),
    [
        (InvokeTarget.private_dns(API_ID, REGION, "prod"), "private DNS"),
        (InvokeTarget.vpce_alias(API_ID, REGION, "prod", vpce_id=VPCE), "not associated"),
        (InvokeTarget.api_id_header(API_ID, REGION, "prod", vpce_dns=VPCE_DNS), "mistyped"),
        (InvokeTarget.custom_domain("api.example.internal", region=REGION), "private hosted zone"),
    ],
)
def test_nxdomain_meaning_per_style(fake_dns: DnsStub, tgt: InvokeTarget, phrase: str) -> None:
    """NXDOMAIN says what it means for the style (alias: endpoint not associated, ...)."""
    lookup, vpc = _dns(tgt, fake_dns)
    assert lookup is not None and vpc is not None
    assert lookup.status is Status.FAIL and lookup.cause == "dns.nxdomain"
    assert phrase in lookup.summary
    assert vpc.cause == "dns.nxdomain"
    rep = run(tgt, offline(resolver=fake_dns.address, checks=("tcp.connect",)))
    tcp = rep.result("tcp.connect")
    assert tcp is not None and tcp.status is Status.SKIP
    assert rep.not_checked == ("tcp.connect", "tls.handshake", "http.probe")


def test_nxdomain_meaning_for_public_styles() -> None:
    """Public styles get a generic meaning."""
    why, fix = nxdomain_meaning(Style.REGIONAL, "x")
    assert "public" in why and fix


def test_nodata(fake_dns: DnsStub, target: InvokeTarget) -> None:
    """The name exists without A/AAAA: dns.nodata, not NXDOMAIN."""
    fake_dns.records[API_HOST + "."] = {"TXT": ['"x"']}
    lookup, vpc = _dns(target, fake_dns)
    assert lookup is not None and vpc is not None
    assert lookup.cause == "dns.nodata"
    assert vpc.cause == "dns.nodata"


def test_resolver_unreachable() -> None:
    """A resolver that never answers: the data path fails, the VPC check warns."""
    silent = DnsStub(fault="TIMEOUT")
    try:
        t = InvokeTarget.private_dns(API_ID, REGION, "prod")
        lookup, vpc = _dns(t, silent, timeout=0.3)
    finally:
        silent.close()
    assert lookup is not None and vpc is not None
    assert lookup.status is Status.FAIL and lookup.cause == "dns.resolver-unreachable"
    assert vpc.status is Status.WARN and vpc.cause == "dns.resolver-unreachable"


def test_query_reports_servfail_as_error() -> None:
    """SERVFAIL is a resolver failure, not NXDOMAIN."""
    srv = DnsStub(fault="SERVFAIL")
    try:
        lk = query("x.example.", ["127.0.0.1"], srv.port, 0.5)
    finally:
        srv.close()
    assert lk.outcome == "error"
    assert lk.addresses == []
    assert lk.error


def test_address_literal_needs_no_lookup(fake_dns: DnsStub) -> None:
    """--connect-to an address: no DNS on the data path."""
    t = InvokeTarget.private_dns(API_ID, REGION, "prod", connect_to="127.0.0.9:443")
    lookup, vpc = _dns(t, fake_dns)
    assert lookup is not None and vpc is not None
    assert lookup.status is Status.PASS and lookup.data["addresses"] == ["127.0.0.9"]
    assert vpc.status is Status.PASS
    assert fake_dns.queries == []


def test_system_resolver_and_disagreement(fake_dns: DnsStub) -> None:
    """getaddrinfo (what the application uses) vs the VPC resolver: a mismatch warns.

    ``localhost`` resolves through /etc/hosts, so the system path never leaves the machine.
    """
    fake_dns.records["localhost."] = {"A": ["127.0.0.77"]}
    t = InvokeTarget.private_dns(API_ID, REGION, "prod", connect_to="localhost:443")
    lookup, vpc = _dns(t, fake_dns, use_system_resolver=True)
    assert lookup is not None and vpc is not None
    assert lookup.status is Status.PASS
    assert lookup.evidence["resolver"].startswith("system")
    assert vpc.status is Status.WARN and vpc.cause == "dns.resolver-mismatch"
    fake_dns.records.pop("localhost.")
    lookup, vpc = _dns(t, fake_dns, use_system_resolver=True)
    assert vpc is not None and vpc.cause == "dns.resolver-mismatch"
    assert "NXDOMAIN" in vpc.summary


@pytest.mark.parametrize(
    ("errno_", "cause"),
    [
        (socket.EAI_NONAME, "dns.nxdomain"),
        (socket.EAI_AGAIN, "dns.resolver-unreachable"),
        (getattr(socket, "EAI_NODATA", -5), "dns.nodata"),
        (socket.EAI_FAIL, "dns.resolver-unreachable"),
    ],
)
def test_system_resolver_errors(
    monkeypatch: pytest.MonkeyPatch, target: InvokeTarget, errno_: int, cause: str
) -> None:
    """getaddrinfo's error numbers map to causes (patched: no real lookup happens)."""

    def gai(*args: object, **kw: object) -> object:
        raise socket.gaierror(errno_, "patched")

    monkeypatch.setattr(socket, "getaddrinfo", gai)
    rep = run(target, offline(use_system_resolver=True, checks=("dns.lookup",)))
    r = rep.result("dns.lookup")
    assert r is not None and r.cause == cause


def test_system_resolver_timeout(monkeypatch: pytest.MonkeyPatch, target: InvokeTarget) -> None:
    """A getaddrinfo that hangs is bounded by the timeout."""
    import threading

    hold = threading.Event()

    def gai(*args: object, **kw: object) -> object:
        hold.wait(5)
        raise socket.gaierror(socket.EAI_AGAIN, "late")

    monkeypatch.setattr(socket, "getaddrinfo", gai)
    rep = run(target, offline(use_system_resolver=True, timeout=0.2, checks=("dns.lookup",)))
    hold.set()
    r = rep.result("dns.lookup")
    assert r is not None and r.cause == "dns.resolver-unreachable"


def test_vpc_resolver_defaults(monkeypatch: pytest.MonkeyPatch, target: InvokeTarget) -> None:
    """Without --resolver, dns.vpc asks resolv.conf's nameservers (none -> warn)."""
    from privateapi.doctor import _resolver

    asked: list[str] = []
    monkeypatch.setattr(_resolver, "nameservers_from", lambda path: asked.append(path) or [])
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("10.0.0.5", 443))])
    rep = run(target, offline(use_system_resolver=True, checks=("dns",)))
    vpc = rep.result("dns.vpc")
    assert vpc is not None and vpc.status is Status.WARN
    assert vpc.cause == "dns.resolver-unreachable"
    assert asked == ["/etc/resolv.conf"]


def test_gateway_dns_for_every_style(lab) -> None:  # type: ignore[no-untyped-def]
    """The local gateway's DNS answers every private style with the endpoint address."""
    for style in ("private_dns", "vpce_alias", "host_header", "api_id_header"):
        rep = run(lab.target(style), lab.options(checks=("dns",)))
        lookup = rep.result("dns.lookup")
        assert lookup is not None and lookup.status is Status.PASS, style
        assert lookup.data["addresses"] == [lab.gw.endpoint().address]


def test_gateway_alias_nxdomain_after_disassociation(lab) -> None:  # type: ignore[no-untyped-def]
    """An endpoint not associated with the API: its alias is NXDOMAIN, explained.

    Private DNS is turned off first: with it on, the endpoint's wildcard zone answers
    every execute-api name in the VPC, the alias included.
    """
    t = lab.target("vpce_alias")
    lab.gw.set_private_dns(lab.vpce_id, False)
    lab.gw.disassociate(lab.api_id, lab.vpce_id)
    rep = run(t, lab.options())
    lookup = rep.result("dns.lookup")
    assert lookup is not None and lookup.cause == "dns.nxdomain"
    assert "not associated" in lookup.summary
    assert rep.verdict == "fail"
