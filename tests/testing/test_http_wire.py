"""The HTTP/1.1 layer on the wire: keep-alive, chunked bodies, HTTP/1.0, malformed requests."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import pytest

from privateapi.testing import LocalGateway, Route

HOST = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"


@pytest.fixture(scope="module")
def lab() -> Iterator[LocalGateway]:
    with LocalGateway() as gw:
        gw.add_api("a1b2c3d4e5", routes=[Route("ANY", "/{proxy+}")])
        yield gw


def exchange(gw: LocalGateway, raw: bytes, *, read_all: bool = True) -> bytes:
    ep = gw.endpoint()
    ctx = gw.ssl_context()
    with (
        socket.create_connection((ep.address, ep.port), timeout=3) as s,
        ctx.wrap_socket(s, server_hostname=HOST) as tls,
    ):
        tls.sendall(raw)
        if not read_all:
            return tls.recv(65536)
        out = b""
        try:
            while True:
                data = tls.recv(65536)
                if not data:
                    break
                out += data
        except (TimeoutError, ssl.SSLError, ConnectionResetError):
            pass
        return out


def req(
    path: str = "/prod/x", extra: str = "", body: bytes = b"", version: str = "HTTP/1.1"
) -> bytes:
    return f"GET {path} {version}\r\nHost: {HOST}\r\n{extra}\r\n".encode() + body


def test_pipelined_keep_alive_then_close(lab: LocalGateway) -> None:
    out = exchange(lab, req() + req("/prod/y", "Connection: close\r\n"))
    assert out.count(b"HTTP/1.1 200 OK") == 2
    assert b"Connection: close" in out


def test_http_1_0_closes(lab: LocalGateway) -> None:
    out = exchange(lab, req(version="HTTP/1.0"))
    assert out.startswith(b"HTTP/1.1 200 OK")
    assert b"Connection: close" in out
    # h11 keeps no HTTP/1.0 connection alive, even when asked: one answer, then close
    out = exchange(
        lab,
        req(version="HTTP/1.0", extra="Connection: keep-alive\r\n")
        + req(extra="Connection: close\r\n"),
    )
    assert out.count(b"200 OK") == 1
    assert b"Connection: close" in out


def test_chunked_body_with_trailers(lab: LocalGateway) -> None:
    body = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    raw = (
        f"POST /prod/x HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body
    out = exchange(lab, raw)
    assert b'"body": "hello world"' in out


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /prod/x HTTP/2.0\r\n\r\n",
        b"G(T /prod/x HTTP/1.1\r\n\r\n",
        b"GET /prod/x HTTP/1.1\r\nBad Header: x\r\n\r\n",
        b"GET /prod/x HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
        b"POST /prod/x HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"POST /prod/x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"POST /prod/x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"POST /prod/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST /prod/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
    ],
)
def test_malformed_requests_get_400(lab: LocalGateway, raw: bytes) -> None:
    out = exchange(lab, raw)
    assert out.startswith(b"HTTP/1.1 400 Bad Request"), out


def test_head_too_large_and_truncated(lab: LocalGateway) -> None:
    out = exchange(lab, b"GET /prod/x HTTP/1.1\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 431")  # over API Gateway's 10,240 bytes (and our cap)
    assert b"x-amzn-RequestId" in out
    # a head cut short by the client closing: nothing to answer, the gateway carries on
    ep = lab.endpoint()
    with (
        socket.create_connection((ep.address, ep.port), timeout=3) as s,
        lab.ssl_context().wrap_socket(s, server_hostname=HOST) as tls,
    ):
        tls.sendall(b"GET /prod/x HTTP/1.1\r\nHost: x")
    # a body shorter than announced, then the client goes away
    with (
        socket.create_connection((ep.address, ep.port), timeout=3) as s,
        lab.ssl_context().wrap_socket(s, server_hostname=HOST) as tls,
    ):
        tls.sendall(
            f"POST /prod/x HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 10\r\n\r\nabc".encode()
        )
    assert exchange(lab, req(extra="Connection: close\r\n")).startswith(b"HTTP/1.1 200")


def test_leading_empty_lines_tolerated(lab: LocalGateway) -> None:
    assert exchange(lab, b"\r\n\r\n" + req(extra="Connection: close\r\n")).startswith(
        b"HTTP/1.1 200"
    )


def test_client_closing_silently(lab: LocalGateway) -> None:
    ep = lab.endpoint()
    with socket.create_connection((ep.address, ep.port), timeout=3) as s:
        s.sendall(b"not a tls hello")  # the handshake fails: the gateway just drops it
    assert exchange(lab, req(extra="Connection: close\r\n")).startswith(b"HTTP/1.1 200")
