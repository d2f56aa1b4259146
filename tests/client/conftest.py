"""Loopback TLS test server (trustme CA, SNI recorded) shared by the client tests."""

from __future__ import annotations

import json
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
