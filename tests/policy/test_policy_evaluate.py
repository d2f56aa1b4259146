"""Evaluation: the decision, deciding statements, explanations and §1.9's traps.

References are to ``../shared/reference/policy-evaluation.md`` (IAM User Guide and API
Gateway Developer Guide pages cited there).
"""

from __future__ import annotations

import pytest
from policy_helpers import ACCOUNT, API, OTHER, VPCE, VPCE2, arn, doc, stmt

from privateapi.policy import ApiContext, Request, StatementRef, evaluate, parse_policy

ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/worker-1"
USER = f"arn:aws:iam::{ACCOUNT}:user/Alice"


def private(**kw: object) -> Request:
    """A request through a VPC endpoint (aws:SourceIp absent, aws:VpcSourceIp present)."""
    return Request.for_private_api(arn(), **kw)  # type: ignore[arg-type]


# --- the decision -------------------------------------------------------------------------


def test_implicit_deny_without_statements_applying() -> None:
    d = evaluate(doc(stmt(condition={"StringEquals": {"aws:SourceVpce": VPCE}})), private())
    assert d.outcome == "implicit_deny"
    assert d.deciding == ()
    assert not d.allowed


def test_allow_names_every_applicable_allow() -> None:
    policy = doc(
        stmt(sid="A"),
        stmt(sid="B", resource="execute-api:/prod/*"),
        stmt(sid="C", resource="execute-api:/test/*"),
    )
    d = evaluate(policy, private())
    assert d.outcome == "allow"
    assert d.deciding == (StatementRef(0, "A"), StatementRef(1, "B"))


def test_explicit_deny_wins_and_names_every_applicable_deny_only() -> None:
    # §1.9 item 4: order-independent; the deciders are the Denies even if an Allow comes first.
    policy = doc(
        stmt(sid="AllowAll"),
        stmt("Deny", sid="DenyProd", resource="execute-api:/prod/*"),
        stmt("Deny", sid="DenyGet", resource="execute-api:/*/GET/*"),
        stmt("Deny", sid="DenyTest", resource="execute-api:/test/*"),
    )
    d = evaluate(policy, private())
    assert d.outcome == "explicit_deny"
    assert [r.sid for r in d.deciding] == ["DenyProd", "DenyGet"]
    assert [r.index for r in d.deciding] == [1, 2]


def test_statement_without_sid_is_referred_to_by_index() -> None:
    d = evaluate(doc(stmt("Deny")), private())
    assert d.deciding == (StatementRef(0, None),)
    assert str(d.deciding[0]) == "Statement[0]"
    assert d.deciding[0].to_dict() == {"index": 0, "sid": None}


def test_policy_accepts_text_dict_or_parsed() -> None:
    policy = doc(stmt())
    parsed = parse_policy(policy)
    text = parsed.to_json()
    assert {evaluate(p, private()).outcome for p in (policy, parsed, text)} == {"allow"}


# --- explanation --------------------------------------------------------------------------


def test_explanation_names_failing_element_and_condition() -> None:
    policy = doc(
        stmt(sid="AllowVpce", condition={"StringEquals": {"aws:SourceVpce": VPCE}}),
        stmt(sid="OtherApi", resource="arn:aws:execute-api:us-east-1:123456789012:zzzzzzzzzz/*"),
    )
    d = evaluate(policy, private(vpce=VPCE2))
    assert d.outcome == "implicit_deny"
    first, second = d.statements
    assert [e.element for e in first.failed] == ["Condition"]
    assert first.failed_conditions[0].key == "aws:SourceVpce"
    assert VPCE2 in first.failed_conditions[0].detail
    assert "does not match" in first.failed_conditions[0].detail
    assert [e.element for e in second.failed] == ["Resource"]
    assert {s.ref.sid for s in d.near_misses} == {"AllowVpce", "OtherApi"}


def test_near_misses_exclude_statements_failing_twice() -> None:
    policy = doc(
        stmt(
            sid="Two",
            action="execute-api:InvalidateCache",
            condition={"StringEquals": {"aws:SourceVpce": VPCE}},
        )
    )
    d = evaluate(policy, private(vpce=VPCE2))
    assert len(d.statements[0].failed) == 2
    assert d.near_misses == ()


