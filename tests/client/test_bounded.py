"""Responses are capped by their decoded size: a gzip bomb costs the cap, not gigabytes.

A real TLS server on loopback sends a small gzip body that inflates far past the cap.
Client, AsyncClient, the requests session and the doctor's probe (which uses Client) must
stop reading there; one test measures the peak RSS growth of a process doing it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from privateapi import _errors as e
from privateapi._client import DEFAULT_MAX_RESPONSE_BYTES, AsyncClient, Client
from privateapi._targets import InvokeTarget
from privateapi._wire import MAX_BODY_BYTES

API = "abcde12345"
BOMB_DECODED = 64 << 20  # 64 MiB of zeros, ~64 KB on the wire
# The client decodes 2 KiB of input at a time; deflate inflates at most ~1032:1.
STEP_MAX = 2048 * 1032


def _gzip(data_size: int, chunk: bytes = b"\0" * (1 << 20)) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join(c.compress(chunk) for _ in range(data_size // len(chunk))) + c.flush()


def _gzip_small(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _gzip(BOMB_DECODED)


def _serve(body: bytes, encoding: str | None = "gzip", status: str = "200 OK") -> Any:
    def handler(srv: Any, conn: Any, head: bytes) -> None:
        extra = f"Content-Encoding: {encoding}\r\n" if encoding else ""
        conn.sendall(
            f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(body)}\r\n\r\n".encode() + body
        )

    return handler


def _target(port: int) -> InvokeTarget:
    return InvokeTarget.private_dns(API, "us-east-1", "prod", connect_to=f"127.0.0.1:{port}")


def _check(err: e.ResponseTooLargeError, limit: int = DEFAULT_MAX_RESPONSE_BYTES) -> None:
    assert err.cause_code == "http.response-too-large"
    assert err.limit == limit
    assert limit < err.received <= limit + STEP_MAX  # stopped one step past the cap
    assert f"{limit} bytes" in str(err) and err.hint


def test_default_cap_is_a_little_over_api_gateways_10_mb() -> None:
    assert MAX_BODY_BYTES < DEFAULT_MAX_RESPONSE_BYTES <= MAX_BODY_BYTES + 2 * 1024 * 1024


def test_client_stops_a_gzip_bomb(
    raw_server: Any, server_ctx: Any, client_ctx: Any, bomb: bytes
) -> None:
    srv = raw_server(_serve(bomb), ctx=server_ctx)
    with (
        Client(_target(srv.port), sign=False, verify=client_ctx) as c,
        pytest.raises(e.ResponseTooLargeError) as info,
    ):
        c.get("/")
    _check(info.value)
    assert "gzip" in str(info.value)
    assert srv.connections == 1  # not retried: the same answer would come again


def test_async_client_stops_a_gzip_bomb(
    raw_server: Any, server_ctx: Any, client_ctx: Any, bomb: bytes
) -> None:
    srv = raw_server(_serve(bomb), ctx=server_ctx)

    async def run() -> e.ResponseTooLargeError:
        async with AsyncClient(_target(srv.port), sign=False, verify=client_ctx) as c:
            with pytest.raises(e.ResponseTooLargeError) as info:
                await c.get("/")
            return info.value

    _check(asyncio.run(run()))


@pytest.fixture
def ca_path(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def test_requests_session_stops_a_gzip_bomb(
    raw_server: Any, server_ctx: Any, ca_path: str, bomb: bytes
) -> None:
    from privateapi.requests import session

    srv = raw_server(_serve(bomb), ctx=server_ctx)
    with session(_target(srv.port), sign=False, verify=ca_path) as s:
        with pytest.raises(e.ResponseTooLargeError) as info:
            s.get("/")
        _check(info.value)
        # streamed reads go through the same cap
        r = s.get("/", stream=True)
        with pytest.raises(e.ResponseTooLargeError):
            for _chunk in r.iter_content(1 << 20):
                pass
        r = s.get("/", stream=True)
        with pytest.raises(e.ResponseTooLargeError):
            r.raw.read(decode_content=True)
        assert len(s.get("/", stream=True).raw.read()) == len(bomb)  # raw: what was sent


def test_requests_session_small_answers_and_own_cap(
    raw_server: Any, server_ctx: Any, ca_path: str
) -> None:
    from privateapi.requests import session

    data = b'{"ok": true}' * 100
    srv = raw_server(_serve(zlib.compress(data), "deflate"), ctx=server_ctx)
    with session(_target(srv.port), sign=False, verify=ca_path) as s:
        assert s.get("/").content == data
        assert s.get("/", stream=True).raw.read(5, decode_content=True) == data[:5]
    with session(_target(srv.port), sign=False, verify=ca_path, max_response_bytes=100) as s:
        with pytest.raises(e.ResponseTooLargeError) as info:
            s.get("/")
        assert info.value.limit == 100
    with pytest.raises(e.InvalidInputError, match="max_response_bytes"):
        session(_target(srv.port), max_response_bytes=0)


def test_doctor_probe_is_bounded(
    raw_server: Any, server_ctx: Any, ca_path: str, bomb: bytes
) -> None:
    """A compression bomb does not blow the doctor up: the probe reads a bounded raw body.

    The probe asks for no encoding and never decodes (it judges status and headers), so
    at most ``MAX_BODY`` raw bytes are held, whatever the server sends.
    """
    from privateapi.doctor import DoctorOptions, run
    from privateapi.doctor._probe import MAX_BODY

    srv = raw_server(_serve(bomb), ctx=server_ctx)
    options = DoctorOptions(
        use_system_resolver=False,
        no_aws=True,
        imds=False,
        timeout=10.0,
        hosts_file="/dev/null",
        environ={},
        sign=False,
        ca_bundle=ca_path,
    )
    report = run(_target(srv.port), options)
    probe = report.result("http.probe")
    assert probe is not None, [r.summary for r in report.results]
    assert probe.evidence["status"] == 200 and len(probe.evidence["body"]) <= 600
    # No x-amzn-* headers from this stub: judged as the caller's call would be.
    assert probe.cause == "http.not-api-gateway", probe.summary
    # The reusable probe itself: at most MAX_BODY raw bytes held, never decoded.
    from privateapi.doctor import CallerRequest
    from privateapi.doctor import probe as send

    big = raw_server(_serve(bytes(3 * MAX_BODY), encoding=None), ctx=server_ctx)
    request = CallerRequest(f"https://{API}.execute-api.us-east-1.amazonaws.com/prod/")
    result = send(request, options, address="127.0.0.1", port=big.port)
    assert result.status == 200 and len(result.body) == MAX_BODY
    result = send(request, options, address="127.0.0.1", port=srv.port)
    assert result.status == 200 and len(result.body) <= MAX_BODY


_RSS_SCRIPT = textwrap.dedent(
    """
    import json, resource, socket, ssl, sys, threading, zlib
    import trustme
    from privateapi import Client, InvokeTarget, ResponseTooLargeError

    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("*.execute-api.us-east-1.amazonaws.com").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    zero = bytes(1 << 20)
    body = b"".join(z.compress(zero) for _ in range(int(sys.argv[1]))) + z.flush()
    del zero
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn = server.wrap_socket(listener.accept()[0], server_side=True)
        data = b""
        while b"\\r\\n\\r\\n" not in data:
            data += conn.recv(65536)
        head = b"HTTP/1.1 200 OK\\r\\nContent-Encoding: gzip\\r\\nContent-Length: %d\\r\\n\\r\\n"
        try:
            conn.sendall(head % len(body) + body)
        except OSError:
            pass

    threading.Thread(target=serve, daemon=True).start()
    target = InvokeTarget.private_dns(
        "abcde12345", "us-east-1", "prod", connect_to="127.0.0.1:%d" % listener.getsockname()[1]
    )
    with Client(target, sign=False, verify=client, retries=None) as c:
        c.build_request("GET", "/")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            c.get("/")
            outcome = "read it all"
        except ResponseTooLargeError as exc:
            outcome = exc.cause_code
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"outcome": outcome, "growth_kib": after - before, "wire": len(body)}))
    """
)


def test_peak_memory_of_a_gzip_bomb_stays_near_the_cap() -> None:
    """256 MiB decoded from ~256 KB: today's httpx read would grow RSS by ~512 MB."""
    done = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, "256"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["outcome"] == "http.response-too-large"
    assert out["wire"] < 1 << 20
    # The cap (11 MiB) is kept twice at most (parts + joined), plus one decode step:
    # a generous bound far below the ~512 MiB an unbounded read costs.
    assert out["growth_kib"] < 150 * 1024, out


