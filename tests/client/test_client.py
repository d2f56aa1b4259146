"""Client / AsyncClient over httpx.MockTransport: headers, signing, guards, retries, errors."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable

import httpx
import pytest

from privateapi import _errors as e
from privateapi._client import (
    MAX_BODY_BYTES,
    AsyncClient,
    Client,
    RetryEvent,
    RetryPolicy,
    raise_for_status,
    transport_error,
)
from privateapi._targets import InvokeTarget

API = "abcde12345"
API_HOST = f"{API}.execute-api.us-east-1.amazonaws.com"
VPCE = "vpce-01234567abcdef012-01234567.execute-api.us-east-1.vpce.amazonaws.com"
CREDS = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
APIGW = {"x-amzn-RequestId": "rid-1"}

Handler = Callable[[httpx.Request], httpx.Response]


def fast(**kw: object) -> RetryPolicy:
    slept: list[float] = []
    return RetryPolicy(sleep=slept.append, backoff_base=0.01, **kw)  # type: ignore[arg-type]


class Recorder:
    """A MockTransport handler that answers from a script and records requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(rec: Recorder, target: InvokeTarget | str | None = None, **kw: object) -> Client:
    target = target or InvokeTarget.private_dns(API, "us-east-1", "prod")
    kw.setdefault("credentials", CREDS)
    kw.setdefault("retries", fast())
    return Client(target, transport=httpx.MockTransport(rec), **kw)  # type: ignore[arg-type]


def test_private_dns_request_is_signed_and_joined() -> None:
    rec = Recorder(httpx.Response(200, json={"ok": True}))
    with client(rec) as c:
        r = c.get("/pets", params={"limit": "10"})
    assert r.json() == {"ok": True}
    req = rec.requests[0]
    assert str(req.url) == f"https://{API_HOST}/prod/pets?limit=10"
    assert req.headers["host"] == API_HOST
    assert req.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/execute-api/aws4_request" in req.headers["authorization"]
    assert req.headers["x-amz-security-token"] == "session-token"


def test_host_header_style_sends_and_signs_the_api_host() -> None:
    rec = Recorder(httpx.Response(200))
    target = InvokeTarget.host_header(API, "us-east-1", "prod", vpce_dns=VPCE)
    with client(rec, target) as c:
        c.get("items")
    req = rec.requests[0]
    assert req.url.host == VPCE
    assert req.headers["host"] == API_HOST
    assert "host;" in req.headers["authorization"]


def test_api_id_header_style_signs_the_header() -> None:
    rec = Recorder(httpx.Response(200))
    target = InvokeTarget.api_id_header(API, "us-east-1", "prod", vpce_dns=VPCE)
    with client(rec, target) as c:
        c.get("")
    req = rec.requests[0]
    assert str(req.url) == f"https://{VPCE}/prod"
    assert req.headers["host"] == VPCE
    assert req.headers["x-apigw-api-id"] == API
    assert "x-apigw-api-id" in req.headers["authorization"]


def test_url_with_headers_is_recognised() -> None:
    rec = Recorder(httpx.Response(200))
    with client(rec, f"https://{VPCE}/prod", headers={"x-apigw-api-id": API}) as c:
        c.get("/x")
        assert c.target.style == "api_id_header"
    assert rec.requests[0].headers["x-apigw-api-id"] == API


def test_user_host_header_overrides_style_host() -> None:
    rec = Recorder(httpx.Response(200))
    target = InvokeTarget.host_header(API, "us-east-1", "prod", vpce_dns=VPCE)
    with client(rec, target, headers={"host": "other.example.com", "X-Trace": "1"}) as c:
        c.get("")
    assert rec.requests[0].headers["host"] == "other.example.com"
    assert rec.requests[0].headers["x-trace"] == "1"


def test_unsigned() -> None:
    rec = Recorder(httpx.Response(200))
    with client(rec, sign=False) as c:
        assert c.auth is None
        c.get("/")
        assert "unsigned" in repr(c)
    assert "authorization" not in rec.requests[0].headers


def test_absolute_url_same_host_ok_other_host_refused() -> None:
    rec = Recorder(httpx.Response(200))
    with client(rec) as c:
        c.get(f"https://{API_HOST}/prod/abs")
        with pytest.raises(e.InvalidInputError):
            c.get("https://evil.example.com/prod/abs")
    assert len(rec.requests) == 1
    assert rec.requests[0].url.path == "/prod/abs"


