"""API Gateway's combination: endpoint policy, resource policy and the caller side.

API Gateway Developer Guide, "apigateway-authorization-flow" (Tables A and B) and
"apigateway-vpc-endpoint-policies"; reference ``policy-evaluation.md`` §1.8.
"""

from __future__ import annotations

import itertools

import pytest
from policy_helpers import ACCOUNT, API, OTHER, VPCE, VPCE2, arn, doc, stmt

from privateapi.policy import (
    AUTH_TYPES,
    TABLES,
    Decision,
    Outcome,
    PolicySyntaxError,
    Request,
    authorize,
    combine,
    evaluate,
)
from privateapi.policy import OUTCOMES as ALL_OUTCOMES

OUTCOMES: tuple[Outcome, ...] = ("allow", "implicit_deny", "explicit_deny")
SAME_ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
CROSS_ROLE = f"arn:aws:iam::{OTHER}:role/app"

# Table A (same account) and Table B (cross account), row = caller, column = resource policy.
TABLE_A = {
    ("allow", "allow"): "allow",
    ("allow", "implicit_deny"): "allow",
    ("allow", "explicit_deny"): "explicit_deny",
    ("implicit_deny", "allow"): "allow",
    ("implicit_deny", "implicit_deny"): "implicit_deny",
    ("implicit_deny", "explicit_deny"): "explicit_deny",
    ("explicit_deny", "allow"): "explicit_deny",
    ("explicit_deny", "implicit_deny"): "explicit_deny",
    ("explicit_deny", "explicit_deny"): "explicit_deny",
}
TABLE_B = {
    **TABLE_A,
    ("allow", "implicit_deny"): "implicit_deny",
    ("implicit_deny", "allow"): "implicit_deny",
}

# Resource policies that give each outcome for any caller.
RP = {
    "allow": doc(stmt(sid="AllowAll")),
    "implicit_deny": doc(stmt(sid="OtherStage", resource="execute-api:/other/*")),
    "explicit_deny": doc(stmt(sid="AllowAll"), stmt("Deny", sid="DenyAll")),
}


@pytest.mark.parametrize(("caller", "resource"), list(itertools.product(OUTCOMES, OUTCOMES)))
def test_combine_tables(caller: Outcome, resource: Outcome) -> None:
    assert combine(caller, resource, same_account=True) == TABLE_A[(caller, resource)]
    assert combine(caller, resource, same_account=False) == TABLE_B[(caller, resource)]


@pytest.mark.parametrize(("caller", "resource"), list(itertools.product(OUTCOMES, OUTCOMES)))
def test_aws_iam_same_account_uses_table_a(caller: Outcome, resource: Outcome) -> None:
    request = Request(arn(), principal=SAME_ROLE)
    a = authorize(RP[resource], request, auth_type="AWS_IAM", caller=caller)
    assert a.table == "A"
    assert a.outcome == TABLE_A[(caller, resource)]
    assert a.caller == caller
    assert a.resource is not None
    assert a.resource.outcome == resource


@pytest.mark.parametrize(("caller", "resource"), list(itertools.product(OUTCOMES, OUTCOMES)))
def test_aws_iam_cross_account_uses_table_b(caller: Outcome, resource: Outcome) -> None:
    request = Request(arn(), principal=CROSS_ROLE)
    a = authorize(RP[resource], request, auth_type="AWS_IAM", caller=caller)
    assert a.table == "B"
    assert a.outcome == TABLE_B[(caller, resource)]


def test_same_account_identity_policy_alone_gets_past_a_vpce_allow() -> None:
    # §1.9 item 3: "only from vpce-X" needs a Deny.
    only_allow = doc(stmt(condition={"StringEquals": {"aws:SourceVpce": VPCE}}))
    with_deny = doc(
        stmt(),
        stmt("Deny", sid="DenyOthers", condition={"StringNotEquals": {"aws:SourceVpce": VPCE}}),
    )
    request = Request.for_private_api(arn(), principal=SAME_ROLE, vpce=VPCE2)
    loose = authorize(only_allow, request, auth_type="AWS_IAM", caller="allow")
    assert loose.outcome == "allow"
    assert loose.decided_by == ("caller",)
    tight = authorize(with_deny, request, auth_type="AWS_IAM", caller="allow")
    assert tight.outcome == "explicit_deny"
    assert tight.decided_by == ("resource_policy",)
    assert tight.resource is not None
    assert [r.sid for r in tight.resource.deciding] == ["DenyOthers"]


