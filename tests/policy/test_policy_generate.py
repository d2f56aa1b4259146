"""generate(): the recommended policy, checked by evaluating it."""

from __future__ import annotations

import pytest
from policy_helpers import ACCOUNT, API, VPCE, VPCE2, arn

from privateapi._errors import InvalidInputError
from privateapi.policy import Request, authorize, evaluate, generate, parse_policy

VPC = "vpc-0a1b2c3d4e5f60718"


def test_vpce_only() -> None:
    policy = generate([VPCE])
    assert parse_policy(policy).version == "2012-10-17"
    assert evaluate(policy, Request.for_private_api(arn(), vpce=VPCE)).allowed
    d = evaluate(policy, Request.for_private_api(arn(), vpce=VPCE2))
    assert d.outcome == "explicit_deny"
    assert [r.sid for r in d.deciding] == ["DenyOutsideVpc"]
    # The Deny also stops same-account IAM callers whose identity policies allow (Table A).
    role = f"arn:aws:iam::{ACCOUNT}:role/app"
    request = Request.for_private_api(arn(), principal=role, vpce=VPCE2)
    assert (
        authorize(policy, request, auth_type="AWS_IAM", caller="allow").outcome == "explicit_deny"
    )


def test_vpce_or_vpc() -> None:
    policy = generate([VPCE, VPCE2], [VPC])
    assert evaluate(policy, Request.for_private_api(arn(), vpce=VPCE2, vpc="vpc-99999999")).allowed
    assert evaluate(policy, Request.for_private_api(arn(), vpce="vpce-99999999", vpc=VPC)).allowed
    outside = Request.for_private_api(arn(), vpce="vpce-99999999", vpc="vpc-99999999")
    assert evaluate(policy, outside).outcome == "explicit_deny"
    condition = policy["Statement"][1]["Condition"]["StringNotEquals"]
    assert condition == {"aws:SourceVpce": [VPCE, VPCE2], "aws:SourceVpc": VPC}


def test_stages_methods_and_full_arns() -> None:
    policy = generate([VPCE], stages=["prod"], methods=["get", "POST", "GET"], api=API)
    allow = policy["Statement"][0]
    assert allow["Resource"] == [API.arn("prod/GET/*"), API.arn("prod/POST/*")]
    assert policy["Statement"][1]["Resource"] == API.arn("*")
    ok = Request.for_private_api(arn("prod/GET/pets"), vpce=VPCE)
    assert evaluate(policy, ok).allowed
    assert not evaluate(policy, Request.for_private_api(arn("prod/DELETE/pets"), vpce=VPCE)).allowed
    assert not evaluate(policy, Request.for_private_api(arn("test/GET/pets"), vpce=VPCE)).allowed


def test_default_resource_is_the_whole_api() -> None:
    assert generate([VPCE])["Statement"][0]["Resource"] == "execute-api:/*"
    assert generate([VPCE], methods=["*"])["Statement"][0]["Resource"] == "execute-api:/*"


def test_principals() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/app"
    policy = generate([VPCE], principals=[role, ACCOUNT])
    assert policy["Statement"][0]["Principal"] == {"AWS": [role, ACCOUNT]}
    assert policy["Statement"][1]["Principal"] == "*"
    assert evaluate(policy, Request.for_private_api(arn(), principal=role, vpce=VPCE)).allowed
    assert not evaluate(policy, Request.for_private_api(arn(), vpce=VPCE)).allowed


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "vpce"),
        ({"vpce": ["vpce-xyz"]}, "vpce"),
        ({"vpc": ["vpc-12"]}, "vpc"),
        ({"vpce": [VPCE], "principals": ["bob"]}, "principal"),
        ({"vpce": [VPCE], "stages": ["pro d"]}, "stage"),
        ({"vpce": [VPCE], "methods": ["FETCH"]}, "method"),
    ],
)
def test_bad_input(kwargs: dict[str, list[str]], field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        generate(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_a_single_id_given_as_a_string_is_one_id() -> None:
    """generate("vpce-...") means one endpoint, not a sequence of characters."""
    from privateapi.policy import generate as gen

    assert gen("vpce-1a2b3c4d") == gen(["vpce-1a2b3c4d"])
    assert gen(vpc="vpc-1a2b3c4d", stages="prod", methods="get") == gen(
        vpc=["vpc-1a2b3c4d"], stages=["prod"], methods=["GET"]
    )