def test_bad_target_type() -> None:
    with pytest.raises(e.InvalidInputError):
        Client(42, credentials=CREDS)  # type: ignore[arg-type]


def test_custom_domain_needs_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    target = InvokeTarget.custom_domain("api.example.com", base_path="v1")
    with pytest.raises(e.InvalidInputError, match="region"):
        Client(target, credentials=CREDS)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    rec = Recorder(httpx.Response(200))
    with client(rec, target) as c:
        assert c.auth is not None
        assert c.auth.region == "eu-west-1"
    with client(rec, target, region="us-west-2") as c:
        assert c.auth is not None
        assert c.auth.region == "us-west-2"


# -- guards ---------------------------------------------------------------------------------


def test_body_over_10_mb_is_refused_before_sending() -> None:
    rec = Recorder(httpx.Response(200))
    with client(rec) as c:
        with pytest.raises(e.RequestTooLargeError, match="10485760"):
            c.post("/upload", content=b"x" * (MAX_BODY_BYTES + 1))
        c.post("/upload", content=b"x" * 1024)
    assert len(rec.requests) == 1


def test_streamed_body_declared_too_large_is_refused_unread() -> None:
    rec = Recorder(httpx.Response(200))
    pulled: list[int] = []

    def body():  # type: ignore[no-untyped-def]
        pulled.append(1)
        yield b"x"

    with client(rec) as c, pytest.raises(e.RequestTooLargeError):
        c.post("/u", content=body(), headers={"Content-Length": str(MAX_BODY_BYTES + 1)})
    assert pulled == []
    assert rec.requests == []


def test_header_over_10_kb_is_refused() -> None:
    rec = Recorder(httpx.Response(200))
    with client(rec) as c:
        with pytest.raises(e.RequestTooLargeError, match="x-big"):
            c.get("/", headers={"x-big": "a" * 10_241})
        c.get("/", headers={"x-big": "a" * 8_000})
    assert len(rec.requests) == 1
    assert e.RequestTooLargeError("x").cause_code == "http.request-too-large"


# -- retries ---------------------------------------------------------------------------------


def test_get_retried_on_503_then_ok_with_events() -> None:
    events: list[RetryEvent] = []
    rec = Recorder(httpx.Response(503, headers=APIGW), httpx.Response(200))
    with client(rec, retries=fast(on_retry=events.append)) as c:
        r = c.get("/pets?secret=1")
    assert r.status_code == 200
    assert len(rec.requests) == 2
    assert [ev.status_code for ev in events] == [503]
    assert events[0].reason == "HTTP 503"
    assert "secret" not in events[0].url
    # each attempt is signed afresh
    assert "authorization" in rec.requests[1].headers


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retryable_statuses(status: int) -> None:
    rec = Recorder(httpx.Response(status), httpx.Response(200))
    with client(rec) as c:
        assert c.get("/").status_code == 200
    assert len(rec.requests) == 2


def test_post_not_replayed_on_503_unless_marked() -> None:
    rec = Recorder(httpx.Response(503), httpx.Response(200))
    with client(rec) as c:
        assert c.post("/orders", json={"a": 1}).status_code == 503
    assert len(rec.requests) == 1
    rec2 = Recorder(httpx.Response(503), httpx.Response(200))
    with client(rec2) as c:
        assert c.post("/orders", json={"a": 1}, idempotent=True).status_code == 200
    assert len(rec2.requests) == 2
    assert rec2.requests[1].content == b'{"a":1}'


def test_attempts_exhausted_returns_last_answer() -> None:
    rec = Recorder(httpx.Response(503))
    with client(rec, retries=fast(max_attempts=4)) as c:
        assert c.get("/").status_code == 503
    assert len(rec.requests) == 4


def test_budget_stops_retries() -> None:
    rec = Recorder(httpx.Response(503))
    policy = RetryPolicy(sleep=lambda _s: None, budget=0.5, random=lambda _a, _b: 1.0)
    with client(rec, retries=policy) as c:
        assert c.get("/").status_code == 503
    assert len(rec.requests) == 1


def test_retries_none_disables() -> None:
    rec = Recorder(httpx.Response(503), httpx.Response(200))
    with client(rec, retries=None) as c:
        assert c.get("/").status_code == 503
    assert len(rec.requests) == 1


