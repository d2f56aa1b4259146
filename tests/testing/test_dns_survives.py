"""The lab's DNS server survives bad packets and bad clients, over UDP and TCP.

A query with the QR bit set used to kill the UDP thread (and the same over TCP killed
TCP); one idle TCP client delayed every TCP query; the query log grew without bound.
Each test sends the bad thing over a real socket, then checks a real query answers.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privateapi.testing import LocalGateway
from privateapi.testing._dns import TCP_IDLE_TIMEOUT, TCP_MESSAGE_TIMEOUT, DnsServer, DnsView

REGION = "us-east-1"


@pytest.fixture(scope="module")
def lab() -> Iterator[LocalGateway]:
    with LocalGateway(REGION) as gw:
        gw.add_api("a1b2c3d4e5")
        yield gw


NAME = f"a1b2c3d4e5.execute-api.{REGION}.amazonaws.com"


def still_answers(gw: LocalGateway, *, tcp: bool = True) -> None:
    host, port = gw.resolver
    q = dns.message.make_query(NAME, "A")
    r = dns.query.udp(q, host, port=port, timeout=5)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.answer[-1][0].to_text() == gw.endpoint().address
    if tcp:
        r = dns.query.tcp(dns.message.make_query(NAME, "A"), host, port=port, timeout=5)
        assert r.answer[-1][0].to_text() == gw.endpoint().address


def udp_exchange(gw: LocalGateway, wire: bytes, timeout: float = 1.0) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(wire, gw.resolver)
        try:
            return s.recvfrom(65535)[0]
        except TimeoutError:
            return None


def tcp_frame(wire: bytes) -> bytes:
    return len(wire).to_bytes(2, "big") + wire


def recv_frame(s: socket.socket) -> bytes | None:
    head = b""
    while len(head) < 2:
        chunk = s.recv(2 - len(head))
        if not chunk:
            return None
        head += chunk
    size = int.from_bytes(head, "big")
    body = b""
    while len(body) < size:
        chunk = s.recv(size - len(body))
        if not chunk:
            return None
        body += chunk
    return body


def response_packet() -> bytes:
    q = dns.message.make_query(NAME, "A")
    q.flags |= dns.flags.QR
    return q.to_wire()


def test_qr_bit_over_udp_is_dropped_and_the_thread_lives(lab: LocalGateway) -> None:
    assert udp_exchange(lab, response_packet(), timeout=0.3) is None
    still_answers(lab)


def test_qr_bit_over_tcp_is_dropped_and_the_connection_lives(lab: LocalGateway) -> None:
    with socket.create_connection(lab.resolver, timeout=5) as s:
        s.sendall(tcp_frame(response_packet()))
        good = dns.message.make_query(NAME, "A")
        s.sendall(tcp_frame(good.to_wire()))
        reply = recv_frame(s)  # only the real query is answered, on the same connection
        assert reply is not None
        assert dns.message.from_wire(reply).id == good.id
    still_answers(lab)


def _header(qid: int, flags: int, qd: int = 1) -> bytes:
    return struct.pack("!HHHHHH", qid, flags, qd, 0, 0, 0)


@pytest.mark.parametrize(
    ("wire", "rcode"),
    [
        # NOTIFY opcode
        (_header(7, dns.opcode.to_flags(dns.opcode.NOTIFY)) + b"\x00\x00\x06\x00\x01", "NOTIMP"),
        # a header claiming a question that is not there
        (_header(8, 0x0100) + b"\xc0", "FORMERR"),
        # two questions
        (
            _header(9, 0x0100, qd=2) + (b"\x01a\x00\x00\x01\x00\x01" * 2),
            "FORMERR",
        ),
    ],
)
def test_malformed_but_parseable_headers_get_an_error_answer(
    lab: LocalGateway, wire: bytes, rcode: str
) -> None:
    reply = udp_exchange(lab, wire)
    assert reply is not None
    qid = struct.unpack("!H", wire[:2])[0]
    assert struct.unpack("!H", reply[:2])[0] == qid
    assert reply[2] & 0x80  # QR: it is a response
    assert dns.rcode.to_text(reply[3] & 0x0F) == rcode
    still_answers(lab, tcp=False)


def test_other_classes_are_refused(lab: LocalGateway) -> None:
    q = dns.message.make_query(NAME, "A", rdclass=dns.rdataclass.CH)
    reply = udp_exchange(lab, q.to_wire())
    assert reply is not None
    assert dns.message.from_wire(reply).rcode() == dns.rcode.REFUSED


def test_flags_ra_aa_and_outside_names(lab: LocalGateway) -> None:
    host, port = lab.resolver
    inside = dns.query.udp(dns.message.make_query(NAME, "A"), host, port=port, timeout=5)
    assert inside.flags & dns.flags.RA  # the VPC resolver is recursive
    assert inside.flags & dns.flags.AA
    missing = dns.query.udp(
        dns.message.make_query(f"x.y.execute-api.{REGION}.vpce.amazonaws.com", "A"),
        host,
        port=port,
        timeout=5,
    )
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert missing.flags & dns.flags.AA
    assert missing.authority[0].rdtype == dns.rdatatype.SOA  # NXDOMAIN in a zone has an SOA
    outside = dns.query.udp(dns.message.make_query("example.com", "A"), host, port=port, timeout=5)
    assert outside.rcode() == dns.rcode.NXDOMAIN
    assert not outside.flags & dns.flags.AA  # not ours: not authoritative, no SOA
    assert not outside.authority


def test_idle_and_dribbling_tcp_clients_delay_nobody(lab: LocalGateway) -> None:
    host, port = lab.resolver
    idle = [socket.create_connection((host, port), timeout=30) for _ in range(5)]
    dribbler = socket.create_connection((host, port), timeout=30)
    try:
        dribbler.sendall(b"\x00")  # the first byte of a length: a message has started
        # Every other client is answered at once, over TCP, while those six hang around
        # (the old server served one TCP client at a time with a 2 s timeout each).
        for _ in range(3):
            r = dns.query.tcp(dns.message.make_query(NAME, "A"), host, port=port, timeout=10)
            assert r.rcode() == dns.rcode.NOERROR
        # the dribbler is cut off at its message deadline, the idle ones at theirs
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < TCP_MESSAGE_TIMEOUT + 10:
            try:
                dribbler.sendall(b"\x20")
                dribbler.settimeout(0.5)
                if dribbler.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:
                closed = True
                break
        assert closed, "a client sending 1 byte every 0.5 s was never cut off"
        for s in idle:
            s.settimeout(TCP_IDLE_TIMEOUT + 10)
            with contextlib.suppress(ConnectionResetError):
                assert s.recv(1) == b""
    finally:
        for s in (*idle, dribbler):
            s.close()
    still_answers(lab)


def test_tcp_connections_are_capped() -> None:
    server = DnsServer(DnsView, max_tcp=4)
    host, port = server.address
    socks = [socket.create_connection((host, port), timeout=5) for _ in range(10)]
    try:
        q = dns.message.make_query("example.com", "A")
        assert dns.query.tcp(q, host, port=port, timeout=5).rcode() == dns.rcode.NXDOMAIN
        assert server.tcp_clients <= 4
    finally:
        for s in socks:
            s.close()
        server.close()


def test_query_log_is_bounded() -> None:
    server = DnsServer(DnsView, log_size=50)
    host, port = server.address
    try:
        for i in range(120):
            dns.query.udp(dns.message.make_query(f"n{i}.example.", "A"), host, port=port, timeout=5)
        log = server.queries
        assert len(log) == 50
        assert log[-1].name == "n119.example."
        assert log[0].name == "n70.example."
    finally:
        server.close()


# -- fuzzing ---------------------------------------------------------------------------------------

_TYPES = st.sampled_from([1, 2, 5, 6, 12, 15, 16, 28, 33, 41, 43, 46, 48, 99, 255, 256, 65535, 0])


@st.composite
def parseable_packets(draw: st.DrawFn) -> bytes:
    """Real queries with random flags, opcodes, types, classes, EDNS, counts and cuts."""
    labels = draw(
        st.lists(
            st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20), max_size=6
        )
    )
    name = ".".join(labels) + "." if labels else "."
    q = dns.message.make_query(
        name,
        draw(_TYPES),
        rdclass=draw(st.sampled_from([1, 3, 4, 254, 255, 7])),
        use_edns=draw(st.sampled_from([None, 0, 1])),
        payload=draw(st.integers(0, 65535)),
    )
    wire = bytearray(q.to_wire())
    wire[2] = draw(st.integers(0, 255))  # QR, opcode, AA, TC, RD
    wire[3] = draw(st.integers(0, 255))  # RA, Z, AD, CD, rcode
    if draw(st.booleans()):
        # lie about the section counts
        for offset in (4, 6, 8, 10):
            if draw(st.booleans()):
                wire[offset : offset + 2] = draw(st.integers(0, 65535)).to_bytes(2, "big")
    cut = draw(st.integers(0, len(wire)))
    junk = draw(st.binary(max_size=32))
    return bytes(wire[: cut if draw(st.booleans()) else len(wire)]) + junk


PACKETS = st.one_of(st.binary(max_size=600), parseable_packets())


@pytest.fixture(scope="module")
def bare() -> Iterator[DnsServer]:
    server = DnsServer(lambda: DnsView({"a.example.": {"A": ("127.0.0.2",)}}, {}, ("example.",)))
    yield server
    server.close()


@given(packet=PACKETS)
@settings(max_examples=400, deadline=None)
def test_answer_never_raises_and_replies_are_responses(bare: DnsServer, packet: bytes) -> None:
    reply = bare.answer(packet, "127.0.0.1")
    if reply is not None:
        assert len(packet) >= 12
        assert not packet[2] & 0x80  # only queries are answered
        assert reply[:2] == packet[:2]  # the id is echoed
        assert reply[2] & 0x80  # QR set


@given(packets=st.lists(PACKETS, min_size=1, max_size=8))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_fuzz_over_udp_and_tcp_then_a_real_query_answers(
    lab: LocalGateway, packets: list[bytes]
) -> None:
    host, port = lab.resolver
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        for p in packets:
            u.sendto(p, (host, port))
    with socket.create_connection((host, port), timeout=5) as t:
        t.sendall(b"".join(tcp_frame(p) for p in packets))
        t.shutdown(socket.SHUT_WR)
        # read whatever comes back until the server is done with us
        t.settimeout(5)
        while True:
            try:
                if not t.recv(65536):
                    break
            except (TimeoutError, ConnectionResetError):
                break
    still_answers(lab)


def test_a_given_port_and_a_port_busy_for_tcp() -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    server = DnsServer(DnsView, port=port)
    try:
        assert server.address == ("127.0.0.1", port)
        assert server.tcp
    finally:
        server.close()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        udp_only = DnsServer(DnsView, port=busy.getsockname()[1])
        try:
            assert not udp_only.tcp  # the port is taken for TCP: UDP only
            q = dns.message.make_query("example.com", "A")
            host, p = udp_only.address
            assert dns.query.udp(q, host, port=p, timeout=5).rcode() == dns.rcode.NXDOMAIN
        finally:
            udp_only.close()
    finally:
        busy.close()


def test_a_long_config_value_is_shortened_in_messages() -> None:
    from privateapi.testing import LabConfigError

    err = LabConfigError("apis[0].policy", "x" * 10_000, "a policy")
    assert len(str(err)) < 400
    assert "10002 characters" in str(err)
    assert err.value == "x" * 10_000
    secret = LabConfigError("credentials[0].secret_access_key", "s3cr3t", "a string")
    assert "s3cr3t" not in str(secret)
