"""Hypothesis fuzz of argv, per command: never a traceback, only documented exit codes.

Network safety: every command gets flags pinning it to loopback (appended last, so they
win), AWS calls go to a closed loopback port, instance metadata is off, and a socket guard
refuses any connect or datagram to a non-loopback address or a name lookup of a
non-loopback name, so a fuzzed URL can never leave the machine.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privateapi_cli.main import build_parser, main

#: 0 ok, 1 a reported failure, 2 usage/input error, 22 invoke --fail (documented in docs/cli.md).
ALLOWED = {0, 1, 2, 22}
CLOSED = "127.0.0.1:9"
URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"
VALUES = [
    URL,
    URL + "/pets?x=1",
    "https://10.0.0.1/prod",
    "http://x",
    "",
    "-",
    "a1b2c3d4e5",
    "us-east-1",
    "useast1",
    "prod",
    "vpce-0123456789abcdef0",
    "vpce_alias",
    "custom_domain",
    "api.example.com",
    "123456789012",
    "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets",
    "Host: x",
    "nocolon",
    "0",
    "-1",
    "1e9",
    "nan",
    "%{http_code}",
    "%{nope}",
    "@/nonexistent",
    "dns.lokup",
    "☃",
    "\x00",
]

#: command words -> the safety flags appended last (they win over fuzzed ones).
SAFE: dict[tuple[str, ...], list[str]] = {
    ("url",): [],
    ("invoke",): ["--connect-to", CLOSED, "--timeout", "0.5"],
    ("doctor",): ["--no-aws", "--resolver", CLOSED, "--no-system-resolver", "--timeout", "0.5"],
    ("policy", "explain"): [],
    ("policy", "lint"): [],
    ("policy", "generate"): [],
    ("policy", "apply"): ["--endpoint-url", f"http://{CLOSED}", "--aws-timeout", "1"],
    ("vpce", "associate"): ["--endpoint-url", f"http://{CLOSED}", "--aws-timeout", "1"],
    ("deploy",): ["--endpoint-url", f"http://{CLOSED}", "--aws-timeout", "1"],
    ("status",): ["--endpoint-url", f"http://{CLOSED}", "--aws-timeout", "1"],
    ("fleet", "template"): [],
    ("fleet", "compact"): [],
}


def _leaf(words: tuple[str, ...]) -> Any:
    parser: Any = build_parser()
    for word in words:
        sub = next(a for a in parser._actions if a.dest and a.choices and word in a.choices)
        parser = sub.choices[word]
    return parser


def _options(words: tuple[str, ...]) -> list[str]:
    return sorted(
        o
        for a in _leaf(words)._actions
        for o in a.option_strings
        if o not in ("-h", "--help", "-o", "--output", "--html", "--save")
    )


def _is_loopback(host: object) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def _loopback_only() -> Iterator[None]:
    """Refuse every non-loopback connect, datagram and name lookup, process-wide."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_sendto, real_gai = socket.socket.sendto, socket.getaddrinfo

    def check(address: Any) -> None:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise OSError(f"test guard: no traffic to {address[0]}")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *rest: Any) -> int:
        check(rest[-1])
        return real_sendto(self, data, *rest)  # type: ignore[arg-type]

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"test guard: no lookup of {host}")
        return real_gai(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[assignment]
    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.socket.sendto = real_sendto  # type: ignore[method-assign]
        socket.getaddrinfo = real_gai


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLEFUZZ0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fuzzsecretfuzzsecretfuzzsecret00")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{CLOSED}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    with _loopback_only():
        yield


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    code = 0  # --help / --version exit through SystemExit(0)
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)  # a fuzzed path argument never lands in the checkout
        try:
            with (
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
                contextlib.suppress(SystemExit),  # --help / --version
            ):
                sys.stdin = io.StringIO("")
                code = main(argv)
        finally:
            sys.stdin = sys.__stdin__
            os.chdir(here)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("words", list(SAFE), ids=[" ".join(w) for w in SAFE])
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzzed_argv_never_tracebacks(words: tuple[str, ...], data: st.DataObject) -> None:
    """Any mix of the command's options and odd values: a documented exit, no traceback."""
    token = st.one_of(
        st.sampled_from(_options(words)), st.sampled_from(VALUES), st.text(max_size=8)
    )
    # A fuzzed "--" would turn the safety flags into positionals (the guard still holds).
    tail = data.draw(st.lists(token.filter(lambda t: t != "--"), max_size=8))
    argv = [*words, *tail, *SAFE[words]]
    code, out, err = _run(argv)
    assert "Traceback" not in out + err, argv
    assert "internal error" not in err, (argv, err)
    assert code in ALLOWED, (argv, code, err)
