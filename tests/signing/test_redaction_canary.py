"""Canary secrets: plant a secret key and session token, then search every output for them.

Searched: reprs/str of every public object, all log records (DEBUG, every logger),
exception text, and the signature value itself.
"""

from __future__ import annotations

import logging

import httpx
import pytest
from loopback_verifier import SECRETS, verifier

from privateapi._auth import SigV4Auth
from privateapi._client import Client, RetryPolicy
from privateapi._credentials import Credentials, CredentialSource, resolve_credentials
from privateapi._errors import CredentialsError, SignatureMismatchError, classify
from privateapi._targets import InvokeTarget

KEY = "AKIDCANARY000001"
SECRET = "CANARY/SECRET+wJalrXUtnFEMIK7MDENGbPxRfiCY"
TOKEN = "CANARYTOKEN//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWs"
API_HOST = "abcde12345.execute-api.us-east-1.amazonaws.com"


def _clean(text: str, *extra: str) -> None:
    for canary in (SECRET, TOKEN, *extra):
        assert canary not in text, f"secret leaked: {canary[:12]}…"


def test_reprs_hide_secrets() -> None:
    creds = Credentials(KEY, SECRET, TOKEN)
    source = resolve_credentials(creds)
    auth = SigV4Auth(creds, region="us-east-1", record=True)
    request = httpx.Request("GET", f"https://{API_HOST}/prod/x")
    auth.sign_request(request)
    signature = request.headers["authorization"].rsplit("=", 1)[1]
    details = auth.last_signing
    assert details is not None
    target = InvokeTarget.private_dns("abcde12345", "us-east-1", "prod")
    with Client(target, credentials=creds) as client:
        texts = [
            repr(creds),
            str(creds),
            repr(source),
            repr(auth),
            repr(details),
            str(details.canonical_request),
            details.string_to_sign,
            repr(client),
            repr(CredentialSource(creds)),
        ]
    for text in texts:
        _clean(text, signature)
    assert "x-amz-security-token:<redacted>" in details.canonical_request


def test_logs_and_exceptions_hide_secrets(caplog: pytest.LogCaptureFixture) -> None:
    SECRETS[KEY] = "not-the-secret"  # the verifier will compute another signature → 403
    caplog.set_level(logging.DEBUG)
    target = InvokeTarget.private_dns("abcde12345", "us-east-1", "prod")
    try:
        with verifier() as port:
            # plain HTTP loopback: use the client with a transport to 127.0.0.1
            transport = httpx.HTTPTransport()
            events = []
            with Client(
                target,
                credentials=(KEY, SECRET, TOKEN),
                transport=_Rewrite(transport, port),
                retries=RetryPolicy(
                    sleep=lambda _s: None, on_retry=events.append, statuses=frozenset({403})
                ),
            ) as client:
                response = client.get("/items?x=1")
                with pytest.raises(SignatureMismatchError) as info:
                    client.get("/items", raise_for_status=True)
    finally:
        del SECRETS[KEY]
    signature = response.request.headers["authorization"].rsplit("=", 1)[1]
    err = classify(response)
    assert isinstance(err, SignatureMismatchError)
    assert TOKEN in response.text  # the canary really was quoted back by the server
    _clean(str(err), signature)
    _clean(str(info.value), signature)
    _clean(repr(info.value))
    _clean(err.expected_canonical_request or "")
    assert "x-amz-security-token:<redacted>" in (err.expected_canonical_request or "")
    assert events
    _clean(caplog.text, signature)
    assert "sending GET" in caplog.text
    assert "retrying GET" in caplog.text


def test_credentials_errors_hide_secrets() -> None:
    class Broken:
        def get_frozen_credentials(self) -> object:
            raise RuntimeError(f"refresh failed for {SECRET} / {TOKEN}")

    with pytest.raises(CredentialsError) as info:
        resolve_credentials(Broken()).snapshot()  # type: ignore[arg-type]
    _clean(str(info.value))
    _clean(repr(info.value))
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


class _Rewrite(httpx.BaseTransport):
    """Send to the loopback HTTP verifier while the URL names the API (test only)."""

    def __init__(self, inner: httpx.HTTPTransport, port: int) -> None:
        self.inner = inner
        self.port = port

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
