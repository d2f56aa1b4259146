"""HTTP/1.1 over TLS on loopback, parsed by h11: one I/O thread, a small worker pool.

One thread owns every socket through a selector: listeners (one or two per VPC
endpoint), TLS handshakes (non-blocking, the SNI read in the context's callback), and
each connection's bytes. h11 (sans-IO) parses each request and frames each answer;
the gateway's decisions run on a bounded pool of worker threads, so a thousand
half-sent requests cost a thousand sockets, not a thousand threads.

What stays under our control: the exact head bytes (API Gateway's 10,240-byte quota is
measured on them; obs-fold lines and ``Content-Length`` with ``Transfer-Encoding`` are
refused before h11 sees them), TCP resets (``SO_LINGER`` 0), "accept but never answer"
(a blackhole), and a listener that stops accepting so the kernel drops SYNs.

Everything is bounded: connections (the oldest idle one is closed when the cap is
reached), head size, body size (10 MB), time (handshake, head, body and write
deadlines), threads (the I/O thread plus at most ``workers``).
"""

from __future__ import annotations

import collections
import contextlib
import http
import logging
import queue
import re
import resource
import select
import selectors
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import h11

from privateapi.testing._answers import Answer, NoReply
from privateapi.testing._exchange import Connection, Deferred, Handler, Head, Refusal
from privateapi.testing._limits import MAX_BODY_BYTES

__all__ = ["Server"]

log = logging.getLogger("privateapi.testing")

#: A head larger than this is refused unread (far above API Gateway's 10,240-byte quota,
#: which counts values only: names and line ends come on top).
HEAD_CAP = 64 * 1024
HANDSHAKE_TIMEOUT = 10.0
#: from the first byte of a head to its end (a client dribbling bytes is cut off)
HEAD_TIMEOUT = 20.0
#: between two reads of a body, and between two writes of an answer
IO_TIMEOUT = 20.0
#: a keep-alive connection with no request
IDLE_TIMEOUT = 120.0
#: after a closing answer, how long (and how much) the client's leftovers are read
DRAIN_TIMEOUT = 2.0
DRAIN_LIMIT = 64 * 1024 * 1024
_CHUNK = 64 * 1024
_TICK = 0.25
#: steps one connection may take before the others get a turn
_TURN = 64
#: the listen backlog: bursts of connections (wrk, a test opening hundreds) wait there
_BACKLOG = 1024
#: accepts per wake-up: enough to empty the backlog, bounded so connections still get served
_ACCEPTS = 512
_BLANK_LINE = re.compile(rb"\n\r?\n")
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})