def test_decided_by_names_sides() -> None:
    same = Request(arn(), principal=SAME_ROLE)
    cross = Request(arn(), principal=CROSS_ROLE)
    both_deny = authorize(RP["explicit_deny"], same, auth_type="AWS_IAM", caller="explicit_deny")
    assert both_deny.decided_by == ("caller", "resource_policy")
    both_allow = authorize(RP["allow"], cross, auth_type="AWS_IAM", caller="allow")
    assert both_allow.decided_by == ("caller", "resource_policy")
    missing = authorize(RP["allow"], cross, auth_type="AWS_IAM", caller="implicit_deny")
    assert missing.outcome == "implicit_deny"
    assert missing.decided_by == ("caller",)
    assert "Table B (cross account)" in missing.reason


def test_caller_as_decision_or_policy() -> None:
    identity = doc(stmt(principal=None, sid="RoleAllows"))
    request = Request(arn(), principal=SAME_ROLE)
    decision = evaluate(identity, request, kind="identity")
    assert isinstance(decision, Decision)
    by_decision = authorize(RP["implicit_deny"], request, auth_type="AWS_IAM", caller=decision)
    by_policy = authorize(RP["implicit_deny"], request, auth_type="AWS_IAM", caller_policy=identity)
    assert by_decision.outcome == by_policy.outcome == "allow"


def test_aws_iam_without_caller_is_silent_and_noted() -> None:
    a = authorize(RP["allow"], Request(arn(), principal=SAME_ROLE), auth_type="AWS_IAM")
    assert a.outcome == "allow"
    assert a.caller == "implicit_deny"
    assert any("treated as silent" in n for n in a.notes)


def test_same_account_override() -> None:
    request = Request(arn(), principal=SAME_ROLE)
    a = authorize(
        RP["implicit_deny"], request, auth_type="AWS_IAM", caller="allow", same_account=False
    )
    assert a.table == "B"
    assert a.outcome == "implicit_deny"


def test_account_principal_allow_delegates_to_identity_policy() -> None:
    by_account = doc(stmt(principal={"AWS": ACCOUNT}))
    request = Request(arn(), principal=SAME_ROLE)
    silent = authorize(by_account, request, auth_type="AWS_IAM", caller="implicit_deny")
    assert silent.outcome == "implicit_deny"
    assert any("account principal" in n for n in silent.notes)
    allowed = authorize(by_account, request, auth_type="AWS_IAM", caller="allow")
    assert allowed.outcome == "allow"


def test_none_auth_needs_an_explicit_allow_and_callers_are_anonymous() -> None:
    by_role = doc(stmt(principal={"AWS": SAME_ROLE}))
    signed = Request(arn(), principal=SAME_ROLE)
    a = authorize(by_role, signed, auth_type="NONE")
    # §1.4: a policy naming AWS principals fails every non-AWS_IAM method.
    assert a.outcome == "implicit_deny"
    assert a.decided_by == ("resource_policy",)
    assert a.resource is not None
    assert a.resource.request.principal == "anonymous"
    assert authorize(RP["allow"], signed).outcome == "allow"
    assert authorize(RP["explicit_deny"], signed).outcome == "explicit_deny"


def test_no_resource_policy_rejects_every_call() -> None:
    a = authorize(None, Request(arn(), principal=SAME_ROLE), auth_type="AWS_IAM", caller="allow")
    assert a.outcome == "implicit_deny"
    assert a.resource is None
    assert "without a resource policy" in a.reason
    assert a.to_dict()["resource_policy"] is None


@pytest.mark.parametrize(("caller", "resource"), list(itertools.product(OUTCOMES, OUTCOMES)))
def test_lambda_authorizer(caller: Outcome, resource: Outcome) -> None:
    a = authorize(RP[resource], Request(arn()), auth_type="CUSTOM", caller=caller)
    assert a.outcome == TABLE_A[(caller, resource)]
    if resource == "explicit_deny":
        # Checked before the authorizer runs.
        assert a.decided_by == ("resource_policy",)
        assert "before the Lambda authorizer" in a.reason
    else:
        assert a.table == "A"


def test_lambda_authorizer_caller_is_anonymous_to_the_resource_policy() -> None:
    by_role = doc(stmt(principal={"AWS": SAME_ROLE}))
    a = authorize(
        by_role, Request(arn(), principal=SAME_ROLE), auth_type="CUSTOM", caller="implicit_deny"
    )
    assert a.outcome == "implicit_deny"
    assert any("anonymous" in n for n in a.notes)


def test_lambda_authorizer_without_outcome() -> None:
    a = authorize(RP["allow"], Request(arn()), auth_type="CUSTOM")
    assert a.outcome == "allow"
    assert a.decided_by == ("resource_policy",)


