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

import pytest

import privateapi
from privateapi import Client, PrivateApiError, RetryPolicy
from privateapi._credentials import resolve_credentials
from privateapi._errors import scrub
from privateapi._signing import SignedParts, Signer
from privateapi.testing import LabRequest, LabResponse, LocalGateway, Route
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
    original = Signer.sign_parts

    # The core every signing path goes through (httpx's SigV4Auth and the doctor's probe).
    def recording(self: Signer, *args: Any, **kwargs: Any) -> SignedParts:
        parts = original(self, *args, **kwargs)
        authz = {low: value for _, low, value in parts.headers}[b"authorization"]
        sent.append(authz.decode().rsplit("Signature=", 1)[1])
        return parts

    monkeypatch.setattr(Signer, "sign_parts", recording)
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


# --------------------------------------------------------------------------------------
# The real CLI in a subprocess, against the local gateway, with canary credentials.
# --------------------------------------------------------------------------------------
#
# The canaries are built so a partial leak is caught too: the token holds two spaces
# (a scrubber stopping at the first one would leak the rest; a canonical request folds
# them into one), each of its halves is searched for on its own, and the secret key
# holds '/' and '+', so its percent-encoded and JSON forms differ from the raw one.

SUB_KEY = "ASIACANARYSUBPROC001"
SUB_SECRET = "CANARYsubSECRET/wJalrXUtnFEMI+K7MDENGbPx"
SUB_TOKEN = "CANARYsubTOKENhalfONE//wEXAMPLE  CANARYsubTOKENhalfTWO+Zz=="
SUB_WRONG = "WRONGsubSECRET/wJalrXUtnFEMI+K7MDENGbPxy"


def _canary_forms() -> dict[str, str]:
    import base64
    from urllib.parse import quote

    forms: dict[str, str] = {}
    for label, value in (("secret", SUB_SECRET), ("token", SUB_TOKEN), ("wrong", SUB_WRONG)):
        forms[label] = value
        forms[f"{label} %-encoded"] = quote(value, safe="")
        forms[f"{label} json"] = json.dumps(value)[1:-1]
        forms[f"{label} base64"] = base64.b64encode(value.encode()).decode()
    for i, half in enumerate(SUB_TOKEN.split()):
        forms[f"token half {i}"] = half
        forms[f"token half {i} %-encoded"] = quote(half, safe="")
    forms["token folded"] = " ".join(SUB_TOKEN.split())
    return forms


def _leaks(text: str, signatures: list[str]) -> list[str]:
    found = [label for label, form in _canary_forms().items() if form in text]
    found += [f"signature {s[:8]}…" for s in signatures if s in text]
    return found


# What a user's backend may echo (an API Gateway Lambda-proxy event; a debug endpoint),
# in the forms seen leaking: a JSON list (multiValueHeaders), a Python tuple repr, a
# percent-encoded URL, an STS-style document, the secret key itself.
def _lambda_proxy_echo(request: LabRequest) -> dict[str, Any]:
    headers = dict(request.headers)
    return {
        "resource": "/{proxy+}",
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in request.headers},
        "body": request.body.decode("utf-8", "replace"),
    }


def _debug_forms(request: LabRequest) -> LabResponse:
    from urllib.parse import quote

    token = request.header("x-amz-security-token") or ""
    lines = [
        repr(list(request.headers)),
        "next=" + quote(f"https://x/y?X-Amz-Security-Token={token}&z=1", safe=""),
        f"SessionToken={token}",
        f"AWS_SECRET_ACCESS_KEY={SUB_SECRET}",
        json.dumps({"Credentials": {"SecretAccessKey": SUB_SECRET, "SessionToken": token}}),
        json.dumps({"pretty": {"x-amz-security-token": [token]}}, indent=2),
        f"echo: {SUB_SECRET} {token}",
    ]
    return LabResponse(200, "\n".join(lines), {"content-type": "text/plain"})


def _reflect(request: LabRequest) -> LabResponse:
    token = request.header("x-amz-security-token") or ""
    return LabResponse(
        200,
        json={"ok": True},
        headers={
            "x-amz-security-token": token,
            "x-echo-token": token,
            "x-echo-secret": SUB_SECRET,
            "x-echo-query": f"X-Amz-Security-Token={token}",
        },
    )


def _failing_echo(request: LabRequest) -> LabResponse:
    token = request.header("x-amz-security-token") or ""
    return LabResponse(502, json={"message": f"backend saw token {token} and secret {SUB_SECRET}"})