def default_max_connections() -> int:
    """A connection cap that leaves most file descriptors to the rest of the process."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 4096
    return max(32, min(1024, soft // 4))


class _State:
    HOLD_RAW = "hold-raw"  # accepted, blackholed before TLS: bytes read and dropped
    HANDSHAKE = "handshake"
    HEAD = "head"
    BODY = "body"
    WORKING = "working"  # a worker has the request
    WRITING = "writing"
    DRAIN = "drain"  # a closing answer was sent: read the client's leftovers, then close
    HOLD = "hold"  # blackholed: bytes read and dropped, never an answer
    CLOSED = "closed"


#: how long a new (or newly idle) connection is spared when room must be made
_GRACE = 1.0
#: states whose connection may be closed to make room for a new one (nothing in flight)
_EVICTABLE = frozenset({_State.HOLD_RAW, _State.HANDSHAKE, _State.HEAD, _State.HOLD})


class _Conn:
    """One client connection: its socket, its state and h11's view of the current request.

    :meth:`pump` drives it as far as the bytes at hand allow, in a loop (never by
    recursion: a keep-alive client can send thousands of requests in one go), and
    hands the connection back to the server to be pumped again when it stopped only to
    let the others have a turn.
    """

    def __init__(self, server: Server, key: str, raw: socket.socket, peer: Any) -> None:
        self.server = server
        self.key = key
        self.raw = raw
        self.sock: socket.socket = raw
        self.peer = (str(peer[0]), int(peer[1]))
        local = raw.getsockname()
        self.local = (str(local[0]), int(local[1]))
        self.info: Connection | None = None
        self.state = _State.HANDSHAKE
        self.since = time.monotonic()
        self.deadline: float | None = self.since + HANDSHAKE_TIMEOUT
        self.events = 0
        self.buf = bytearray()
        self.h11: h11.Connection | None = None
        self.head: Head | None = None
        self.body: list[bytes] = []
        self.body_size = 0
        self.out = bytearray()
        self.close_after = False
        self.keep_alive = True
        self.ahead = bytearray()
        self.drained = 0
        self.head_started = False

    # -- selector interest --------------------------------------------------------------------

    def want(self, events: int) -> None:
        sel = self.server.selector
        if events == self.events:
            return
        if self.events == 0:
            sel.register(self.sock, events, self)
        elif events == 0:
            sel.unregister(self.sock)
        else:
            sel.modify(self.sock, events, self)
        self.events = events

    def close(self, *, reset: bool = False) -> None:
        if self.state == _State.CLOSED:
            return
        self.state = _State.CLOSED
        self.deadline = None
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.want(0)
        if reset:
            # SO_LINGER with a zero timeout makes close() send a TCP RST instead of a FIN.
            with contextlib.suppress(OSError):
                socket.socket.setsockopt(
                    self.sock, socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
        with contextlib.suppress(OSError):
            self.sock.close()
        self.server.forget(self)

    # -- the state machine --------------------------------------------------------------------

    def start_tls(self, ctx: ssl.SSLContext) -> None:
        self.sock = ctx.wrap_socket(self.raw, server_side=True, do_handshake_on_connect=False)
        self.pump()

    def on_event(self, mask: int) -> None:
        if mask & selectors.EVENT_READ and self.state in (_State.WORKING, _State.WRITING):
            self._read_ahead()
        self.pump()

    def pump(self) -> None:  # noqa: PLR0911  one case per state: the dispatch is the diagram
        """Make all the progress the bytes at hand allow."""
        for _ in range(_TURN):
            state = self.state
            if state == _State.HOLD_RAW:
                self._discard_raw()
                return
            if state == _State.HANDSHAKE:
                if not self._handshake():
                    return
            elif state == _State.HEAD:
                if not self._parse_head() and not self._fill():
                    return
            elif state == _State.BODY:
                if not self._parse_body() and not self._fill():
                    return
            elif state == _State.WRITING:
                if not self._write_turn():
                    return
            elif state in (_State.DRAIN, _State.HOLD):
                self._discard()
                return
            else:  # WORKING (a worker has it) or CLOSED
                return
        self.server.again(self)  # a busy connection: let the others have a turn first

    def _write_turn(self) -> bool:
        """WRITING: send what is queued; whether this turn goes on."""
        if not self._flush():
            return False
        if self.state != _State.HEAD:
            return True
        # One request per turn: the next one waits until every other ready connection had
        # its turn (serving a quick client again and again starved the others). Bytes
        # already read need no event to come.
        if self.buf or self._pending():
            self.server.again(self)
        else:
            self.want(selectors.EVENT_READ)
        return False

    def _fill(self) -> bool:
        """Read what is ready into the head buffer or h11; whether anything came."""
        data = self._recv()
        if data is None:
            self.want(selectors.EVENT_READ)
            return False
        if not data:
            self.close()  # the client went away (mid-head or mid-body: nothing to answer)
            return False
        if self.state == _State.HEAD:
            self.buf += data
        else:
            assert self.h11 is not None
            self.h11.receive_data(data)
        return True

    def _pending(self) -> bool:
        """Whether TLS holds decrypted bytes (which no selector event announces)."""
        sock = self.sock
        return isinstance(sock, ssl.SSLSocket) and sock.pending() > 0

    def _recv(self) -> bytes | None:
        """Decrypted bytes, ``b""`` at EOF (or a broken stream), ``None`` when none are ready."""
        try:
            return self.sock.recv(_CHUNK)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return None
        except (OSError, ValueError):
            return b""

    def _discard_raw(self) -> None:
        try:
            data = self.raw.recv(_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.close()

    def _discard(self) -> None:
        """DRAIN and HOLD: read and drop what the client sends, until it stops or closes."""
        while True:
            data = self._recv()
            if data is None:
                self.want(selectors.EVENT_READ)
                return
            if not data:
                self.close()
                return
            self.drained += len(data)
            if self.state == _State.DRAIN and self.drained > DRAIN_LIMIT:
                self.close()
                return

    def _read_ahead(self) -> None:
        """Bytes arriving while a request is answered: the next requests (kept, bounded)."""
        data = self._recv()
        if data is None:
            return
        if not data:
            self.close()  # the client went away: nothing left to answer
            return
        self.ahead += data
        if len(self.ahead) > HEAD_CAP:
            # enough queued: stop reading until the answer is out (back-pressure)
            self.want(selectors.EVENT_WRITE if self.out else 0)

    def _handshake(self) -> bool:
        tls = self.sock
        assert isinstance(tls, ssl.SSLSocket)
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            self.want(selectors.EVENT_READ)
            return False
        except ssl.SSLWantWriteError:
            self.want(selectors.EVENT_WRITE)
            return False
        except (OSError, ValueError):
            # The client rejected our certificate, spoke something else, or went away.
            self.close()
            return False
        from privateapi.testing._tls import SNI_ATTRIBUTE

        self.info = Connection(self.key, self.local, self.peer, getattr(tls, SNI_ATTRIBUTE, None))
        self._next_request(b"")
        return True

    # -- one request --------------------------------------------------------------------------

    def _next_request(self, leftover: bytes) -> None:
        self.state = _State.HEAD
        self.buf = bytearray(leftover)
        self.h11 = None
        self.head = None
        self.body = []
        self.body_size = 0
        self.since = time.monotonic()
        self.head_started = False
        self.deadline = self.since + IDLE_TIMEOUT

    def _parse_head(self) -> bool:
        """Parse a head from the buffer; whether the state moved on (else: more bytes needed)."""
        buf = self.buf
        # RFC 9112 section 2.2: ignore empty lines before a request line.
        skip = 0
        while skip < len(buf) and buf[skip] in b"\r\n":
            skip += 1
        if skip:
            del buf[:skip]
        if not buf:
            return False
        if not self.head_started:
            # The first byte of a head: from now on it must be complete within HEAD_TIMEOUT.
            self.head_started = True
            self.deadline = time.monotonic() + HEAD_TIMEOUT
        m = _BLANK_LINE.search(buf)
        if (len(buf) if m is None else m.end()) > HEAD_CAP:
            self._refuse(Refusal.HEAD_TOO_LARGE)
            return True
        if m is None:
            return False
        parsed = _parse_request_head(bytes(buf), bytes(buf[: m.end()]).split(b"\n"))
        if parsed is None:
            self._refuse(Refusal.BAD_REQUEST)
            return True
        self._begin(*parsed)
        return True

    def _begin(self, conn: h11.Connection, event: h11.Request, head: Head) -> None:
        """A head was read: answer early, refuse, or go on to the body."""
        self.h11, self.head = conn, head
        self.keep_alive = _keep_alive(event)
        assert self.info is not None
        early = self.server.handler.on_head(self.info, head)
        if early is NoReply.RESET:
            self.close(reset=True)
        elif early is NoReply.HOLD:
            self._hold()
        elif isinstance(early, Answer):
            self._send(early, close=True)
        elif (declared := head.header("content-length")) is not None and int(
            declared
        ) > MAX_BODY_BYTES:
            self._refuse(Refusal.BODY_TOO_LARGE)
        else:
            if conn.they_are_waiting_for_100_continue:
                self.out += b"HTTP/1.1 100 Continue\r\n\r\n"
                self._flush_now()
            self.state = _State.BODY
            self.deadline = time.monotonic() + IO_TIMEOUT

    def _parse_body(self) -> bool:
        """h11's body events; whether the state moved on (else: more bytes needed)."""
        conn = self.h11
        assert conn is not None
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError:
                self._refuse(Refusal.BAD_REQUEST)
                return True
            if event is h11.NEED_DATA:
                self.deadline = time.monotonic() + IO_TIMEOUT
                return False
            if isinstance(event, h11.Data):
                self.body_size += len(event.data)
                if self.body_size > MAX_BODY_BYTES:
                    self._refuse(Refusal.BODY_TOO_LARGE)
                    return True
                self.body.append(bytes(event.data))
                continue
            if not isinstance(event, h11.EndOfMessage):  # pragma: no cover - nothing else comes
                self._refuse(Refusal.BAD_REQUEST)
                return True
            self.state = _State.WORKING
            self.deadline = None
            assert self.info is not None
            assert self.head is not None
            result = self.server.handler.respond(self.info, self.head, b"".join(self.body))
            if isinstance(result, Deferred):
                self.server.submit(self, result)
            else:
                self.answer(result, pump=False)
            return True

    def _hold(self) -> None:
        self.state = _State.HOLD
        self.deadline = None

    def _refuse(self, refusal: Refusal) -> None:
        assert self.info is not None
        answer = self.server.handler.refuse(self.info, self.head, refusal)
        self._send(answer, close=True)

    # -- answers ------------------------------------------------------------------------------

    def answer(self, result: Answer | NoReply, *, pump: bool = True) -> None:
        """The result for the request in flight (a worker's, or the gateway's at once)."""
        if self.state != _State.WORKING:
            return  # closed meanwhile
        if result is NoReply.RESET:
            self.close(reset=True)
            return
        if result is NoReply.HOLD:
            self._hold()
        else:
            assert isinstance(result, Answer)
            self._send(result, close=result.close)
        if pump:
            self.pump()

    def _send(self, answer: Answer, *, close: bool) -> None:
        # The answer is framed here, not by h11: its headers were checked when the answer
        # was made (LabResponse, the gateway's own), and h11 re-validating every header of
        # every answer cost more than the rest of the HTTP layer.
        # HEAD, 204 and 304 answers have no body on the wire (their Content-Length stays).
        bodiless = (self.head is not None and self.head.method == "HEAD") or answer.status in (
            204,
            304,
        )
        close = close or not self.keep_alive
        headers = [(k, v) for k, v in answer.headers if k.lower() not in _FRAMING]
        headers.append(("Content-Length", str(len(answer.body))))
        if close:
            headers.append(("Connection", "close"))
        self.out += _frame(answer.status, headers, b"" if bodiless else answer.body)
        self.close_after = close
        self.state = _State.WRITING
        self.deadline = time.monotonic() + IO_TIMEOUT

    def _flush_now(self) -> None:
        with contextlib.suppress(ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
            while self.out:
                n = self.sock.send(bytes(self.out[:_CHUNK]))
                del self.out[:n]

    def _flush(self) -> bool:
        """Send the answer; whether it is all out (then the next request, or the end)."""
        while self.out:
            try:
                n = self.sock.send(bytes(self.out[:_CHUNK]))
            except (ssl.SSLWantWriteError, BlockingIOError):
                self.want(selectors.EVENT_READ | selectors.EVENT_WRITE)
                return False
            except ssl.SSLWantReadError:  # pragma: no cover - TLS 1.3 does not renegotiate
                self.want(selectors.EVENT_READ)
                return False
            except (OSError, ValueError):
                self.close()
                return False
            del self.out[:n]
            self.deadline = time.monotonic() + IO_TIMEOUT
        if self.close_after:
            self._drain()
            return True
        leftover, closed = self.h11.trailing_data if self.h11 is not None else (b"", False)
        leftover += bytes(self.ahead)
        self.ahead.clear()
        if closed and not leftover:
            self.close()
            return False
        self._next_request(leftover)
        return True

    def _drain(self) -> None:
        # Closing with unread data in the receive buffer sends a RST, which can reach the
        # client before it reads our answer: stop writing, read and drop what it still sends.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self.sock, socket.SHUT_WR)
        self.state = _State.DRAIN
        self.drained = 0
        self.deadline = time.monotonic() + DRAIN_TIMEOUT


def _parse_request_head(
    data: bytes, lines: list[bytes]
) -> tuple[h11.Connection, h11.Request, Head] | None:
    """h11's reading of a complete head (``lines`` split from it), or ``None`` to refuse it."""
    # obs-fold (a line starting with whitespace) is refused: RFC 9112 lets a server
    # reject it, and joining lines the way another parser would not invites smuggling.
    if any(line[:1] in (b" ", b"\t") for line in lines[1:-2]):
        return None
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=HEAD_CAP + 1024)
    conn.receive_data(data)
    try:
        event = conn.next_event()
    except h11.RemoteProtocolError:
        return None
    if not isinstance(event, h11.Request):
        return None
    head = _head(event, lines[0])
    return None if head is None else (conn, event, head)


