"""Lint: one test per warning code, plus the silent cases."""

from __future__ import annotations

import re

from policy_helpers import API, VPCE, doc, stmt

from privateapi.policy import LINT_CODES, StatementRef, generate, lint

VPCE_ALLOW = {"StringEquals": {"aws:SourceVpce": VPCE}}
VPCE_DENY = stmt("Deny", sid="DenyOthers", condition={"StringNotEquals": {"aws:SourceVpce": VPCE}})


def codes(policy: object, **kw: object) -> list[str]:
    return [w.code for w in lint(policy, **kw)]  # type: ignore[arg-type]


def test_recommended_policy_is_clean() -> None:
    assert lint(generate([VPCE])) == ()
    assert lint(generate([VPCE], api=API), api=API) == ()
    assert lint(doc(stmt(sid="A"), VPCE_DENY), api=API) == ()


def test_source_ip() -> None:
    policy = doc(
        stmt(condition={"IpAddress": {"AWS:SOURCEIP": "10.0.0.0/8"}, **VPCE_ALLOW}), VPCE_DENY
    )
    (warning,) = lint(policy)
    assert warning.code == "source-ip"
    assert "aws:VpcSourceIp" in warning.message
    assert warning.key == "AWS:SOURCEIP"
    assert warning.statement == StatementRef(0, None)
    assert str(warning).startswith("Statement[0]: IpAddress on aws:SourceIp")
    assert warning.to_dict()["statement"] == {"index": 0, "sid": None}


def test_open_to_all_endpoints() -> None:
    assert codes(doc(stmt(sid="Open"), stmt("Deny", sid="D", resource="execute-api:/admin/*"))) == [
        "open-to-all-endpoints"
    ]
    # A Deny on the endpoint keys restricts the Allow.
    assert "open-to-all-endpoints" not in codes(doc(stmt(), VPCE_DENY))
    assert "open-to-all-endpoints" not in codes(doc(stmt(condition=VPCE_ALLOW), VPCE_DENY))
    vpc = {"StringEquals": {"aws:SourceVpc": "vpc-1a2b3c4d"}}
    assert "open-to-all-endpoints" not in codes(doc(stmt(condition=vpc), VPCE_DENY))


def test_iam_principals() -> None:
    policy = doc(stmt(principal={"AWS": "arn:aws:iam::123456789012:role/app"}), VPCE_DENY)
    assert codes(policy) == ["iam-principals"]
    assert codes(doc(stmt(principal={"AWS": "*"}), VPCE_DENY)) == []


def test_allow_without_deny() -> None:
    policy = doc(stmt(sid="OnlyVpce", condition=VPCE_ALLOW))
    warnings = lint(policy)
    assert [w.code for w in warnings] == ["allow-without-deny"]
    assert warnings[0].statement == StatementRef(0, "OnlyVpce")
    assert "Table A" in warnings[0].message


def test_invalid_resource_arns() -> None:
    policy = doc(
        stmt(
            resource=[
                "arn:aws:s3:::bucket/*",
                "arn:aws:execute-api:us-east-1:123456789012:bad_api_id!/*",
                "arn:aws:execute-api:us-west-2:123456789012:a1b2c3d4e5/*",
                "arn:aws:execute-api:us-east-1:210987654321:zzzzzzzzzz/*",
                "execute-api:/prod/get/pets",
                "execute-api:/prod/ANY/pets",
                "execute-api:/prod/*/pets",
                "arn:aws:execute-api:*",
            ]
        ),
        VPCE_DENY,
    )
    messages = [w.message for w in lint(policy, api=API) if w.code == "invalid-arn"]
    assert any("not an execute-api ARN" in m for m in messages)
    assert any("'bad_api_id!' is not an API id" in m for m in messages)
    assert any("region 'us-west-2'" in m for m in messages)
    assert any("account '210987654321'" in m for m in messages)
    assert any("API id 'zzzzzzzzzz'" in m for m in messages)
    assert any("'get' is not an HTTP method; methods are upper-case ('GET')" in m for m in messages)
    assert any("'ANY' is not an HTTP method" in m for m in messages)
    assert any("API id 'bad_api_id!'" in m for m in messages)
    assert len(messages) == 8
    # Without an API no account/region/id check applies; the path is still checked.
    assert len([w for w in lint(policy) if w.code == "invalid-arn"]) == 4