@pytest.fixture(scope="module")
def sub_lab() -> Iterator[Lab]:
    with LocalGateway() as gw:
        gw.add_credentials(SUB_KEY, SUB_SECRET, session_token=SUB_TOKEN)
        endpoint = gw.endpoint()
        api = gw.add_api(
            routes=[
                Route.handler("ANY", "/lambda", _lambda_proxy_echo),
                Route.handler("ANY", "/forms", _debug_forms),
                Route.handler("ANY", "/reflect", _reflect),
                Route.handler("ANY", "/fail", _failing_echo),
                Route.handler("ANY", "/", _lambda_proxy_echo),
            ],
            authorization="AWS_IAM",
            endpoints=[endpoint.id],
        )
        target = gw.target(api.id, "private_dns")
        yield Lab(
            gw=gw,
            api_id=api.id,
            url=target.base_url,
            connect=f"{target.connect_host}:{target.connect_port}",
            resolver=f"{gw.resolver[0]}:{gw.resolver[1]}",
            port=target.connect_port,
            ca=str(gw.ca_bundle),
        )


# The real CLI entry point, with every signature it sends written to a file: the
# only way to know, from outside, which signatures must never be printed.
_BOOT = """
import os, runpy, sys
import privateapi._signing as s
original = s.Signer.sign_parts
def recording(self, *args, **kwargs):
    parts = original(self, *args, **kwargs)
    authz = dict((k, v) for _, k, v in parts.headers)[b"authorization"].decode()
    with open(os.environ["CANARY_SIGNATURES"], "a") as f:
        f.write(authz.rsplit("Signature=", 1)[1] + "\\n")
    return parts
s.Signer.sign_parts = recording
sys.argv = ["privateapi", *sys.argv[1:]]
runpy.run_module("privateapi_cli", run_name="__main__")
"""


def _subprocess(
    argv: list[str], tmp_path: Any, *, secret: str = SUB_SECRET, token: str = SUB_TOKEN
) -> tuple[int, str, list[str]]:
    import os
    import subprocess
    import sys

    sigs = tmp_path / "signatures.txt"
    sigs.write_text("")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": SUB_KEY,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_SESSION_TOKEN": token,
        "CANARY_SIGNATURES": str(sigs),
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-c", _BOOT, *argv],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return proc.returncode, proc.stdout + "\n" + proc.stderr, sigs.read_text().split()


SUB_CASES: list[tuple[str, Any, int]] = [
    ("invoke lambda echo", lambda lab: _invoke(lab, "/lambda"), 0),
    (
        "invoke -v -i lambda echo POST",
        lambda lab: _invoke(lab, "/lambda", "-v", "-i", "-d", "hi"),
        0,
    ),
    ("invoke debug forms", lambda lab: _invoke(lab, "/forms"), 0),
    ("invoke -v -i reflected headers", lambda lab: _invoke(lab, "/reflect", "-v", "-i"), 0),
    ("invoke -i reflected headers", lambda lab: _invoke(lab, "/reflect", "-i"), 0),
    ("invoke backend error", lambda lab: _invoke(lab, "/fail", "-v"), 1),
    ("doctor", lambda lab: _doctor(lab, "--path", "/forms"), 0),
    ("doctor -v", lambda lab: _doctor(lab, "-v", "--path", "/lambda"), 0),
    ("doctor -v --json", lambda lab: _doctor(lab, "-v", "--json", "--path", "/forms"), 0),
    ("doctor --json backend error", lambda lab: _doctor(lab, "--json", "--path", "/fail"), 1),
]


@pytest.mark.parametrize(("label", "argv", "code"), SUB_CASES, ids=[c[0] for c in SUB_CASES])
def test_cli_subprocess_prints_no_secret(
    sub_lab: Lab, tmp_path: Any, label: str, argv: Any, code: int
) -> None:
    got, text, sigs = _subprocess(argv(sub_lab), tmp_path)
    assert sigs, f"{label}: nothing was signed\n{text}"
    assert _leaks(text, sigs) == [], f"{label}: {_leaks(text, sigs)}\n{text}"
    assert got == code, text


MISMATCH_SUB_CASES: list[tuple[str, Any]] = [
    ("invoke -v -i mismatch", lambda lab: _invoke(lab, "/lambda", "-v", "-i")),
    ("invoke mismatch", lambda lab: _invoke(lab, "/lambda")),
    ("doctor -v mismatch", lambda lab: _doctor(lab, "-v")),
    ("doctor -v --json mismatch", lambda lab: _doctor(lab, "-v", "--json")),
]


@pytest.mark.parametrize(
    ("label", "argv"), MISMATCH_SUB_CASES, ids=[c[0] for c in MISMATCH_SUB_CASES]
)
def test_cli_subprocess_mismatch_prints_no_secret(
    sub_lab: Lab, tmp_path: Any, label: str, argv: Any
) -> None:
    # A wrong secret: the gateway's 403 quotes the canonical request, folded token included.
    got, text, sigs = _subprocess(argv(sub_lab), tmp_path, secret=SUB_WRONG)
    assert sigs and "signature" in text.lower(), text
    assert _leaks(text, sigs) == [], f"{label}: {_leaks(text, sigs)}\n{text}"
    assert got == 1, text