def _head(event: h11.Request, request_line: bytes) -> Head | None:
    """A :class:`Head` of a request h11 parsed, or ``None`` for a request we refuse."""
    if event.http_version not in (b"1.1", b"1.0"):
        return None
    names = [name for name, _ in event.headers]
    # Both framings at once is the classic smuggling vector (RFC 9112 section 6.1: a
    # server may reject it); two Host headers leave the routing ambiguous.
    if b"transfer-encoding" in names and b"content-length" in names:
        return None
    if names.count(b"host") > 1:
        return None
    raw = event.headers.raw_items()
    size = len(request_line.rstrip(b"\r")) + sum(len(v) for _, v in raw)
    return Head(
        method=event.method.decode("ascii"),
        target=event.target.decode("latin-1"),
        headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw),
        http_version=event.http_version.decode("ascii"),
        line_and_values=size,
    )


def _ready(sock: socket.socket) -> bool:
    """Whether a listener has a connection waiting (without accepting it)."""
    return bool(select.select([sock], [], [], 0)[0])


def _keep_alive(event: h11.Request) -> bool:
    """Whether the client lets the connection live after this request (h11's rule)."""
    if event.http_version != b"1.1":
        return False  # h11 keeps no HTTP/1.0 connection alive
    for name, value in event.headers:
        if name == b"connection" and b"close" in {t.strip() for t in value.lower().split(b",")}:
            return False
    return True


