"""API Gateway's 8,192-character limit on a resource policy: check_size, lint, apply.

Reference ``aws-private-apis.md`` [QUOTAS] gives the limit in characters without saying
how they are counted; what is certain is the compact JSON privateapi sends, and the
other countings are warnings (``policy-size-unverified``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_helpers import API, VPCE, doc, stmt

from privateapi._errors import InvalidInputError
from privateapi.policy import (
    MAX_POLICY_CHARS,
    PolicySyntaxError,
    PolicyTooLargeError,
    check_size,
    lint,
    parse_policy,
)

DENY = stmt("Deny", sid="DenyOthers", condition={"StringNotEquals": {"aws:SourceVpce": VPCE}})


def _sized(size: int) -> dict[str, Any]:
    """A clean policy whose compact JSON is exactly ``size`` characters."""

    def build(n: int) -> dict[str, Any]:
        return doc(stmt(sid="A" * n), DENY)

    base = len(json.dumps(build(0), separators=(",", ":")))
    policy = build(size - base)
    assert len(json.dumps(policy, separators=(",", ":"))) == size
    return policy


def test_the_limit_is_api_gateways() -> None:
    assert MAX_POLICY_CHARS == 8192


def test_check_size_returns_the_compact_text_it_measured() -> None:
    policy = _sized(MAX_POLICY_CHARS)
    text = check_size(policy)
    assert text == json.dumps(policy, separators=(",", ":"))
    assert len(text) == MAX_POLICY_CHARS
    assert check_size(parse_policy(policy)) == text
    # Whitespace in the text given is not what is sent.
    assert check_size(json.dumps(policy, indent=8)) == text


def test_one_character_over_is_refused_naming_size_and_limit() -> None:
    policy = _sized(MAX_POLICY_CHARS + 1)
    with pytest.raises(PolicyTooLargeError) as info:
        check_size(policy)
    err = info.value
    assert isinstance(err, InvalidInputError)
    assert (err.size, err.limit) == (MAX_POLICY_CHARS + 1, MAX_POLICY_CHARS)
    assert str(err).startswith("policy is 8,193 characters: expected at most 8,192 characters")
    assert "resource policy" in str(err)
    # The message names sizes, never the document itself.
    assert "AAAAAAAAAA" not in str(err)
    assert "AAAAAAAAAA" not in repr(err.value)


def test_a_smaller_limit_can_be_given() -> None:
    with pytest.raises(PolicyTooLargeError, match="at most 100 characters"):
        check_size(doc(stmt()), limit=100)


def test_non_ascii_counts_as_sent_escaped() -> None:
    # Sent as \\u00e9: six characters each.
    policy = doc(stmt(sid="é" * 200), DENY)
    text = check_size(policy)
    assert text.isascii()
    assert "\\u00e9" * 200 in text


def test_a_bad_document_is_a_syntax_error_not_a_size() -> None:
    with pytest.raises(PolicySyntaxError):
        check_size("{not json")


def test_lint_reports_an_oversized_policy_as_an_error() -> None:
    (finding,) = lint(_sized(MAX_POLICY_CHARS + 1))
    assert finding.code == "policy-too-large"
    assert finding.severity == "error"
    assert finding.statement is None
    assert "8,193 characters" in finding.message
    assert "8,192-character limit" in finding.message
    assert str(finding).startswith("error: the policy is 8,193 characters")
    assert finding.to_dict()["severity"] == "error"


def test_lint_size_findings_come_first() -> None:
    policy = _sized(MAX_POLICY_CHARS + 10)
    policy["Statement"].append(stmt(condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    codes = [f.code for f in lint(policy)]
    assert codes[0] == "policy-too-large"
    assert "source-ip" in codes


def test_a_small_policy_has_no_size_finding() -> None:
    assert lint(doc(stmt(), DENY)) == ()
    assert all(f.severity == "warning" for f in lint(doc(stmt())))


def test_at_the_limit_the_unverified_countings_are_warned_about() -> None:
    # Within the limit as sent, over it with the quotes escaped (as get-rest-api returns
    # the policy): a warning, because which one API Gateway counts is unverified.
    (finding,) = lint(_sized(MAX_POLICY_CHARS))
    assert finding.code == "policy-size-unverified"
    assert finding.severity == "warning"
    assert "quotes escaped" in finding.message
    assert "unverified" in finding.message


def test_short_forms_expanded_can_pass_the_limit() -> None:
    # 12 short forms; expanded with the API each grows by the ARN prefix.
    resources = [f"execute-api:/s{i}/GET/*" for i in range(12)]
    grown = len(API.arn("")) - len("execute-api:/")
    policy = doc(stmt(sid="A", resource=resources), DENY)
    base = len(json.dumps(policy, separators=(",", ":")))
    # Fill so that the compact form fits with room for the escaped quotes, but not the
    # expanded one (13 short forms in all, the Deny's included).
    quotes = json.dumps(policy, separators=(",", ":")).count('"')
    fill = MAX_POLICY_CHARS - base - quotes - 5
    assert 13 * grown > quotes + 5
    policy["Statement"][0]["Sid"] = "A" * fill
    assert lint(policy) == ()
    (finding,) = lint(policy, api=API)
    assert finding.code == "policy-size-unverified"
    assert "short forms expanded" in finding.message
    assert "quotes escaped" not in finding.message


def test_whitespace_as_written_can_pass_the_limit() -> None:
    policy = _sized(MAX_POLICY_CHARS - 1500)
    text = json.dumps(policy, indent=40)
    assert len(text) > MAX_POLICY_CHARS
    (finding,) = lint(text)
    assert finding.code == "policy-size-unverified"
    assert f"{len(text):,} as written" in finding.message
    assert lint(text.encode()) == (finding,)
    assert lint(policy) == ()


class _NoAws:
    """A botocore client stand-in that fails the test if anything is asked of it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"AWS was called ({name}) for a policy that is too large")


def test_policy_apply_refuses_before_sending() -> None:
    from privateapi.admin import apply_policy

    with pytest.raises(PolicyTooLargeError, match="8,193 characters"):
        apply_policy(
            "a1b2c3d4e5",
            _sized(MAX_POLICY_CHARS + 1),
            stage="prod",
            region="us-east-1",
            client=_NoAws(),
        )