# -- ordinary answers and configuration ------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        (None, lambda b: b),
        ("gzip", _gzip_small),
        ("deflate", zlib.compress),
        ("gzip, gzip", lambda b: _gzip_small(_gzip_small(b))),
    ],
)
def test_bodies_under_the_cap_decode_as_httpx_does(
    raw_server: Any, server_ctx: Any, client_ctx: Any, encoding: str | None, encode: Any
) -> None:
    data = bytes(range(256)) * 4000  # ~1 MB, several network reads and decode steps
    srv = raw_server(_serve(encode(data), encoding), ctx=server_ctx)
    with Client(_target(srv.port), sign=False, verify=client_ctx) as c:
        r = c.get("/")
        assert r.content == data
        assert r.read() == data
        assert r.is_closed

    async def run() -> bytes:
        async with AsyncClient(_target(srv.port), sign=False, verify=client_ctx) as c:
            return (await c.get("/")).content

    assert asyncio.run(run()) == data


def test_plain_body_over_a_small_cap(raw_server: Any, server_ctx: Any, client_ctx: Any) -> None:
    srv = raw_server(_serve(b"x" * 5000, None), ctx=server_ctx)
    with Client(_target(srv.port), sign=False, verify=client_ctx, max_response_bytes=1000) as c:
        with pytest.raises(e.ResponseTooLargeError) as info:
            c.get("/")
        assert info.value.status_code == 200
        assert 1000 < info.value.received <= 5000
        assert "decoded" not in str(info.value)
        c.max_response_bytes = 5000
        assert len(c.get("/").content) == 5000


