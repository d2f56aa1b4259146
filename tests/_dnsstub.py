"""The one stub DNS server of the test suite: canned answers from a dict, on loopback.

Every test that needs a resolver to say something specific (an address, a CNAME chain,
NXDOMAIN, NODATA, SERVFAIL, or nothing at all) uses :class:`DnsStub` (directly, or through
the ``dns_stub`` fixture of ``tests/conftest.py``). It binds 127.0.0.1 on an ephemeral port
(the network-safety rule: loopback only), answers UDP and, with ``tcp=True``, TCP, and
records every query as ``(name, type)``. It is a plain module, not a conftest, so the test
helpers of each area (``doctor_lab``, ``admin_lab``) import it too.

``records`` maps an absolute name (``"api.example."``) to either

* ``{"A": [...], "AAAA": [...], "CNAME": "target."}``: those records (a type the entry lacks
  is NODATA, a CNAME is followed up to 8 links), or
* one of ``"NXDOMAIN"``, ``"NODATA"``, ``"SERVFAIL"``, ``"TIMEOUT"`` (no answer at all),
  ``"GARBAGE"`` (the query's id, then bytes that are no DNS message).

A name not in ``records`` is NXDOMAIN. ``cnames`` is a second way to write CNAMEs
(``{"alias.": "target."}``). ``fault`` applies one of the fault words to every query.
``ready_after=N`` answers ``not_ready`` (NXDOMAIN or NODATA) to the first N queries, like a
record that is still propagating. ``truncate=True`` answers every UDP query with an
empty, truncated (TC) reply, so the full answer is only on TCP (give ``tcp=True`` too).
``host`` is the loopback address to bind (``127.0.0.2`` for a second server on the same
port as a first one).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from typing import Any, NamedTuple

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

#: The fault words a record (or ``fault``) may name instead of data.
FAULTS = ("NXDOMAIN", "NODATA", "SERVFAIL", "TIMEOUT", "GARBAGE")
_MAX_CNAME_LINKS = 8
_MAX_TCP_MESSAGE = 65535


class Query(NamedTuple):
    """One query the stub received (lower-case absolute name, type mnemonic)."""

    name: str
    type: str


def _absolute(name: str) -> str:
    return name.lower().rstrip(".") + "."


class DnsStub:
    """A loopback DNS server answering from ``records`` (see the module docstring)."""

    def __init__(
        self,
        records: dict[str, dict[str, Any] | str] | None = None,
        cnames: dict[str, str] | None = None,
        *,
        fault: str | None = None,
        ready_after: int = 0,
        not_ready: str = "NXDOMAIN",
        tcp: bool = False,
        truncate: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        for word in (fault, not_ready):
            if word is not None and word not in FAULTS:
                raise ValueError(f"unknown DNS fault {word!r}: expected one of {FAULTS}")
        self.records: dict[str, dict[str, Any] | str] = {
            _absolute(k): v for k, v in (records or {}).items()
        }
        self.cnames = {_absolute(k): _absolute(v) for k, v in (cnames or {}).items()}
        self.fault = fault
        self.ready_after = ready_after
        self.not_ready = not_ready
        self.truncate = truncate
        self.host = host
        self.queries: list[Query] = []
        self._lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.port: int = self.sock.getsockname()[1]
        self._threads = [threading.Thread(target=self._serve_udp, daemon=True)]
        self.tcp_sock: socket.socket | None = None
        if tcp:
            # Same port number for TCP, as a real server has it (retry after TC).
            self.tcp_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp_sock.bind((host, self.port))
            self.tcp_sock.listen(8)
            self._threads.append(threading.Thread(target=self._serve_tcp, daemon=True))
        for t in self._threads:
            t.start()

    # -- addresses in the forms the code under test takes

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)``."""
        return self.host, self.port

    @property
    def hostport(self) -> str:
        """``"host:port"``."""
        return f"{self.host}:{self.port}"

    # -- answering

    def answer(self, wire: bytes) -> bytes | None:
        """The reply to one query in wire form, or ``None`` for no reply (TIMEOUT)."""
        q = dns.message.from_wire(wire)
        name = q.question[0].name.to_text().lower()
        rdtype = q.question[0].rdtype
        with self._lock:
            self.queries.append(Query(name, dns.rdatatype.to_text(rdtype)))
            count = len(self.queries)
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        word = self.fault or (self.not_ready if count <= self.ready_after else None)
        if word is None:
            word = self._fill(r, name, rdtype)
        if word == "TIMEOUT":
            return None
        if word == "GARBAGE":
            return wire[:2] + b"\xff" * 7
        if word == "NXDOMAIN":
            r.set_rcode(dns.rcode.NXDOMAIN)
        elif word == "SERVFAIL":
            r.set_rcode(dns.rcode.SERVFAIL)
        # NODATA: NOERROR with whatever CNAMEs led there and no record of the asked type.
        wire_out: bytes = r.to_wire()
        return wire_out

    def _fill(self, r: dns.message.Message, name: str, rdtype: int) -> str | None:
        """Put the records for ``name`` into ``r``; a fault word when there are none to give."""
        for _ in range(_MAX_CNAME_LINKS):
            entry = self.records.get(name)
            target = self.cnames.get(name)
            if target is None and isinstance(entry, dict) and entry.get("CNAME"):
                target = _absolute(str(entry["CNAME"]))
            if target is None or rdtype == dns.rdatatype.CNAME:
                break
            r.answer.append(dns.rrset.from_text(name, 60, "IN", "CNAME", target))
            name = target
        entry = self.records.get(name)
        if isinstance(entry, str):
            return entry
        if entry is None:
            return None if r.answer else "NXDOMAIN"
        data = entry.get(dns.rdatatype.to_text(rdtype))
        if data:
            values = [data] if isinstance(data, str) else list(data)
            r.answer.append(dns.rrset.from_text_list(name, 60, "IN", rdtype, values))
        return None  # a known name without this type: NOERROR, NODATA

    def _serve_udp(self) -> None:
        while True:
            try:
                wire, peer = self.sock.recvfrom(4096)
            except OSError:
                return  # closed
            reply = self.answer(wire)
            if reply is not None and self.truncate:
                q = dns.message.from_wire(wire)
                short = dns.message.make_response(q)
                short.flags |= dns.flags.TC
                reply = short.to_wire()
            if reply is not None:
                with contextlib.suppress(OSError):  # closed while answering
                    self.sock.sendto(reply, peer)

    def _serve_tcp(self) -> None:
        assert self.tcp_sock is not None
        while True:
            try:
                conn, _ = self.tcp_sock.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.settimeout(5)
                head = conn.recv(2, socket.MSG_WAITALL)
                if len(head) < 2:
                    continue
                (size,) = struct.unpack("!H", head)
                wire = conn.recv(min(size, _MAX_TCP_MESSAGE), socket.MSG_WAITALL)
                reply = self.answer(wire)
                if reply is not None:
                    conn.sendall(struct.pack("!H", len(reply)) + reply)

    def close(self) -> None:
        """Stop answering (the serving threads end when their sockets close)."""
        self.sock.close()
        if self.tcp_sock is not None:
            # shutdown wakes a thread blocked in accept() on Linux.
            with contextlib.suppress(OSError):
                self.tcp_sock.shutdown(socket.SHUT_RDWR)
            self.tcp_sock.close()

    def __enter__(self) -> DnsStub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
