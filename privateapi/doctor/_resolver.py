"""A small DNS stub resolver: one question to named servers, the answer as the doctor reads it.

The doctor asks a resolver directly (``--resolver``, the VPC resolver) to tell NXDOMAIN
from NODATA and to show the CNAME chain, which ``getaddrinfo`` hides. It needs one
question over UDP (TCP when the answer is truncated), the response code, the CNAME
records and the A/AAAA records at the end of the chain: nothing more. dnspython does
this too, but importing it costs about a quarter of the doctor's start-up, so this module
speaks the wire format (RFC 1035) itself, and the tests hold its reading equal to
dnspython's over generated answers.

The outcome words are the doctor's: ``ok``, ``nxdomain``, ``nodata``, ``unreachable``
(no answer in time) and ``error`` (every server refused, failed or answered garbage).
"""

from __future__ import annotations

import os
import secrets
import socket
import struct
import time
from dataclasses import dataclass, field

__all__ = ["Answer", "ask", "nameservers_from", "parse_response", "query_bytes"]

_TYPES = {"A": 1, "AAAA": 28}
_CNAME = 5
_IN = 1
_NAMES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
#: The most CNAME links followed from the question to the records (dnspython's limit too).
_MAX_CHAIN = 16
#: Bytes that dnspython writes escaped in a name's text form.
_ESCAPED = frozenset(b'"().;\\@$')


class MalformedAnswerError(ValueError):
    """A response that is not a well-formed DNS message for our question."""


@dataclass
class Answer:
    """What one question got: outcome, the CNAME links seen, and the final records."""

    outcome: str = "unreachable"
    cnames: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    error: str | None = None


def query_bytes(name: str, rdtype: str, qid: int) -> bytes:
    """A recursive query (RD set, no EDNS, as dnspython's resolver sends by default)."""
    return (
        struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        + _wire_name(name)
        + struct.pack(">HH", _TYPES[rdtype], _IN)
    )


def _wire_name(name: str) -> bytes:
    try:
        text = name.rstrip(".").encode("ascii")
    except UnicodeEncodeError:
        text = name.rstrip(".").encode("idna")  # IDNA 2003, dnspython's default codec
    out = b""
    for label in text.split(b".") if text else []:
        if not label or len(label) > 63:
            raise MalformedAnswerError(f"{name!r} is not a valid DNS name (labels of 1-63 bytes)")
        out += bytes([len(label)]) + label
    if len(out) + 1 > 255:
        raise MalformedAnswerError(f"{name!r} is longer than a DNS name may be (255 bytes)")
    return out + b"\0"


_Name = tuple[bytes, ...]  # labels, so a dot inside a label stays inside it


def _read_name(wire: bytes, i: int) -> tuple[_Name, int]:
    """The name at ``i`` (compression pointers followed, loops refused), and the next offset."""
    labels: list[bytes] = []
    end = -1
    hops = 0
    while True:
        if i >= len(wire):
            raise MalformedAnswerError("a name runs past the end of the message")
        n = wire[i]
        if n & 0xC0 == 0xC0:
            if i + 1 >= len(wire):
                raise MalformedAnswerError("a compression pointer runs past the end")
            if end < 0:
                end = i + 2
            hops += 1
            if hops > 64:
                raise MalformedAnswerError("a compression pointer loop")
            i = ((n & 0x3F) << 8) | wire[i + 1]
            continue
        if n & 0xC0:
            raise MalformedAnswerError(f"an unknown label type 0x{n:02x}")
        if n == 0:
            return tuple(labels), (end if end >= 0 else i + 1)
        if i + 1 + n > len(wire):
            raise MalformedAnswerError("a label runs past the end of the message")
        labels.append(wire[i + 1 : i + 1 + n])
        i += 1 + n


def _key(name: _Name) -> _Name:
    return tuple(label.lower() for label in name)