def test_invalid_principal_arns() -> None:
    policy = doc(
        stmt(
            principal={
                "AWS": [
                    "arn:aws:iam::123456789012:role/*",
                    "arn:aws:s3:::bucket",
                    "AROAEXAMPLEID1234567",
                    "123456789012",
                ]
            }
        ),
        VPCE_DENY,
    )
    messages = [w.message for w in lint(policy) if w.code == "invalid-arn"]
    assert len(messages) == 3
    assert any("has a wildcard" in m for m in messages)
    assert any("not an IAM/STS ARN" in m for m in messages)
    assert any("unique id" in m for m in messages)


def test_unknown_action() -> None:
    assert codes(doc(stmt(action="s3:GetObject"), VPCE_DENY)) == ["unknown-action"]
    assert codes(doc(stmt(action=None, NotAction="execute-api:*"), VPCE_DENY)) == ["unknown-action"]
    assert codes(doc(stmt(action="*"), VPCE_DENY)) == []


def test_unknown_condition_keys() -> None:
    condition = {
        "StringEquals": {
            "aws:SourceVpce": VPCE,
            "s3:prefix": "x",
            "aws:VpceAccount": "123456789012",
            "aws:PrincipalTag/team": "a",
            "execute-api:viaDomainArn": "arn:aws:execute-api:*",
        }
    }
    warnings = [
        w
        for w in lint(doc(stmt(condition=condition), VPCE_DENY))
        if w.code == "unknown-condition-key"
    ]
    assert [w.key for w in warnings] == ["s3:prefix", "aws:VpceAccount"]
    assert "unverified" in warnings[1].message


def test_malformed_values() -> None:
    condition = {
        "IpAddress": {"aws:VpcSourceIp": ["10.0.0.0/33", "10.0.0.0/8"]},
        "DateLessThan": {"aws:CurrentTime": "tomorrow"},
        "Null": {"aws:SourceVpc": "maybe"},
        "StringLike": {"aws:UserAgent": "${aws:username}"},
        **VPCE_ALLOW,
    }
    warnings = [
        w for w in lint(doc(stmt(condition=condition), VPCE_DENY)) if w.code == "malformed-value"
    ]
    assert [w.key for w in warnings] == ["aws:VpcSourceIp", "aws:CurrentTime", "aws:SourceVpc"]
    assert "['10.0.0.0/33']" in warnings[0].message


def test_variables_ignored_without_version() -> None:
    policy = doc(
        stmt(
            resource="execute-api:/prod/GET/${aws:username}",
            condition={"StringEquals": {"aws:username": "${aws:username}", "aws:SourceVpce": VPCE}},
        ),
        VPCE_DENY,
        version=None,
    )
    assert codes(policy) == ["variables-ignored", "variables-ignored"]
    assert codes(policy["Statement"] and {**policy, "Version": "2012-10-17"}) == []


def test_missing_principal_and_not_principal() -> None:
    assert codes(doc(stmt(principal=None), VPCE_DENY)) == ["missing-principal"]
    not_principal = doc(stmt(principal=None, NotPrincipal={"AWS": "123456789012"}), VPCE_DENY)
    assert codes(not_principal) == ["not-principal"]


def test_forallvalues_in_allow() -> None:
    condition = {"ForAllValues:StringEquals": {"aws:PrincipalOrgPaths": "o-1/r-2/ou-3/"}}
    assert codes(doc(stmt(condition=condition), VPCE_DENY)) == ["forallvalues-allow"]
    guarded = {"ForAllValues:StringEqualsIfExists": {"aws:PrincipalOrgPaths": "o-1/"}}
    assert codes(doc(stmt(condition=guarded), VPCE_DENY)) == []


def test_every_code_is_documented_and_typed() -> None:
    import privateapi.policy._lint as module

    documented = re.findall(r"^``([a-z-]+)``", module.__doc__ or "", re.MULTILINE)
    assert tuple(documented) == LINT_CODES
    assert all(f.severity == "warning" for f in lint(doc(stmt(principal=None))))
