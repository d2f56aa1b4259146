"""``privateapi invoke``: the 10 MB body limit before reading, and a 3xx is not success."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import httpx
import pytest
import respx

from privateapi._wire import MAX_BODY_BYTES
from privateapi_cli.main import main

API_HOST = "abcde12345.execute-api.us-east-1.amazonaws.com"
URL = f"https://{API_HOST}/prod/pets"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


class Endless(io.RawIOBase):
    """A pipe that never ends (bounded here so a reader of everything stops at 64 MiB)."""

    def __init__(self, limit: int = 64 << 20) -> None:
        self.produced = 0
        self.limit = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.limit - self.produced)
        buffer[:n] = b"x" * n
        self.produced += n
        return n


@respx.mock
def test_stdin_over_10_mb_is_refused_after_reading_one_byte_past_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(200))
    pipe = Endless()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(pipe)))
    assert main(["invoke", URL, "-d", "@-"]) == 1
    err = capsys.readouterr().err
    assert "RequestTooLargeError" in err and str(MAX_BODY_BYTES) in err
    assert "standard input" in err
    assert not route.called
    # one buffer past the limit at most, never the whole 64 MiB
    assert pipe.produced <= MAX_BODY_BYTES + 1 + io.DEFAULT_BUFFER_SIZE


@respx.mock
def test_file_over_10_mb_is_refused_by_its_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(200))
    big = tmp_path / "big.bin"
    with big.open("wb") as fh:
        fh.truncate(MAX_BODY_BYTES + 1)  # sparse: costs no disk
    assert main(["invoke", URL, "-d", f"@{big}"]) == 1
    err = capsys.readouterr().err
    assert "big.bin" in err and str(MAX_BODY_BYTES) in err
    assert not route.called
    exact = tmp_path / "exact.bin"
    with exact.open("wb") as fh:
        fh.truncate(MAX_BODY_BYTES)
    assert main(["invoke", URL, "-d", f"@{exact}"]) == 0
    assert len(route.calls.last.request.content) == MAX_BODY_BYTES


@respx.mock
def test_a_redirect_is_not_followed_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    respx.get(URL).mock(
        return_value=httpx.Response(
            302, headers={"Location": "https://elsewhere.example.com/x?X-Amz-Signature=abc"}
        )
    )
    other = respx.get("https://elsewhere.example.com/x").mock(return_value=httpx.Response(200))
    assert main(["invoke", URL]) == 1
    err = capsys.readouterr().err
    assert "302 redirect to https://elsewhere.example.com/x not followed" in err
    assert "X-Amz-Signature" not in err
    assert not other.called


@respx.mock
def test_not_modified_is_not_a_failure(capsys: pytest.CaptureFixture[str]) -> None:
    respx.get(URL).mock(return_value=httpx.Response(304))
    assert main(["invoke", URL, "-H", 'If-None-Match: "v1"']) == 0
    capsys.readouterr()


def test_a_gzip_bomb_is_refused_at_the_cap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Over real TLS on loopback: invoke reads no more than the client's decoded cap."""
    import contextlib
    import socket
    import ssl
    import threading
    import zlib

    import trustme

    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(API_HOST).configure_cert(server)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = b"".join(z.compress(bytes(1 << 20)) for _ in range(64)) + z.flush()
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with listener, server.wrap_socket(listener.accept()[0], server_side=True) as conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
            with contextlib.suppress(OSError):  # the client stops reading: expected
                conn.sendall(head % len(body) + body)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    args = ["invoke", URL, "--no-sign", "--ca-bundle", str(bundle)]
    assert main([*args, "--connect-to", f"127.0.0.1:{port}"]) == 1
    out, err = capsys.readouterr()
    assert "ResponseTooLargeError" in err and "http.response-too-large" in err
    assert out == ""
    thread.join(10)