def _text(name: _Name) -> str:
    """A wire name's text form, absolute, escaped as dnspython writes it."""
    if not name:
        return "."
    out = []
    for label in name:
        chars = []
        for b in label:
            if b in _ESCAPED:
                chars.append("\\" + chr(b))
            elif 0x20 < b < 0x7F:
                chars.append(chr(b))
            else:
                chars.append(f"\\{b:03d}")
        out.append("".join(chars))
    return ".".join(out) + "."


def _ipv6_text(raw: bytes) -> str:
    """An AAAA record's text as dnspython writes it (RFC 5952 with its embedded-IPv4 forms)."""
    chunks = [f"{(raw[i] << 8) | raw[i + 1]:x}" for i in range(0, 16, 2)]
    best_start, best_len, start = 0, 0, -1
    for i in range(9):
        zero = i < 8 and chunks[i] == "0"
        if zero and start < 0:
            start = i
        elif not zero and start >= 0:
            if i - start > best_len:
                best_start, best_len = start, i - start
            start = -1
    if best_len > 1:
        if best_start == 0 and (best_len == 6 or (best_len == 5 and chunks[5] == "ffff")):
            prefix = "::" if best_len == 6 else "::ffff:"
            return prefix + socket.inet_ntoa(raw[12:])
        return ":".join(chunks[:best_start]) + "::" + ":".join(chunks[best_start + best_len :])
    return ":".join(chunks)


def _address(rtype: int, rdata: bytes) -> str:
    if rtype == 1:
        if len(rdata) != 4:
            raise MalformedAnswerError("an A record that is not 4 bytes")
        return socket.inet_ntoa(rdata)
    if len(rdata) != 16:
        raise MalformedAnswerError("an AAAA record that is not 16 bytes")
    return _ipv6_text(rdata)


_Sections = tuple[dict[_Name, _Name], dict[_Name, _Name], dict[_Name, list[str]]]


def _answers(wire: bytes, i: int, an: int, want: int) -> _Sections:
    """The answer section's CNAME links and ``want`` records, per lower-case owner."""
    # Per owner (compared case-insensitively, as DNS does), in order of first appearance,
    # duplicates dropped: how dnspython groups the answer section into rrsets. A name has
    # one CNAME at most (RFC 1034 3.6.2): of several, the last stands, as in dnspython.
    spelled: dict[_Name, _Name] = {}
    links: dict[_Name, _Name] = {}
    records: dict[_Name, list[str]] = {}
    for _ in range(an):
        owner, i = _read_name(wire, i)
        if i + 10 > len(wire):
            raise MalformedAnswerError("a record runs past the end of the message")
        rtype, rclass, _ttl, rdlen = struct.unpack(">HHIH", wire[i : i + 10])
        i += 10
        if i + rdlen > len(wire):
            raise MalformedAnswerError("a record's data runs past the end of the message")
        key = _key(owner)
        if rclass == _IN and rtype == _CNAME:
            target, _ = _read_name(wire, i)  # the target may point back into the message
            spelled.setdefault(key, owner)
            links[key] = target
        elif rclass == _IN and rtype == want:
            values = records.setdefault(key, [])
            value = _address(rtype, wire[i : i + rdlen])
            if value not in values:
                values.append(value)
        i += rdlen
    return spelled, links, records


def parse_response(wire: bytes, name: str, rdtype: str) -> Answer:
    """Read a response to our question: rcode, CNAME links, the records at the chain's end.

    Raises:
        MalformedAnswerError: not a well-formed DNS message.
    """
    if len(wire) < 12:
        raise MalformedAnswerError(f"a {len(wire)}-byte message is shorter than a DNS header")
    _qid, flags, qd, an, _ns, _ar = struct.unpack(">HHHHHH", wire[:12])
    rcode = flags & 0x000F
    i = 12
    for _ in range(qd):
        _, i = _read_name(wire, i)
        i += 4
    want = _TYPES[rdtype]
    spelled, links, records = _answers(wire, i, an, want)
    if rcode == 3:
        return Answer(outcome="nxdomain")
    if rcode != 0:
        return Answer(outcome="error", error=_NAMES.get(rcode, f"rcode {rcode}"))
    answer = Answer(outcome="nodata")
    answer.cnames.extend(f"{_text(spelled[key])} CNAME {_text(t)}" for key, t in links.items())
    current = _key(_read_name(_wire_name(name), 0)[0])
    for _ in range(_MAX_CHAIN):
        if records.get(current):
            answer.outcome, answer.records = "ok", list(records[current])
            break
        if current not in links:
            break
        current = _key(links[current])
    return answer


