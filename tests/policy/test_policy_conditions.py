"""Condition operators, one table per family (IAM User Guide, condition operators page).

Each row: operator, policy value(s), request value(s) (``None`` = key absent), expected.
"""

from __future__ import annotations

from typing import Any

import pytest
from policy_helpers import arn, doc, stmt

from privateapi.policy import Request, evaluate

KEY = "test:Key"
Row = tuple[str, Any, Any, bool]


def holds(operator: str, policy: Any, request: Any) -> bool:
    """Whether ``{operator: {KEY: policy}}`` holds for a request value (None = absent)."""
    context = {} if request is None else {KEY: request}
    d = evaluate(doc(stmt(condition={operator: {KEY: policy}})), Request(arn(), context=context))
    assert len(d.statements[0].conditions) == 1
    return d.allowed


STRING: list[Row] = [
    ("StringEquals", "abc", "abc", True),
    ("StringEquals", "abc", "ABC", False),
    ("StringEquals", ["x", "abc"], "abc", True),
    ("StringEquals", "a*", "abc", False),
    ("StringNotEquals", "abc", "abd", True),
    ("StringNotEquals", ["abc", "abd"], "abd", False),
    ("StringEqualsIgnoreCase", "ABC", "abc", True),
    ("StringEqualsIgnoreCase", "ABC", "abd", False),
    ("StringNotEqualsIgnoreCase", "ABC", "abc", False),
    ("StringNotEqualsIgnoreCase", "ABC", "abd", True),
    ("StringLike", "a*c", "abbbc", True),
    ("StringLike", "a*c", "a:b/c", True),
    ("StringLike", "a?c", "abc", True),
    ("StringLike", "a?c", "abbc", False),
    ("StringLike", "a.c", "abc", False),
    ("StringLike", "A*", "abc", False),
    ("StringLike", "line*", "line1\nline2", True),
    ("StringNotLike", ["a*", "b*"], "cat", True),
    ("StringNotLike", ["a*", "b*"], "bat", False),
    ("StringEquals", 10, "10", True),
    ("StringEquals", True, "true", True),
]

NUMERIC: list[Row] = [
    ("NumericEquals", "10", "10.0", True),
    ("NumericEquals", 10, "10", True),
    ("NumericEquals", "10", "11", False),
    ("NumericNotEquals", "10", "11", True),
    ("NumericNotEquals", ["10", "11"], "11", False),
    ("NumericLessThan", "10", "9", True),
    ("NumericLessThan", "10", "10", False),
    ("NumericLessThanEquals", "10", "10", True),
    ("NumericLessThanEquals", "10", "11", False),
    ("NumericGreaterThan", "10", "11", True),
    ("NumericGreaterThan", "10", "9", False),
    ("NumericGreaterThanEquals", "10", "10", True),
    ("NumericGreaterThanEquals", "10", "9.5", False),
    ("NumericEquals", "-1.5", "-1.50", True),
    ("NumericEquals", ".5", "0.5", True),
    ("NumericEquals", "010", "10", True),
    # Malformed values match nothing: the positive and the negated form are both false.
    ("NumericEquals", "10", "ten", False),
    ("NumericNotEquals", "10", "ten", False),
    ("NumericEquals", "ten", "10", False),
    ("NumericNotEquals", "ten", "10", False),
    ("NumericNotEquals", ["11", "ten"], "10", False),
    ("NumericEquals", "nan", "nan", False),
]

