"""The six private-API scenarios of signing.md §2 against a loopback verifying server."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator

import httpx
import pytest
import trustme
from loopback_verifier import verifier

from privateapi._auth import SigV4Auth
from privateapi._client import Client
from privateapi._targets import InvokeTarget

API_HOST = "abcde12345.execute-api.us-east-1.amazonaws.com"
VPCE_HOST = "vpce-01234567abcdef012-01234567.execute-api.us-east-1.vpce.amazonaws.com"
CREDS = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "canary-session-token")


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with verifier() as p:
        yield p


SCENARIOS = {
    "A-get-host-override": ("GET", "/prod/items", {"Host": API_HOST}, None),
    "B-get-x-apigw-api-id": (
        "GET",
        "/prod/items",
        {"Host": VPCE_HOST, "x-apigw-api-id": "abcde12345"},
        None,
    ),
    "C-query-comma-colon-slash": (
        "GET",
        "/prod/items?tags=a,b&q=x:y&r=https://x/y",
        {"Host": API_HOST},
        None,
    ),
    "D-path-escape-and-colon": ("GET", "/prod/users/a%20b:c/a%2Fb", {"Host": API_HOST}, None),
    "E-pre-encoded-value": ("GET", "/prod/items?token=abc%3D%3D", {"Host": API_HOST}, None),
    "F-post-1k-json": (
        "POST",
        "/prod/items",
        {"Host": API_HOST, "Content-Type": "application/json"},
        json.dumps({"pad": "x" * 1000}).encode()[:1024],
    ),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_passes_the_verifier(name: str, port: int) -> None:
    method, target, headers, body = SCENARIOS[name]
    auth = SigV4Auth(CREDS, region="us-east-1")
    with httpx.Client(auth=auth) as client:
        r = client.request(
            method, f"http://127.0.0.1:{port}{target}", headers=headers, content=body
        )
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["host"] == headers["Host"]
    assert "x-amz-security-token" in seen["signed"].split(";")
    if "x-apigw-api-id" in headers:
        assert seen["api_id"] == "abcde12345"
        assert "x-apigw-api-id" in seen["signed"].split(";")
    if body:
        assert seen["body_len"] == str(len(body))


def test_verifier_rejects_a_wrong_host(port: int) -> None:
    # Proof the verifier can fail: sign one Host, send another.
    auth = SigV4Auth(CREDS, region="us-east-1")
    request = httpx.Request(
        "GET", f"http://127.0.0.1:{port}/prod/items", headers={"Host": API_HOST}
    )
    auth.sign_request(request)
    request.headers["Host"] = VPCE_HOST
    with httpx.Client() as client:
        r = client.send(request)
    assert r.status_code == 403
    assert "Canonical String" in r.json()["message"]


def test_params_with_plus_and_space_pass(port: int) -> None:
    # httpx encodes a params space as '+'; the signer sends %20 instead and signs that.
    auth = SigV4Auth(CREDS, region="us-east-1")
    with httpx.Client(auth=auth) as client:
        r = client.get(
            f"http://127.0.0.1:{port}/prod/items",
            params={"q": "a b+c", "e": ""},
            headers={"Host": API_HOST},
        )
    assert r.status_code == 200, r.text
    assert "+" not in r.json()["target"].partition("?")[2].replace("%2B", "")


# -- the same six scenarios through privateapi.Client over TLS, connecting to 127.0.0.1 ----


@pytest.fixture(scope="module")
def tls_port() -> Iterator[tuple[int, ssl.SSLContext]]:
    ca = trustme.CA()
    cert = ca.issue_cert(
        "*.execute-api.us-east-1.amazonaws.com", "*.execute-api.us-east-1.vpce.amazonaws.com"
    )
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    with verifier(server_ctx) as p:
        yield p, client_ctx


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_through_client(name: str, tls_port: tuple[int, ssl.SSLContext]) -> None:
    port, ctx = tls_port
    method, target_path, headers, body = SCENARIOS[name]
    if "x-apigw-api-id" in headers:
        target = InvokeTarget.api_id_header("abcde12345", "us-east-1", "prod", vpce_dns=VPCE_HOST)
    else:
        target = InvokeTarget.host_header("abcde12345", "us-east-1", "prod", vpce_dns=VPCE_HOST)
    extra = {k: v for k, v in headers.items() if k not in ("Host", "x-apigw-api-id")}
    with Client(
        target, credentials=CREDS, verify=ctx, connect_to=f"127.0.0.1:{port}", retries=None
    ) as client:
        r = client.request(method, target_path.removeprefix("/prod"), headers=extra, content=body)
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["host"] == headers["Host"]
    assert seen["target"].startswith("/prod/")
