"""A DNS server on loopback answering like the VPC resolver (Route 53) for the lab's names.

One UDP socket on ``127.0.0.1`` (ephemeral port) served by one thread; answers come
from an immutable :class:`DnsView` the gateway rebuilds whenever its endpoints, APIs or
domains change, so a lookup never takes a lock. Semantics follow Route 53:

* a name with records but none of the asked type → NOERROR with no answer (NODATA) and
  the zone's SOA in the authority section; a name that does not exist → NXDOMAIN + SOA;
* wildcards (``*.zone``) match names of any depth below the zone and the answer's owner
  is the name asked;
* CNAME chains are followed inside the view (depth-limited) and every link is returned;
* the AA flag is set on every answer (the lab's resolver is authoritative for its zones).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

__all__ = ["DnsQuery", "DnsServer", "DnsView"]

_TTL = 60
#: Route 53's SOA for hosted zones (the serial and timers are Route 53's defaults).
_SOA = "ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"
_MAX_CHAIN = 8

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

    def _zone_of(self, name: str) -> str | None:
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
                return "NXDOMAIN", answers, self._zone_of(current)
            if "CNAME" in rec and rdtype != "CNAME":
                target = rec["CNAME"][0]
                answers.append((current, "CNAME", (target,)))
                current = target
                continue
            values = rec.get(rdtype)
            if values:
                answers.append((current, rdtype, values))
                return "NOERROR", answers, None
            return "NOERROR", answers, self._zone_of(current)  # NODATA
        return "SERVFAIL", answers, None  # a CNAME loop


class DnsServer:
    """A UDP DNS server thread on ``(host, port)`` answering from ``view()``.

    ``fault()`` is asked per query: ``"timeout"`` (drop it), ``"servfail"`` or ``None``.
    """

    def __init__(
        self,
        view: Callable[[], DnsView],
        *,
        fault: Callable[[], str | None] = lambda: None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._view = view
        self._fault = fault
        self._log: list[DnsQuery] = []
        self._log_lock = threading.Lock()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self._sock.bind((host, port))
        except OSError:
            self._sock.close()
            raise
        self.address: tuple[str, int] = self._sock.getsockname()[:2]
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="privateapi-lab-dns", daemon=True)
        self._thread.start()
        # DNS over TCP on the same port when it is free (resolvers retry truncated answers
        # over TCP; `dig +tcp`). Without it the server is UDP-only.
        self._tcp: socket.socket | None = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._tcp.bind(self.address)
            self._tcp.listen(16)
        except OSError:
            self._tcp.close()
            self._tcp = None
        self._tcp_thread: threading.Thread | None = None
        if self._tcp is not None:
            self._tcp_thread = threading.Thread(
                target=self._serve_tcp, name="privateapi-lab-dns-tcp", daemon=True
            )
            self._tcp_thread.start()

    @property
    def tcp(self) -> bool:
        """Whether the server also answers over TCP (same address and port)."""
        return self._tcp is not None

    @property
    def queries(self) -> tuple[DnsQuery, ...]:
        """Every query received so far, oldest first."""
        with self._log_lock:
            return tuple(self._log)

    def clear_log(self) -> None:
        """Forget the queries received so far."""
        with self._log_lock:
            self._log.clear()

    def answer(self, wire: bytes, client: str = "") -> bytes | None:
        """The wire answer to one query (``None``: send nothing)."""
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return None
        if not query.question:
            return None
        q = query.question[0]
        name = q.name.to_text().lower()
        rdtype = dns.rdatatype.to_text(q.rdtype)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        fault = self._fault()
        if fault == "timeout":
            self._record(client, name, rdtype, "DROPPED")
            return None
        if fault == "servfail":
            rcode = "SERVFAIL"
        else:
            rcode, answers, soa_zone = self._view().lookup(name, rdtype)
            for owner, kind, values in answers:
                response.answer.append(
                    dns.rrset.from_text_list(owner, _TTL, "IN", kind, list(values))
                )
            if soa_zone is not None:
                response.authority.append(dns.rrset.from_text(soa_zone, _TTL, "IN", "SOA", _SOA))
        response.set_rcode(dns.rcode.from_text(rcode))
        self._record(client, name, rdtype, rcode)
        return bytes(response.to_wire())

    def _record(self, client: str, name: str, rdtype: str, rcode: str) -> None:
        with self._log_lock:
            self._log.append(DnsQuery(client, name, rdtype, rcode))

    def _serve(self) -> None:
        while True:
            try:
                wire, peer = self._sock.recvfrom(4096)
            except OSError:
                return
            if self._stopping:
                return
            reply = self.answer(wire, str(peer[0]))
            if reply is not None:
                with contextlib.suppress(OSError):
                    self._sock.sendto(reply, peer)

    def _serve_tcp(self) -> None:
        assert self._tcp is not None
        while not self._stopping:
            try:
                conn, peer = self._tcp.accept()
            except OSError:
                return  # shut down
            with conn:
                conn.settimeout(2.0)
                with contextlib.suppress(OSError, ValueError):
                    while not self._stopping:
                        size = _recv_exact(conn, 2)
                        if size is None:
                            break
                        wire = _recv_exact(conn, int.from_bytes(size, "big"))
                        if wire is None:
                            break
                        reply = self.answer(wire, str(peer[0]))
                        if reply is None:
                            break
                        conn.sendall(len(reply).to_bytes(2, "big") + reply)

    def close(self) -> None:
        """Stop the thread and close the socket (idempotent)."""
        if self._stopping:
            return
        self._stopping = True
        # A blocked recvfrom() is not woken by close() on Linux: send ourselves a datagram.
        family = self._sock.family
        with socket.socket(family, socket.SOCK_DGRAM) as poke, contextlib.suppress(OSError):
            poke.sendto(b"", self.address)
        self._thread.join(timeout=2)
        self._sock.close()
        if self._tcp is not None:
            # shutdown() wakes a thread blocked in accept() (close() alone does not)
            with contextlib.suppress(OSError):
                self._tcp.shutdown(socket.SHUT_RDWR)
            if self._tcp_thread is not None:
                self._tcp_thread.join(timeout=3)
            self._tcp.close()


def _recv_exact(conn: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


EMPTY_VIEW = DnsView(MappingProxyType({}), MappingProxyType({}), ())
