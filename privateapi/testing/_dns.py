"""A DNS server on loopback answering like the VPC resolver (Route 53) for the lab's names.

UDP and TCP on one address and port, served by one thread through a selector; answers
come from an immutable :class:`DnsView` the gateway rebuilds whenever its endpoints,
APIs or domains change, so a lookup never takes a lock. Semantics follow Route 53:

* a name with records but none of the asked type → NOERROR with no answer (NODATA) and
  the zone's SOA in the authority section; a name that does not exist → NXDOMAIN + SOA;
* wildcards (``*.zone``) match names of any depth below the zone and the answer's owner
  is the name asked;
* CNAME chains are followed inside the view (depth-limited) and every link is returned;
* answers for the lab's zones are authoritative (AA); a name outside them gets a
  non-authoritative NXDOMAIN (the real resolver would recurse; the lab has no Internet);
* RA is set: the VPC resolver is a recursive resolver.

It survives what a test (or a fuzzer) throws at it: a response packet (QR set) is
dropped, never answered; a packet that does not parse gets FORMERR when its header
does, nothing otherwise; other opcodes get NOTIMP; TCP clients that stall or dribble
are cut off after a deadline and never delay anyone else; the query log is bounded.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

__all__ = ["DnsQuery", "DnsServer", "DnsView"]

log = logging.getLogger("privateapi.testing")

_TTL = 60
#: Route 53's SOA for hosted zones (the serial and timers are Route 53's defaults).
_SOA = "ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"
_MAX_CHAIN = 8
#: How many queries the log keeps (the oldest go first).
MAX_LOGGED = 10_000
#: TCP: connections at once (the oldest is closed for a new one), and the deadlines.
MAX_TCP_CONNECTIONS = 64
TCP_IDLE_TIMEOUT = 5.0  # RFC 7766 lets servers close idle connections after a few seconds
TCP_MESSAGE_TIMEOUT = 5.0  # from a message's first byte to its last
_TCP_MAX_PENDING_OUT = 256 * 1024
_UDP_MAX = 65535
_TICK = 0.25

Records = Mapping[str, tuple[str, ...]]  # rdtype ("A", "AAAA", "CNAME") -> values


@dataclass(frozen=True, slots=True)
class DnsQuery:
    """One query the server answered (or dropped): who asked what, and the rcode sent."""

    client: str
    name: str
    rdtype: str
    rcode: str


@dataclass(frozen=True)
class DnsView:
    """What the resolver knows: exact names, wildcard zones and the zones (for SOA).

    All names are absolute and lower-case (``"a1b2c3d4e5.execute-api.us-east-1.amazonaws.com."``).
    ``wildcards`` maps a zone suffix to the records of ``*.suffix``.
    """

    records: Mapping[str, Records] = field(default_factory=dict)
    wildcards: Mapping[str, Records] = field(default_factory=dict)
    zones: tuple[str, ...] = ()

    def _find(self, name: str) -> Records | None:
        exact = self.records.get(name)
        if exact is not None:
            return exact
        # the most specific wildcard wins: try suffixes from the longest down
        labels = name.split(".")
        for i in range(1, len(labels) - 1):
            rec = self.wildcards.get(".".join(labels[i:]))
            if rec is not None:
                return rec
        return None

    def zone_of(self, name: str) -> str | None:
        """The lab zone a name is in (``None``: outside every zone)."""
        best = None
        for zone in self.zones:
            if (name == zone or name.endswith("." + zone)) and (
                best is None or len(zone) > len(best)
            ):
                best = zone
        return best

    def lookup(
        self, name: str, rdtype: str
    ) -> tuple[str, list[tuple[str, str, tuple[str, ...]]], str | None]:
        """``(rcode, answers, soa_zone)``; answers are ``(owner, rdtype, values)`` in order."""
        answers: list[tuple[str, str, tuple[str, ...]]] = []
        current = name.lower()
        for _ in range(_MAX_CHAIN):
            rec = self._find(current)
            if rec is None:
                if answers:  # a CNAME pointing outside what we know: return the chain so far
                    return "NOERROR", answers, None
                return "NXDOMAIN", answers, self.zone_of(current)
            if "CNAME" in rec and rdtype != "CNAME":
                target = rec["CNAME"][0]
                answers.append((current, "CNAME", (target,)))
                current = target
                continue
            values = rec.get(rdtype)
            if values:
                answers.append((current, rdtype, values))
                return "NOERROR", answers, None
            return "NOERROR", answers, self.zone_of(current)  # NODATA
        return "SERVFAIL", answers, None  # a CNAME loop


def _sized(response: dns.message.Message, query: dns.message.Message, udp: bool) -> bytes:
    """The answer's wire form, truncated (TC) to what the client can take."""
    limit = _UDP_MAX
    if udp:
        limit = max(512, min(query.payload, 4096)) if query.edns >= 0 else 512
    out = bytes(response.to_wire())
    if len(out) > limit:  # pragma: no cover - the lab's answers are small
        response.answer.clear()
        response.authority.clear()
        response.flags |= dns.flags.TC
        out = bytes(response.to_wire())
    return out


