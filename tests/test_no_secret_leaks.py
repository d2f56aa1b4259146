"""Secrets never leak: canary credentials through every output privateapi produces.

A local gateway (loopback only) accepts canary credentials. Every path that prints,
logs, raises or reports is exercised (``invoke -v``, ``doctor -v --json``, signature
mismatches where API Gateway quotes the canonical request, retries at DEBUG, the
requests adapter, reprs) and each output is searched for the secret key, the session
token and every signature that was sent.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import privateapi
from privateapi import Client, PrivateApiError, RetryPolicy
from privateapi._credentials import resolve_credentials
from privateapi._errors import scrub
from privateapi._signing import SigV4Auth
from privateapi.testing import LabRequest, LocalGateway, Route
from privateapi_cli.main import main

KEY = "ASIACANARYKEYID00001"
SECRET = "CANARYSECRETwJalrXUtnFEMIK7MDENGbPxRfiCY"
TOKEN = "CANARYTOKENIQoJb3JpZ2luX2VjEXAMPLEtoken"
WRONG = "WRONGCANARYSECRETwJalrXUtnFEMIK7MDENGbP"


@dataclasses.dataclass
class Lab:
    gw: LocalGateway
    api_id: str
    url: str
    connect: str
    resolver: str
    port: int
    ca: str


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    def sig(request: LabRequest) -> dict[str, Any]:
        return {"ok": True}

    with LocalGateway() as gw:
        gw.add_credentials(KEY, SECRET, session_token=TOKEN)
        endpoint = gw.endpoint()
        api = gw.add_api(
            routes=[
                Route.handler("GET", "/sig", sig),
                Route.static("GET", "/boom", 503, json={"message": "Service Unavailable"}),
                # no routes for the rest: the default echo answers, quoting the headers
            ],
            authorization="AWS_IAM",
            endpoints=[endpoint.id],
        )
        echo = gw.add_api(authorization="AWS_IAM", endpoints=[endpoint.id])
        target = gw.target(echo.id, "private_dns")
        yield Lab(
            gw=gw,
            api_id=api.id,
            url=target.base_url,
            connect=f"{target.connect_host}:{target.connect_port}",
            resolver=f"{gw.resolver[0]}:{gw.resolver[1]}",
            port=target.connect_port,
            ca=str(gw.ca_bundle),
        )


@pytest.fixture
def signatures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every signature privateapi's signer puts on a request during the test."""
    sent: list[str] = []
    original = SigV4Auth.sign_request

    def recording(self: SigV4Auth, request: httpx.Request, credentials: Any = None) -> None:
        original(self, request, credentials)
        sent.append(request.headers["authorization"].rsplit("Signature=", 1)[1])

    monkeypatch.setattr(SigV4Auth, "sign_request", recording)
    return sent


@pytest.fixture
def canary_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def _all_log_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


def assert_clean(label: str, text: str, signatures: list[str] = ()) -> None:  # type: ignore[assignment]
    for canary in (SECRET, TOKEN, WRONG):
        assert canary not in text, f"{label}: {canary[:12]}... leaked"
    for sig in signatures:
        assert sig not in text, f"{label}: a signature leaked"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out + "\n" + err


def _invoke(lab: Lab, path: str, *extra: str) -> list[str]:
    return ["invoke", lab.url + path, "--connect-to", lab.connect, "--ca-bundle", lab.ca, *extra]


def _doctor(lab: Lab, *extra: str) -> list[str]:
    return [
        *("doctor", lab.url, "--no-aws", "--resolver", lab.resolver, "--no-system-resolver"),
        *("--ca-bundle", lab.ca, "--port", str(lab.port), "--timeout", "2", *extra),
    ]


CLI_CASES = [
    ("invoke -v echo", lambda lab: _invoke(lab, "/pets", "-v", "-i"), 0),
    ("invoke -v POST echo", lambda lab: _invoke(lab, "/pets", "-v", "-d", "hi"), 0),
    ("invoke echo", lambda lab: _invoke(lab, "/pets"), 0),
    ("doctor -v --json", lambda lab: _doctor(lab, "-v", "--json"), 0),
    ("doctor -v", lambda lab: _doctor(lab, "-v"), 0),
]


