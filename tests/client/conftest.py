"""Loopback TLS test server (trustme CA, SNI recorded) shared by the client tests."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import trustme


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        data = json.dumps(
            {
                "sni": getattr(self.connection, "sni_seen", None),
                "host": self.headers.get("Host"),
                "api_id": self.headers.get("x-apigw-api-id"),
                "conn": self.client_address[1],
                "target": self.path,
                "signed": "Signature=" in (self.headers.get("Authorization") or ""),
                "valid": _valid_signature(self.command, self.path, self.headers, body),
                "signed_headers": _signed_headers(self.headers.get("Authorization") or ""),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _answer  # noqa: N815


SECRETS = {"AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}


def _signed_headers(authz: str) -> str:
    return authz.partition("SignedHeaders=")[2].partition(",")[0]


def _valid_signature(method: str, target: str, headers: Any, body: bytes) -> bool:
    from privateapi import _signing as s

    authz = headers.get("Authorization") or ""
    if not authz.startswith("AWS4-HMAC-SHA256 "):
        return False
    cred = authz.partition("Credential=")[2].partition(",")[0]
    key_id, date, region, service, _ = cred.split("/")
    signed = _signed_headers(authz).split(";")
    path, _, query = target.partition("?")
    creq = s.canonical_request(
        method, path, query, list(headers.items()), signed, s.payload_hash(body)
    )
    sts = s.string_to_sign(headers["x-amz-date"], s.credential_scope(date, region, service), creq)
    sig = s.sign(s.signing_key(SECRETS[key_id], date, region, service), sts)
    return authz.endswith(f"Signature={sig}")


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ctx: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ctx = ctx

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # failed handshakes are part of the tests


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server(ca: trustme.CA) -> Iterator[int]:
    cert = ca.issue_cert(
        "*.execute-api.us-east-1.amazonaws.com", "*.execute-api.us-east-1.vpce.amazonaws.com"
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)

    def sni_cb(sslobj: Any, name: str | None, _ctx: ssl.SSLContext) -> None:
        sslobj.sni_seen = name

    ctx.sni_callback = sni_cb
    srv = _TLSServer(ctx)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()
    t.join(5)


@pytest.fixture
def client_ctx(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


# -- raw loopback servers: misbehaving endpoints with real sockets ---------------------------


class RawServer:
    """A loopback listener whose connections run ``handler(conn, head)``, TLS or not.

    It never answers on its own: the handler decides (dribble, hold, bomb, redirect).
    ``accept=False`` never accepts at all (the kernel still completes TCP handshakes
    up to the backlog). Records what arrived, and what each handler reported in
    ``notes``; ``stop`` (an event) ends every handler promptly at teardown.
    """

    def __init__(
        self,
        handler: Any = None,
        *,
        ctx: ssl.SSLContext | None = None,
        accept: bool = True,
        backlog: int = 16,
    ) -> None:
        self.handler = handler
        self.ctx = ctx
        self.stop = threading.Event()
        self.heads: list[bytes] = []
        self.notes: list[Any] = []
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []
        if accept:
            self._spawn(self._serve)

    def _spawn(self, fn: Any, *args: Any) -> None:
        t = threading.Thread(target=fn, args=args, daemon=True)
        self._threads.append(t)
        t.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self._spawn(self._one, raw)

    def _one(self, raw: socket.socket) -> None:
        conn: socket.socket = raw
        self._open.append(raw)
        try:
            raw.settimeout(10)
            if self.ctx is not None:
                conn = self.ctx.wrap_socket(raw, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
            self.heads.append(head + b"\r\n\r\n" + body)
            if self.handler is not None:
                self.handler(self, conn, head)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        # shutdown() wakes a thread blocked in accept() or recv(); close() alone does not.
        for s in (self.sock, *self._open):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        for t in self._threads:
            t.join(5)


@pytest.fixture
def raw_server() -> Iterator[Any]:
    """``raw_server(handler, ctx=..., accept=...)`` -> a started :class:`RawServer`."""
    servers: list[RawServer] = []

    def make(handler: Any = None, **kw: Any) -> RawServer:
        srv = RawServer(handler, **kw)
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.close()


@pytest.fixture(scope="module")
def server_ctx(ca: trustme.CA) -> ssl.SSLContext:
    """A server context with a certificate for the test API's names."""
    cert = ca.issue_cert(
        "*.execute-api.us-east-1.amazonaws.com", "*.execute-api.us-east-1.vpce.amazonaws.com"
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    return ctx


@pytest.fixture
def signature_ok() -> Any:
    """``signature_ok(method, target, headers, body)``: the SigV4 signature verifies."""
    return _valid_signature