def test_backoff_full_jitter_is_capped() -> None:
    seen: list[tuple[float, float]] = []

    def rnd(a: float, b: float) -> float:
        seen.append((a, b))
        return b

    policy = RetryPolicy(backoff_base=1.0, backoff_max=3.0, random=rnd)
    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 3.0, 3.0]
    assert seen[0] == (0.0, 1.0)


def test_connect_error_replays_even_post() -> None:
    rec = Recorder(httpx.ConnectError("[Errno 111] Connection refused"), httpx.Response(201))
    with client(rec) as c:
        assert c.post("/orders", content=b"{}").status_code == 201
    assert len(rec.requests) == 2


def test_read_error_on_post_is_not_replayed() -> None:
    rec = Recorder(httpx.ReadError("connection reset"), httpx.Response(201))
    with client(rec) as c, pytest.raises(e.TransportError) as info:
        c.post("/orders", content=b"{}")
    assert info.value.cause_code == "http.connection-failed"
    assert len(rec.requests) == 1
    assert isinstance(info.value.__cause__, httpx.ReadError)


def test_read_error_on_get_is_replayed() -> None:
    rec = Recorder(httpx.ReadError("connection reset"), httpx.Response(200))
    with client(rec) as c:
        assert c.get("/").status_code == 200
    assert len(rec.requests) == 2


def _verify_error(code: int, message: str) -> httpx.ConnectError:
    inner = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    inner.verify_code = code
    inner.verify_message = message
    outer = httpx.ConnectError(str(inner))
    outer.__cause__ = inner
    return outer


def test_tls_failures_are_not_retried() -> None:
    rec = Recorder(_verify_error(62, "Hostname mismatch"), httpx.Response(200))
    with client(rec) as c, pytest.raises(e.TransportError) as info:
        c.get("/")
    assert info.value.cause_code == "tls.name-mismatch"
    assert len(rec.requests) == 1


def _with_cause(inner: BaseException, cls: type[httpx.TransportError] = httpx.ConnectError):
    outer = cls(str(inner))
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (_verify_error(62, "Hostname mismatch"), "tls.name-mismatch"),
        (_verify_error(10, "certificate has expired"), "tls.expired"),
        (_verify_error(20, "unable to get local issuer certificate"), "tls.untrusted"),
        (_with_cause(ssl.SSLError(1, "[SSL: TLSV1_UNRECOGNIZED_NAME]")), "tls.handshake-failed"),
        (
            _with_cause(__import__("socket").gaierror(-2, "Name or service not known")),
            "dns.nxdomain",
        ),
        (
            _with_cause(__import__("socket").gaierror(-3, "Temporary failure")),
            "dns.resolver-unreachable",
        ),
        (
            _with_cause(__import__("socket").gaierror(-8, "Servname not supported")),
            "http.connection-failed",
        ),
        (_with_cause(OSError(101, "Network is unreachable")), "tcp.unreachable"),
        (httpx.ConnectError("[Errno 113] No route to host"), "tcp.unreachable"),
        (_verify_error(9, "certificate is not yet valid"), "tls.expired"),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate is not yet valid"),
            "tls.expired",
        ),
        (httpx.ReadTimeout("timed out"), "http.timeout"),
        (httpx.WriteTimeout("timed out"), "http.timeout"),
        (httpx.PoolTimeout("timed out"), "http.timeout"),
        (httpx.ReadError("[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC]"), "http.connection-failed"),
        (
            _with_cause(ssl.SSLError(1, "[SSL: BAD_RECORD_MAC]"), httpx.ReadError),
            "http.connection-failed",
        ),
        (
            _with_cause(
                TimeoutError("_ssl.c:989: The handshake operation timed out"), httpx.ConnectTimeout
            ),
            "tls.handshake-failed",
        ),
        (_with_cause(ConnectionRefusedError(111, "refused")), "tcp.refused"),
        (httpx.ConnectTimeout("timed out"), "tcp.timeout"),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] Hostname mismatch"),
            "tls.name-mismatch",
        ),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate has expired"),
            "tls.expired",
        ),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] self signed"), "tls.untrusted"),
        (httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] x"), "tls.handshake-failed"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "tcp.refused"),
        (httpx.ConnectError("[Errno -2] Name or service not known"), "dns.nxdomain"),
        (httpx.RemoteProtocolError("Server disconnected"), "http.connection-failed"),
    ],
)
def test_transport_error_mapping(exc: httpx.TransportError, code: str) -> None:
    request = httpx.Request("GET", f"https://{API_HOST}/prod/x?token=secret")
    err = transport_error(exc, request)
    assert err.cause_code == code
    assert err.request is request
    assert "secret" not in str(err)
    assert err.hint


