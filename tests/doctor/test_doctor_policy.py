"""policy.evaluate: the saved resource policy for this caller, and saved-vs-live."""

from __future__ import annotations

import json
from typing import Any

from doctor_lab import API_ID, REGION, VPCE, Lab, offline

from privateapi._targets import InvokeTarget
from privateapi.doctor import Status, run
from privateapi.testing import allow_endpoints_policy

ALLOW_VPCE = allow_endpoints_policy(VPCE)
DENY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "NoOne",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        }
    ],
}


def _policy(target: InvokeTarget, doc: Any, **kw: Any):  # type: ignore[no-untyped-def]
    text = doc if isinstance(doc, str) else json.dumps(doc)
    rep = run(target, offline(policy=text, checks=("policy.evaluate",), **kw))
    return rep.result("policy.evaluate")


def test_allow_names_the_deciding_statement() -> None:
    """The recommended policy allows calls from its endpoint, naming the statement."""
    t = InvokeTarget.vpce_alias(API_ID, REGION, "prod", vpce_id=VPCE)
    r = _policy(t, ALLOW_VPCE)
    assert r is not None and r.status is Status.PASS
    assert "Statement[0]" in r.summary
    assert r.evidence["context"]["aws:SourceVpce"] == VPCE
    assert r.evidence["principal"] == "anonymous"
    assert r.evidence["resource"].endswith(f":{API_ID}/prod/GET/")


def test_explicit_deny_for_another_endpoint() -> None:
    """From another endpoint the recommended policy's Deny decides: policy.denies."""
    t = InvokeTarget.vpce_alias(API_ID, REGION, "prod", vpce_id="vpce-0aaaaaaaaaaaaaaaa")
    r = _policy(t, ALLOW_VPCE)
    assert r is not None and r.status is Status.FAIL and r.cause == "policy.denies"
    assert "explicitly denies" in r.summary and "Statement[1]" in r.summary


def test_implicit_deny_and_unknown_endpoint_note() -> None:
    """No Allow applies: implicit deny; without an endpoint id the evidence says so."""
    only_other = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OtherVpce",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0aaaaaaaaaaaaaaaa"}},
            }
        ],
    }
    t = InvokeTarget.private_dns(API_ID, REGION, "prod")
    r = _policy(t, only_other)
    # The decision turns on aws:SourceVpce and the endpoint is unknown: "cannot tell".
    assert r is not None and r.status is Status.INFO and r.cause is None
    assert r.summary.startswith("cannot tell") and "implicit deny" in r.summary
    assert "aws:SourceVpce" in r.evidence["note"]
    known = InvokeTarget.vpce_alias(API_ID, REGION, "prod", vpce_id="vpce-0bbbbbbbbbbbbbbbb")
    r = _policy(known, only_other)
    assert r is not None and r.status is Status.FAIL and r.cause == "policy.denies"


def test_account_taken_from_policy_arns() -> None:
    """A policy naming full ARNs gives the account for the resource ARN."""
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": f"arn:aws:execute-api:{REGION}:111122223333:{API_ID}/prod/GET/*",
            }
        ],
    }
    r = _policy(InvokeTarget.private_dns(API_ID, REGION, "prod"), doc)
    assert r is not None and r.status is Status.PASS
    assert r.evidence["account_from"] == "policy resource ARN"
    other = InvokeTarget.private_dns(API_ID, REGION, "prod", account_id="999999999999")
    r = _policy(other, doc)
    assert r is not None and r.status is Status.FAIL


def test_no_policy_is_a_skip() -> None:
    """Without --policy and with AWS off there is nothing to evaluate: skip, not pass."""
    rep = run(InvokeTarget.private_dns(API_ID, REGION, "prod"), offline(checks=("policy",)))
    r = rep.result("policy.evaluate")
    assert r is not None and r.status is Status.SKIP


def test_custom_domain_without_api_is_a_skip() -> None:
    """A custom domain target without api id/stage cannot build the resource ARN."""
    t = InvokeTarget.custom_domain("api.example.internal", region=REGION)
    r = _policy(t, ALLOW_VPCE)
    assert r is not None and r.status is Status.SKIP


def test_saved_allows_but_live_denies_means_not_deployed(lab: Lab) -> None:
    """The saved policy allows, the live API denies: the change was not deployed."""
    lab.gw.set_policy(lab.api_id, DENY)
    t = lab.target("vpce_alias")
    rep = run(t, lab.options(policy=json.dumps(allow_endpoints_policy(lab.vpce_id))))
    r = rep.result("policy.evaluate")
    assert r is not None and r.status is Status.FAIL and r.cause == "policy.not-deployed"
    assert "create-deployment" in (r.hint or "")


def test_saved_denies_but_live_allows_warns(lab: Lab) -> None:
    """The saved policy denies while the live API allows: the next deployment will deny."""
    rep = run(lab.target("vpce_alias"), lab.options(policy=json.dumps(DENY)))
    r = rep.result("policy.evaluate")
    assert r is not None and r.status is Status.WARN and r.cause == "policy.not-deployed"
    assert rep.verdict == "pass"


def test_saved_and_live_agree_on_deny(lab: Lab) -> None:
    """Both deny: policy.denies, consistent with the probe's explicit deny."""
    lab.gw.set_policy(lab.api_id, DENY)
    rep = run(lab.target("vpce_alias"), lab.options(policy=json.dumps(DENY)))
    r = rep.result("policy.evaluate")
    assert r is not None and r.cause == "policy.denies"
    probe = rep.result("http.probe")
    assert probe is not None and probe.cause == "http.explicit-deny"