def test_the_flush_of_a_decoder_counts_too(
    raw_server: Any, server_ctx: Any, client_ctx: Any
) -> None:
    """The last decoded bytes (the decoder's flush) are counted like the others."""
    data = b"y" * 3000
    srv = raw_server(_serve(_gzip_small(data)), ctx=server_ctx)
    with Client(_target(srv.port), sign=False, verify=client_ctx, max_response_bytes=2999) as c:
        with pytest.raises(e.ResponseTooLargeError):
            c.get("/")
        c.max_response_bytes = 3000
        assert c.get("/").content == data


def test_cap_without_httpxs_private_decoder(
    raw_server: Any,
    server_ctx: Any,
    client_ctx: Any,
    bomb: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should httpx drop its private decoder, reading falls back to its decoded chunks."""
    from privateapi import _client

    monkeypatch.setattr(_client, "_DECODER_ATTR", "_renamed_in_a_later_httpx")
    srv = raw_server(_serve(bomb), ctx=server_ctx)
    small = _gzip_small(b"z" * 1000)
    with Client(_target(srv.port), sign=False, verify=client_ctx) as c:
        with pytest.raises(e.ResponseTooLargeError):
            c.get("/")
        srv.handler = _serve(small)
        assert c.get("/").content == b"z" * 1000

    async def run() -> bytes:
        async with AsyncClient(_target(srv.port), sign=False, verify=client_ctx) as c:
            return (await c.get("/")).content

    assert asyncio.run(run()) == b"z" * 1000


def test_an_answer_already_in_memory_is_capped_too() -> None:
    big = httpx.MockTransport(lambda r: httpx.Response(200, content=b"x" * 2000))
    target = InvokeTarget.private_dns(API, "us-east-1", "prod")
    with Client(target, sign=False, transport=big, max_response_bytes=1999) as c:
        with pytest.raises(e.ResponseTooLargeError) as info:
            c.get("/")
        assert info.value.received == 2000


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "10"])
def test_max_response_bytes_must_be_a_positive_int(bad: object) -> None:
    target = InvokeTarget.private_dns(API, "us-east-1", "prod")
    with pytest.raises(e.InvalidInputError, match="max_response_bytes"):
        Client(target, sign=False, max_response_bytes=bad)  # type: ignore[arg-type]
