"""The doctor's own DNS stub resolver, held to dnspython's reading and to a real server.

``privateapi.doctor._resolver`` speaks the wire format itself so the doctor need not import
dnspython. dnspython is the peer it must agree with: messages that dnspython builds
(CNAME chains, mixed case, duplicates, other types, every rcode, AAAA in all its text
forms) must read the same as dnspython reads them; and asked over the network (the
suite's loopback DnsStub, answered by dnspython) it must tell NXDOMAIN, NODATA, SERVFAIL,
silence, refusal, garbage and truncation apart.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privateapi.doctor._resolver import (
    MalformedAnswerError,
    ask,
    nameservers_from,
    parse_response,
    query_bytes,
)
from tests._dnsstub import DnsStub

_LABEL = st.text(alphabet="abcdefgxyz0123456789-", min_size=1, max_size=8)
_POOL = st.lists(
    st.lists(_LABEL, min_size=1, max_size=3).map(lambda ls: ".".join(ls) + ".example."),
    min_size=1,
    max_size=5,
    unique_by=str.lower,
)
_CASES = (str.lower, str.upper, str.title, lambda s: s)


def _v6_chunks(chunks: list[int]) -> str:
    return str(ipaddress.IPv6Address(b"".join(c.to_bytes(2, "big") for c in chunks)))


_AAAA = st.one_of(
    st.ip_addresses(v=6).map(str),
    st.ip_addresses(v=4).map(lambda a: f"::ffff:{a}"),
    st.ip_addresses(v=4).map(lambda a: f"::{a}"),
    st.lists(st.sampled_from([0, 0, 0, 1, 0xFFFF, 0x1234, 0xABCD]), min_size=8, max_size=8).map(
        _v6_chunks
    ),
)
_RECORD = st.tuples(
    st.sampled_from(["A", "AAAA", "CNAME", "TXT"]),
    st.integers(0, 4),  # owner: an index into the pool
    st.integers(0, len(_CASES) - 1),  # how the owner is spelled
    st.integers(0, 4),  # CNAME target: an index into the pool
    st.ip_addresses(v=4).map(str),
    _AAAA,
)


def _message(
    pool: list[str], qcase: int, rdtype: str, rcode: int, records: list[tuple[object, ...]]
) -> bytes:
    query = dns.message.make_query(_CASES[qcase](pool[0]), rdtype)
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    for kind, owner_i, case_i, target_i, v4, v6 in records:
        assert isinstance(owner_i, int) and isinstance(case_i, int) and isinstance(target_i, int)
        owner = _CASES[case_i](pool[owner_i % len(pool)])
        value = {
            "A": v4,
            "AAAA": v6,
            "CNAME": _CASES[case_i](pool[target_i % len(pool)]),
            "TXT": '"hello"',
        }[str(kind)]
        # One rrset per record, appended as is: to_wire writes them in this order, so
        # the same owner and type may come back split and duplicated, as real servers do.
        response.answer.append(dns.rrset.from_text(owner, 60, "IN", str(kind), str(value)))
    wire: bytes = response.to_wire()
    return wire


def _dnspython_reading(wire: bytes) -> tuple[str, list[str], list[str]]:
    """What the doctor read from dnspython before it had its own resolver."""
    msg = dns.message.from_wire(wire)
    if msg.rcode() == dns.rcode.NXDOMAIN:
        return "nxdomain", [], []
    if msg.rcode() != dns.rcode.NOERROR:
        return "error", [], []
    cnames = [
        f"{rrset.name} CNAME {rd.target}"
        for rrset in msg.answer
        if rrset.rdtype == dns.rdatatype.CNAME and rrset.rdclass == dns.rdataclass.IN
        for rd in rrset
    ]
    try:
        chain = msg.resolve_chaining()
    except dns.message.ChainTooLong:
        # A loop or an endless chain ends nowhere: no records, so NODATA (dnspython raises).
        return "nodata", cnames, []
    if chain.answer is None or len(chain.answer) == 0:
        return "nodata", cnames, []
    return "ok", cnames, [rd.to_text() for rd in chain.answer]


@settings(max_examples=400, deadline=None)
@given(
    pool=_POOL,
    qcase=st.integers(0, len(_CASES) - 1),
    rdtype=st.sampled_from(["A", "AAAA"]),
    rcode=st.sampled_from(
        [dns.rcode.NOERROR] * 4 + [dns.rcode.NXDOMAIN, dns.rcode.SERVFAIL, dns.rcode.REFUSED]
    ),
    records=st.lists(_RECORD, max_size=8),
)
def test_an_answer_reads_as_dnspython_reads_it(
    pool: list[str], qcase: int, rdtype: str, rcode: int, records: list[tuple[object, ...]]
) -> None:
    if rcode == dns.rcode.NXDOMAIN:
        records = []  # dnspython refuses an NXDOMAIN with an answer; servers do not send one
    wire = _message(pool, qcase, rdtype, rcode, records)
    got = parse_response(wire, _CASES[qcase](pool[0]), rdtype)
    assert (got.outcome, got.cnames, got.records) == _dnspython_reading(wire)
    if got.outcome == "error":
        assert got.error == dns.rcode.to_text(rcode)


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(min_size=16, max_size=16))
def test_an_aaaa_record_is_written_as_dnspython_writes_it(raw: bytes) -> None:
    name = "v6.example."
    response = dns.message.make_response(dns.message.make_query(name, "AAAA"))
    text = str(ipaddress.IPv6Address(raw))
    response.answer.append(dns.rrset.from_text(name, 60, "IN", "AAAA", text))
    wire = response.to_wire()
    expected = dns.message.from_wire(wire).answer[0][0].to_text()
    assert parse_response(wire, name, "AAAA").records == [expected]


@settings(max_examples=200, deadline=None)
@given(label=st.binary(min_size=1, max_size=20))
def test_an_odd_name_in_a_chain_is_escaped_as_dnspython_escapes_it(label: bytes) -> None:
    odd = dns.name.Name([label, b"example", b""]).to_text()
    response = dns.message.make_response(dns.message.make_query("q.example.", "A"))
    response.answer.append(dns.rrset.from_text("q.example.", 60, "IN", "CNAME", odd))
    response.answer.append(dns.rrset.from_text(odd, 60, "IN", "CNAME", "t.example."))
    response.answer.append(dns.rrset.from_text("t.example.", 60, "IN", "A", "10.0.0.1"))
    wire = response.to_wire()
    got = parse_response(wire, "q.example", "A")
    assert (got.outcome, got.cnames, got.records) == _dnspython_reading(wire)


@settings(max_examples=300, deadline=None)
@given(wire=st.binary(max_size=64))
def test_garbage_is_a_malformed_answer_never_a_crash(wire: bytes) -> None:
    try:
        answer = parse_response(wire, "api.example", "A")
    except MalformedAnswerError:
        return  # the one exception it may raise: ask() turns it into an "error" outcome
    assert answer.outcome in ("ok", "nodata", "nxdomain", "error")


def test_a_query_is_what_dnspython_reads_as_our_question() -> None:
    wire = query_bytes("Api.Example.", "AAAA", 0x1234)
    msg = dns.message.from_wire(wire)
    assert msg.id == 0x1234
    assert msg.flags & dns.flags.RD
    assert msg.question[0].name == dns.name.from_text("api.example.")
    assert msg.question[0].rdtype == dns.rdatatype.AAAA
    assert msg.edns < 0


@pytest.mark.parametrize("name", ["a..b", "x" * 64 + ".example", ".".join(["abcdefghi"] * 30)])
def test_a_name_that_is_no_dns_name_is_an_error_without_asking(name: str) -> None:
    answer = ask(name, "A", ["127.0.0.1"], 9, 1.0)  # port 9: nothing would answer
    assert answer.outcome == "error"
    assert answer.error is not None and "DNS name" in answer.error


# -- over the network: the loopback DnsStub (dnspython answering)


def test_a_cname_chain_and_its_records() -> None:
    records = {
        "api.example.": {"CNAME": "mid.example."},
        "mid.example.": {"CNAME": "end.example."},
        "end.example.": {"A": ["10.0.0.1", "10.0.0.2"]},
    }
    with DnsStub(records) as stub:
        answer = ask("api.example", "A", ["127.0.0.1"], stub.port, 5.0)
    assert answer.outcome == "ok"
    assert sorted(answer.records) == ["10.0.0.1", "10.0.0.2"]
    assert answer.cnames == [
        "api.example. CNAME mid.example.",
        "mid.example. CNAME end.example.",
    ]


@pytest.mark.parametrize(
    ("records", "outcome", "error"),
    [
        ({}, "nxdomain", None),
        ({"api.example.": {"A": ["10.0.0.1"]}}, "nodata", None),  # asked for AAAA
        ({"api.example.": "SERVFAIL"}, "error", "SERVFAIL"),
        ({"api.example.": "GARBAGE"}, "error", "127.0.0.1"),
    ],
)
def test_each_outcome_from_a_real_server(
    records: dict[str, object], outcome: str, error: str | None
) -> None:
    with DnsStub(records) as stub:  # type: ignore[arg-type]
        answer = ask("api.example", "AAAA", ["127.0.0.1"], stub.port, 5.0)
    assert answer.outcome == outcome
    if error is None:
        assert answer.records == []
    else:
        assert answer.error is not None and error in answer.error


def test_silence_is_unreachable_and_says_how_long_it_waited() -> None:
    with DnsStub(fault="TIMEOUT") as stub:
        answer = ask("api.example", "A", ["127.0.0.1"], stub.port, 0.3)
    assert answer.outcome == "unreachable"
    assert answer.error is not None and "no answer within" in answer.error


def test_a_refusing_server_is_skipped_for_the_next() -> None:
    with DnsStub({"api.example.": {"A": ["10.0.0.7"]}}, host="127.0.0.2") as good:
        # Nothing listens on 127.0.0.1 at this port: the kernel's port-unreachable ends
        # that server's turn at once.
        answer = ask("api.example", "A", ["127.0.0.1", "127.0.0.2"], good.port, 5.0)
    assert answer.outcome == "ok"
    assert answer.records == ["10.0.0.7"]


def test_a_failing_server_is_skipped_and_a_silent_one_leaves_time_for_the_next() -> None:
    with DnsStub(fault="SERVFAIL", host="127.0.0.3") as failing:
        port = failing.port
        with (
            DnsStub(fault="TIMEOUT", host="127.0.0.4", port=port),
            DnsStub({"api.example.": {"A": ["10.0.0.8"]}}, host="127.0.0.5", port=port) as good,
        ):
            answer = ask("api.example", "A", ["127.0.0.3", "127.0.0.4", "127.0.0.5"], port, 3.0)
            assert [q.name for q in good.queries] == ["api.example."]
    # The silent middle server had a third of what was left, not all of it.
    assert answer.outcome == "ok"
    assert answer.records == ["10.0.0.8"]


def test_only_failures_are_an_error_naming_each_server() -> None:
    with DnsStub(fault="SERVFAIL", host="127.0.0.6") as one:
        port = one.port
        with DnsStub(fault="SERVFAIL", host="127.0.0.7", port=port):
            answer = ask("api.example", "A", ["127.0.0.6", "127.0.0.7"], port, 3.0)
    assert answer.outcome == "error"
    assert answer.error == f"127.0.0.6:{port} answered SERVFAIL; 127.0.0.7:{port} answered SERVFAIL"


def test_a_truncated_answer_is_asked_again_over_tcp() -> None:
    many = [f"10.0.{i // 250}.{i % 250}" for i in range(120)]  # more than 512 bytes of A
    with DnsStub({"big.example.": {"A": many}}, tcp=True, truncate=True) as stub:
        answer = ask("big.example", "A", ["127.0.0.1"], stub.port, 5.0)
        assert stub.queries == [("big.example.", "A"), ("big.example.", "A")]
    assert answer.outcome == "ok"
    assert sorted(answer.records) == sorted(many)


def test_no_nameservers_is_an_error() -> None:
    answer = ask("api.example", "A", [], 53, 1.0)
    assert answer.outcome == "error"
    assert answer.error == "no nameservers to ask"


def test_nameservers_from_a_resolv_conf(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "# generated\nsearch ec2.internal\nnameserver 10.0.0.2\noptions timeout:1\n"
        "nameserver   fd00:ec2::253\nnameserver 10.0.0.2\nnameserver\n;nameserver 1.1.1.1\n"
    )
    assert nameservers_from(str(conf)) == ["10.0.0.2", "fd00:ec2::253"]
    assert nameservers_from(str(tmp_path / "missing")) == []