DATE: list[Row] = [
    ("DateEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00+00:00", True),
    ("DateEquals", "2020-01-01T00:00:00Z", "1577836800", True),
    ("DateEquals", "2020-01-01", "2020-01-01T00:00:00Z", True),
    ("DateEquals", "2020-01-01T01:00:00+01:00", "2020-01-01T00:00:00Z", True),
    ("DateNotEquals", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", True),
    ("DateLessThan", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", True),
    ("DateLessThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", False),
    ("DateLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("DateGreaterThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:01Z", True),
    ("DateGreaterThan", "1577836800", "2019-01-01T00:00:00Z", False),
    ("DateGreaterThanEquals", "2020-01-01T00:00:00z", "2020-01-01T00:00:00Z", True),
    ("DateEquals", "2020-01-01T00:00:00Z", "yesterday", False),
    ("DateNotEquals", "2020-01-01T00:00:00Z", "yesterday", False),
    ("DateEquals", "soon", "2020-01-01T00:00:00Z", False),
]

BOOL: list[Row] = [
    ("Bool", "true", "true", True),
    ("Bool", "true", "TRUE", True),
    ("Bool", "TRUE", "true", True),
    ("Bool", True, "true", True),
    ("Bool", "true", "false", False),
    ("Bool", "false", "false", True),
    ("Bool", "true", "yes", False),
    ("Bool", "yes", "yes", False),
    ("Bool", ["false", "true"], "true", True),
]

BINARY: list[Row] = [
    ("BinaryEquals", "QmluYXJ5VmFsdWU=", "QmluYXJ5VmFsdWU=", True),
    ("BinaryEquals", "QmluYXJ5VmFsdWU=", "QmluYXJ5VmFsdWF=", False),
    ("BinaryEquals", "QmluYXJ5VmFsdWU=", "not base64!", False),
    ("BinaryEquals", "not base64!", "not base64!", False),
]

IP: list[Row] = [
    ("IpAddress", "10.0.0.0/8", "10.1.2.3", True),
    ("IpAddress", "10.0.0.0/8", "11.1.2.3", False),
    ("IpAddress", "10.1.2.3", "10.1.2.3", True),
    ("IpAddress", "10.1.2.3", "10.1.2.4", False),
    ("IpAddress", "10.1.2.3/24", "10.1.2.200", True),
    ("IpAddress", ["192.168.0.0/16", "10.0.0.0/8"], "10.0.0.1", True),
    ("IpAddress", "2001:db8::/32", "2001:db8::1", True),
    ("IpAddress", "2001:db8::/32", "2001:db9::1", False),
    ("IpAddress", "2001:db8::1", "2001:db8::1", True),
    ("IpAddress", "::/0", "10.0.0.1", False),
    ("IpAddress", "0.0.0.0/0", "::1", False),
    ("NotIpAddress", "10.0.0.0/8", "11.1.2.3", True),
    ("NotIpAddress", ["10.0.0.0/8", "11.0.0.0/8"], "11.1.2.3", False),
    ("IpAddress", "10.0.0.0/8", "not-an-ip", False),
    ("NotIpAddress", "10.0.0.0/8", "not-an-ip", False),
    ("IpAddress", "10.0.0.0/33", "10.0.0.1", False),
    ("NotIpAddress", "10.0.0.0/33", "10.0.0.1", False),
    ("IpAddress", ["10.0.0.0/33", "10.0.0.0/8"], "10.0.0.1", True),
]

ROLE = "arn:aws:iam::123456789012:role/app"
ARN: list[Row] = [
    ("ArnEquals", ROLE, ROLE, True),
    ("ArnEquals", "arn:aws:iam::123456789012:role/*", ROLE, True),
    ("ArnLike", "arn:aws:iam::*:role/app", ROLE, True),
    ("ArnLike", "arn:aws:iam::1234567890??:role/app", ROLE, True),
    ("ArnLike", "arn:aws:iam::*", ROLE, False),
    ("ArnLike", "arn:aws:iam::*:*", ROLE, True),
    ("ArnLike", "arn:aws:iam::*:ROLE/app", ROLE, False),
    ("ArnLike", "*", ROLE, True),
    ("ArnLike", "arn:aws:iam::*:role/*", "arn:aws:iam::1:2:role/app", False),
    ("ArnLike", "arn:aws:iam::*:role/*", "not-an-arn", False),
    ("ArnNotLike", "arn:aws:iam::*:role/*", "not-an-arn", False),
    ("ArnNotLike", "arn:aws:iam::*:role/admin-*", ROLE, True),
    ("ArnNotLike", ["arn:aws:iam::*:role/admin-*", "arn:aws:iam::*:role/app"], ROLE, False),
    ("ArnNotEquals", ROLE, ROLE, False),
    ("ArnLike", "arn:aws:iam::*:role/a:*", "arn:aws:iam::1:role/a:b", True),
    ("ArnLike", "arn:aws:iam", ROLE, False),
]

NULL: list[Row] = [
    ("Null", "true", None, True),
    ("Null", "true", "x", False),
    ("Null", "false", "x", True),
    ("Null", "false", None, False),
    ("Null", True, None, True),
    ("Null", ["true", "false"], "x", True),
    ("Null", "true", [], False),
    ("Null", "false", [], True),
    ("Null", "maybe", None, False),
]

SETS: list[Row] = [
    ("ForAnyValue:StringEquals", ["a", "b"], ["b", "c"], True),
    ("ForAnyValue:StringEquals", ["a", "b"], ["c", "d"], False),
    ("ForAnyValue:StringEquals", ["a"], [], False),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "b"], True),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "c"], False),
    ("ForAllValues:StringEquals", ["a"], [], True),
    ("ForAllValues:StringEquals", ["a"], None, True),
    ("ForAnyValue:StringEquals", ["a"], None, False),
    ("ForAllValues:StringNotLike", ["a*", "b*"], ["cat", "dog"], True),
    ("ForAllValues:StringNotLike", ["a*", "b*"], ["cat", "bat"], False),
    ("ForAnyValue:StringNotEquals", ["a", "b"], ["a", "c"], True),
    ("ForAnyValue:StringNotEquals", ["a", "b"], ["a", "b"], False),
    ("ForAllValues:StringEquals", "o-1", "o-1", True),
    ("ForAllValues:StringEquals", "o-1", "o-2", False),
    ("ForAnyValue:StringLike", "o-1/*", ["o-2/x", "o-1/y"], True),
    ("ForAllValues:StringEqualsIfExists", ["a"], None, True),
    ("foranyvalue:stringequals", ["a"], ["a"], True),
    # Without a set operator a multivalued (list) request key matches nothing, positive
    # or negated, IfExists or not (iam-simulate: "set operator is required").
    ("StringEquals", "a", ["x", "a"], False),
    ("StringEquals", "a", ["a"], False),
    ("StringNotEquals", "a", ["x", "a"], False),
    ("StringNotEquals", "a", ["x", "y"], False),
    ("StringNotEqualsIfExists", "a", ["x"], False),
    ("StringEquals", "a", [], False),
    ("StringNotEquals", "a", [], False),
    ("ForAnyValue:StringEquals", "a", "a", True),
]

