"""One exception -> cause classifier, fed real socket and TLS errors on loopback.

Each failure is produced for real: certificates outside their validity, a listener whose
backlog is full (SYNs dropped: a connect time-out), one that never speaks TLS, one that
never answers, and (inside a fresh network namespace) a missing route and an unreachable
resolver. The client and the doctor's raw sockets must name the same cause.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import trustme

from privateapi import _errors as e
from privateapi._client import AsyncClient, Client
from privateapi._errors import cause_of_exception
from privateapi._targets import InvokeTarget

API = "abcde12345"
API_HOST = f"{API}.execute-api.us-east-1.amazonaws.com"
NOW = dt.datetime.now(dt.UTC)


def _target(port: int) -> InvokeTarget:
    return InvokeTarget.private_dns(API, "us-east-1", "prod", connect_to=f"127.0.0.1:{port}")


# Generous where the machine's speed matters (a handshake that must complete); short
# only for the phase under test, where the wait itself is the point.
PATIENT = httpx.Timeout(10.0)
READ_1S = httpx.Timeout(10.0, read=1.0)


def _sync_cause(port: int, verify: Any, timeout: Any = PATIENT) -> str | None:
    with (
        Client(_target(port), sign=False, verify=verify, timeout=timeout, retries=None) as c,
        pytest.raises(e.TransportError) as info,
    ):
        c.get("/")
    return info.value.cause_code


def _async_cause(port: int, verify: Any, timeout: Any = PATIENT) -> str | None:
    async def run() -> str | None:
        async with AsyncClient(
            _target(port), sign=False, verify=verify, timeout=timeout, retries=None
        ) as c:
            with pytest.raises(e.TransportError) as info:
                await c.get("/")
            return info.value.cause_code

    return asyncio.run(run())


def _raw_handshake_error(port: int, ctx: ssl.SSLContext, timeout: float = 10.0) -> BaseException:
    """What the doctor's TLS check does: connect, then handshake, on plain sockets."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        ctx.wrap_socket(raw, server_hostname=API_HOST).close()
    except (OSError, ssl.SSLError) as exc:
        return exc
    finally:
        raw.close()
    raise AssertionError("the handshake succeeded")


# -- certificates ---------------------------------------------------------------------------


def _cert_server(raw_server: Any, ca: trustme.CA, **issue: Any) -> int:
    names = issue.pop("names", (API_HOST,))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names, **issue).configure_cert(ctx)
    return int(raw_server(ctx=ctx).port)


@pytest.mark.parametrize(
    ("issue", "verify_code", "code"),
    [
        # OpenSSL X509_V_ERR_CERT_NOT_YET_VALID: outside the validity period, like 10.
        ({"not_before": NOW + dt.timedelta(days=2)}, 9, "tls.expired"),
        # X509_V_ERR_CERT_HAS_EXPIRED
        (
            {"not_before": NOW - dt.timedelta(days=9), "not_after": NOW - dt.timedelta(days=2)},
            10,
            "tls.expired",
        ),
        # X509_V_ERR_HOSTNAME_MISMATCH
        ({"names": ("api.example.com",)}, 62, "tls.name-mismatch"),
    ],
    ids=["not-yet-valid", "expired", "name-mismatch"],
)
def test_certificate_verify_codes_client_and_doctor_agree(
    raw_server: Any,
    ca: trustme.CA,
    client_ctx: ssl.SSLContext,
    issue: dict[str, Any],
    verify_code: int,
    code: str,
) -> None:
    port = _cert_server(raw_server, ca, **issue)
    raw = _raw_handshake_error(port, client_ctx)
    assert isinstance(raw, ssl.SSLCertVerificationError)
    assert raw.verify_code == verify_code
    assert cause_of_exception(raw, "tls") == code  # the doctor's TLS check
    assert _sync_cause(port, client_ctx) == code
    assert _async_cause(port, client_ctx) == code


def test_untrusted_chain(raw_server: Any, ca: trustme.CA) -> None:
    port = _cert_server(raw_server, ca)
    other = ssl.create_default_context(cadata=trustme.CA().cert_pem.bytes().decode())
    raw = _raw_handshake_error(port, other)
    assert isinstance(raw, ssl.SSLCertVerificationError)
    assert raw.verify_code == 20  # unable to get local issuer certificate
    assert cause_of_exception(raw, "tls") == "tls.untrusted"
    assert _sync_cause(port, other) == "tls.untrusted"


def test_verify_codes_without_a_socket() -> None:
    """Codes no loopback server can produce here still map by the same table."""
    for verify_code, code in [(64, "tls.name-mismatch"), (18, "tls.untrusted"), (9, "tls.expired")]:
        err = ssl.SSLCertVerificationError(1, "verify failed")
        err.verify_code = verify_code
        err.verify_message = "x"
        assert cause_of_exception(err) == code


# -- time-outs, by where they happened -------------------------------------------------------


