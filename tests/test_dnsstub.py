"""The suite's stub DNS server answers what its dict says (the helper other tests trust)."""

from __future__ import annotations

from collections.abc import Callable

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest
from _dnsstub import DnsStub, Query


def _ask(stub: DnsStub, name: str, rdtype: str = "A", *, tcp: bool = False) -> dns.message.Message:
    q = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(q, "127.0.0.1", port=stub.port, timeout=2)


def _values(r: dns.message.Message) -> list[str]:
    return [rd.to_text() for rrset in r.answer for rd in rrset]


def test_records_cnames_nodata_nxdomain_and_queries(dns_stub: Callable[..., DnsStub]) -> None:
    stub = dns_stub(
        {
            "api.example": {"A": ["127.0.0.2"], "AAAA": ["::1"]},
            "alias.example.": {"CNAME": "api.example."},
            "bad.example.": "SERVFAIL",
        },
        cnames={"old.example.": "alias.example."},
        tcp=True,
    )
    assert _values(_ask(stub, "api.example.")) == ["127.0.0.2"]
    assert _values(_ask(stub, "api.example.", "AAAA")) == ["::1"]
    chain = _ask(stub, "old.example.")
    assert _values(chain) == ["alias.example.", "api.example.", "127.0.0.2"]
    nodata = _ask(stub, "api.example.", "TXT")
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
    assert _ask(stub, "nope.example.").rcode() == dns.rcode.NXDOMAIN
    assert _ask(stub, "bad.example.").rcode() == dns.rcode.SERVFAIL
    assert _values(_ask(stub, "api.example.", tcp=True)) == ["127.0.0.2"]
    assert stub.queries[0] == Query("api.example.", "A")
    assert stub.hostport == f"127.0.0.1:{stub.port}"


def test_timeout_and_not_ready(dns_stub: Callable[..., DnsStub]) -> None:
    silent = dns_stub(fault="TIMEOUT")
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(dns.message.make_query("x.", "A"), "127.0.0.1", port=silent.port, timeout=0.2)
    assert silent.queries == [Query("x.", "A")]
    late = dns_stub({"a.example.": {"A": ["127.0.0.3"]}}, ready_after=1, not_ready="NODATA")
    first = _ask(late, "a.example.")
    assert first.rcode() == dns.rcode.NOERROR and not first.answer
    assert _values(_ask(late, "a.example.")) == ["127.0.0.3"]


def test_unknown_fault_word_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown DNS fault 'LOST'"):
        DnsStub(fault="LOST")
