"""HTTP/1.1 over TLS on loopback: one listening socket per VPC endpoint, a thread per connection.

Blocking sockets and a small HTTP/1.1 reader give full control over what AWS-like
behaviour needs: the SNI (read in the SSL context's callback), exact header bytes, TCP
resets (``SO_LINGER`` 0), and "accept but never answer" for the blackhole fault. One
accept thread multiplexes every listener with a selector; listeners can be added while
running (a new endpoint).
"""

from __future__ import annotations

import contextlib
import logging
import re
import selectors
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass

from privateapi.testing._answers import Answer, NoReply
from privateapi.testing._exchange import Connection, Handler, Head, Refusal

__all__ = ["Server"]

log = logging.getLogger("privateapi.testing")

MAX_BODY = 10 * 1024 * 1024
_HANDSHAKE_TIMEOUT = 10.0
_IDLE_TIMEOUT = 120.0


@dataclass(slots=True)
class Exchange:
    """One request head (and later its body) as received."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes = b""


class _StoppedError(Exception):
    pass


class _BadRequestError(Exception):
    pass


class _TooLargeError(Exception):
    pass


_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_MAX_HEAD = 64 * 1024


class _Reader:
    """A strict, small HTTP/1.1 request reader (request line, headers, length or chunked body).

    h11 spent more time per request than the whole gateway pipeline; API Gateway's clients
    send plain HTTP/1.1, so this covers exactly that and answers 400 to anything else.
    """

    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self._sock = sock
        self._stop = stop
        self._buf = bytearray()

    def _fill(self) -> bool:
        if self._stop.is_set():
            raise _StoppedError
        data = self._sock.recv(65536)
        if not data:
            return False
        self._buf += data
        return True

    def read_head(self) -> tuple[Exchange, bool] | None:
        """The next request head and whether the connection stays open; None at a clean EOF."""
        while True:
            # tolerate empty lines before a request line (RFC 9112 section 2.2)
            while self._buf[:2] == b"\r\n":
                del self._buf[:2]
            end = self._buf.find(b"\r\n\r\n")
            if end > _MAX_HEAD:
                raise _BadRequestError
            if end >= 0:
                break
            if len(self._buf) > _MAX_HEAD:
                raise _BadRequestError
            if not self._fill():
                if self._buf:
                    raise _BadRequestError
                return None
        head = bytes(self._buf[:end])
        del self._buf[: end + 4]
        request_line, *header_lines = head.split(b"\r\n")
        parts = request_line.split(b" ")
        if len(parts) != 3 or parts[2] not in (b"HTTP/1.1", b"HTTP/1.0"):
            raise _BadRequestError
        method, target, version = parts
        if not _TOKEN.fullmatch(method) or not target:
            raise _BadRequestError
        headers: list[tuple[str, str]] = []
        keep_alive = version == b"HTTP/1.1"
        for line in header_lines:
            name, sep, value = line.partition(b":")
            if not sep or not _TOKEN.fullmatch(name):  # also refuses obs-fold continuation lines
                raise _BadRequestError
            text = value.strip(b" \t").decode("latin-1")
            headers.append((name.decode("latin-1"), text))
            if name.lower() == b"connection":
                tokens = {t.strip().lower() for t in text.split(",")}
                if "close" in tokens:
                    keep_alive = False
                elif "keep-alive" in tokens:
                    keep_alive = True
        exchange = Exchange(method.decode("ascii"), target.decode("latin-1"), headers)
        return exchange, keep_alive

    def _exact(self, n: int) -> bytes:
        while len(self._buf) < n:
            if not self._fill():
                raise _BadRequestError
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def _line(self) -> bytes:
        while True:
            end = self._buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self._buf[:end])
                del self._buf[: end + 2]
                return line
            if len(self._buf) > _MAX_HEAD or not self._fill():
                raise _BadRequestError

    def read_body(self, headers: list[tuple[str, str]], limit: int) -> bytes:
        """The request body (``Content-Length`` or chunked), refusing more than ``limit``."""
        length: int | None = None
        chunked = False
        for k, v in headers:
            low = k.lower()
            if low == "transfer-encoding":
                if v.strip().lower() != "chunked":
                    raise _BadRequestError
                chunked = True
            elif low == "content-length":
                if not v.strip().isdigit() or (length is not None and int(v) != length):
                    raise _BadRequestError
                length = int(v)
        if chunked:
            chunks: list[bytes] = []
            size = 0
            while True:
                line = self._line().split(b";", 1)[0].strip()
                try:
                    n = int(line, 16)
                except ValueError:
                    raise _BadRequestError from None
                if n == 0:
                    while self._line():  # trailers, until the empty line
                        pass
                    return b"".join(chunks)
                size += n
                if size > limit:
                    raise _TooLargeError
                chunks.append(self._exact(n))
                if self._exact(2) != b"\r\n":
                    raise _BadRequestError
        if length is None or length == 0:
            return b""
        if length > limit:
            raise _TooLargeError
        return self._exact(length)


class Server:
    """Listening sockets and connection threads; :meth:`close` ends everything."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._stop = threading.Event()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._listeners: dict[str, list[socket.socket]] = {}
        self._lock = threading.Lock()
        self._active: dict[int, socket.socket] = {}
        self._threads: set[threading.Thread] = set()
        self._next_id = 0
        self._pending: list[tuple[str, socket.socket]] = []
        # work for the accept thread (it owns the selector): (function, done event)
        self._commands: list[tuple[Callable[[], None], threading.Event]] = []
        # listeners paused for the blackhole: key -> the dummy client filling their queue
        self._paused: dict[str, list[socket.socket]] = {}
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name="privateapi-lab-accept", daemon=True
        )
        self._accept_thread.start()

    # -- listeners ------------------------------------------------------------------------------

    def listen(self, key: str, host: str, port: int) -> tuple[str, int]:
        """Open a listening socket for ``key`` on ``(host, port)``; the bound address."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        with self._lock:
            self._pending.append((key, sock))
        self._wake()
        addr = sock.getsockname()
        return str(addr[0]), int(addr[1])

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                pending, self._pending = self._pending, []
            for key, sock in pending:
                self._listeners.setdefault(key, []).append(sock)
                self._selector.register(sock, selectors.EVENT_READ, key)
            with self._lock:
                commands, self._commands = self._commands, []
            for command, done in commands:
                with contextlib.suppress(OSError, KeyError, ValueError):
                    command()
                done.set()
            for sel_key, _ in self._selector.select():
                if sel_key.data is None:
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)
                    continue
                listener = sel_key.fileobj
                assert isinstance(listener, socket.socket)
                try:
                    raw, peer = listener.accept()
                except OSError:
                    continue
                self._spawn(str(sel_key.data), raw, peer)

    def _run(self, command: Callable[[], None]) -> None:
        """Run ``command`` on the accept thread (which owns the selector) and wait for it."""
        done = threading.Event()
        with self._lock:
            if self._stop.is_set():
                return
            self._commands.append((command, done))
        self._wake()
        done.wait(timeout=2)

    def pause(self, key: str) -> None:
        """Stop answering SYNs on a listener, like a security group that DROPs packets.

        The listener stops being accepted from, its backlog shrinks to zero and one dummy
        connection fills it: Linux then drops further SYNs (the accept queue is full), so
        clients see a TCP connect timeout. No firewall rule is involved.
        """

        def command() -> None:
            if key in self._paused:
                return
            dummies = []
            for sock in self._listeners[key]:
                self._selector.unregister(sock)
                sock.listen(0)
                dummy = socket.socket(sock.family, socket.SOCK_STREAM)
                dummy.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    dummy.connect(sock.getsockname()[:2])
                dummies.append(dummy)
            self._paused[key] = dummies

        self._run(command)

    def resume(self, key: str) -> None:
        """Answer again on a paused listener."""

        def command() -> None:
            dummies = self._paused.pop(key, None)
            if dummies is None:
                return
            for sock in self._listeners[key]:
                sock.listen(128)
                self._selector.register(sock, selectors.EVENT_READ, key)
            for dummy in dummies:
                dummy.close()  # its queued server side is accepted next and ends at once

        self._run(command)

    def _spawn(self, key: str, raw: socket.socket, peer: tuple[str, int]) -> None:
        raw.setblocking(True)
        # one request or answer per write: no Nagle delay (API Gateway answers at once too)
        with contextlib.suppress(OSError):
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if self._stop.is_set():
                raw.close()
                return
            conn_id = self._next_id
            self._next_id += 1
            self._active[conn_id] = raw
            thread = threading.Thread(
                target=self._serve,
                args=(conn_id, key, raw, peer),
                daemon=True,
                name=f"privateapi-lab-conn-{conn_id}",
            )
            self._threads.add(thread)
        thread.start()

    # -- one connection -------------------------------------------------------------------------

    def _serve(self, conn_id: int, key: str, raw: socket.socket, peer: tuple[str, int]) -> None:
        sock: socket.socket = raw
        try:
            local = raw.getsockname()
            if self._handler.on_connect(key) is NoReply.HOLD:
                self._stop.wait()  # like a security group DROP: never a byte back
                return
            raw.settimeout(_HANDSHAKE_TIMEOUT)
            sock = self._handler.tls_context(key).wrap_socket(raw, server_side=True)
            with self._lock:
                self._active[conn_id] = sock
            from privateapi.testing._tls import SNI_ATTRIBUTE

            conn = Connection(
                key,
                (str(local[0]), int(local[1])),
                (str(peer[0]), int(peer[1])),
                getattr(sock, SNI_ATTRIBUTE, None),
            )
            sock.settimeout(_IDLE_TIMEOUT)
            self._http(sock, conn)
        except (OSError, _StoppedError):
            pass  # client went away, TLS failed (e.g. it rejected our certificate), or stopping
        except Exception:  # pragma: no cover - a bug in the gateway must not kill the process
            log.exception("privateapi local gateway: connection failed")
        finally:
            with self._lock:
                self._active.pop(conn_id, None)
                self._threads.discard(threading.current_thread())
            with contextlib.suppress(OSError):
                sock.close()

    def _http(self, sock: socket.socket, conn: Connection) -> None:
        reader = _Reader(sock, self._stop)
        while True:
            try:
                parsed = reader.read_head()
            except _BadRequestError:
                self._send(sock, self._handler.refuse(conn, None, Refusal.BAD_REQUEST), close=True)
                return
            if parsed is None:
                return  # the client closed the connection between requests
            exchange, keep_alive = parsed
            head = Head(
                exchange.method,
                exchange.target,
                tuple(exchange.headers),
                "1.1",
                len(exchange.method)
                + len(exchange.target)
                + 10
                + sum(len(v) for _, v in exchange.headers),
            )
            early = self._handler.on_head(conn, head)
            if early is NoReply.RESET:
                _reset(sock)
                return
            if early is NoReply.HOLD:
                self._stop.wait()
                return
            if isinstance(early, Answer):
                self._send(sock, early, close=True)
                return
            try:
                body = reader.read_body(exchange.headers, MAX_BODY)
            except _TooLargeError:
                self._send(
                    sock, self._handler.refuse(conn, head, Refusal.BODY_TOO_LARGE), close=True
                )
                _drain(sock)
                return
            except _BadRequestError:
                self._send(sock, self._handler.refuse(conn, head, Refusal.BAD_REQUEST), close=True)
                return
            result = self._handler.respond(conn, head, body)
            if result is NoReply.RESET:
                _reset(sock)
                return
            if result is NoReply.HOLD:
                self._stop.wait()
                return
            self._send(sock, result, close=not keep_alive, head=exchange.method == "HEAD")
            if not keep_alive:
                return

    def _send(
        self, sock: socket.socket, answer: Answer, *, close: bool, head: bool = False
    ) -> None:
        lines = [f"HTTP/1.1 {answer.status} {_REASONS.get(answer.status, '')}"]
        lines.extend(
            f"{k}: {v}"
            for k, v in answer.headers
            if k.lower() not in ("content-length", "connection", "transfer-encoding")
        )
        lines.append(f"Content-Length: {len(answer.body)}")
        lines.append("Connection: close" if close else "Connection: keep-alive")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        sock.sendall(data if head or not answer.body else data + answer.body)

    # -- shutdown -------------------------------------------------------------------------------

    def close_listener(self, key: str) -> None:
        """Stop accepting on one listener (its established connections stay)."""
        for sock in self._listeners.pop(key, []):
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)
            sock.close()

    def close(self) -> None:
        """Stop accepting, end every connection, join the threads (idempotent)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._wake()
        self._accept_thread.join(timeout=2)
        for key in list(self._listeners):
            self.close_listener(key)
        for dummies in self._paused.values():
            for dummy in dummies:
                dummy.close()
        self._paused.clear()
        with self._lock:
            for _, sock in self._pending:
                sock.close()
            self._pending.clear()
            active = list(self._active.values())
            threads = list(self._threads)
        for sock in active:
            # shutdown() wakes a thread blocked in recv(); the thread closes its own socket.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
        for thread in threads:
            thread.join(timeout=2)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()


def _reset(sock: socket.socket) -> None:
    # SO_LINGER with a zero timeout makes close() send a TCP RST instead of a FIN.
    with contextlib.suppress(OSError):
        socket.socket.setsockopt(sock, socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _drain(sock: socket.socket, limit: int = 64 * 1024 * 1024) -> None:
    # Closing with unread data in the receive buffer sends a RST, which can reach the client
    # before it reads our answer: read and discard what it is still sending (bounded).
    with contextlib.suppress(OSError):
        sock.settimeout(2.0)
        seen = 0
        while seen < limit:
            data = sock.recv(1024 * 1024)
            if not data:
                return
            seen += len(data)


_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


Callback = Callable[[], None]