def _reason(status: int) -> bytes:
    try:
        return http.HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""


def _frame(status: int, headers: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {_reason(status).decode()}".rstrip()]
    lines.extend(f"{k}: {v}" for k, v in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Workers:
    """Daemon worker threads, started on demand up to ``limit``, fed from one queue."""

    def __init__(self, limit: int, done: Callable[[_Conn, Answer | NoReply], None]) -> None:
        self._limit = limit
        self._done = done
        self._jobs: queue.SimpleQueue[tuple[_Conn, Deferred] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0

    def submit(self, conn: _Conn, job: Deferred) -> None:
        with self._lock:
            if self._idle == 0 and len(self._threads) < self._limit:
                t = threading.Thread(
                    target=self._run,
                    name=f"privateapi-lab-worker-{len(self._threads)}",
                    daemon=True,
                )
                self._threads.append(t)
                self._idle += 1
                t.start()
            self._idle -= 1
        self._jobs.put((conn, job))

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            conn, deferred = job
            try:
                result: Answer | NoReply = deferred.finish()
            except Exception:  # pragma: no cover - the pipeline answers its own failures
                log.exception("privateapi local gateway: a request failed")
                result = NoReply.RESET
            self._done(conn, result)
            with self._lock:
                self._idle += 1

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._threads)

    def close(self, timeout: float = 2.0) -> None:
        with self._lock:
            threads = list(self._threads)
        for _ in threads:
            self._jobs.put(None)
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))


