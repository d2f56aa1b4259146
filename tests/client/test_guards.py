"""Refused before sending: API Gateway's request-head quota and its method-ARN limit.

The expected sizes are computed here from AWS's own definitions (the request line plus
every header value; ``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{method}/{path}``),
not read back from the client.
"""

from __future__ import annotations

import logging
import ssl

import httpx
import pytest

from privateapi import _errors as e
from privateapi._client import MAX_METHOD_ARN_BYTES, MAX_REQUEST_HEAD_BYTES, Client
from privateapi._targets import InvokeTarget

API = "abcde12345"
CREDS = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
TARGET = InvokeTarget.private_dns(API, "us-east-1", "prod")


class Sent:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200)


def _client(sent: Sent, target: InvokeTarget = TARGET, **kw: object) -> Client:
    kw.setdefault("sign", False)
    return Client(target, transport=httpx.MockTransport(sent), retries=None, **kw)  # type: ignore[arg-type]


def _head_size(request: httpx.Request) -> int:
    line = f"{request.method} {request.url.raw_path.decode()} HTTP/1.1"
    return len(line) + sum(len(v) for _, v in request.headers.raw)


def test_request_line_plus_header_values_boundary() -> None:
    sent = Sent()
    with _client(sent) as c:
        probe = c.build_request("GET", "/items", headers={"x-pad": ""})
        room = MAX_REQUEST_HEAD_BYTES - _head_size(probe)
        c.get("/items", headers={"x-pad": "p" * room})  # exactly at the quota
        assert _head_size(sent.requests[-1]) == MAX_REQUEST_HEAD_BYTES
        with pytest.raises(e.RequestTooLargeError) as info:
            c.get("/items", headers={"x-pad": "p" * (room + 1)})
    assert len(sent.requests) == 1
    assert f"{MAX_REQUEST_HEAD_BYTES + 1} bytes" in str(info.value)
    assert "x-pad" in str(info.value)  # names the largest header
    assert info.value.cause_code == "http.request-too-large"


def test_many_small_headers_add_up() -> None:
    """Each value is small (the old per-value guard let this through); together too big."""
    sent = Sent()
    headers = {f"x-part-{i}": "v" * 600 for i in range(20)}
    with _client(sent) as c, pytest.raises(e.RequestTooLargeError, match="10240"):
        c.get("/", headers=headers)
    assert sent.requests == []


def test_the_signature_counts() -> None:
    """A request that fits unsigned but not with its signature and token is refused unsent."""
    sent = Sent()
    with _client(sent) as c:
        room = MAX_REQUEST_HEAD_BYTES - _head_size(c.build_request("GET", "/", headers={"x": ""}))
    with _client(sent, sign=True, credentials=CREDS) as c:
        with pytest.raises(e.RequestTooLargeError):
            c.get("/", headers={"x": "p" * (room - 10)})
        c.get("/", headers={"x": "p" * (room - 600)})
    assert len(sent.requests) == 1
    assert _head_size(sent.requests[0]) <= MAX_REQUEST_HEAD_BYTES
    assert "authorization" in sent.requests[0].headers


def _arn(path: str, method: str = "GET", stage: str = "prod") -> str:
    return f"arn:aws:execute-api:us-east-1:123456789012:{API}/{stage}/{method}/{path}"


def test_method_arn_boundary() -> None:
    sent = Sent()
    fits = "a" * (MAX_METHOD_ARN_BYTES - len(_arn("")))
    assert len(_arn(fits)) == MAX_METHOD_ARN_BYTES
    with _client(sent) as c:
        c.get(f"/{fits}", params={"q": "x" * 3000})  # the query is not part of the ARN
        with pytest.raises(e.RequestTooLargeError) as info:
            c.get(f"/{fits}b")
        c.post(f"/{fits[:-1]}")  # POST is one letter longer than GET
        with pytest.raises(e.RequestTooLargeError):
            c.delete(f"/{fits[:-1]}")
    assert [r.method for r in sent.requests] == ["GET", "POST"]
    text = str(info.value)
    assert str(MAX_METHOD_ARN_BYTES) in text and "414" in text
    assert f"{MAX_METHOD_ARN_BYTES + 1} bytes" in text


def test_method_arn_counts_the_decoded_path() -> None:
    """A percent-encoded path is longer on the wire than in the ARN (counted decoded)."""
    sent = Sent()
    with _client(sent) as c:
        c.get("/" + "%41" * 600)
        with pytest.raises(e.RequestTooLargeError):
            c.get("/" + "%41" * 1600)
    assert len(sent.requests) == 1


def test_method_arn_with_a_known_account_and_custom_domain_minimums() -> None:
    sent = Sent()
    target = InvokeTarget.private_dns(API, "us-east-1", "a-long-stage-name", account_id="1" * 12)
    fits = "p" * (MAX_METHOD_ARN_BYTES - len(_arn("", stage="a-long-stage-name")))
    with _client(sent, target) as c:
        c.get(f"/{fits}")
        with pytest.raises(e.RequestTooLargeError):
            c.get(f"/{fits}p")
    # A custom domain names no API or stage: counted at their shortest, never refused early.
    domain = InvokeTarget.custom_domain("api.example.com", base_path="v1", region="us-east-1")
    shortest = len("arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/s/GET/")
    with _client(sent, domain) as c:
        c.get("/" + "p" * (MAX_METHOD_ARN_BYTES - shortest))
        with pytest.raises(e.RequestTooLargeError):
            c.get("/" + "p" * (MAX_METHOD_ARN_BYTES - shortest + 1))
    assert len(sent.requests) == 2


@pytest.mark.parametrize(
    ("make", "warned"),
    [
        (lambda: False, "verify=False"),
        (lambda: _context(check_hostname=False, verify_mode=ssl.CERT_NONE), "CERT_NONE"),
        (lambda: _context(check_hostname=False), "check_hostname=False"),
        (ssl.create_default_context, None),
        (lambda: True, None),
    ],
)
def test_verification_switched_off_in_a_context_warns(
    caplog: pytest.LogCaptureFixture, make: object, warned: str | None
) -> None:
    with caplog.at_level(logging.WARNING, "privateapi.client"):
        Client(TARGET, sign=False, verify=make(), transport=httpx.MockTransport(Sent())).close()  # type: ignore[operator]
    if warned is None:
        assert "verification is OFF" not in caplog.text
    else:
        assert "verification is OFF" in caplog.text
        assert warned in caplog.text


def _context(*, check_hostname: bool, verify_mode: ssl.VerifyMode | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = check_hostname
    if verify_mode is not None:
        ctx.verify_mode = verify_mode
    return ctx


def test_method_arn_region_unknown_to_botocore_and_a_domain_without_base_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A signing region no partition claims counts as the shortest ("aws"); no base path
    means the whole path is the resource path."""
    monkeypatch.setenv("AWS_REGION", "zz-lab-1")
    sent = Sent()
    domain = InvokeTarget.custom_domain("api.example.com")
    arn = len("arn:aws:execute-api:zz-lab-1:123456789012:a1b2c3d4e5/s/GET/")
    with _client(sent, domain, sign=True, credentials=CREDS) as c:
        assert c.auth is not None and c.auth.region == "zz-lab-1"
        c.get("/" + "p" * (MAX_METHOD_ARN_BYTES - arn))
        with pytest.raises(e.RequestTooLargeError):
            c.get("/" + "p" * (MAX_METHOD_ARN_BYTES - arn + 1))
    assert len(sent.requests) == 1
