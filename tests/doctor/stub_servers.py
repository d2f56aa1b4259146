"""Loopback stubs for the caller's-request tests: a recording HTTPS server and a CONNECT proxy.

Both bind to 127.0.0.0/8 only. The proxy never resolves the ``CONNECT`` authority: it
tunnels every accepted ``CONNECT`` to one fixed loopback upstream, so no name the
doctor sends can lead anywhere else.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from typing import Any

GATEWAY_HEADERS = "x-amzn-RequestId: 1111-2222\r\nx-amz-apigw-id: abc=\r\n"


def answer(status: str = "200 OK", body: bytes = b'{"ok": true}', extra: str = "") -> bytes:
    """An HTTP/1.1 answer; ``extra`` holds header lines (each ending in CRLF)."""
    return (
        f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


class RecordingTLSServer:
    """An HTTPS server that records each request's SNI, request line, headers and body."""

    def __init__(
        self, address: str, cert: Any, response: bytes | None = None, *, port: int = 0
    ) -> None:
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(self.ctx)
        self.sni: list[str | None] = []
        self.ctx.sni_callback = self._sni
        self.requests: list[dict[str, Any]] = []
        self.response = response or answer(extra=GATEWAY_HEADERS)
        self.sock = socket.create_server((address, port))
        self.address = address
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _sni(self, _sock: Any, name: str | None, _ctx: Any) -> None:
        self.sni.append(name)

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(raw,), daemon=True).start()

    def _one(self, raw: socket.socket) -> None:
        try:
            with self.ctx.wrap_socket(raw, server_side=True) as tls:
                tls.settimeout(3)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                line, *lines = head.decode("latin-1").split("\r\n")
                headers = [tuple(h.split(": ", 1)) for h in lines]
                length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
                while len(body) < length:
                    chunk = tls.recv(4096)
                    if not chunk:
                        break
                    body += chunk
                self.requests.append({"line": line, "headers": headers, "body": body})
                tls.sendall(self.response)
        except (OSError, ssl.SSLError):
            pass

    def header(self, name: str, index: int = -1) -> str | None:
        """A header of a recorded request (case-insensitive)."""
        return next(
            (v for k, v in self.requests[index]["headers"] if k.lower() == name.lower()), None
        )

    def close(self) -> None:
        self.sock.close()


class StubProxy:
    """A CONNECT-only proxy on loopback: refuses with a fixed answer, or tunnels upstream."""

    def __init__(
        self,
        *,
        refuse: bytes | None = None,
        upstream: tuple[str, int] | None = None,
    ) -> None:
        self.refuse = refuse
        self.upstream = upstream
        self.connects: list[str] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(3)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            self.connects.append(data.split(b"\r\n\r\n", 1)[0].decode("latin-1"))
            if self.refuse is not None or self.upstream is None:
                conn.sendall(self.refuse or b"HTTP/1.1 403 Forbidden\r\n\r\n")
                return
            with socket.create_connection(self.upstream, timeout=3) as up:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                pump = threading.Thread(target=_relay, args=(up, conn), daemon=True)
                pump.start()
                _relay(conn, up)
                pump.join(3)

    def close(self) -> None:
        self.sock.close()


def _relay(src: socket.socket, dst: socket.socket) -> None:
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