@pytest.mark.parametrize("bad", ["\n", " ", "\t\x01"])
def test_cli_subprocess_refuses_a_malformed_token_without_echoing_it(
    sub_lab: Lab, tmp_path: Any, bad: str
) -> None:
    got, text, sigs = _subprocess(
        _invoke(sub_lab, "/lambda", "-v"), tmp_path, token=SUB_TOKEN + bad
    )
    assert sigs == []  # refused before signing, so nothing was sent (or retried)
    assert "CredentialsError" in text and "session token" in text, text
    assert "Traceback" not in text and "retrying" not in text
    assert _leaks(text, sigs) == [], text
    assert got == 1, text


LAB_CONFIG = f"""
[[endpoints]]
name = "main"

[[credentials]]
access_key_id = "{SUB_KEY}"
secret_access_key = "{SUB_SECRET}"
session_token = "{SUB_TOKEN}"

[[apis]]
endpoints = ["main"]
"""


@pytest.mark.parametrize("mode", [[], ["--json"]], ids=["text", "json"])
def test_lab_subprocess_prints_no_secret_unless_asked(tmp_path: Any, mode: list[str]) -> None:
    config = tmp_path / "lab.toml"
    config.write_text(LAB_CONFIG)
    argv = ["lab", "--config", str(config), "--port", "0", "--run-for", "0", *mode]
    code, text, _ = _subprocess(argv, tmp_path)
    assert code == 0, text
    assert SUB_KEY in text  # the key id is shown, so the credentials were printed
    assert _leaks(text, []) == [], text
    code, shown, _ = _subprocess([*argv, "--show-secrets"], tmp_path)
    assert code == 0 and SUB_SECRET in shown and SUB_TOKEN in shown  # the premise


def test_client_errors_and_debug_log_hold_no_canary_form(
    sub_lab: Lab, signatures: list[str], debug_logs: pytest.LogCaptureFixture
) -> None:
    with sub_lab.gw.client(sub_lab.api_id, credentials=False) as c0:
        target = c0.target
    texts: list[str] = []
    creds = (SUB_KEY, SUB_SECRET, SUB_TOKEN)
    with Client(target, credentials=creds, verify=sub_lab.ca, retries=None) as client:
        for path in ("/fail", "/forms", "/lambda"):
            response = client.get(path)
            if response.status_code >= 400:
                with pytest.raises(PrivateApiError) as info:
                    client.get(path, raise_for_status=True)
                texts += [str(info.value), repr(info.value), info.value.args[0]]
            texts.append(privateapi.redact(response.text))
    with Client(target, credentials=(SUB_KEY, SUB_WRONG, SUB_TOKEN), verify=sub_lab.ca) as client:
        with pytest.raises(privateapi.SignatureMismatchError) as mismatch:
            client.get("/lambda", raise_for_status=True)
        err = mismatch.value
        texts += [str(err), repr(err), err.expected_canonical_request or "", err.message]
    assert len(texts) == 10 and len(signatures) >= 5
    assert "backend saw token" in texts[0]  # the 502's message is kept, minus the secrets
    for i, text in enumerate(texts):
        assert _leaks(text, signatures) == [], (i, text)
    assert _leaks(_all_log_text(debug_logs), signatures) == []


def test_a_malformed_token_is_refused_before_sending_once(
    sub_lab: Lab, debug_logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sub_lab.gw.client(sub_lab.api_id, credentials=False) as c0:
        target = c0.target
    retries: list[Any] = []
    before = len(sub_lab.gw.request_log)
    policy = RetryPolicy(max_attempts=3, sleep=lambda _s: None, on_retry=retries.append)
    texts = []
    for bad in (SUB_TOKEN + "\n", " " + SUB_TOKEN, SUB_TOKEN[:9] + "\r" + SUB_TOKEN[9:]):
        # Static credentials: refused when the client is built.
        with pytest.raises(privateapi.CredentialsError) as info:
            Client(target, credentials=(SUB_KEY, SUB_SECRET, bad), verify=sub_lab.ca)
        texts.append(f"{info.value} {info.value!r}")
        # botocore's chain (here the environment): refused at the first request, not retried.
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", SUB_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SUB_SECRET)
        monkeypatch.setenv("AWS_SESSION_TOKEN", bad)
        with (
            Client(target, verify=sub_lab.ca, retries=policy) as client,
            pytest.raises(privateapi.CredentialsError) as info,
        ):
            client.get("/lambda")
        texts.append(f"{info.value} {info.value!r}")
        assert "'env' provider" in str(info.value)
    for text in texts:
        assert "session token" in text
        assert _leaks(text, []) == [], text
    assert retries == []
    assert len(sub_lab.gw.request_log) == before  # nothing reached the gateway
    assert _leaks(_all_log_text(debug_logs), []) == []