IF_EXISTS: list[Row] = [
    ("StringEqualsIfExists", "a", None, True),
    ("StringEqualsIfExists", "a", "b", False),
    ("StringEqualsIfExists", "a", "a", True),
    ("StringNotEqualsIfExists", "a", None, True),
    ("StringNotEqualsIfExists", "a", "a", False),
    ("NumericLessThanIfExists", "5", None, True),
    ("NumericLessThanIfExists", "5", "6", False),
    ("DateLessThanIfExists", "2020-01-01", None, True),
    ("IpAddressIfExists", "10.0.0.0/8", None, True),
    ("ArnLikeIfExists", "arn:aws:iam::*:role/*", None, True),
    ("BinaryEqualsIfExists", "YQ==", None, True),
    ("stringequalsifexists", "a", "a", True),
]


@pytest.mark.parametrize(
    ("operator", "policy", "request_value", "expected"),
    STRING + NUMERIC + DATE + BOOL + BINARY + IP + ARN + NULL + SETS + IF_EXISTS,
)
def test_operator(operator: str, policy: Any, request_value: Any, expected: bool) -> None:
    assert holds(operator, policy, request_value) is expected


def test_operators_and_keys_are_anded() -> None:
    condition = {
        "StringEquals": {"a:One": "1", "a:Two": "2"},
        "Bool": {"aws:SecureTransport": "true"},
    }
    policy = doc(stmt(condition=condition))
    full = {"a:One": "1", "a:Two": "2", "aws:SecureTransport": "true"}
    assert evaluate(policy, Request(arn(), context=full)).allowed
    for missing in full:
        partial = {k: v for k, v in full.items() if k != missing}
        d = evaluate(policy, Request(arn(), context=partial))
        assert not d.allowed
        assert [c.key for c in d.statements[0].failed_conditions] == [missing]