class Server:
    """Listening sockets, connections and workers; :meth:`close` ends everything."""

    def __init__(
        self,
        handler: Handler,
        *,
        max_connections: int | None = None,
        workers: int = 32,
    ) -> None:
        self.handler = handler
        self.max_connections = max_connections or default_max_connections()
        self.selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._lock = threading.Lock()
        self._commands: list[tuple[Callable[[], None], threading.Event]] = []
        self._listeners: dict[str, list[socket.socket]] = {}
        self._registered: set[socket.socket] = set()
        self._paused: dict[str, list[socket.socket]] = {}
        self._accept_paused_until = 0.0
        self._conns: dict[int, _Conn] = {}
        self._results: collections.deque[tuple[_Conn, Answer | NoReply]] = collections.deque()
        self._again: collections.deque[_Conn] = collections.deque()
        self._workers = _Workers(workers, self._done)
        self._thread = threading.Thread(target=self._loop, name="privateapi-lab-http", daemon=True)
        self._thread.start()

    # -- listeners (any thread) -----------------------------------------------------------------

    def listen(self, key: str, host: str, port: int) -> tuple[str, int]:
        """Open a listening socket for ``key`` on ``(host, port)``; the bound address."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, port))
            sock.listen(_BACKLOG)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise

        def command() -> None:
            self._listeners.setdefault(key, []).append(sock)
            if key not in self._paused:
                self._register_listener(sock, key)
            else:  # pragma: no cover - an endpoint is bound before it can be paused
                pass

        if not self._run(command):
            sock.close()
            raise OSError("the local gateway's server is closed")
        addr = sock.getsockname()
        return str(addr[0]), int(addr[1])

    def _register_listener(self, sock: socket.socket, key: str) -> None:
        if sock not in self._registered:
            self.selector.register(sock, selectors.EVENT_READ, key)
            self._registered.add(sock)

    def _unregister_listener(self, sock: socket.socket) -> None:
        if sock in self._registered:
            self._registered.discard(sock)
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(sock)

    def pause(self, key: str) -> None:
        """Stop answering SYNs on an endpoint's listeners, like a security group that DROPs.

        The listeners stop being accepted from, their backlog shrinks to zero and one
        dummy connection fills it: Linux then drops further SYNs (the accept queue is
        full), so clients see a TCP connect timeout. No firewall rule is involved.
        """

        def command() -> None:
            if key in self._paused:
                return
            dummies = []
            for sock in self._listeners.get(key, []):
                self._unregister_listener(sock)
                sock.listen(0)
                dummy = socket.socket(sock.family, socket.SOCK_STREAM)
                dummy.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    dummy.connect(sock.getsockname()[:2])
                dummies.append(dummy)
            self._paused[key] = dummies

        self._run(command)

    def resume(self, key: str) -> None:
        """Answer again on a paused endpoint."""

        def command() -> None:
            dummies = self._paused.pop(key, None)
            if dummies is None:
                return
            for sock in self._listeners.get(key, []):
                sock.listen(_BACKLOG)
                self._register_listener(sock, key)
            for dummy in dummies:
                dummy.close()  # its queued server side is accepted next and ends at once

        self._run(command)

    def close_listener(self, key: str) -> None:
        """Stop accepting on an endpoint's listeners (its established connections stay)."""

        def command() -> None:
            for sock in self._listeners.pop(key, []):
                self._unregister_listener(sock)
                sock.close()
            for dummy in self._paused.pop(key, []):
                dummy.close()

        self._run(command)

    def _run(self, command: Callable[[], None]) -> bool:
        """Run ``command`` on the I/O thread (which owns the selector) and wait for it."""
        if threading.current_thread() is self._thread:
            command()
            return True
        done = threading.Event()
        with self._lock:
            if self._stop.is_set():
                return False
            self._commands.append((command, done))
        self._wake()
        return done.wait(timeout=5)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    @property
    def connections(self) -> int:
        """How many client connections are open now."""
        return len(self._conns)

    @property
    def worker_threads(self) -> int:
        """How many worker threads were started (at most ``workers``)."""
        return self._workers.count

    # -- the I/O thread -------------------------------------------------------------------------

    def _loop(self) -> None:
        next_sweep = time.monotonic() + _TICK
        try:
            while not self._stop.is_set():
                self._run_commands()
                for key, mask in self.selector.select(0 if self._again else _TICK):
                    data = key.data
                    if data is None:
                        with contextlib.suppress(OSError):
                            self._wake_r.recv(4096)
                    elif isinstance(data, str):
                        assert isinstance(key.fileobj, socket.socket)
                        self._accept(key.fileobj, data)
                    else:
                        self._safely(data, mask)
                self._deliver()
                for _ in range(len(self._again)):
                    self._safely_pump(self._again.popleft())
                now = time.monotonic()
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + _TICK
        finally:
            self._shutdown()

    def _safely(self, conn: _Conn, mask: int) -> None:
        try:
            conn.on_event(mask)
        except Exception:  # pragma: no cover - a bug here must not stop every connection
            log.exception("privateapi local gateway: connection failed")
            conn.close()

    def _safely_pump(self, conn: _Conn) -> None:
        try:
            conn.pump()
        except Exception:  # pragma: no cover - a bug here must not stop every connection
            log.exception("privateapi local gateway: connection failed")
            conn.close()

    def again(self, conn: _Conn) -> None:
        """Pump ``conn`` again on the next turn of the loop (it has work left)."""
        self._again.append(conn)

    def _run_commands(self) -> None:
        with self._lock:
            commands, self._commands = self._commands, []
        for command, done in commands:
            try:
                command()
            except Exception:  # pragma: no cover - commands only touch our own sockets
                log.exception("privateapi local gateway: listener command failed")
            finally:
                done.set()

    def _accept(self, listener: socket.socket, key: str) -> None:
        if time.monotonic() < self._accept_paused_until:
            return
        for i in range(_ACCEPTS):
            if len(self._conns) >= self.max_connections:
                # Full. Only when someone is waiting (the first time round the selector
                # said so) make room, or stop accepting for a moment if nothing can go.
                if i and not _ready(listener):
                    return
                if not self._evict():
                    self._pause_accepting()
                    return
            try:
                raw, peer = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # EMFILE/ENFILE: out of descriptors; try again a little later.
                self._pause_accepting()
                return
            self._open(key, raw, peer)

    def _pause_accepting(self) -> None:
        self._accept_paused_until = time.monotonic() + 0.05
        for socks in self._listeners.values():
            for sock in socks:
                self._unregister_listener(sock)

    def _resume_accepting(self) -> None:
        if self._accept_paused_until == 0.0 or time.monotonic() < self._accept_paused_until:
            return
        # Listen again; if the cap still holds and nothing can be closed, the next
        # waiting client pauses accepting again (one check per pause, not a busy loop).
        self._accept_paused_until = 0.0
        for key, socks in self._listeners.items():
            if key not in self._paused:
                for sock in socks:
                    self._register_listener(sock, key)

    def _evict(self) -> bool:
        """Close the oldest connection with nothing in flight; whether one was found.

        A connection younger than :data:`_GRACE` in its state is spared (a client that
        just connected is about to send its request); blackholed ones go first.
        """
        now = time.monotonic()
        oldest: _Conn | None = None
        for conn in self._conns.values():
            if conn.state not in _EVICTABLE:
                continue
            held = conn.state in (_State.HOLD, _State.HOLD_RAW)
            if not held and now - conn.since < _GRACE:
                continue
            if oldest is None or conn.since < oldest.since:
                oldest = conn
        if oldest is None:
            return False
        oldest.close()
        return True

    def _open(self, key: str, raw: socket.socket, peer: Any) -> None:
        try:
            raw.setblocking(False)
            # one request or answer per write: no Nagle delay (API Gateway answers at once too)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Conn(self, key, raw, peer)
        except OSError:
            raw.close()
            return
        self._conns[id(conn)] = conn
        try:
            if self.handler.on_connect(key) is NoReply.HOLD:
                conn.state = _State.HOLD_RAW  # like a security group DROP: never a byte back
                conn.deadline = None
                conn.want(selectors.EVENT_READ)
                return
            conn.start_tls(self.handler.tls_context(key))
        except Exception:  # pragma: no cover - a bad context must not stop the loop
            log.exception("privateapi local gateway: cannot start TLS")
            conn.close()

    def forget(self, conn: _Conn) -> None:
        self._conns.pop(id(conn), None)

    def submit(self, conn: _Conn, job: Deferred) -> None:
        self._workers.submit(conn, job)

    def _done(self, conn: _Conn, result: Answer | NoReply) -> None:
        self._results.append((conn, result))
        self._wake()

    def _deliver(self) -> None:
        while self._results:
            conn, result = self._results.popleft()
            try:
                conn.answer(result)
            except Exception:  # pragma: no cover - framing errors are handled in _send
                log.exception("privateapi local gateway: cannot answer")
                conn.close()

    def _sweep(self, now: float) -> None:
        for conn in [c for c in self._conns.values() if c.deadline is not None]:
            if conn.deadline is not None and now >= conn.deadline:
                conn.close()
        self._resume_accepting()

    # -- shutdown -------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop accepting, end every connection, stop the threads (idempotent)."""
        with self._lock:
            if self._stop.is_set():
                return
            self._stop.set()
            commands, self._commands = self._commands, []
        for _, done in commands:
            done.set()
        self._wake()
        self._thread.join(timeout=5)
        self._workers.close()

    def _shutdown(self) -> None:
        for conn in list(self._conns.values()):
            conn.close()
        for socks in self._listeners.values():
            for sock in socks:
                sock.close()
        self._listeners.clear()
        for dummies in self._paused.values():
            for dummy in dummies:
                dummy.close()
        self._paused.clear()
        self.selector.close()
        self._wake_r.close()
        self._wake_w.close()
