"""Both SigV4 suites, compared on canonical request, string to sign and full Authorization.

Two layers:
* the pure functions (shared with the local gateway's verifier) over every applicable
  case, fed the request target exactly as written (the wire form);
* :class:`privateapi.SigV4Auth` on a real ``httpx.Request`` over every case an httpx
  request can carry. The cases it cannot carry are listed in ``NOT_CARRIED`` with why;
  a test proves each is still signed right for what httpx actually sends.
"""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import httpx
import pytest
import sigv4_suite as suite

from privateapi._auth import SigV4Auth
from privateapi._credentials import Credentials
from privateapi._signing import (
    canonical_request,
    credential_scope,
    payload_hash,
    sign,
    signing_key,
    string_to_sign,
)

CLOCK = dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.UTC)
ALL_CASES = suite.botocore_cases() + suite.aws_c_auth_cases()

# Cases an httpx request cannot carry as written, and why.
NOT_CARRIED: dict[str, str] = {
    "botocore:normalize-path/get-space": "raw space in the request line; httpx sends %20",
    "aws-c-auth:get-space-normalized": "raw space in the request line; httpx sends %20",
    "botocore:get-utf8": "raw UTF-8 in the path; httpx percent-encodes it on the wire",
    "aws-c-auth:get-utf8": "raw UTF-8 in the path; httpx percent-encodes it on the wire",
    "botocore:get-header-value-multiline": "obs-fold continuation line; h11 refuses line breaks",
    "aws-c-auth:get-header-value-multiline": "obs-fold continuation line; h11 refuses line breaks",
    "botocore:post-sts-token/post-sts-header-after": (
        "token added after signing: SigV4Auth always signs x-amz-security-token"
    ),
    "aws-c-auth:post-sts-header-after": (
        "token added after signing (omit_session_token): SigV4Auth always signs the token"
    ),
}


@suite.NEEDS_SUITES
def test_suites_have_the_documented_case_counts() -> None:
    assert len(suite.botocore_cases()) == 34
    # 38 aws-c-auth cases minus the 7 -unnormalized (S3) ones
    assert len(suite.aws_c_auth_cases()) == 31
    assert set(NOT_CARRIED) <= {c.id for c in ALL_CASES}


def _pure_authz(case: suite.Case) -> tuple[str, str, str]:
    headers = list(case.headers)
    if case.token:
        headers.append(("X-Amz-Security-Token", case.token))
    body_hash = payload_hash(case.body)
    if case.sign_body:
        headers.append(("X-Amz-Content-Sha256", body_hash))
    names = sorted({n.lower() for n, _ in headers})
    creq = canonical_request(case.method, case.raw_path, case.raw_query, headers, names, body_hash)
    scope = credential_scope("20150830", suite.REGION, suite.SERVICE)
    sts = string_to_sign(suite.AMZ_DATE, scope, creq)
    sig = sign(signing_key(suite.SECRET_KEY, "20150830", suite.REGION, suite.SERVICE), sts)
    authz = (
        f"AWS4-HMAC-SHA256 Credential={suite.ACCESS_KEY}/{scope},"
        f" SignedHeaders={';'.join(names)}, Signature={sig}"
    )
    return creq, sts, authz


@suite.NEEDS_SUITES
@pytest.mark.parametrize("case", suite.params(ALL_CASES))
def test_pure_functions_match_the_suite(case: suite.Case) -> None:
    creq, sts, authz = _pure_authz(case)
    assert creq == case.expected_creq
    assert sts == case.expected_sts
    assert authz == case.expected_authz


def _httpx_request(case: suite.Case) -> httpx.Request:
    host = next(v for n, v in case.headers if n.lower() == "host")
    headers = [(n, v) for n, v in case.headers if n.lower() != "x-amz-date"]
    return httpx.Request(
        case.method, f"https://{host}{case.target}", headers=headers, content=case.body
    )


def _auth(case: suite.Case) -> SigV4Auth:
    creds = Credentials(suite.ACCESS_KEY, suite.SECRET_KEY, case.token)
    return SigV4Auth(
        creds,
        region=suite.REGION,
        service=suite.SERVICE,
        clock=lambda: CLOCK,
        sign_headers=[n for n, _ in case.headers],
        content_sha256=case.sign_body,
        record=True,
    )


CARRIED = [c for c in ALL_CASES if c.id not in NOT_CARRIED]


@suite.NEEDS_SUITES
@pytest.mark.parametrize("case", suite.params(CARRIED))
def test_sigv4auth_on_httpx_matches_the_suite(case: suite.Case) -> None:
    request = _httpx_request(case)
    auth = _auth(case)
    signed = next(auth.sync_auth_flow(request))
    assert signed.headers["authorization"] == case.expected_authz
    assert signed.headers["x-amz-date"] == suite.AMZ_DATE
    details = auth.last_signing
    assert details is not None
    assert details.string_to_sign == case.expected_sts
    if case.token:
        assert signed.headers["x-amz-security-token"] == case.token


@suite.NEEDS_SUITES
def test_carried_count() -> None:
    # 65 applicable cases, 8 not carried by an httpx request.
    assert len(CARRIED) == len(ALL_CASES) - len(NOT_CARRIED) == 57


RAW_TARGET_CASES = [
    c for c in ALL_CASES if c.id in NOT_CARRIED and ("space" in c.name or "utf8" in c.name)
]


@suite.NEEDS_SUITES
@pytest.mark.parametrize("case", suite.params(RAW_TARGET_CASES))
def test_not_carried_raw_targets_sign_what_httpx_sends(case: suite.Case) -> None:
    # httpx percent-encodes the raw space / UTF-8 before sending; the signer encodes that
    # wire form once more (right for what is sent, and why the suite's form can't be carried).
    assert len(RAW_TARGET_CASES) == 4
    request = _httpx_request(case)
    auth = _auth(case)
    next(auth.sync_auth_flow(request))
    assert auth.last_signing is not None
    suite_uri = case.expected_creq.split("\n")[1]
    assert auth.last_signing.canonical_request.split("\n")[1] == suite_uri.replace("%", "%25")
    assert request.headers["authorization"] != case.expected_authz


def test_multiline_header_cannot_go_on_the_wire() -> None:
    # A listening loopback socket (never answered): h11 refuses the header before sending.
    with socket.create_server(("127.0.0.1", 0)) as listener, httpx.Client() as client:
        port = listener.getsockname()[1]
        request = client.build_request(
            "GET", f"http://127.0.0.1:{port}/", headers={"My-Header1": "value1\n  value2"}
        )
        with pytest.raises(httpx.LocalProtocolError):
            client.send(request)


def test_missing_suite_gives_no_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the data the tests above are reported NOT RUN (the conformance marker); the
    # loaders must not fail at import, which would fail the whole module instead.
    monkeypatch.setattr(suite, "BOTOCORE", tmp_path / "no-such-suite")
    monkeypatch.setattr(suite, "AWS_C_AUTH", tmp_path / "no-such-suite")
    assert suite.botocore_cases() == suite.aws_c_auth_cases() == []
    (placeholder,) = suite.params([])
    assert placeholder.id == "suite-missing"
    assert suite.SUITE_ROOT == suite.shared_data.CONFORMANCE / "sigv4"
