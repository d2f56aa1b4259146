"""Parsing: the model, and errors that name the statement (index and Sid) and the key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_helpers import doc, stmt

from privateapi._errors import InvalidInputError
from privateapi.policy import (
    Condition,
    Policy,
    PolicySyntaxError,
    Principal,
    parse_policy,
)
from privateapi.policy._parse import MAX_DEPTH


def test_parses_a_full_statement() -> None:
    policy = parse_policy(
        doc(
            stmt(
                sid="S",
                principal={"AWS": ["*", "123456789012"], "Service": "lambda.amazonaws.com"},
                action=["execute-api:Invoke", "execute-api:InvalidateCache"],
                resource="execute-api:/*",
                condition={"ForAnyValue:StringLikeIfExists": {"aws:PrincipalOrgPaths": ["o-1/*"]}},
            )
        )
    )
    (st,) = policy.statements
    assert policy.version == "2012-10-17"
    assert policy.variables_enabled
    assert st.sid == "S"
    assert st.effect == "Allow"
    assert st.principal == Principal(
        wildcard=True, aws=("123456789012",), service=("lambda.amazonaws.com",)
    )
    assert st.actions == ("execute-api:Invoke", "execute-api:InvalidateCache")
    assert st.conditions == (
        Condition(
            operator="ForAnyValue:StringLikeIfExists",
            key="aws:PrincipalOrgPaths",
            values=("o-1/*",),
            base="StringLike",
            set_operator="ForAnyValue",
            if_exists=True,
        ),
    )
    assert not st.conditions[0].negated


def test_single_statement_object_and_id() -> None:
    policy = parse_policy({"Id": "p1", "Statement": stmt()})
    assert policy.id == "p1"
    assert len(policy.statements) == 1
    assert policy.version is None
    assert not policy.variables_enabled


def test_json_text_and_bytes() -> None:
    text = json.dumps(doc(stmt()))
    assert parse_policy(text) == parse_policy(text.encode())


def test_parsed_policy_is_returned_as_is() -> None:
    policy = parse_policy(doc(stmt()))
    assert parse_policy(policy) is policy


def test_condition_values_keep_json_spelling() -> None:
    policy = parse_policy(doc(stmt(condition={"NumericEquals": {"a:N": [1, 2.5, True]}})))
    assert policy.statements[0].conditions[0].values == ("1", "2.5", "true")


def test_to_dict_round_trip_is_a_copy() -> None:
    source = doc(stmt(sid="A"), stmt("Deny", sid="B"))
    policy = parse_policy(source)
    copy = policy.to_dict()
    assert copy == source
    copy["Statement"].clear()
    assert policy.to_dict() == source
    assert parse_policy(policy.to_json(indent=None)) == policy


def _error(document: Any) -> PolicySyntaxError:
    with pytest.raises(PolicySyntaxError) as info:
        parse_policy(document)
    return info.value


def test_error_names_statement_sid_and_key() -> None:
    err = _error(
        doc(stmt(sid="A"), stmt(sid="DenyOthers", condition={"StringEqualz": {"a:B": "c"}}))
    )
    assert str(err).startswith(
        "Statement[1] (Sid 'DenyOthers'): Condition operator 'StringEqualz' is not a known"
        " operator; expected one of StringEquals"
    )
    assert err.statement == 1
    assert err.sid == "DenyOthers"
    assert err.key == "Condition.StringEqualz"
    assert isinstance(err, InvalidInputError)
    assert isinstance(err, ValueError)


def test_error_without_sid_names_index() -> None:
    err = _error(doc(stmt(), stmt(effect="Permit")))
    assert str(err) == "Statement[1]: Effect 'Permit' is not valid; expected 'Allow' or 'Deny'"


@pytest.mark.parametrize(
    ("document", "fragment", "key"),
    [
        ("{not json", "not valid JSON", "document"),
        (b"\xff\xfe", "not valid", "document"),
        ("[1, 2]", "the document is a JSON array", "document"),
        ('"text"', "JSON string", "document"),
        ({"Statement": [], "Extra": 1}, "unknown top-level element 'Extra'", "Extra"),
        (
            {"Version": "2020-01-01", "Statement": []},
            "Version '2020-01-01' is not valid",
            "Version",
        ),
        ({"Id": 5, "Statement": []}, "Id must be a string", "Id"),
        ({"Version": "2012-10-17"}, "Statement element is missing", "Statement"),
        ({"Statement": "x"}, "Statement is a JSON string", "Statement"),
        ({"Statement": [5]}, "the statement is a JSON number", "Statement"),
        ({"Statement": [{"Sid": 5}]}, "Sid must be a string", "Sid"),
        (doc({"Effect": "Allow", "Acton": "x"}), "unknown element 'Acton'", "Acton"),
        (doc({"Principal": "*"}), "Effect element is missing", "Effect"),
        (doc(stmt(Effect="allow")), "Effect 'allow' is not valid", "Effect"),
        (doc(stmt(NotPrincipal="*")), "both Principal and NotPrincipal", "Principal"),
        (doc(stmt(principal="everyone")), "Principal 'everyone' is not valid", "Principal"),
        (doc(stmt(principal={})), "Principal {} is not valid", "Principal"),
        (
            doc(stmt(principal={"User": "x"})),
            "Principal type 'User' is not known",
            "Principal.User",
        ),
        (doc(stmt(principal={"AWS": "bob"})), "not an ARN, account id or '*'", "Principal.AWS"),
        (doc(stmt(principal={"AWS": 123456789012})), "holds a JSON number", "Principal.AWS"),
        (doc(stmt(principal={"AWS": []})), "is an empty list", "Principal.AWS"),
        (doc(stmt(action=None)), "neither Action nor NotAction", "Action"),
        (doc(stmt(NotAction="x:y")), "both Action and NotAction", "Action"),
        (doc(stmt(action="Invoke")), "has no service prefix", "Action"),
        (doc(stmt(action=None, NotAction="Invoke")), "has no service prefix", "NotAction"),
        (doc(stmt(action=[None])), "holds a JSON null", "Action"),
        (doc(stmt(resource=None)), "neither Resource nor NotResource", "Resource"),
        (doc(stmt(resource="pets")), "resource 'pets' is not an ARN", "Resource"),
        (doc(stmt(resource="arn:aws:s3")), "is not an ARN", "Resource"),
        (doc(stmt(resource="urn:a:b:c:d:e")), "is not an ARN", "Resource"),
        (doc(stmt(resource=None, NotResource="x")), "is not an ARN", "NotResource"),
        (doc(stmt(condition=["x"])), "Condition is a JSON array", "Condition"),
        (doc(stmt(condition={"StringEquals": "x"})), "holds 'x'", "Condition.StringEquals"),
        (doc(stmt(condition={"StringEquals": {}})), "holds {}", "Condition.StringEquals"),
        (doc(stmt(condition={"NullIfExists": {"a:b": "true"}})), "not a known operator", None),
        (doc(stmt(condition={"ForAnyValue:Null": {"a:b": "true"}})), "not a known operator", None),
        (doc(stmt(condition={"ForEach:StringEquals": {"a:b": "x"}})), "not a known operator", None),
        (doc(stmt(condition={"IfExists": {"a:b": "x"}})), "not a known operator", None),
        (
            doc(stmt(condition={"StringEquals": {"a:b": {"x": 1}}})),
            "is a JSON object",
            "Condition.StringEquals.a:b",
        ),
        (
            doc(stmt(condition={"StringEquals": {"a:b": None}})),
            "is a JSON null",
            "Condition.StringEquals.a:b",
        ),
        (doc(stmt(sid="A"), stmt(sid="A")), "Sid 'A' is used by more than one statement", "Sid"),
        (
            '{"Statement": [], "Statement": []}',
            "'Statement' appears twice in the document",
            "Statement",
        ),
    ],
)
def test_malformed_documents(document: Any, fragment: str, key: str | None) -> None:
    err = _error(document)
    assert fragment in str(err)
    if key is not None:
        assert err.key == key
    assert "\n" not in str(err)


def test_bad_principal_arn_error_names_statement() -> None:
    err = _error(doc(stmt(sid="P", principal={"AWS": "arn:aws:iam::1"})))
    assert str(err).startswith("Statement[0] (Sid 'P'): Principal AWS entry")


def test_policy_is_constructible_directly() -> None:
    policy = Policy(statements=())
    assert policy.to_dict() == {}
    assert policy.statements == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"Statement": [{"Sid": "A", "Effect": "Allow", "Effect": "Deny"}]}',
            "Statement[0] (Sid 'A'): key 'Effect' appears twice in the statement",
        ),
        (
            '{"Statement": [{"Sid": "B", "Effect": "Allow", "Principal": "*", "Action": "*",'
            ' "Resource": "*", "Condition": {"StringEquals": {"a:k": "1", "a:k": "2"}}}]}',
            "Statement[0] (Sid 'B'): key 'a:k' appears twice in the statement.Condition"
            ".StringEquals",
        ),
        (
            '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*", "AWS": "1"}}]}',
            "Statement[0]: key 'AWS' appears twice in the statement.Principal",
        ),
    ],
)
def test_repeated_keys_name_the_statement(text: str, message: str) -> None:
    err = _error(text)
    assert str(err).startswith(message)


def test_repeated_keys_in_a_nested_document_object() -> None:
    err = _error('{"Statement": [], "Version": "2012-10-17", "Id": "a", "Id": "b"}')
    assert str(err).startswith("Policy: key 'Id' appears twice in the document")


def test_escaped_policy_from_get_rest_api() -> None:
    # get-rest-api returns the policy with escaped quotes (and sometimes slashes).
    source = doc(stmt(sid="A", resource="arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*"))
    escaped = json.dumps(json.dumps(source))[1:-1].replace("/", "\\/")
    assert escaped.startswith('{\\"')
    assert parse_policy(escaped) == parse_policy(source)
    wrapped = json.dumps(json.dumps(source))
    assert parse_policy(wrapped) == parse_policy(source)


def test_broken_escaped_policy_is_a_syntax_error() -> None:
    err = _error('{\\"Version\\": ')
    assert "not valid JSON" in str(err)
    err = _error(json.dumps("{not a policy"))
    assert "not valid JSON" in str(err)


# --- bounded depth, linear size -------------------------------------------------------------


def _nested(depth: int) -> Any:
    # A condition value nested `depth` containers deep in total, counting the document.
    value: Any = "x"
    for _ in range(depth - 5):
        value = [value]
    return doc(stmt(condition={"StringEquals": {"aws:UserAgent": value}}))


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 200_000])
def test_a_deeply_nested_mapping_names_the_depth_limit(depth: int) -> None:
    # 5,000 and 200,000 levels overflowed the stack (RecursionError) before.
    err = _error(_nested(depth))
    assert err.key == "document"
    assert f"more than {MAX_DEPTH} levels deep" in str(err)
    assert f"at most {MAX_DEPTH} levels" in str(err)


def test_nesting_up_to_the_limit_gets_the_precise_error() -> None:
    err = _error(_nested(MAX_DEPTH))
    assert "is a JSON array" in str(err)
    assert err.key == "Condition.StringEquals.aws:UserAgent"


def test_a_cyclic_mapping_is_too_deep_not_a_hang() -> None:
    statement: dict[str, Any] = stmt()
    statement["Condition"] = {"StringEquals": {"aws:UserAgent": statement}}
    cyclic = doc(statement)
    err = _error(cyclic)
    assert f"more than {MAX_DEPTH} levels deep" in str(err)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_deeply_nested_json_text_names_the_depth_limit(depth: int) -> None:
    text = json.dumps(doc(stmt(condition={"StringEquals": {"aws:UserAgent": "x"}})))
    # JSON text whose one value is nested `depth` arrays deep (100,000 is past what
    # json.loads can recurse through; both give the same error).
    text = text.replace('"x"', "[" * depth + '"x"' + "]" * depth)
    err = _error(text)
    assert f"more than {MAX_DEPTH} levels deep" in str(err)


class _CountingSid(str):
    """A Sid that counts how often it is compared for equality."""

    __slots__ = ()
    compared = 0

    def __eq__(self, other: object) -> bool:
        _CountingSid.compared += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_sid_uniqueness_is_linear_in_the_statement_count() -> None:
    # list.count compared every Sid with every other (100k statements took 120 s). Count
    # the comparisons instead of timing them: a set compares only on hash collisions.
    n = 3_000
    statements = [stmt(sid=_CountingSid(f"S{i}")) for i in range(n)]
    _CountingSid.compared = 0
    policy = parse_policy(doc(*statements))
    assert len(policy.statements) == n
    assert _CountingSid.compared < 10 * n
    err = _error(doc(*statements, stmt(sid=_CountingSid("S7"))))
    assert err.statement == 7
    assert "Sid 'S7' is used by more than one statement" in str(err)