def test_explanation_for_absent_key_says_why() -> None:
    policy = doc(
        stmt(sid="Pos", condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}}),
        stmt("Deny", sid="Neg", condition={"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}),
    )
    d = evaluate(policy, private())
    pos, neg = d.statements
    assert "absent" in pos.conditions[0].detail
    assert "positive operator is false" in pos.conditions[0].detail
    assert neg.applies
    assert "negated operator is true" in neg.conditions[0].detail


def test_to_dict_is_json_ready() -> None:
    import json

    d = evaluate(doc(stmt(sid="A")), private(vpce=VPCE, context={"aws:PrincipalOrgPaths": ["o/a"]}))
    data = json.loads(json.dumps(d.to_dict()))
    assert data["outcome"] == "allow"
    assert data["deciding"] == [{"index": 0, "sid": "A"}]
    assert data["api"]["api_id"] == API.api_id
    assert data["request"]["context"]["aws:PrincipalOrgPaths"] == ["o/a"]
    assert data["statements"][0]["elements"][0]["element"] == "Principal"


def test_to_dict_without_api() -> None:
    d = evaluate(doc(stmt(resource="*")), Request("arn:aws:s3:::bucket/key"))
    assert d.api is None
    assert d.to_dict()["api"] is None
    assert d.outcome == "allow"


# --- §1.9 item 1: missing keys -------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", False),
        ("StringNotEquals", True),
        ("StringLike", False),
        ("StringNotLike", True),
        ("StringEqualsIfExists", True),
        ("StringNotEqualsIfExists", True),
        ("ForAllValues:StringEquals", True),
        ("ForAnyValue:StringEquals", False),
        ("ForAnyValue:StringEqualsIfExists", True),
        ("ArnNotLike", True),
        ("NotIpAddress", True),
        ("IpAddress", False),
        ("NumericNotEquals", True),
        ("DateNotEquals", True),
        ("Bool", False),
        ("BoolIfExists", True),
    ],
)
def test_missing_key_rules(operator: str, expected: bool) -> None:
    value = "10.0.0.0/8" if "Ip" in operator else "1" if "Numeric" in operator else "x"
    if "Date" in operator:
        value = "2020-01-01"
    if operator.startswith("Bool"):
        value = "true"
    if operator.startswith("Arn"):
        value = "arn:aws:iam::*:role/x"
    policy = doc(stmt(condition={operator: {"aws:AbsentKey": value}}))
    assert evaluate(policy, private()).allowed is expected


def test_deny_with_ifexists_still_denies_when_key_absent() -> None:
    policy = doc(
        stmt(sid="Allow"),
        stmt("Deny", sid="D", condition={"StringNotEqualsIfExists": {"aws:SourceVpce": VPCE}}),
    )
    assert evaluate(policy, private()).outcome == "explicit_deny"
    assert evaluate(policy, private(vpce=VPCE)).outcome == "allow"


# --- §1.9 item 2: aws:SourceIp absent behind a VPC endpoint ------------------------------