@pytest.fixture
def full_backlog(raw_server: Any) -> Iterator[int]:
    """A port whose accept queue is full: the kernel drops further SYNs (a connect time-out)."""
    srv = raw_server(accept=False, backlog=0)
    held: list[socket.socket] = []
    for i in range(4):  # fill the queue; stop at the first connect that does not complete
        s = socket.socket()
        s.settimeout(10.0 if i == 0 else 0.5)  # the first one always completes
        try:
            s.connect(("127.0.0.1", srv.port))
        except TimeoutError:
            s.close()
            break
        held.append(s)
    else:
        pytest.skip("NOT RUN: this kernel completes connects past a full listen backlog")
    try:
        yield srv.port
    finally:
        for s in held:
            s.close()


def test_connect_timeout_is_tcp_timeout(full_backlog: int, client_ctx: ssl.SSLContext) -> None:
    with pytest.raises(TimeoutError) as info:
        socket.create_connection(("127.0.0.1", full_backlog), timeout=0.5)
    assert cause_of_exception(info.value, "connect") == "tcp.timeout"  # the doctor's TCP check
    assert _sync_cause(full_backlog, client_ctx, 1.0) == "tcp.timeout"
    assert _async_cause(full_backlog, client_ctx, 1.0) == "tcp.timeout"


def test_doctor_tcp_probe_uses_the_classifier(full_backlog: int) -> None:
    from privateapi.doctor._tcp import _connect

    probe = _connect("127.0.0.1", full_backlog, 0.5)
    assert (probe.outcome, probe.cause) == ("timeout", "tcp.timeout")


def test_listener_that_never_speaks_tls_is_a_handshake_failure(
    raw_server: Any, client_ctx: ssl.SSLContext
) -> None:
    """TCP connects (the kernel accepts into the backlog), the TLS answer never comes."""
    port = raw_server(accept=False).port
    raw = _raw_handshake_error(port, client_ctx, timeout=0.5)
    assert isinstance(raw, TimeoutError)
    assert cause_of_exception(raw, "tls") == "tls.handshake-failed"
    assert _sync_cause(port, client_ctx, 1.0) == "tls.handshake-failed"
    assert _async_cause(port, client_ctx, 1.0) == "tls.handshake-failed"


def test_server_that_never_answers_is_a_read_timeout(
    raw_server: Any, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    """TLS is up and the request went out: waiting for the answer is neither TLS nor TCP."""
    srv = raw_server(lambda s, conn, head: s.stop.wait(30), ctx=server_ctx)
    assert _sync_cause(srv.port, client_ctx, READ_1S) == "http.timeout"
    assert _async_cause(srv.port, client_ctx, READ_1S) == "http.timeout"
    assert len(srv.heads) == 2  # both requests arrived: the time-out was the answer's


def test_timeout_message_says_where_and_the_deadline(
    raw_server: Any, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    srv = raw_server(lambda s, conn, head: s.stop.wait(30), ctx=server_ctx)
    with (
        Client(
            _target(srv.port), sign=False, verify=client_ctx, timeout=READ_1S, retries=None
        ) as c,
        pytest.raises(e.TransportError) as info,
    ):
        c.get("/x?secret=1")
    assert "timed out waiting for the answer" in str(info.value)
    assert "deadline is 10 s" in str(info.value)
    assert "secret" not in str(info.value)
    assert info.value.hint == e.TransportError("x", code="http.timeout").hint


# -- no route, no resolver: inside a fresh network namespace ---------------------------------

_NETNS_SCRIPT = textwrap.dedent(
    """
    import json, socket
    from privateapi import Client, InvokeTarget, TransportError
    from privateapi._errors import cause_of_exception
    out = {}
    try:
        socket.create_connection(("192.0.2.1", 443), timeout=2)
    except OSError as exc:
        out["raw_errno"] = exc.errno
        out["raw"] = cause_of_exception(exc, "connect")
    t = InvokeTarget.private_dns("abcde12345", "us-east-1", "prod")
    for key, target in (("pinned", t.with_connect_to("192.0.2.1")), ("dns", t)):
        try:
            with Client(target, sign=False, timeout=2, retries=None) as c:
                c.get("/")
        except TransportError as exc:
            out[key] = exc.cause_code
    print(json.dumps(out))
    """
)


def test_no_route_and_no_resolver_in_a_fresh_network_namespace() -> None:
    """ENETUNREACH is tcp.unreachable (not a time-out); EAI_AGAIN the resolver.

    The namespace has only a loopback interface that is down: nothing can leave it.
    """
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], check=False).returncode:
        pytest.skip("NOT RUN: 'unshare -n' (a fresh network namespace) is not permitted here")
    done = subprocess.run(
        [unshare, "-n", sys.executable, "-c", _NETNS_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["raw_errno"] in (101, 113)  # ENETUNREACH / EHOSTUNREACH
    assert out["raw"] == "tcp.unreachable"
    assert out["pinned"] == "tcp.unreachable"
    assert out["dns"] == "dns.resolver-unreachable"
