"""The gateway's SigV4 verifier accepts privateapi's signer and refuses tampered requests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from lab_helpers import raw_client

import privateapi
from privateapi._auth import SigV4Auth
from privateapi.testing import GatewayCredentials, LocalGateway, Route
from privateapi.testing._answers import Answer
from privateapi.testing._sigv4 import Verified, verify

REGION = "us-east-1"


@pytest.fixture(scope="module")
def lab() -> Iterator[LocalGateway]:
    with LocalGateway(REGION) as gw:
        gw.add_api("a1b2c3d4e5", authorization="AWS_IAM", endpoints=[gw.endpoint().id])
        gw.add_api("b1b2c3d4e5", authorization="AWS_IAM")
        yield gw


def auth(gw: LocalGateway) -> SigV4Auth:
    return SigV4Auth(gw.credentials.as_tuple(), region=REGION)


@pytest.mark.parametrize("style", ["private_dns", "vpce_alias", "host_header", "api_id_header"])
def test_signed_requests_accepted_in_every_style(lab: LocalGateway, style: str) -> None:
    t = lab.target("a1b2c3d4e5", style)
    with raw_client(lab, t, auth=auth(lab)) as c:
        assert c.get("/pets/1", params={"q": "a b,c:d/e", "z": "", "a": "1"}).status_code == 200
        assert c.post("/pets", json={"name": "x" * 1000}).status_code == 200
        assert c.get("/a%2Fb/%20c").status_code == 200
        r = c.put("/pets/1", content=b"\x00\x01binary")
        assert r.status_code == 200
        assert r.json()["principal"] == lab.credentials.arn
        # the SigV4 Authorization header is not forwarded to the integration
        assert "authorization" not in r.json()["headers"]


def _signed(
    lab: LocalGateway,
    c: httpx.Client,
    method: str = "POST",
    path: str = "/pets",
    body: bytes = b'{"a":1}',
) -> httpx.Request:
    request = c.build_request(
        method, path, content=body, headers={"content-type": "application/json"}
    )
    auth(lab).sign_request(request)
    return request


def _resend(c: httpx.Client, request: httpx.Request, **changes: object) -> httpx.Response:
    url = changes.get("url", request.url)
    headers = httpx.Headers(request.headers)
    for k, v in dict(changes.get("headers", {})).items():  # type: ignore[call-overload]
        headers[k] = v
    content = changes.get("content", request.content)
    return c.send(httpx.Request(request.method, url, headers=headers, content=content))  # type: ignore[arg-type]


def test_untampered_resend_is_accepted(lab: LocalGateway) -> None:
    with raw_client(lab, lab.target("a1b2c3d4e5")) as c:
        request = _signed(lab, c)
        assert _resend(c, request).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"url": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/other"},
        {"url": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/pets?x=1"},
        {"headers": {"content-type": "text/plain"}},
        {"headers": {"x-amz-date": "20300101T000000Z"}},
        {"content": b'{"a":2}'},
        {"headers": {"host": "b1b2c3d4e5.execute-api.us-east-1.amazonaws.com"}},
    ],
    ids=["path", "query", "signed-header", "date", "body", "host"],
)
def test_tampered_requests_refused(lab: LocalGateway, change: dict[str, object]) -> None:
    with raw_client(lab, lab.target("a1b2c3d4e5")) as c:
        request = _signed(lab, c)
        assert "content-type" in request.headers["authorization"]
        r = _resend(c, request, **change)
    assert r.status_code == 403
    err = privateapi.classify(r)
    assert err is not None
    assert err.cause_code in ("http.signature-mismatch", "http.clock-skew")


def test_unsigned_header_change_is_accepted(lab: LocalGateway) -> None:
    with raw_client(lab, lab.target("a1b2c3d4e5")) as c:
        request = _signed(lab, c)
        assert _resend(c, request, headers={"user-agent": "changed/1.0"}).status_code == 200


# -- the verifier on its own ----------------------------------------------------------------------

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
AMZ = NOW.strftime("%Y%m%dT%H%M%SZ")
CREDS = {"AKID": GatewayCredentials("AKID", "secret")}


def run(authorization: str, headers: list[tuple[str, str]] | None = None) -> Verified | Answer:
    hdrs = [
        ("Host", "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"),
        ("Authorization", authorization),
    ]
    hdrs += headers if headers is not None else [("X-Amz-Date", AMZ)]
    return verify(
        method="GET",
        raw_path="/prod",
        raw_query="",
        headers=hdrs,
        body=b"",
        region=REGION,
        credentials=CREDS,
        now=NOW,
    )


def message(result: Verified | Answer) -> str:
    assert isinstance(result, Answer)
    import json

    return str(json.loads(result.body)["message"])


def cred(scope: str = f"AKID/{AMZ[:8]}/us-east-1/execute-api/aws4_request") -> str:
    return f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature=00"


def test_verifier_scope_errors() -> None:
    assert "valid region, not 'us-west-2'" in message(
        run(cred(f"AKID/{AMZ[:8]}/us-west-2/execute-api/aws4_request"))
    )
    assert "correct service: 'execute-api'" in message(
        run(cred(f"AKID/{AMZ[:8]}/us-east-1/s3/aws4_request"))
    )
    assert "valid terminator" in message(run(cred(f"AKID/{AMZ[:8]}/us-east-1/execute-api/x")))
    assert "does not match YYYYMMDD" in message(
        run(cred("AKID/20200101/us-east-1/execute-api/aws4_request"))
    )
    assert "valid region" in message(run(cred("AKID")))
    no_host = cred().replace("host;x-amz-date", "x-amz-date")
    assert "must be a 'SignedHeader'" in message(run(no_host))


def test_verifier_incomplete_and_dates() -> None:
    m = message(run("AWS4-HMAC-SHA256 Credential=AKID/x"))
    assert "requires 'Signature' parameter" in m
    assert "requires 'SignedHeaders' parameter" in m
    assert "'X-Amz-Date' or a 'Date' header" in message(run(cred(), headers=[]))
    assert "ISO-8601 'basic format'" in message(run(cred(), headers=[("X-Amz-Date", "yesterday")]))
    assert "ISO-8601 'basic format'" in message(run(cred(), headers=[("Date", "not a date")]))
    # the Date header works when X-Amz-Date is absent (signature still wrong here)
    r = run(cred(), headers=[("Date", "Fri, 02 Jan 2026 03:04:05 GMT")])
    assert isinstance(r, Answer)
    assert r.cause == "http.signature-mismatch"


def test_credentials_helpers() -> None:
    c = GatewayCredentials(
        "AKID", "secret", "tok", arn="arn:aws:sts::111122223333:assumed-role/R/s"
    )
    assert c.account_id == "111122223333"
    assert c.as_tuple() == ("AKID", "secret", "tok")
    assert c.to_dict()["secret_access_key"] == "<redacted>"
    assert c.to_dict(show_secrets=True)["session_token"] == "tok"
    assert "secret" not in repr(c)
    assert GatewayCredentials("A", "s", arn="bogus").account_id == ""


def test_route_iam_with_session_credentials(lab: LocalGateway) -> None:
    creds = lab.add_credentials(
        session_token="FwoGZXIvYXdzEXAMPLE", arn="arn:aws:sts::123456789012:assumed-role/app/s1"
    )
    lab.add_route("b1b2c3d4e5", Route("GET", "/who"))
    with raw_client(
        lab, lab.target("b1b2c3d4e5"), auth=SigV4Auth(creds.as_tuple(), region=REGION)
    ) as c:
        assert c.get("/who").json()["principal"] == creds.arn