def test_source_ip_never_matches_behind_endpoint_use_vpc_source_ip() -> None:
    allow_ip = doc(stmt(condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    allow_vpc_ip = doc(stmt(condition={"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}}))
    request = private(vpce=VPCE, source_ip="10.1.2.3")
    assert request.values("aws:SourceIp") is None
    assert request.values("aws:VpcSourceIp") == ("10.1.2.3",)
    assert evaluate(allow_ip, request).outcome == "implicit_deny"
    assert evaluate(allow_vpc_ip, request).outcome == "allow"


def test_deny_not_ip_address_on_source_ip_blocks_everybody_behind_endpoint() -> None:
    policy = doc(
        stmt(sid="Allow"),
        stmt("Deny", sid="DenyIp", condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
    )
    d = evaluate(policy, private(vpce=VPCE, source_ip="10.1.2.3"))
    assert d.outcome == "explicit_deny"
    assert d.deciding == (StatementRef(1, "DenyIp"),)


def test_for_private_api_context_override_is_case_insensitive() -> None:
    r = Request.for_private_api(arn(), vpce=VPCE, context={"AWS:SOURCEVPCE": VPCE2})
    assert r.values("aws:SourceVpce") == (VPCE2,)
    assert r.values("aws:securetransport") == ("true",)


# --- §1.9 item 5: AWS principals vs anonymous ---------------------------------------------


@pytest.mark.parametrize(
    ("principal", "anonymous_allowed"),
    [
        ("*", True),
        ({"AWS": "*"}, True),
        ({"AWS": ["*", ROLE]}, True),
        ({"AWS": ACCOUNT}, False),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, False),
        ({"AWS": ROLE}, False),
        ({"Service": "lambda.amazonaws.com"}, False),
    ],
)
def test_only_star_principals_match_anonymous(principal: object, anonymous_allowed: bool) -> None:
    d = evaluate(doc(stmt(principal=principal)), private())
    assert d.allowed is anonymous_allowed
    if not anonymous_allowed:
        assert "anonymous" in d.statements[0].elements[0].detail


def test_not_principal_allow_admits_anonymous_and_others_but_not_listed() -> None:
    policy = doc(stmt(principal=None, NotPrincipal={"AWS": ROLE}))
    assert evaluate(policy, private()).allowed
    assert evaluate(policy, private(principal=USER)).allowed
    assert not evaluate(policy, private(principal=ROLE)).allowed
    assert (
        "excluded by NotPrincipal"
        in evaluate(policy, private(principal=ROLE)).statements[0].elements[0].detail
    )


def test_not_principal_star_excludes_everyone() -> None:
    policy = doc(stmt(principal=None, NotPrincipal="*"))
    assert not evaluate(policy, private()).allowed


def test_statement_without_principal_never_applies_in_resource_policy() -> None:
    policy = doc(stmt(principal=None), stmt("Deny", principal=None))
    d = evaluate(policy, private())
    assert d.outcome == "implicit_deny"
    assert "no Principal" in d.statements[0].elements[0].detail
    # The same statements in an identity or endpoint policy name the caller.
    assert evaluate(policy, private(), kind="identity").outcome == "explicit_deny"
    assert evaluate(doc(stmt(principal=None)), private(), kind="endpoint").allowed


# --- §1.9 item 6: NOR for negated operators with several values ---------------------------


def test_negated_operator_with_several_values_is_nor() -> None:
    policy = doc(
        stmt(sid="Allow"),
        stmt("Deny", sid="D", condition={"StringNotEquals": {"aws:SourceVpce": [VPCE, VPCE2]}}),
    )
    assert evaluate(policy, private(vpce=VPCE)).allowed
    assert evaluate(policy, private(vpce=VPCE2)).allowed
    assert evaluate(policy, private(vpce="vpce-99999999")).outcome == "explicit_deny"


# --- §1.9 item 7: case ---------------------------------------------------------------------


def test_action_and_key_names_are_case_insensitive_values_are_not() -> None:
    policy = doc(
        stmt(action="EXECUTE-API:invoke", condition={"StringEquals": {"AWS:SOURCEVPCE": VPCE}})
    )
    assert evaluate(policy, private(vpce=VPCE)).allowed
    assert not evaluate(policy, private(vpce=VPCE.upper())).allowed


def test_resource_part_is_case_sensitive_prefix_is_not() -> None:
    policy = doc(stmt(resource="ARN:AWS:EXECUTE-API:US-EAST-1:123456789012:a1b2c3d4e5/prod/GET/*"))
    assert evaluate(policy, private()).allowed
    assert not evaluate(policy, Request(arn("prod/get/pets"))).allowed
    assert not evaluate(policy, Request(arn("Prod/GET/pets"))).allowed


def test_principal_user_name_is_case_sensitive() -> None:
    policy = doc(stmt(principal={"AWS": USER}))
    assert evaluate(policy, private(principal=USER)).allowed
    assert not evaluate(policy, private(principal=USER.lower())).allowed


# --- §1.9 item 8: wildcards and regex metacharacters --------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("prod/GET/pets/*", "prod/GET/pets/a/b", True),
        ("prod/GET/pets/*", "prod/GET/pets", False),
        ("prod/GET/pets*", "prod/GET/pets", True),
        ("prod/GET/pet?", "prod/GET/pets", True),
        ("prod/GET/pet?", "prod/GET/pet", False),
        ("prod/*/pets", "prod/GET/pets", True),
        ("prod/GET/a.b", "prod/GET/axb", False),
        ("prod/GET/a.b", "prod/GET/a.b", True),
        ("prod/GET/a+b", "prod/GET/aab", False),
        ("prod/GET/a+b", "prod/GET/a+b", True),
        ("prod/GET/(x)$", "prod/GET/(x)$", True),
        ("prod/GET/(x)$", "prod/GET/x", False),
        ("prod/GET/[ab]", "prod/GET/a", False),
    ],
)
def test_resource_wildcards_and_metacharacters(pattern: str, path: str, expected: bool) -> None:
    policy = doc(stmt(resource=API.arn(pattern)))
    assert evaluate(policy, Request(arn(path))).allowed is expected


def test_wildcard_in_region_does_not_cross_colons() -> None:
    policy = doc(stmt(resource="arn:aws:execute-api:*:123456789012:a1b2c3d4e5/*"))
    assert evaluate(policy, private()).allowed
    assert not evaluate(
        policy, Request("arn:aws:execute-api:us-east-1:x:123456789012:a1b2c3d4e5/p")
    ).allowed


def test_short_padded_arn_pattern_covers_the_service() -> None:
    assert evaluate(doc(stmt(resource="arn:aws:execute-api:*")), private()).allowed
    assert not evaluate(doc(stmt(resource="arn:aws:s3:*")), private()).allowed


def test_string_like_star_spans_colons_arn_like_does_not() -> None:
    # §1.5: AWS's example, a value StringLike matches but ArnLike does not.
    key = "aws:PrincipalArn"
    value = "arn:aws:iam::123456789012:role/a:b"
    like = doc(stmt(condition={"StringLike": {key: "arn:aws:iam::*"}}))
    arn_like = doc(stmt(condition={"ArnLike": {key: "arn:aws:iam::*"}}))
    request = private(context={key: value})
    assert evaluate(like, request).allowed
    assert not evaluate(arn_like, request).allowed


# --- §1.9 item 9: short forms --------------------------------------------------------------


def test_short_forms_expand_with_the_api() -> None:
    policy = doc(stmt(resource="execute-api:/prod/GET/pets"))
    assert evaluate(policy, private(), api=API).allowed
    # Without an explicit API the request's own execute-api ARN gives it.
    assert evaluate(policy, private()).allowed
    other_account = ApiContext("us-east-1", OTHER, "a1b2c3d4e5")
    assert not evaluate(policy, private(), api=other_account).allowed
    other_api = ApiContext("us-east-1", ACCOUNT, "zzzzzzzzzz")
    assert not evaluate(policy, private(), api=other_api).allowed


def test_short_form_root_wildcard() -> None:
    policy = doc(stmt("Deny", resource="execute-api:/*"))
    assert evaluate(policy, private()).outcome == "explicit_deny"


def test_short_forms_match_nothing_without_an_api() -> None:
    policy = doc(stmt(resource="execute-api:/*"))
    d = evaluate(policy, Request("arn:aws:s3:::bucket/key"))
    assert d.outcome == "implicit_deny"
    assert "short forms match nothing" in d.statements[0].elements[2].detail


def test_short_form_explanation_names_expansion() -> None:
    d = evaluate(doc(stmt(resource="execute-api:/test/*")), private(), api=API)
    assert (
        "expanded with arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"
        in d.statements[0].elements[2].detail
    )


def test_govcloud_partition_short_form() -> None:
    gov = ApiContext("us-gov-west-1", ACCOUNT, "a1b2c3d4e5", partition="aws-us-gov")
    request = Request(gov.arn("prod/GET/x"))
    assert evaluate(doc(stmt()), request).allowed
    assert not evaluate(doc(stmt()), request, api=API).allowed


# --- §1.9 item 10: account principals delegate --------------------------------------------


@pytest.mark.parametrize("entry", [ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root"])
def test_account_principal_matches_through_the_account_and_is_marked_delegated(entry: str) -> None:
    d = evaluate(doc(stmt(principal={"AWS": entry})), private(principal=ROLE))
    assert d.allowed
    assert d.delegated
    assert d.statements[0].principal_match == "account"
    assert "delegates" in d.statements[0].elements[0].detail


def test_direct_principal_allow_is_not_delegated() -> None:
    policy = doc(stmt(principal={"AWS": ACCOUNT}), stmt(principal={"AWS": ROLE}))
    d = evaluate(policy, private(principal=ROLE))
    assert d.allowed
    assert not d.delegated


def test_account_principal_of_another_account_does_not_match() -> None:
    d = evaluate(doc(stmt(principal={"AWS": OTHER})), private(principal=ROLE))
    assert not d.allowed


def test_root_caller_matches_its_account_directly() -> None:
    root = f"arn:aws:iam::{ACCOUNT}:root"
    d = evaluate(doc(stmt(principal={"AWS": ACCOUNT})), private(principal=root))
    assert d.allowed
    assert not d.delegated


# --- §1.9 item 11: variables ---------------------------------------------------------------


def test_variables_need_version_2012() -> None:
    resource = "execute-api:/prod/GET/users/${aws:username}"
    request = Request(
        arn("prod/GET/users/Alice"), principal=USER, context={"aws:username": "Alice"}
    )
    assert evaluate(doc(stmt(resource=resource)), request).allowed
    assert not evaluate(doc(stmt(resource=resource), version="2008-10-17"), request).allowed
    assert not evaluate(doc(stmt(resource=resource), version=None), request).allowed
    literal = Request(arn("prod/GET/users/${aws:username}"), principal=USER)
    assert evaluate(doc(stmt(resource=resource), version=None), literal).allowed


def test_substituted_values_are_literal_not_patterns() -> None:
    resource = "execute-api:/prod/GET/users/${aws:username}"
    request = Request(arn("prod/GET/users/Bobby"), context={"aws:username": "Bob*"})
    assert not evaluate(doc(stmt(resource=resource)), request).allowed
    exact = Request(arn("prod/GET/users/Bob*"), context={"aws:username": "Bob*"})
    assert evaluate(doc(stmt(resource=resource)), exact).allowed


def test_unresolved_variable_makes_resource_entry_match_nothing() -> None:
    policy = doc(stmt(resource=["execute-api:/prod/GET/users/${aws:username}"]))
    d = evaluate(policy, Request(arn("prod/GET/users/")))
    assert not d.allowed
    not_resource = doc(stmt(resource=None, NotResource="execute-api:/prod/GET/${aws:username}"))
    # The unresolved entry excludes nothing, so NotResource lets the statement apply.
    assert evaluate(not_resource, Request(arn("prod/GET/x"))).allowed


def test_special_variables_and_defaults() -> None:
    policy = doc(
        stmt(
            condition={
                "StringEquals": {
                    "aws:PrincipalTag/team": "${aws:PrincipalTag/dept, 'company-wide'}",
                    "aws:Referer": "a${*}b${?}c${$}",
                }
            }
        )
    )
    ok = private(context={"aws:PrincipalTag/team": "company-wide", "aws:Referer": "a*b?c$"})
    assert evaluate(policy, ok).allowed
    tagged = private(
        context={
            "aws:PrincipalTag/team": "x",
            "aws:PrincipalTag/dept": "x",
            "aws:Referer": "a*b?c$",
        }
    )
    assert evaluate(policy, tagged).allowed
    wrong = private(context={"aws:PrincipalTag/team": "x", "aws:Referer": "a*b?c$"})
    assert not evaluate(policy, wrong).allowed


def test_variable_from_multivalued_key_is_unresolved() -> None:
    policy = doc(stmt(condition={"StringNotEquals": {"aws:Referer": "${aws:PrincipalOrgPaths}"}}))
    # Unresolved: the value matches nothing, so the negated operator holds.
    d = evaluate(policy, private(context={"aws:Referer": "a", "aws:PrincipalOrgPaths": ["a", "b"]}))
    assert d.allowed
    assert "unresolved" in d.statements[0].conditions[0].detail
    # A list of one value is still a multivalued key.
    one = private(context={"aws:Referer": "a", "aws:PrincipalOrgPaths": ["a"]})
    assert evaluate(policy, one).allowed
    single = private(context={"aws:Referer": "a", "aws:PrincipalOrgPaths": "a"})
    assert not evaluate(policy, single).allowed


def test_variable_in_string_like_is_literal() -> None:
    policy = doc(stmt(condition={"StringLike": {"aws:Referer": "https://${aws:username}/*"}}))
    assert evaluate(
        policy, private(context={"aws:Referer": "https://a.b/x", "aws:username": "a.b"})
    ).allowed
    assert not evaluate(
        policy, private(context={"aws:Referer": "https://axb/x", "aws:username": "a.b"})
    ).allowed


# --- §1.9 item 12: role sessions ----------------------------------------------------------


def test_role_arn_covers_its_sessions_session_arn_only_itself() -> None:
    by_role = doc(stmt(principal={"AWS": ROLE}))
    by_session = doc(stmt(principal={"AWS": SESSION}))
    other_session = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/worker-2"
    assert evaluate(by_role, private(principal=SESSION)).allowed
    assert evaluate(by_role, private(principal=ROLE)).allowed
    assert evaluate(by_session, private(principal=SESSION)).allowed
    assert not evaluate(by_session, private(principal=other_session)).allowed
    assert not evaluate(by_session, private(principal=ROLE)).allowed


def test_pathed_role_matches_sessions() -> None:
    pathed = f"arn:aws:iam::{ACCOUNT}:role/team/ops/app"
    policy = doc(stmt(principal={"AWS": pathed}))
    assert evaluate(policy, private(principal=SESSION)).allowed
    # With aws:PrincipalArn the path is known and must agree.
    known = private(principal=SESSION, context={"aws:PrincipalArn": pathed})
    assert evaluate(policy, known).allowed
    wrong_path = private(principal=SESSION, context={"aws:PrincipalArn": ROLE})
    assert not evaluate(policy, wrong_path).allowed


def test_role_of_another_account_does_not_cover_session() -> None:
    policy = doc(stmt(principal={"AWS": f"arn:aws:iam::{OTHER}:role/app"}))
    assert not evaluate(policy, private(principal=SESSION)).allowed


def test_wildcard_in_principal_arn_never_matches() -> None:
    policy = doc(stmt(principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/*"}))
    assert not evaluate(policy, private(principal=ROLE)).allowed
    use_condition = doc(
        stmt(condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"}})
    )
    assert evaluate(
        use_condition, private(principal=SESSION, context={"aws:PrincipalArn": ROLE})
    ).allowed


def test_unique_id_principal_matches_through_userid() -> None:
    policy = doc(stmt(principal={"AWS": "AROAEXAMPLEID1234567"}))
    request = private(principal=SESSION, context={"aws:userid": "AROAEXAMPLEID1234567:worker-1"})
    assert evaluate(policy, request).allowed
    assert not evaluate(policy, private(principal=SESSION)).allowed


def test_service_and_federated_principals() -> None:
    policy = doc(
        stmt(principal={"Service": "Lambda.amazonaws.com"}),
        stmt(principal={"Federated": "cognito-identity.amazonaws.com"}, sid="F"),
    )
    assert evaluate(policy, private(principal="lambda.amazonaws.com")).allowed
    d = evaluate(policy, private(principal="cognito-identity.amazonaws.com"))
    assert d.deciding == (StatementRef(1, "F"),)
    assert not evaluate(policy, private(principal="sqs.amazonaws.com")).allowed


def test_other_arn_callers_match_only_exactly() -> None:
    federated = f"arn:aws:sts::{ACCOUNT}:federated-user/bob"
    policy = doc(stmt(principal={"AWS": federated}))
    assert evaluate(policy, private(principal=federated)).allowed
    assert not evaluate(
        doc(stmt(principal={"AWS": ACCOUNT})), private(principal="not-an-arn")
    ).allowed


# --- actions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        ("*", True),
        ("execute-api:*", True),
        ("execute-api:Inv?ke", True),
        ("execute-api:*Cache", False),
        ("execute-api:Invoke,execute-api:InvalidateCache", False),
        ("execute-api:Invoke ", False),
        ([" execute-api:Invoke", "execute-api:Invoke"], True),
        ("s3:*", False),
    ],
)
def test_action_matching(actions: object, expected: bool) -> None:
    assert evaluate(doc(stmt(action=actions)), private()).allowed is expected


def test_not_action_matches_everything_else() -> None:
    policy = doc(stmt(action=None, NotAction="execute-api:InvalidateCache"))
    assert evaluate(policy, private()).allowed
    d = evaluate(policy, Request(arn(), action="execute-api:InvalidateCache"))
    assert not d.allowed
    assert "excluded by NotAction" in d.statements[0].elements[1].detail
    assert "is not in NotAction" in evaluate(policy, private()).statements[0].elements[1].detail


def test_not_resource() -> None:
    policy = doc(stmt(resource=None, NotResource="execute-api:/admin/*"))
    assert evaluate(policy, private()).allowed
    d = evaluate(policy, Request(arn("admin/GET/x")))
    assert not d.allowed
    assert "excluded by NotResource" in d.statements[0].elements[2].detail
    assert "is not in NotResource" in evaluate(policy, private()).statements[0].elements[2].detail


def test_api_context_from_arn() -> None:
    assert ApiContext.from_arn(arn()) == API
    assert ApiContext.from_arn("arn:aws:s3:::bucket") is None
    assert ApiContext.from_arn("arn:aws:execute-api:us-east-1::a1b2c3d4e5/prod") is None
    assert ApiContext.from_arn("not an arn") is None


def test_request_multivalued_keys() -> None:
    r = Request(arn(), context={"aws:PrincipalOrgPaths": ["o-1/a"], "aws:SourceVpce": VPCE})
    assert r.multivalued("AWS:PrincipalOrgPaths")
    assert not r.multivalued("aws:SourceVpce")
    assert r.variable("aws:PrincipalOrgPaths") is None
    assert r.variable("aws:sourcevpce") == (VPCE,)


def test_compiled_forms_are_reused_and_bounded() -> None:
    policy = parse_policy(doc(stmt(resource="execute-api:/prod/*")))
    for i in range(40):
        other = ApiContext("us-east-1", ACCOUNT, f"api{i:07d}")
        assert evaluate(policy, Request(other.arn("prod/GET/x"))).allowed
        assert len(policy._cache) <= 32
    first = evaluate(policy, private(), api=API)
    cached = dict(policy._cache)
    second = evaluate(policy, private(), api=API)
    assert first.outcome == second.outcome == "allow"
    assert policy._cache == cached


def test_variable_resource_is_explained() -> None:
    policy = doc(stmt(resource="execute-api:/prod/GET/users/${aws:username}"))
    ok = evaluate(policy, Request(arn("prod/GET/users/Al"), context={"aws:username": "Al"}))
    assert ok.statements[0].elements[2].matched
    miss = evaluate(policy, Request(arn("prod/GET/users/Bo"), context={"aws:username": "Al"}))
    assert not miss.statements[0].elements[2].matched
    assert "matches none of Resource" in miss.statements[0].elements[2].detail


def test_many_distinct_actions() -> None:
    policy = parse_policy(doc(stmt(action="execute-api:Act1*")))
    outcomes = [
        evaluate(policy, Request(arn(), action=f"execute-api:Act{i}")).allowed for i in range(70)
    ]
    assert outcomes[1] and outcomes[10] and outcomes[19]
    assert not outcomes[2]
    assert sum(outcomes) == 11