def test_cognito_needs_resource_policy_allow_and_is_flagged_disputed() -> None:
    request = Request(arn())
    assert authorize(RP["allow"], request, auth_type="COGNITO_USER_POOLS", caller="allow").allowed
    silent = authorize(RP["implicit_deny"], request, auth_type="COGNITO_USER_POOLS", caller="allow")
    assert silent.outcome == "implicit_deny"
    assert any("disputed" in n for n in silent.notes)
    rejected = authorize(
        RP["allow"], request, auth_type="COGNITO_USER_POOLS", caller="implicit_deny"
    )
    assert rejected.outcome == "implicit_deny"
    assert rejected.decided_by == ("caller",)


def test_endpoint_policy_first() -> None:
    endpoint = doc(
        stmt(principal="*", resource="*", condition={"StringEquals": {"aws:SourceVpce": VPCE}})
    )
    request = Request.for_private_api(arn(), vpce=VPCE2)
    a = authorize(RP["allow"], request, endpoint_policy=endpoint)
    assert a.outcome == "implicit_deny"
    assert a.decided_by == ("endpoint_policy",)
    assert a.resource is None
    assert a.endpoint is not None
    deny = doc(stmt(resource="*"), stmt("Deny", resource="*"))
    assert authorize(RP["allow"], request, endpoint_policy=deny).outcome == "explicit_deny"
    ok = authorize(RP["allow"], Request.for_private_api(arn(), vpce=VPCE), endpoint_policy=endpoint)
    assert ok.allowed
    assert ok.to_dict()["endpoint_policy"]["outcome"] == "allow"


def test_endpoint_policy_sees_the_signed_identity() -> None:
    endpoint = doc(stmt(principal={"AWS": SAME_ROLE}, resource="*"))
    signed = Request(arn(), principal=SAME_ROLE)
    assert authorize(
        RP["allow"], signed, auth_type="AWS_IAM", caller="allow", endpoint_policy=endpoint
    ).allowed
    assert not authorize(RP["allow"], Request(arn()), endpoint_policy=endpoint).allowed


def test_bad_arguments() -> None:
    with pytest.raises(PolicySyntaxError, match="authorization type 'JWT'"):
        authorize(RP["allow"], Request(arn()), auth_type="JWT")  # type: ignore[arg-type]
    with pytest.raises(PolicySyntaxError, match="caller outcome 'yes'"):
        authorize(RP["allow"], Request(arn()), auth_type="AWS_IAM", caller="yes")  # type: ignore[arg-type]
    with pytest.raises(PolicySyntaxError, match="not both"):
        authorize(RP["allow"], Request(arn()), caller="allow", caller_policy=RP["allow"])


def test_to_dict() -> None:
    a = authorize(
        RP["allow"], Request(arn(), principal=CROSS_ROLE), auth_type="AWS_IAM", caller="allow"
    )
    data = a.to_dict()
    assert data["outcome"] == "allow"
    assert data["table"] == "B"
    assert data["auth_type"] == "AWS_IAM"
    assert data["resource_policy"]["deciding"] == [{"index": 0, "sid": "AllowAll"}]


def test_aws_iam_needs_a_signed_caller() -> None:
    a = authorize(RP["allow"], Request(arn()), auth_type="AWS_IAM", caller="allow")
    assert a.outcome == "implicit_deny"
    assert a.decided_by == ("caller",)
    assert "not signed" in a.reason


def test_tables_are_the_documented_grids() -> None:
    # TABLES[table][caller] is a row in the page's column order: RP Allow, silent, Deny.
    columns = ("allow", "implicit_deny", "explicit_deny")
    for name, reference in (("A", TABLE_A), ("B", TABLE_B)):
        for caller in OUTCOMES:
            row = TABLES[name][caller]  # type: ignore[index]
            assert row == tuple(reference[(caller, rp)] for rp in columns)
    assert set(OUTCOMES) == set(ALL_OUTCOMES)
    assert AUTH_TYPES == ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")


def test_combine_refuses_a_word_that_is_no_outcome() -> None:
    with pytest.raises(PolicySyntaxError, match="resource outcome 'deny' is not valid"):
        combine("allow", "deny", same_account=True)  # type: ignore[arg-type]
    with pytest.raises(PolicySyntaxError, match="caller outcome None is not valid"):
        combine(None, "allow", same_account=False)  # type: ignore[arg-type]


def test_evaluate_refuses_an_unknown_policy_kind() -> None:
    with pytest.raises(PolicySyntaxError, match="policy kind 'session' is not valid"):
        evaluate(RP["allow"], Request(arn()), kind="session")  # type: ignore[arg-type]


def test_an_api_given_expands_short_forms_for_a_request_outside_it() -> None:
    # Without api= the short form is expanded with the request ARN's API; with it, the
    # given API is used, so a call elsewhere no longer matches.
    other = "arn:aws:execute-api:us-east-1:123456789012:zzzzzzzzzz/prod/GET/pets"
    assert authorize(RP["allow"], Request(other)).allowed
    assert not authorize(RP["allow"], Request(other), api=API).allowed
