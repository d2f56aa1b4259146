"""The live probe against the local gateway: policy outcomes, API Gateway or not, signing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import trustme
from _dnsstub import DnsStub
from doctor_lab import API_HOST, API_ID, REGION, Lab, TLSServer, at_port, offline

from privateapi._targets import InvokeTarget
from privateapi.doctor import Status, run
from privateapi.doctor._http import outcome_of
from privateapi.testing import Route, allow_endpoints_policy

DENY_ALL: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyAll",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        }
    ],
}


def test_healthy_api_passes_every_style(lab: Lab) -> None:
    """All four endpoint styles: the data path is proven and the verdict is pass."""
    for style in ("private_dns", "vpce_alias", "host_header", "api_id_header"):
        rep = run(lab.target(style), lab.options())
        probe = rep.result("http.probe")
        assert probe is not None and probe.status is Status.PASS, (style, probe.summary)
        assert probe.evidence["from_api_gateway"] is True
        assert probe.evidence["outcome"] == "allowed"
        assert rep.verdict == "pass", [r.summary for r in rep.results if not r.ok]
        assert rep.exit_code == 0


def test_signed_probe_evidence_is_redacted(lab: Lab) -> None:
    """The canonical request and string to sign are evidence; the signature is not."""
    rep = run(lab.target("host_header"), lab.options())
    probe = rep.result("http.probe")
    assert probe is not None and probe.evidence["signed"] is True
    signing = probe.evidence["signing"]
    assert signing["canonical_request"].startswith("GET\n/prod/\n")
    assert f"host:{API_HOST}" not in signing["canonical_request"]  # lab api id differs
    assert "host:" in signing["canonical_request"]
    assert signing["string_to_sign"].startswith("AWS4-HMAC-SHA256\n")
    authz = probe.evidence["request_headers"]["authorization"]
    assert "Signature=<redacted>" in authz
    secret = lab.gw.credentials.secret_access_key
    assert secret not in json.dumps(rep.to_dict())


def test_explicit_deny(lab: Lab) -> None:
    """A resource policy Deny: 403 explicit deny, from API Gateway, verdict fail."""
    lab.gw.set_policy(lab.api_id, DENY_ALL)
    rep = run(lab.target(), lab.options())
    probe = rep.result("http.probe")
    assert probe is not None and probe.status is Status.FAIL
    assert probe.cause == "http.explicit-deny"
    assert probe.evidence["outcome"] == "explicit deny"
    assert probe.evidence["status"] == 403
    assert probe.evidence["from_api_gateway"] is True
    assert rep.verdict == "fail" and rep.exit_code == 1


def test_implicit_deny_unsigned_has_a_hint(lab: Lab) -> None:
    """Nothing allows this endpoint: implicit deny; unsigned, the hint says what to allow."""
    lab.gw.set_policy(
        lab.api_id,
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": "execute-api:/*",
                    "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0aaaaaaaaaaaaaaaa"}},
                }
            ],
        },
    )
    rep = run(lab.target(), lab.options(sign=False))
    probe = rep.result("http.probe")
    assert probe is not None and probe.cause == "http.implicit-deny"
    assert "signing is off" in probe.evidence["unsigned_because"]
    assert "aws:SourceVpce" in (probe.hint or "")


def test_endpoint_not_allowed_by_recommended_policy(lab: Lab) -> None:
    """AWS's recommended policy for another endpoint: explicit deny for this one."""
    lab.gw.set_policy(lab.api_id, allow_endpoints_policy("vpce-0aaaaaaaaaaaaaaaa"))
    rep = run(lab.target(), lab.options())
    probe = rep.result("http.probe")
    assert probe is not None and probe.cause == "http.explicit-deny"


def test_missing_token_for_unknown_path(lab: Lab) -> None:
    """No such resource: Missing Authentication Token, with a hint naming the path probed."""
    gw = lab.gw
    api = gw.add_api(
        routes=[Route.static("GET", "/ping", json={"ok": True})], endpoints=[lab.vpce_id]
    )
    t = at_port(gw.target(api.id), lab.gw.port)
    rep = run(t, lab.options())
    probe = rep.result("http.probe")
    assert probe is not None and probe.cause == "http.missing-token"
    assert "/prod/" in (probe.hint or "") and "stage prod" in (probe.hint or "")
    assert "--" not in (probe.hint or "")  # library hints never name CLI flags
    rep = run(t, lab.options(path="/ping"))
    probe = rep.result("http.probe")
    assert probe is not None and probe.status is Status.PASS
    rep = run(t, lab.options(sign=False))
    probe = rep.result("http.probe")
    assert probe is not None and "unsigned" in (probe.hint or "")


def test_public_api_through_the_endpoint_is_wrong_endpoint(lab: Lab) -> None:
    """A REGIONAL API called through the VPC endpoint: 403 Forbidden (wrong endpoint)."""
    api = lab.gw.add_api(endpoint_type="REGIONAL")
    rep = run(at_port(lab.gw.target(api.id), lab.gw.port), lab.options())
    probe = rep.result("http.probe")
    assert probe is not None and probe.cause == "http.wrong-endpoint"