@pytest.mark.usefixtures("canary_env")
@pytest.mark.parametrize(("label", "argv", "code"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_output_and_logs_hold_no_secret(
    lab: Lab,
    label: str,
    argv: Any,
    code: int,
    signatures: list[str],
    debug_logs: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    got, text = _run(argv(lab), capsys)
    assert got == code, text
    assert signatures, "the request was not signed"
    assert_clean(label, text, signatures)
    assert_clean(f"{label} logs", _all_log_text(debug_logs), signatures)


MISMATCH_CASES = [
    ("invoke -v -i mismatch", lambda lab: _invoke(lab, "/pets", "-v", "-i")),
    ("invoke mismatch", lambda lab: _invoke(lab, "/pets")),
    ("doctor -v --json mismatch", lambda lab: _doctor(lab, "-v", "--json")),
    ("doctor -v mismatch", lambda lab: _doctor(lab, "-v")),
]


@pytest.mark.usefixtures("canary_env")
@pytest.mark.parametrize(("label", "argv"), MISMATCH_CASES, ids=[c[0] for c in MISMATCH_CASES])
def test_signature_mismatch_echo_is_scrubbed(
    lab: Lab,
    label: str,
    argv: Any,
    signatures: list[str],
    debug_logs: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A wrong secret: API Gateway answers 403 quoting the canonical request (token included).
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", WRONG)
    got, text = _run(argv(lab), capsys)
    assert got == 1, text
    assert "signature" in text.lower()
    assert signatures
    assert_clean(label, text, signatures)
    assert_clean(f"{label} logs", _all_log_text(debug_logs), signatures)


def test_the_gateway_really_quotes_the_token(lab: Lab) -> None:
    """The premise of the mismatch tests: the raw 403 body does hold the token."""
    wrong = lab.gw.add_credentials("ASIACANARYKEYID00002", WRONG, session_token=TOKEN)
    bad = dataclasses.replace(wrong, secret_access_key=WRONG + "x")
    with lab.gw.client(lab.api_id, credentials=bad) as client:
        response = client.get("/sig")
    assert response.status_code == 403
    assert TOKEN in response.text
    assert TOKEN not in scrub(response.text)


def test_client_errors_reprs_and_debug_logs_hold_no_secret(
    lab: Lab, signatures: list[str], debug_logs: pytest.LogCaptureFixture
) -> None:
    texts: list[str] = []
    creds = (KEY, SECRET, TOKEN)
    with lab.gw.client(lab.api_id, credentials=True) as c0:
        target = c0.target
    verify = lab.ca
    with Client(
        target, credentials=creds, verify=verify, retries=RetryPolicy(max_attempts=3)
    ) as client:
        texts += [repr(client), str(client), repr(client.auth), str(client.auth)]
        assert client.get("/sig").status_code == 200
        assert client.auth is not None
        texts.append(repr(client.auth.last_signing))
        with pytest.raises(PrivateApiError) as info:
            client.get("/boom", raise_for_status=True)  # retried at DEBUG, then raised
        texts += [str(info.value), repr(info.value), str(info.value.hint)]
    with Client(target, credentials=(KEY, WRONG, TOKEN), verify=verify, retries=None) as client:
        with pytest.raises(privateapi.SignatureMismatchError) as mismatch:
            client.get("/sig", raise_for_status=True)
        err = mismatch.value
        texts += [str(err), repr(err), str(err.expected_canonical_request), err.message]
    source = resolve_credentials(creds)
    texts += [repr(source), str(source), repr(source.snapshot()), str(source.snapshot())]
    assert len(signatures) >= 4  # /sig, three attempts at /boom, the mismatch
    for i, text in enumerate(texts):
        assert_clean(f"text {i}", text, signatures)
    assert_clean("debug logs", _all_log_text(debug_logs), signatures)


def test_requests_adapter_errors_and_logs_hold_no_secret(
    lab: Lab, debug_logs: pytest.LogCaptureFixture
) -> None:
    from privateapi.requests import raise_for_status, session

    with lab.gw.client(lab.api_id) as c0:
        target = c0.target
    sent: list[str] = []
    texts: list[str] = []
    for secret in (SECRET, WRONG):
        s = session(target, credentials=(KEY, secret, TOKEN), verify=lab.ca)
        texts += [repr(s.auth)]
        for path in ("/sig", "/boom"):
            response = s.get(path)
            sent.append(response.request.headers["Authorization"].rsplit("Signature=", 1)[1])
            if response.status_code >= 400:
                with pytest.raises(PrivateApiError) as info:
                    raise_for_status(response)
                texts += [str(info.value), repr(info.value)]
    assert len(texts) == 8  # two reprs, three error answers (503, 403, 403) twice each
    for i, text in enumerate(texts):
        assert_clean(f"requests text {i}", text, sent)
    assert_clean("requests debug logs", _all_log_text(debug_logs), sent)


def test_gateway_describe_and_log_hold_no_secret(lab: Lab) -> None:
    described = json.dumps(lab.gw.describe(), default=str)
    assert KEY in described  # the key id is shown, the secret is not
    assert_clean("describe", described)
    assert_clean("request log", repr(lab.gw.request_log))
    assert SECRET in json.dumps(lab.gw.describe(show_secrets=True), default=str)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("x-amz-security-token:" + TOKEN + "\nhost:x", TOKEN),
        ("X-Amz-Security-Token=" + TOKEN + "&a=b", TOKEN),
        ('{"x-amz-security-token": "' + TOKEN + '", "a": 1}', TOKEN),
        ('{"X-Amz-Security-Token":"' + TOKEN + '"}', TOKEN),
        ("Authorization: AWS4-HMAC-SHA256 Credential=K/x, Signature=" + "ab12" * 16, "ab12" * 16),
        ('"authorization": "AWS4-HMAC-SHA256 Signature=' + "cd34" * 16 + '"', "cd34" * 16),
    ],
)
def test_scrub_redacts_every_quoted_form(text: str, secret: str) -> None:
    assert secret in text
    assert secret not in scrub(text)
