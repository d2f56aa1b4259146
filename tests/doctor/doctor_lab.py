"""Loopback-only test servers for the doctor: stuck TCP listeners, TLS, IMDS (DNS: ``_dnsstub``).

Everything binds to 127.0.0.0/8 (the network-safety rule); nothing here reaches a
real network.
"""

from __future__ import annotations

import http.server
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from privateapi._targets import InvokeTarget
from privateapi.doctor import DoctorOptions


@contextmanager
def stuck_listeners(addresses: list[str]) -> Iterator[int]:
    """Listeners whose accept queue is full, so new connects time out (like a DROP).

    Linux drops a SYN when the listener's accept queue is full, so the client keeps
    retransmitting until its own timeout: a security-group DROP on loopback, with no
    firewall rule anywhere. Yields the common port.
    """
    socks: list[socket.socket] = []
    fillers: list[socket.socket] = []
    port = 0
    try:
        for addr in addresses:
            s = socket.socket()
            s.bind((addr, port))
            port = s.getsockname()[1]
            s.listen(0)
            socks.append(s)
            # Fill the queue (backlog 0 admits one, sometimes two, pending connections).
            for _ in range(3):
                c = socket.socket()
                c.setblocking(False)
                c.connect_ex((addr, port))
                fillers.append(c)
        yield port
    finally:
        for s in fillers + socks:
            s.close()


def free_port(address: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound and released at once)."""
    with socket.socket() as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


class TLSServer:
    """A blocking TLS server on a loopback address answering one fixed HTTP response."""

    def __init__(
        self,
        address: str,
        cert: Any,
        *,
        response: bytes = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nForbidden",
    ) -> None:
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(self.ctx)
        self.response = response
        self.sock = socket.socket()
        self.sock.bind((address, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

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
                tls.sendall(self.response)
        except (OSError, ssl.SSLError):
            pass

    def close(self) -> None:
        self.sock.close()


class FakeIMDS:
    """IMDSv2 on 127.0.0.1: a token via PUT, then metadata via GET with the token."""

    def __init__(self, meta: dict[str, str], *, token: str = "tok-123") -> None:  # noqa: S107 - a fake
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_PUT(self) -> None:
                if self.path == "/latest/api/token":
                    self._send(200, token)
                else:
                    self._send(404, "")

            def do_GET(self) -> None:
                if self.headers.get("X-aws-ec2-metadata-token") != token:
                    self._send(401, "")
                    return
                outer.requests.append(self.path)
                prefix = "/latest/meta-data/"
                key = self.path[len(prefix) :] if self.path.startswith(prefix) else None
                if key is not None and key in meta:
                    self._send(200, meta[key])
                else:
                    self._send(404, "")

            def _send(self, code: int, body: str) -> None:
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.requests: list[str] = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeECS:
    """The ECS task metadata endpoint (v4) on 127.0.0.1."""

    def __init__(self, task: dict[str, Any], container: dict[str, Any]) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                body = json.dumps(task if self.path.endswith("/task") else container).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v4/abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


API_ID = "a1b2c3d4e5"
REGION = "us-east-1"
VPCE = "vpce-0123456789abcdef0"
API_HOST = f"{API_ID}.execute-api.{REGION}.amazonaws.com"


def at_port(target: InvokeTarget, port: int) -> InvokeTarget:
    """The target connecting to its own host name on ``port`` (a loopback test server's)."""
    return target.with_connect_to(f"{target.host}:{port}")


def offline(**kw: Any) -> DoctorOptions:
    """Options that never leave loopback: no IMDS, no AWS, no system resolver."""
    base: dict[str, Any] = {
        "use_system_resolver": False,
        "no_aws": True,
        "imds": False,
        "timeout": 1.0,
        "hosts_file": "/dev/null",
        "environ": {},
        "sign": False,
    }
    base.update(kw)
    return DoctorOptions(**base)


@dataclass
class Lab:
    """A started LocalGateway with one healthy API associated with its endpoint."""

    gw: Any
    api_id: str
    vpce_id: str

    def target(self, style: str = "private_dns", **kw: Any) -> InvokeTarget:
        # The gateway's targets pin connect_to an address; the doctor must resolve the
        # name through DNS, so only the gateway's (ephemeral) port is kept.
        return at_port(self.gw.target(self.api_id, style, **kw), self.gw.port)

    def options(self, **kw: Any) -> DoctorOptions:
        c = self.gw.credentials
        base: dict[str, Any] = {
            "resolver": self.gw.resolver,
            "ca_bundle": str(self.gw.ca_bundle),
            "credentials": (c.access_key_id, c.secret_access_key),
            "sign": True,
        }
        base.update(kw)
        return offline(**base)
