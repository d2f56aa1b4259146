"""Hypothesis properties of the evaluator.

* a matching Deny always wins;
* statement order never changes the outcome (nor which statements decide);
* adding an unrelated statement never changes the outcome;
* parsing is stable under printing back (``to_json`` round trip);
* a literal path used as a Resource pattern matches itself and only itself (escaping);
* for a present, single, well-formed value a negated operator is the complement of its
  positive twin.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from policy_helpers import ACCOUNT, OTHER, arn

from privateapi.policy import Request, evaluate, parse_policy

ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1"
OTHER_ROLE = f"arn:aws:iam::{OTHER}:role/ops"
VPCES = ("vpce-0000000a", "vpce-0000000b", "vpce-0000000c")
STAGES = ("prod", "test", "dev")

principals = st.sampled_from(
    ["*", {"AWS": "*"}, {"AWS": ROLE}, {"AWS": ACCOUNT}, {"AWS": [OTHER_ROLE, ROLE]}]
)
actions = st.sampled_from(
    [
        "execute-api:Invoke",
        "execute-api:*",
        "*",
        "execute-api:InvalidateCache",
        ["execute-api:Inv*"],
    ]
)
resources = st.sampled_from(
    [
        "execute-api:/*",
        "execute-api:/prod/*",
        "execute-api:/*/GET/*",
        "execute-api:/test/POST/x",
        "*",
    ]
)
conditions = st.sampled_from(
    [
        None,
        {"StringEquals": {"aws:SourceVpce": "vpce-0000000a"}},
        {"StringNotEquals": {"aws:SourceVpce": ["vpce-0000000a", "vpce-0000000b"]}},
        {"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/16"}},
        {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        {"Null": {"aws:PrincipalArn": "true"}},
        {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-1/*"}},
        {"StringEqualsIfExists": {"aws:SourceVpc": "vpc-00000001"}},
        {"Bool": {"aws:SecureTransport": "true"}},
    ]
)


@st.composite
def statements(draw: st.DrawFn, sid: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Sid": sid,
        "Effect": draw(st.sampled_from(["Allow", "Deny"])),
        ("NotPrincipal" if draw(st.integers(0, 9)) == 0 else "Principal"): draw(principals),
        ("NotAction" if draw(st.integers(0, 9)) == 0 else "Action"): draw(actions),
        ("NotResource" if draw(st.integers(0, 9)) == 0 else "Resource"): draw(resources),
    }
    condition = draw(conditions)
    if condition is not None:
        out["Condition"] = condition
    return out


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(0, 6))
    return {"Version": "2012-10-17", "Statement": [draw(statements(f"S{i}")) for i in range(n)]}


@st.composite
def requests(draw: st.DrawFn) -> Request:
    context: dict[str, Any] = {}
    if draw(st.booleans()):
        context["aws:SourceVpce"] = draw(st.sampled_from(VPCES))
    if draw(st.booleans()):
        context["aws:VpcSourceIp"] = draw(st.sampled_from(["10.0.1.2", "10.1.0.1", "fd00::1"]))
    if draw(st.booleans()):
        context["aws:PrincipalOrgPaths"] = draw(
            st.lists(st.sampled_from(["o-1/a", "o-2/b"]), max_size=2)
        )
    if draw(st.booleans()):
        context["aws:SecureTransport"] = "true"
    principal = draw(st.sampled_from(["anonymous", ROLE, SESSION, OTHER_ROLE]))
    if principal != "anonymous" and draw(st.booleans()):
        context["aws:PrincipalArn"] = ROLE if principal in (ROLE, SESSION) else OTHER_ROLE
    path = f"{draw(st.sampled_from(STAGES))}/{draw(st.sampled_from(['GET', 'POST']))}/x"
    action = draw(st.sampled_from(["execute-api:Invoke", "execute-api:InvalidateCache"]))
    return Request(arn(path), principal=principal, action=action, context=context)


def _sids(policy: dict[str, Any], refs: tuple[Any, ...]) -> set[str]:
    return {r.sid for r in refs}


@settings(deadline=None)  # shared CI machines: no per-example time limit
@given(policies(), requests())
def test_a_matching_deny_always_wins(policy: dict[str, Any], request: Request) -> None:
    deny = {"Sid": "Catch", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}
    for position in (0, len(policy["Statement"])):
        statements_ = list(policy["Statement"])
        statements_.insert(position, deny)
        d = evaluate({**policy, "Statement": statements_}, request)
        assert d.outcome == "explicit_deny"
        assert "Catch" in _sids(policy, d.deciding)
        assert all(s.effect == "Deny" for s in d.statements if s.ref in d.deciding)


@settings(deadline=None)  # shared CI machines: no per-example time limit
@given(policies(), requests(), st.randoms(use_true_random=False))
def test_statement_order_never_changes_the_outcome(
    policy: dict[str, Any], request: Request, rnd: Any
) -> None:
    before = evaluate(policy, request)
    shuffled = list(policy["Statement"])
    rnd.shuffle(shuffled)
    after = evaluate({**policy, "Statement": shuffled}, request)
    assert after.outcome == before.outcome
    assert _sids(policy, after.deciding) == _sids(policy, before.deciding)
    assert after.delegated == before.delegated


@settings(deadline=None)  # shared CI machines: no per-example time limit
@given(policies(), requests(), statements("Unrelated"))
def test_an_unrelated_statement_never_changes_the_outcome(
    policy: dict[str, Any], request: Request, extra: dict[str, Any]
) -> None:
    # Unrelated: it names an action this request never carries.
    extra.pop("NotAction", None)
    extra["Action"] = "execute-api:ManageConnections"
    before = evaluate(policy, request)
    after = evaluate({**policy, "Statement": [*policy["Statement"], extra]}, request)
    assert after.outcome == before.outcome
    assert after.deciding == before.deciding


@settings(deadline=None)  # shared CI machines: no per-example time limit
@given(policies(), requests())
def test_outcome_agrees_with_the_explanation(policy: dict[str, Any], request: Request) -> None:
    d = evaluate(policy, request)
    assert len(d.statements) == len(policy["Statement"])
    applying = [s for s in d.statements if s.applies]
    denies = [s.ref for s in applying if s.effect == "Deny"]
    allows = [s.ref for s in applying if s.effect == "Allow"]
    if denies:
        assert d.outcome == "explicit_deny"
        assert list(d.deciding) == denies
    elif allows:
        assert d.outcome == "allow"
        assert list(d.deciding) == allows
    else:
        assert d.outcome == "implicit_deny"
        assert d.deciding == ()
    for s in d.statements:
        assert s.applies == (not s.failed)


@settings(deadline=None)  # shared CI machines: no per-example time limit
@given(policies())
def test_parse_round_trip(policy: dict[str, Any]) -> None:
    parsed = parse_policy(policy)
    again = parse_policy(parsed.to_json())
    assert again == parsed
    assert json.loads(parsed.to_json()) == policy


# "${" starts a policy variable (an unresolved one matches nothing), so a Resource holding it
# is not a literal: such paths are left to the variable tests.
path_text = st.text(
    alphabet=string.ascii_letters + string.digits + "-_.+$()[]{}^|\\/=~%@!,;",
    min_size=1,
    max_size=20,
).filter(lambda p: "${" not in p)


@settings(deadline=None, max_examples=200)
@given(path_text, path_text)
def test_literal_resource_matches_itself_only(path: str, other: str) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Resource": arn(f"prod/GET/{path}"),
            }
        ],
    }
    assert evaluate(policy, Request(arn(f"prod/GET/{path}"))).allowed
    assert evaluate(policy, Request(arn(f"prod/GET/{other}"))).allowed == (path == other)


@settings(deadline=None)  # shared CI machines: no per-example time limit
@given(
    st.sampled_from(
        [
            ("StringEquals", "StringNotEquals", st.text(max_size=5)),
            ("StringLike", "StringNotLike", st.text(alphabet="ab*?", max_size=5)),
            (
                "StringEqualsIgnoreCase",
                "StringNotEqualsIgnoreCase",
                st.text(alphabet="aAbB", max_size=3),
            ),
            ("NumericEquals", "NumericNotEquals", st.integers(-5, 5).map(str)),
            ("IpAddress", "NotIpAddress", st.sampled_from(["10.0.0.0/8", "10.1.0.0/16", "::/0"])),
            (
                "ArnLike",
                "ArnNotLike",
                st.sampled_from(["arn:aws:iam::*:role/*", "arn:aws:iam::1:*"]),
            ),
        ]
    ).flatmap(
        lambda t: st.tuples(st.just(t[0]), st.just(t[1]), st.lists(t[2], min_size=1, max_size=3))
    ),
    st.sampled_from(["", "a", "ab", "10", "3", "10.1.2.3", "arn:aws:iam::1:role/x", "AB"]),
)
def test_negated_operator_is_the_complement_for_a_present_well_formed_value(
    ops: tuple[str, str, list[str]], value: str
) -> None:
    positive, negated, values = ops
    if positive.startswith("Numeric") and not re.fullmatch(r"-?\d+", value):
        return
    if positive.startswith("Ip") and not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value):
        return
    if positive.startswith("Arn") and not value.startswith("arn:"):
        return
    request = Request(arn(), context={"test:Key": value})

    def holds(op: str) -> bool:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {op: {"test:Key": values}},
                }
            ],
        }
        return evaluate(policy, request).allowed

    assert holds(positive) != holds(negated)
