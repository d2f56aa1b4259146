"""The wildcard matchers: IAM ``*``/``?`` semantics without regex backtracking.

Each matcher is compared, with hypothesis, against a reference built the obvious way (a
regular expression from ``re.escape`` pieces, ``.*`` for ``*`` and ``.`` for ``?``), run
on inputs small enough for the reference to be quick. Then the inputs that made the old
regex-based matchers backtrack for minutes are evaluated, in a subprocess with a
generous deadline (a hang guard: the old code needs years for them, the new one
microseconds).
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections.abc import Sequence

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from policy_helpers import API, arn, doc, stmt

from privateapi.policy import Request, evaluate, parse_policy
from privateapi.policy._match import (
    ActionPattern,
    ArnPattern,
    Piece,
    ResourcePattern,
    ResourceSet,
    Wildcard,
    fold_case,
    split_arn,
    split_resource,
)

# --- the reference: a regex from re.escape pieces ----------------------------------------


def _reference(pieces: Sequence[Piece], *, star: str = ".*", one: str = ".") -> str:
    out = []
    for text, literal in pieces:
        for ch in text:
            if literal or ch not in "*?":
                out.append(re.escape(ch))
            else:
                out.append(star if ch == "*" else one)
    return "".join(out)


def _ref_match(pattern: str, text: str, flags: int = 0) -> bool:
    return re.fullmatch(_reference([(pattern, False)]), text, re.DOTALL | flags) is not None


def _ref_arn(pieces: Sequence[Piece], value: str) -> bool | None:
    # The previous ArnLike: segments split on the pattern's own colons, "*"/"?" never
    # cross a colon; fewer than six segments is not an ARN pattern (None).
    if sum(t.count(":") for t, lit in pieces if not lit) < 5:
        return None
    source = _reference(pieces, star="[^:]*", one="[^:]")
    return re.fullmatch(source, value, re.DOTALL) is not None


def _ref_resource(pattern: str, resource: str) -> bool:
    split = split_resource(pattern)
    assert split is not None
    head, tail = split
    prefix = ":".join(_reference([(h, False)], star="[^:]*", one="[^:]") for h in head)
    source = f"(?i:{prefix}):{_reference([(tail, False)])}"
    return re.fullmatch(source, resource, re.DOTALL) is not None


# Small alphabets with the wildcards, a regex metacharacter, a colon and a slash, so that
# the reference stays fast and collisions (a pattern char equal to a text char) are common.
patterns = st.text(alphabet="ab*?.", max_size=8)
texts = st.text(alphabet="ab.\n", max_size=10)


@settings(deadline=None, max_examples=500)
@given(patterns, texts)
@example("*a*", "bab")
@example("a*a", "a")
@example("?*?", "a")
@example("", "")
@example("**", "")
@example("a?b*?", "a.b.")
def test_wildcard_agrees_with_the_regex_reference(pattern: str, text: str) -> None:
    assert Wildcard(pattern).matches(text) is _ref_match(pattern, text)


@settings(deadline=None, max_examples=300)
@given(st.lists(st.tuples(st.text(alphabet="ab*?", max_size=4), st.booleans()), max_size=4), texts)
def test_literal_pieces_have_no_wildcards(pieces: list[Piece], text: str) -> None:
    # A substituted variable value such as "Bob*" is text, not a pattern.
    expected = re.fullmatch(_reference(pieces), text, re.DOTALL) is not None
    assert Wildcard(pieces).matches(text) is expected


@settings(deadline=None, max_examples=300)
@given(st.text(alphabet="aAbB*?", max_size=8), st.text(alphabet="aAbB", max_size=10))
def test_folded_wildcard_agrees_with_ignorecase(pattern: str, text: str) -> None:
    assert Wildcard(pattern, fold=True).matches(text) is _ref_match(pattern, text, re.IGNORECASE)


def test_fold_case_keeps_the_length() -> None:
    # "İ".lower() is two characters; folding must not change what "?" counts.
    assert fold_case("ABC") == "abc"
    assert fold_case("Ünİ") == "ünİ"
    assert Wildcard("?", fold=True).matches("İ")


@settings(deadline=None, max_examples=400)
@given(
    st.lists(st.tuples(st.text(alphabet="a:*?", max_size=5), st.booleans()), max_size=5),
    st.text(alphabet="a:b", max_size=12),
)
@example([("a:a:a:a:a:*", False)], "a:a:a:a:a:b:c")
@example([("a:a:a:", False), ("x:y", True), ("::*", False)], "a:a:a:x:y::b")
def test_arn_pattern_agrees_with_the_segment_regex(pieces: list[Piece], value: str) -> None:
    expected = _ref_arn(pieces, value)
    pattern = ArnPattern.build(pieces)
    if expected is None:
        assert pattern is None
    else:
        assert pattern is not None
        assert pattern.matches(value) is expected


resource_patterns = st.builds(
    lambda head, tail: ":".join(["arn", *head, tail]),
    st.lists(st.text(alphabet="aA*?", max_size=3), min_size=4, max_size=4),
    st.text(alphabet="aA/:*?", max_size=6),
)
resources = st.builds(
    lambda head, tail: ":".join(["arn", *head, tail]),
    st.lists(st.text(alphabet="aA", max_size=2), min_size=4, max_size=4),
    st.text(alphabet="aA/:", max_size=6),
)


@settings(deadline=None, max_examples=400)
@given(st.lists(resource_patterns, min_size=1, max_size=3), resources)
@example(["arn:a:a:a:a:a/*"], "arn:A:a:a:a:a/b:c")
@example(["arn:a:a:a:a:a"], "arn:a:a:a:a:A")
@example(["arn:a:a:a:a:a/?"], "arn:a:a:a:a:a/:")
def test_resource_patterns_agree_with_the_regex_reference(
    entries: list[str], resource: str
) -> None:
    expected = any(_ref_resource(p, resource) for p in entries)
    splits = [split_resource(p) for p in entries]
    assert all(s is not None for s in splits)
    one_by_one = any(
        ResourcePattern(s[0], [(s[1], False)]).matches(split_arn(resource))
        for s in splits
        if s is not None
    )
    grouped = ResourceSet([s for s in splits if s is not None]).matches(split_arn(resource))
    assert one_by_one is expected
    assert grouped is expected


def test_resource_set_star_covers_what_is_not_an_arn() -> None:
    assert ResourceSet([], everything=True).matches(None)
    assert not ResourceSet([(("arn", "*", "*", "*", "*"), "*")]).matches(None)


@settings(deadline=None, max_examples=300)
@given(
    st.lists(st.text(alphabet="sS3:gG*?, ", max_size=6), min_size=1, max_size=3),
    st.text(alphabet="sS3:gG, ", max_size=8),
)
def test_action_pattern_agrees_with_the_regex_reference(actions: list[str], action: str) -> None:
    expected = "*" in actions or any(
        _ref_match(a, action, re.IGNORECASE) for a in actions if a != "*"
    )
    assert ActionPattern(actions).matches(action) is expected


# --- through the evaluator: StringLike, ArnLike, Resource, Action -------------------------


@settings(deadline=None, max_examples=200)
@given(st.text(alphabet="ab*?:/", max_size=8), st.text(alphabet="ab:/", max_size=10))
def test_string_like_in_a_policy_agrees_with_the_reference(pattern: str, value: str) -> None:
    policy = doc(stmt(condition={"StringLike": {"aws:UserAgent": pattern}}))
    request = Request(arn(), context={"aws:UserAgent": value})
    assert evaluate(policy, request).allowed is _ref_match(pattern, value)
    negated = doc(stmt(condition={"StringNotLike": {"aws:UserAgent": pattern}}))
    assert evaluate(negated, request).allowed is not _ref_match(pattern, value)


@settings(deadline=None, max_examples=200)
@given(st.text(alphabet="ab*?:", max_size=6), st.text(alphabet="ab:", max_size=6))
def test_arn_like_in_a_policy_agrees_with_the_reference(tail: str, value_tail: str) -> None:
    pattern = f"arn:aws:iam::1:{tail}"
    value = f"arn:aws:iam::1:{value_tail}"
    policy = doc(stmt(condition={"ArnLike": {"aws:PrincipalArn": pattern}}))
    request = Request(arn(), context={"aws:PrincipalArn": value})
    assert evaluate(policy, request).allowed is bool(_ref_arn([(pattern, False)], value))


# --- what the old regexes could not do in any reasonable time -----------------------------

# Each case took the old backtracking regexes far longer than any test run (the first,
# from the issue, 80 s; each extra "*a" multiplies it by about the text's length).
_HOSTILE = textwrap.dedent(
    """
    from privateapi.policy import ApiContext, Request, evaluate
    from privateapi.policy._match import ArnPattern, Wildcard

    api = ApiContext("us-east-1", "123456789012", "a1b2c3d4e5")
    hostile = "*a" * 8 + "*b"
    assert not Wildcard(hostile).matches("a" * 64)
    assert not Wildcard("*a" * 40 + "*b").matches("a" * 5000)
    assert Wildcard("*a" * 40 + "*b").matches("a" * 5000 + "b")
    assert not Wildcard("?*" * 30 + "b").matches("a" * 5000)
    assert not ArnPattern.build([("arn:aws:iam::1:" + "*a" * 30 + "*b", False)]).matches(
        "arn:aws:iam::1:" + "a" * 2000
    )
    for element, value in (
        ("Resource", api.arn("prod/GET/" + hostile)),
        ("Action", "execute-api:" + hostile),
    ):
        statement = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
        statement[element] = value
        for n in (54, 2000):
            request = Request(api.arn("prod/GET/" + "a" * n))
            decision = evaluate({"Statement": [statement]}, request, api=api)
            assert decision.outcome == "implicit_deny", decision
    for op in ("StringLike", "ArnLike"):
        statement = {
            "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {op: {"aws:PrincipalArn": "arn:aws:iam::1:" + hostile}},
        }
        request = Request(
            api.arn("prod/GET/x"), context={"aws:PrincipalArn": "arn:aws:iam::1:" + "a" * 2000}
        )
        assert evaluate({"Statement": [statement]}, request).outcome == "implicit_deny"
    print("ok")
    """
)


def test_hostile_patterns_finish() -> None:
    # A hang guard, not a timing assertion: 300 s is orders of magnitude more than the
    # new matcher needs on any machine, and orders of magnitude less than the old one.
    done = subprocess.run(
        [sys.executable, "-c", _HOSTILE], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.fixture
def no_regex(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every module-level ``re`` entry point fail: matching must not build regexes."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a regex was built from a policy: {args[:1]!r}")

    for name in ("compile", "match", "fullmatch", "search", "finditer", "findall", "sub"):
        monkeypatch.setattr(re, name, refuse)


@pytest.mark.usefixtures("no_regex")
def test_policy_patterns_never_become_regexes() -> None:
    policy = parse_policy(
        doc(
            stmt(
                resource=[API.arn("prod/GET/*a*a*b"), "arn:aws:execute-api:*:*:*/x?/*"],
                action=["execute-api:In*", "execute-api:?nvoke"],
                condition={
                    "StringLike": {"aws:UserAgent": "*a*b"},
                    "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*a*b"},
                },
            )
        )
    )
    request = Request(
        arn("prod/GET/aab"),
        context={"aws:UserAgent": "xab", "aws:PrincipalArn": "arn:aws:iam::1:role/ab"},
    )
    assert evaluate(policy, request).allowed


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("*a?c*", "aaxb", False),  # the anchor is found twice, the gap check fails both times
        ("*a?c*", "xabcx", True),
        ("*??*", "a", False),  # a run of only "?" longer than the text left
        ("*??*", "ab", True),
        ("a*?b?*c", "axbyc", True),
    ],
)
def test_runs_with_question_marks(pattern: str, text: str, expected: bool) -> None:
    assert Wildcard(pattern).matches(text) is expected is _ref_match(pattern, text)


def test_patterns_show_what_they_match() -> None:
    assert repr(Wildcard("prod/*")) == "Wildcard('prod/*')"
    assert not ResourcePattern(("arn", "aws", "s3", "", ""), [("*", False)]).matches(None)