def _header_reply(wire: bytes, rcode: int) -> bytes:
    """A header-only answer to a query whose header parsed (FORMERR, NOTIMP, SERVFAIL)."""
    qid, flags = struct.unpack("!HH", wire[:4])
    opcode_rd = flags & 0x7900  # the query's opcode and RD bit, echoed
    return struct.pack("!HHHHHH", qid, 0x8000 | 0x0080 | opcode_rd | rcode, 0, 0, 0, 0)


class _TcpClient:
    """One DNS-over-TCP connection: length-prefixed messages in, answers out."""

    def __init__(self, sock: socket.socket, peer: str) -> None:
        self.sock = sock
        self.peer = peer
        self.inbuf = bytearray()
        self.out = bytearray()
        self.opened = time.monotonic()
        self.deadline = self.opened + TCP_IDLE_TIMEOUT


def _bind_pair(host: str, port: int) -> tuple[socket.socket, socket.socket | None]:
    """A UDP socket and a TCP listener on one ``(host, port)``.

    With ``port=0`` the TCP port is picked first and UDP takes the same number (retried
    when it is taken): an ephemeral UDP port is often busy as some TCP connection's port.
    With a given port, DNS over TCP is skipped if that port is busy for TCP.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(20 if port == 0 else 1):
        tcp: socket.socket | None = socket.socket(family, socket.SOCK_STREAM)
        assert tcp is not None
        try:
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind((host, port))
            tcp.listen(64)
            tcp.setblocking(False)
        except OSError:
            tcp.close()
            tcp = None
            if port == 0:
                raise
        udp = socket.socket(family, socket.SOCK_DGRAM)
        try:
            udp.bind((host, tcp.getsockname()[1] if tcp is not None else port))
        except OSError:
            udp.close()
            if tcp is not None:
                tcp.close()
            if port != 0:
                raise
            continue
        udp.setblocking(False)
        return udp, tcp
    raise OSError(f"no port free for both UDP and TCP on {host}")


class DnsServer:
    """A DNS server on ``(host, port)``, UDP and TCP, answering from ``view()``.

    ``fault()`` is asked per query: ``"timeout"`` (drop it), ``"servfail"`` or ``None``.
    """

    def __init__(
        self,
        view: Callable[[], DnsView],
        *,
        fault: Callable[[], str | None] = lambda: None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_size: int = MAX_LOGGED,
        max_tcp: int = MAX_TCP_CONNECTIONS,
    ) -> None:
        self._view = view
        self._fault = fault
        self._log: collections.deque[DnsQuery] = collections.deque(maxlen=log_size)
        self._log_lock = threading.Lock()
        self._max_tcp = max_tcp
        self._udp, self._tcp = _bind_pair(host, port)
        self.address: tuple[str, int] = self._udp.getsockname()[:2]
        self._clients: dict[socket.socket, _TcpClient] = {}
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._udp, selectors.EVENT_READ, "udp")
        if self._tcp is not None:
            self._selector.register(self._tcp, selectors.EVENT_READ, "tcp")
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="privateapi-lab-dns", daemon=True)
        self._thread.start()

    @property
    def tcp(self) -> bool:
        """Whether the server also answers over TCP (same address and port)."""
        return self._tcp is not None

    @property
    def queries(self) -> tuple[DnsQuery, ...]:
        """The last queries received (at most ``log_size``), oldest first."""
        with self._log_lock:
            return tuple(self._log)

    @property
    def tcp_clients(self) -> int:
        """How many TCP connections are open now."""
        return len(self._clients)

    def clear_log(self) -> None:
        """Forget the queries received so far."""
        with self._log_lock:
            self._log.clear()

    # -- answering ------------------------------------------------------------------------------

    def answer(self, wire: bytes, client: str = "", *, udp: bool = True) -> bytes | None:
        """The wire answer to one packet (``None``: send nothing). Never raises."""
        try:
            return self._answer(wire, client, udp)
        except Exception:
            log.debug("privateapi lab DNS: cannot answer a packet", exc_info=True)
            if len(wire) >= 12 and not wire[2] & 0x80:
                return _header_reply(wire, dns.rcode.SERVFAIL)
            return None

    def _answer(self, wire: bytes, client: str, udp: bool) -> bytes | None:
        # Not even a header: nothing to answer to. QR set: a response, never answered (no
        # reflection loops).
        if len(wire) < 12 or wire[2] & 0x80:
            return None
        if (wire[2] >> 3) & 0x0F != dns.opcode.QUERY:
            return _header_reply(wire, dns.rcode.NOTIMP)
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return _header_reply(wire, dns.rcode.FORMERR)
        if len(query.question) != 1:
            return _header_reply(wire, dns.rcode.FORMERR)
        q = query.question[0]
        name = q.name.to_text().lower()
        rdtype = dns.rdatatype.to_text(q.rdtype)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        fault = self._fault()
        if fault == "timeout":
            self._record(client, name, rdtype, "DROPPED")
            return None
        if q.rdclass != dns.rdataclass.IN:
            rcode = "REFUSED"
        elif fault == "servfail":
            rcode = "SERVFAIL"
        else:
            rcode = self._look_up(response, name, rdtype)
        response.set_rcode(dns.rcode.from_text(rcode))
        self._record(client, name, rdtype, rcode)
        return _sized(response, query, udp)

    def _look_up(self, response: dns.message.Message, name: str, rdtype: str) -> str:
        """Fill ``response`` from the view; the rcode."""
        view = self._view()
        rcode, answers, soa_zone = view.lookup(name, rdtype)
        for owner, kind, values in answers:
            response.answer.append(dns.rrset.from_text_list(owner, _TTL, "IN", kind, list(values)))
        if soa_zone is not None:
            response.authority.append(dns.rrset.from_text(soa_zone, _TTL, "IN", "SOA", _SOA))
        # authoritative for the lab's zones (unverified: whether the Route 53 Resolver sets
        # AA on answers from private hosted zones); outside them the lab only says "not
        # found" (the VPC resolver would recurse to the Internet, which the lab never does)
        if view.zone_of(name) is not None:
            response.flags |= dns.flags.AA
        return rcode

    def _record(self, client: str, name: str, rdtype: str, rcode: str) -> None:
        with self._log_lock:
            self._log.append(DnsQuery(client, name, rdtype, rcode))

    # -- the thread -----------------------------------------------------------------------------

    def _serve(self) -> None:
        next_sweep = time.monotonic() + _TICK
        try:
            while not self._stopping:
                for key, mask in self._selector.select(_TICK):
                    try:
                        if key.data == "udp":
                            self._on_udp()
                        elif key.data == "tcp":
                            self._on_accept()
                        elif key.data == "wake":
                            with contextlib.suppress(OSError):
                                self._wake_r.recv(4096)
                        else:
                            assert isinstance(key.data, _TcpClient)
                            self._on_client(key.data, mask)
                    except Exception:  # pragma: no cover - nothing may stop the resolver
                        log.exception("privateapi lab DNS: unexpected error")
                now = time.monotonic()
                if now >= next_sweep:
                    next_sweep = now + _TICK
                    for client in [c for c in self._clients.values() if now >= c.deadline]:
                        self._drop(client)
        finally:
            for client in list(self._clients.values()):
                self._drop(client)
            self._selector.close()

    def _on_udp(self) -> None:
        for _ in range(256):
            try:
                wire, peer = self._udp.recvfrom(_UDP_MAX)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # e.g. ICMP port unreachable reported for an earlier reply
            reply = self.answer(wire, str(peer[0]), udp=True)
            if reply is not None:
                with contextlib.suppress(OSError):
                    self._udp.sendto(reply, peer)

    def _on_accept(self) -> None:
        assert self._tcp is not None
        for _ in range(64):
            try:
                sock, peer = self._tcp.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if len(self._clients) >= self._max_tcp:
                oldest = min(self._clients.values(), key=lambda c: c.opened)
                self._drop(oldest)
            sock.setblocking(False)
            client = _TcpClient(sock, str(peer[0]))
            self._clients[sock] = client
            self._selector.register(sock, selectors.EVENT_READ, client)

    def _on_client(self, client: _TcpClient, mask: int) -> None:
        if mask & selectors.EVENT_WRITE:
            self._flush(client)
            if client.sock not in self._clients:
                return
        if mask & selectors.EVENT_READ:
            self._on_readable(client)

    def _on_readable(self, client: _TcpClient) -> None:
        try:
            data = client.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(client)
            return
        if not client.inbuf:
            # a message started: it must be complete before its own deadline
            client.deadline = time.monotonic() + TCP_MESSAGE_TIMEOUT
        client.inbuf += data
        if self._answer_buffered(client) and not client.inbuf:
            client.deadline = time.monotonic() + TCP_IDLE_TIMEOUT

    def _answer_buffered(self, client: _TcpClient) -> bool:
        """Answer every complete message buffered; false once the client is dropped."""
        while len(client.inbuf) >= 2:
            size = int.from_bytes(client.inbuf[:2], "big")
            if len(client.inbuf) < 2 + size:
                return True  # the rest of this message is still to come
            wire = bytes(client.inbuf[2 : 2 + size])
            del client.inbuf[: 2 + size]
            reply = self.answer(wire, client.peer, udp=False)
            if reply is not None:
                client.out += len(reply).to_bytes(2, "big") + reply
            if len(client.out) > _TCP_MAX_PENDING_OUT:
                self._drop(client)  # it sends and never reads
                return False
            self._flush(client)
            if client.sock not in self._clients:
                return False
        return True

    def _flush(self, client: _TcpClient) -> None:
        try:
            while client.out:
                n = client.sock.send(client.out)
                del client.out[:n]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self._drop(client)
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.out else 0)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.modify(client.sock, events, client)

    def _drop(self, client: _TcpClient) -> None:
        if self._clients.pop(client.sock, None) is None:
            return
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(client.sock)
        with contextlib.suppress(OSError):
            client.sock.close()

    def close(self) -> None:
        """Stop the thread and close the sockets (idempotent)."""
        if self._stopping:
            return
        self._stopping = True
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        self._thread.join(timeout=3)
        self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
        self._wake_r.close()
        self._wake_w.close()


EMPTY_VIEW = DnsView(MappingProxyType({}), MappingProxyType({}), ())
