"""The independent oracle: AWS's own C signer (aws-c-auth, through awscrt), and the wire.

``crt_sign`` configures awscrt exactly as botocore's ``CrtSigV4Auth`` does for every
non-S3 service (execute-api included): SigV4 in the ``Authorization`` header, the path
normalised and double-encoded, the payload hashed by the signer, no
``x-amz-content-sha256`` header. It shares no code with privateapi's canonicaliser.

Which headers are signed is a policy, not canonicalisation: the oracle is told to sign
the set privateapi documents (written out here, not imported), so the comparison is
about how the chosen headers, the path, the query and the body are canonicalised.

``WireCapture`` is a loopback-only HTTP/1.1 server that records the bytes a client
really sent (request line, header lines, body), so a signature can be checked against
what httpx put on the wire rather than against httpx's request object.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import awscrt.auth
import awscrt.http

# privateapi's documented signed set (docs/client.md "Signing"), besides x-amz-*.
DOCUMENTED_SIGNED = frozenset({"host", "content-type", "content-md5", "x-apigw-api-id"})
# Set by the signer itself; the oracle adds its own.
SIGNER_HEADERS = frozenset({"authorization", "x-amz-date", "x-amz-security-token"})


def crt_sign(
    method: str,
    target: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    *,
    key: str,
    secret: str,
    token: str | None,
    when: datetime,
    region: str,
    service: str = "execute-api",
    extra_signed: frozenset[str] = frozenset(),
) -> list[tuple[str, str]]:
    """Sign a request as it is on the wire; the headers afterwards (Authorization added).

    ``headers`` must not hold the signer's own headers (``SIGNER_HEADERS``): the CRT
    adds ``X-Amz-Date`` from ``when`` and ``X-Amz-Security-Token`` from ``token``.
    """
    provider = awscrt.auth.AwsCredentialsProvider.new_static(key, secret, token)
    wanted = DOCUMENTED_SIGNED | extra_signed

    def should_sign(name: str) -> bool:
        low = name.lower()
        return low in wanted or low.startswith("x-amz-")

    config = awscrt.auth.AwsSigningConfig(
        algorithm=awscrt.auth.AwsSigningAlgorithm.V4,
        signature_type=awscrt.auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
        credentials_provider=provider,
        region=region,
        service=service,
        date=when,
        should_sign_header=should_sign,
        use_double_uri_encode=True,
        should_normalize_uri_path=True,
        signed_body_header_type=awscrt.auth.AwsSignedBodyHeaderType.NONE,
    )
    assert not {n.lower() for n, _ in headers} & SIGNER_HEADERS
    assert target.startswith("/"), "an origin-form request target"
    # The target goes in absolute form. aws-c-io's URI parser reads an origin-form target
    # holding ':/' as an absolute URI: '/a?r=https://x/y' is signed as the path '/y', and
    # '/a:/b' is refused (AWS_ERROR_MALFORMED_INPUT_STRING). botocore's CrtSigV4Auth hands
    # it 'path?query' and inherits that; with a scheme and authority in front the parse is
    # unambiguous. The authority is only parsed: the Host header is what gets signed.
    request = awscrt.http.HttpRequest(
        method,
        "https://oracle.invalid" + target,
        awscrt.http.HttpHeaders(list(headers)),
        io.BytesIO(body) if body else None,
    )
    awscrt.auth.aws_sign_request(request, config).result(timeout=60)
    return list(request.headers)


def header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """The first value of ``name`` (any case)."""
    return next((v for k, v in headers if k.lower() == name), None)


@dataclass(frozen=True)
class WireRequest:
    """One request exactly as it arrived: target and headers as sent, in order."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


class WireCapture:
    """A loopback HTTP/1.1 server answering 204 to everything, keeping what it received."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.received: list[WireRequest] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()

    def start(self) -> WireCapture:
        t = threading.Thread(target=self._accept, name="wire-capture", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def close(self) -> None:
        self._stop.set()
        # shutdown() wakes a thread blocked in accept() or recv(); close() alone does not.
        for sock in (self._sock, *self._conns):
            with contextlib.suppress(OSError):  # already closed by the peer
                sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        for t in self._threads:
            t.join(timeout=30)

    def take(self) -> WireRequest:
        """The one request received since the last call."""
        with self._lock:
            assert len(self.received) == 1, f"expected one request, got {len(self.received)}"
            return self.received.pop()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as f:
            while not self._stop.is_set():
                try:
                    line = f.readline(65536 * 2)
                except OSError:
                    return  # shut down by close()
                if not line:
                    return
                method, target, _ = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
                headers: list[tuple[str, str]] = []
                while True:
                    raw = f.readline(65536)
                    if raw in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = raw.decode("latin-1").rstrip("\r\n").partition(":")
                    # The wire value: optional whitespace around it is not part of it (RFC 9110).
                    headers.append((name, value.strip(" \t")))
                length = int(header(headers, "content-length") or 0)
                body = f.read(length) if length else b""
                with self._lock:
                    self.received.append(WireRequest(method, target, tuple(headers), body))
                conn.sendall(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")


@contextmanager
def wire_capture() -> Iterator[WireCapture]:
    """A running :class:`WireCapture` on 127.0.0.1."""
    server = WireCapture().start()
    try:
        yield server
    finally:
        server.close()