def test_iam_method_unsigned(lab: Lab) -> None:
    """An AWS_IAM method probed without credentials is not allowed."""
    lab.gw.set_authorization(lab.api_id, "AWS_IAM")
    rep = run(lab.target(), lab.options(sign=False))
    probe = rep.result("http.probe")
    assert probe is not None and probe.status is Status.FAIL
    assert probe.cause in ("http.missing-token", "http.implicit-deny")
    rep = run(lab.target(), lab.options())
    probe = rep.result("http.probe")
    assert probe is not None and probe.status is Status.PASS


def test_wrong_secret_is_signature_mismatch(lab: Lab) -> None:
    """Credentials the verifier knows with the wrong secret: signature mismatch."""
    key = lab.gw.credentials.access_key_id
    lab.gw.set_authorization(lab.api_id, "AWS_IAM")
    rep = run(lab.target(), lab.options(credentials=(key, "wrong-secret")))
    probe = rep.result("http.probe")
    assert probe is not None and probe.cause == "http.signature-mismatch"
    assert outcome_of(probe.cause) == "signature"


def test_authorizer_deny(lab: Lab) -> None:
    """A Lambda authorizer returning Deny: authorizer deny."""

    def authorizer(event: dict[str, Any]) -> dict[str, Any]:
        return {
            "principalId": "user",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Action": "execute-api:Invoke",
                        "Resource": event["methodArn"],
                    }
                ],
            },
        }

    lab.gw.set_authorization(lab.api_id, authorizer)
    rep = run(lab.target(), lab.options(sign=False))
    probe = rep.result("http.probe")
    assert probe is not None and probe.cause == "http.authorizer-deny"


def test_throttled_fails_the_call(lab: Lab) -> None:
    """429: the caller's call does not succeed, so the probe fails with http.throttled."""
    lab.gw.set_throttle(0.001, 1, api_id=lab.api_id)
    run(lab.target(), lab.options(checks=("http",)))  # takes the only token
    rep = run(lab.target(), lab.options())
    probe = rep.result("http.probe")
    assert probe is not None and probe.status is Status.FAIL
    assert probe.cause == "http.throttled"
    assert rep.verdict == "fail"


def test_answer_without_api_gateway_headers(fake_dns: DnsStub, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A 403 without x-amzn-* headers came from something in between."""
    ca = trustme.CA()
    srv = TLSServer("127.0.0.51", ca.issue_cert(API_HOST))
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    fake_dns.records[API_HOST + "."] = {"A": ["127.0.0.51"]}
    try:
        t = InvokeTarget.private_dns(API_ID, REGION, "prod")
        rep = run(at_port(t, srv.port), offline(resolver=fake_dns.address, ca_bundle=str(bundle)))
        probe = rep.result("http.probe")
        assert probe is not None and probe.cause == "http.not-api-gateway"
        assert probe.evidence["from_api_gateway"] is False
        srv.response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        rep = run(at_port(t, srv.port), offline(resolver=fake_dns.address, ca_bundle=str(bundle)))
        probe = rep.result("http.probe")
        # A 200 without API Gateway's fingerprint is not the API answering: fail.
        assert probe is not None and probe.status is Status.FAIL
        assert probe.cause == "http.not-api-gateway"
        assert rep.verdict == "fail"
        srv.response = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok"  # short body
        rep = run(at_port(t, srv.port), offline(resolver=fake_dns.address, ca_bundle=str(bundle)))
        probe = rep.result("http.probe")
        assert probe is not None and probe.cause == "http.connection-failed"
    finally:
        srv.close()


def test_no_credentials_means_an_anonymous_probe(lab: Lab) -> None:
    """sign=True without credentials: env.credentials warns, the probe goes unsigned."""
    rep = run(lab.target(), lab.options(credentials=None))
    creds = rep.result("env.credentials")
    assert creds is not None and creds.cause == "creds.missing"
    probe = rep.result("http.probe")
    assert probe is not None and probe.evidence["signed"] is False
    assert "no AWS credentials" in probe.evidence["unsigned_because"]
    assert probe.status is Status.PASS  # the lab API allows anonymous callers


@pytest.mark.parametrize(
    ("cause", "word"),
    [
        (None, "allowed"),
        ("http.explicit-deny", "explicit deny"),
        ("http.quota-exceeded", "throttled"),
    ],
)
def test_outcome_words(cause: str | None, word: str) -> None:
    """Cause codes map to the policy-outcome vocabulary of the issue."""
    assert outcome_of(cause) == word


def test_private_custom_domain_both_ways(lab: Lab) -> None:
    """A private custom domain, directly and through the endpoint name with Host."""
    lab.gw.add_custom_domain(
        "api.example.internal", mappings={"v1": f"{lab.api_id}/prod"}, endpoints=[lab.vpce_id]
    )
    for vpce in (None, lab.vpce_id):
        t = at_port(lab.gw.target(style="custom_domain", vpce_id=vpce), lab.gw.port)
        rep = run(t, lab.options())
        assert rep.verdict == "pass", [r.summary for r in rep.results if not r.ok]
        tls = rep.result("tls.handshake")
        assert tls is not None and tls.evidence["sni"] == t.host