def _exchange_udp(query: bytes, server: str, port: int, qid: int, deadline: float) -> bytes:
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.connect((server, port))  # a connected socket: only this server's replies
        sock.send(query)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no answer in time")
            sock.settimeout(remaining)
            wire = sock.recv(65535)
            if len(wire) >= 2 and struct.unpack(">H", wire[:2])[0] == qid:
                return wire  # another id: a late answer to someone else; keep waiting


def _exchange_tcp(query: bytes, server: str, port: int, deadline: float) -> bytes:
    remaining = max(deadline - time.monotonic(), 0.001)
    with socket.create_connection((server, port), timeout=remaining) as sock:
        sock.sendall(struct.pack(">H", len(query)) + query)
        head = _recv_exact(sock, 2, deadline)
        return _recv_exact(sock, struct.unpack(">H", head)[0], deadline)


def _recv_exact(sock: socket.socket, n: int, deadline: float) -> bytes:
    data = b""
    while len(data) < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no answer in time")
        sock.settimeout(remaining)
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise MalformedAnswerError("the server closed the TCP connection mid-answer")
        data += chunk
    return data


def ask(name: str, rdtype: str, nameservers: list[str], port: int, timeout: float) -> Answer:
    """Ask ``nameservers`` (in order, all within ``timeout`` seconds) for ``name``/``rdtype``.

    A server that refuses, fails (SERVFAIL, REFUSED, ...) or answers garbage is skipped
    for the next; NXDOMAIN and NOERROR answers are final. Never raises for network or
    answer trouble: the outcome says it.

    Example:
        >>> ask("example.com", "A", [], 53, 1.0).outcome
        'error'
    """
    deadline = time.monotonic() + timeout
    errors: list[str] = []
    timed_out = False
    try:
        _wire_name(name)
    except MalformedAnswerError as exc:
        return Answer(outcome="error", error=str(exc))
    for n, server in enumerate(nameservers):
        # Each server gets a fair share of what is left, so a dead first one cannot eat all.
        share = (deadline - time.monotonic()) / (len(nameservers) - n)
        until = min(deadline, time.monotonic() + share)
        qid = secrets.randbits(16)
        query = query_bytes(name, rdtype, qid)
        label = f"{server}:{port}" if port != 53 else server
        try:
            wire = _exchange_udp(query, server, port, qid, until)
            if struct.unpack(">H", wire[2:4])[0] & 0x0200:  # TC: the full answer is on TCP
                wire = _exchange_tcp(query, server, port, until)
            answer = parse_response(wire, name, rdtype)
        except TimeoutError:
            timed_out = True
            errors.append(f"{label}: no answer within {share:.1f} s")
            continue
        except (OSError, MalformedAnswerError, struct.error) as exc:
            errno = getattr(exc, "errno", None)
            errors.append(f"{label}: {os.strerror(errno) if errno else exc}")
            continue
        if answer.outcome == "error":
            errors.append(f"{label} answered {answer.error}")
            continue
        return answer
    if not nameservers:
        return Answer(outcome="error", error="no nameservers to ask")
    # Some server never answered in time: the resolver is unreachable (dnspython says Timeout).
    return Answer(outcome="unreachable" if timed_out else "error", error="; ".join(errors))


def nameservers_from(path: str = "/etc/resolv.conf") -> list[str]:
    """The ``nameserver`` addresses of a resolv.conf, in order (``[]`` if none or unreadable).

    Example:
        >>> nameservers_from("/nonexistent")
        []
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read(1 << 20).splitlines()
    except OSError:
        return []
    found: list[str] = []
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver" and words[1] not in found:
            found.append(words[1])
    return found