def test_numbers_and_booleans_in_context_compare_as_strings() -> None:
    policy = doc(stmt(condition={"Bool": {"aws:SecureTransport": True}}))
    assert evaluate(policy, Request(arn(), context={"aws:SecureTransport": True})).allowed  # type: ignore[dict-item]
    numeric = doc(stmt(condition={"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}}))
    assert evaluate(numeric, Request(arn(), context={"aws:MultiFactorAuthAge": 60})).allowed  # type: ignore[dict-item]


def test_variables_are_not_substituted_in_numeric_values() -> None:
    policy = doc(stmt(condition={"NumericEquals": {"a:N": "${a:M}"}}))
    assert not evaluate(policy, Request(arn(), context={"a:N": "1", "a:M": "1"})).allowed


def test_variables_in_arn_and_bool_values() -> None:
    arn_policy = doc(
        stmt(
            condition={
                "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:role/*"}
            }
        )
    )
    ctx = {"aws:PrincipalArn": ROLE, "aws:PrincipalAccount": "123456789012"}
    assert evaluate(arn_policy, Request(arn(), context=ctx)).allowed
    ctx_other = {"aws:PrincipalArn": ROLE, "aws:PrincipalAccount": "999999999999"}
    assert not evaluate(arn_policy, Request(arn(), context=ctx_other)).allowed
    bool_policy = doc(stmt(condition={"Bool": {"aws:SecureTransport": "${a:Flag}"}}))
    assert evaluate(
        bool_policy, Request(arn(), context={"aws:SecureTransport": "true", "a:Flag": "true"})
    ).allowed
    bad_bool = Request(arn(), context={"aws:SecureTransport": "true", "a:Flag": "maybe"})
    assert not evaluate(bool_policy, bad_bool).allowed


def test_malformed_request_value_is_explained() -> None:
    d = evaluate(
        doc(stmt(condition={"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}})),
        Request(arn(), context={"aws:VpcSourceIp": "nope"}),
    )
    assert "malformed" in d.statements[0].conditions[0].detail


@pytest.mark.parametrize(
    ("operator", "value", "request_value", "fragment"),
    [
        ("ForAnyValue:StringEquals", "a", None, "ForAnyValue is false"),
        ("ForAllValues:StringEquals", "a", None, "ForAllValues is true"),
        ("StringEqualsIfExists", "a", None, "IfExists makes the condition true"),
        ("Null", "true", None, "asks for it to be absent"),
        ("Null", "false", None, "asks for it to be present"),
        ("ForAnyValue:StringEquals", "a", ["a"], "(ForAnyValue)"),
        ("StringNotEquals", "a", "b", "must differ from every value"),
        ("StringEquals", "a", ["a", "b"], "only ForAnyValue:/ForAllValues: operators match"),
    ],
)
def test_condition_explanations(
    operator: str, value: str, request_value: Any, fragment: str
) -> None:
    context = {} if request_value is None else {KEY: request_value}
    d = evaluate(doc(stmt(condition={operator: {KEY: value}})), Request(arn(), context=context))
    result = d.statements[0].conditions[0]
    assert fragment in result.detail
    assert result.to_dict()["operator"] == operator