def test_transport_error_without_request() -> None:
    err = transport_error(httpx.ConnectError("boom"))
    assert err.request is None
    assert str(err) == "boom"


# -- errors ---------------------------------------------------------------------------------


def test_raise_for_status_typed() -> None:
    rec = Recorder(
        httpx.Response(
            403,
            json={"message": "Forbidden"},
            headers={**APIGW, "x-amzn-ErrorType": "ForbiddenException"},
        )
    )
    with client(rec) as c:
        assert c.get("/").status_code == 403
        with pytest.raises(e.WrongEndpointError) as info:
            c.get("/", raise_for_status=True)
    assert info.value.request_id == "rid-1"
    assert raise_for_status(httpx.Response(204)).status_code == 204


# -- observability / safety -----------------------------------------------------------------


def test_verify_false_logs_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder(httpx.Response(200))
    with caplog.at_level(logging.WARNING, "privateapi.client"), client(rec, verify=False):
        pass
    assert "verification is OFF" in caplog.text


def test_debug_log_redacts(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder(httpx.Response(503), httpx.Response(200))
    with caplog.at_level(logging.DEBUG, "privateapi.client"), client(rec) as c:
        c.get("/x")
    signature = rec.requests[-1].headers["authorization"].rsplit("=", 1)[1]
    assert "sending GET" in caplog.text
    assert "retrying GET" in caplog.text
    assert signature not in caplog.text
    assert "session-token" not in caplog.text
    assert CREDS[1] not in caplog.text


def test_build_request_and_methods() -> None:
    rec = Recorder(httpx.Response(200))
    with client(rec) as c:
        req = c.build_request("GET", "/b")
        assert str(req.url).endswith("/prod/b")
        for m in ("head", "options", "put", "patch", "delete"):
            getattr(c, m)("/m")
    assert [r.method for r in rec.requests] == ["HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"]


# -- async ----------------------------------------------------------------------------------


def aclient(rec: Recorder, **kw: object) -> AsyncClient:
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    kw.setdefault("credentials", CREDS)
    kw.setdefault("retries", fast())
    return AsyncClient(
        InvokeTarget.api_id_header(API, "us-east-1", "prod", vpce_dns=VPCE),
        transport=httpx.MockTransport(rec),
        async_sleep=sleep,
        **kw,  # type: ignore[arg-type]
    )


def test_async_client_signs_retries_and_classifies() -> None:
    async def run() -> None:
        rec = Recorder(httpx.Response(502), httpx.Response(200, json={"n": 1}))
        async with aclient(rec) as c:
            r = await c.get("/pets")
            assert r.json() == {"n": 1}
            for m in ("head", "options", "post", "put", "patch", "delete"):
                await getattr(c, m)("/m")
        assert len(rec.requests) == 8
        assert rec.requests[0].headers["x-apigw-api-id"] == API
        assert "Signature=" in rec.requests[0].headers["authorization"]

        rec2 = Recorder(httpx.ConnectError("[Errno 111] Connection refused"))
        async with aclient(rec2) as c:
            with pytest.raises(e.TransportError) as info:
                await c.post("/x", content=b"1")
        assert info.value.cause_code == "tcp.refused"
        assert len(rec2.requests) == 3

        rec3 = Recorder(httpx.Response(429, json={"message": "Too Many Requests"}, headers=APIGW))
        async with aclient(rec3, retries=None) as c:
            with pytest.raises(e.ThrottledError):
                await c.get("/", raise_for_status=True)
            with pytest.raises(e.RequestTooLargeError):
                await c.post("/", content=b"x" * (MAX_BODY_BYTES + 1))
            assert c.build_request("GET", "x").url.path == "/prod/x"

    asyncio.run(run())


def test_relative_path_with_url_in_query_is_not_absolute() -> None:
    rec = Recorder(httpx.Response(200))
    with client(rec) as c:
        c.get("/items?r=https://x/y")
    assert rec.requests[0].url.path == "/prod/items"
    assert rec.requests[0].url.host == API_HOST
