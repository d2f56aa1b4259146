"""Condition operators: every family, ``...IfExists``, set operators and missing keys.

The rules (IAM User Guide, condition operators and multivalued keys pages):

* keys under one operator and operators in one block are ANDed (the caller ANDs clauses);
* the policy values of one key are ORed for positive operators and NORed for negated
  ones: ``StringNotEquals`` with two values means "equals neither";
* a missing key makes positive operators false and negated ones true; ``...IfExists``
  makes any operator true; ``ForAllValues`` is true and ``ForAnyValue`` false (also for
  an empty list); ``Null`` tests presence itself;
* a multivalued request key (given as a list) matches only set operators; a set operator
  on a single value treats it as a one-element set;
* a malformed value (bad number, date, CIDR, ARN, Base64), in the request or the policy,
  matches nothing, and makes both the positive and the negated form false (iam-simulate's
  reading; AWS is silent). An unresolved policy variable is different: its value matches
  nothing, so a negated operator holds.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

from privateapi.policy._match import ArnPattern, Piece, Wildcard
from privateapi.policy._model import Condition, Request
from privateapi.policy._variables import has_variables, substitute

__all__ = [
    "OPERATORS",
    "CompiledCondition",
    "ConditionResult",
    "bad_policy_values",
    "split_operator",
]

_STRING = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
)
_NUMERIC = (
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
)
_DATE = (
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
)
_ARN = ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike")
_OTHER = ("Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "Null")

#: Every base operator, canonical spelling.
OPERATORS: Final[tuple[str, ...]] = _STRING + _NUMERIC + _DATE + _ARN + _OTHER
_BY_LOWER = {name.lower(): name for name in OPERATORS}
# Policy variables are allowed in String and ARN values, and (disputed, as iam-simulate
# does) in Bool; never in Numeric, Date, Binary, IP or Null.
_VARIABLE_BASES = frozenset(_STRING + _ARN + ("Bool",))

SetOperator = Literal["ForAnyValue", "ForAllValues"]


def split_operator(operator: str) -> tuple[SetOperator | None, str | None, bool]:
    """``ForAnyValue:StringLikeIfExists`` → ``("ForAnyValue", "StringLike", True)``.

    The base name is ``None`` when it is not a known operator. Names compare without case.
    """
    set_op: SetOperator | None = None
    name = operator
    prefix, sep, rest = operator.partition(":")
    if sep:
        lowered = prefix.lower()
        if lowered == "foranyvalue":
            set_op = "ForAnyValue"
        elif lowered == "forallvalues":
            set_op = "ForAllValues"
        else:
            return None, None, False
        name = rest
    if_exists = False
    if name.lower().endswith("ifexists") and name.lower() != "ifexists":
        if_exists = True
        name = name[: -len("IfExists")]
    base = _BY_LOWER.get(name.lower())
    if base == "Null" and (if_exists or set_op):
        # ...IfExists and set operators make no sense with Null.
        return set_op, None, if_exists
    return set_op, base, if_exists


class _Bad:
    """A malformed value: it matches nothing."""


_BAD: Final = _Bad()

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


def _number(text: str) -> Decimal | _Bad:
    if not _NUMBER.match(text.strip()):
        return _BAD
    try:
        return Decimal(text.strip())
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return _BAD


_EPOCH = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def _date(text: str) -> Decimal | _Bad:
    # W3C ISO 8601 (date, or date and time with optional zone; naive means UTC) or
    # epoch seconds.
    text = text.strip()
    if _EPOCH.match(text):
        return Decimal(text)
    try:
        when = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return _BAD
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return Decimal(str(when.timestamp()))


def _bool(text: str) -> str | _Bad:
    lowered = text.strip().lower()
    return lowered if lowered in ("true", "false") else _BAD


def _binary(text: str) -> bytes | _Bad:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return _BAD


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | _Bad:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return _BAD


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | _Bad:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return _BAD


def _arn_value(text: str) -> str | _Bad:
    return text if text.count(":") >= 5 and text.startswith("arn:") else _BAD


def _identity(text: str) -> str:
    return text


def _casefold(text: str) -> str:
    return text.casefold()


def _like(pieces: Sequence[Piece]) -> Wildcard:
    return Wildcard(pieces)


_ANY_ARN = Wildcard("*")


def _arn_pattern(pieces: Sequence[Piece]) -> Wildcard | ArnPattern | _Bad:
    if len(pieces) == 1 and pieces[0] == ("*", False):
        return _ANY_ARN
    pattern = ArnPattern.build(pieces)
    return _BAD if pattern is None else pattern


def _joined(pieces: Sequence[Piece]) -> str:
    return "".join(t for t, _ in pieces)


@dataclass(frozen=True)
class _Family:
    """How one positive operator prepares values and compares them."""

    # policy value (as pieces after variable substitution) -> prepared, or _BAD
    policy: Callable[[Sequence[Piece]], Any]
    # request value -> prepared, or _BAD
    request: Callable[[str], Any]
    # (prepared request value, prepared policy value) -> bool
    compare: Callable[[Any, Any], bool]


def _eq(a: Any, b: Any) -> bool:
    return bool(a == b)


def _wildcard_match(value: str, pattern: Wildcard | ArnPattern) -> bool:
    return pattern.matches(value)


def _in_network(addr: Any, net: Any) -> bool:
    return bool(addr.version == net.version and addr in net)


def _through(convert: Callable[[str], Any]) -> Callable[[Sequence[Piece]], Any]:
    return lambda pieces: convert(_joined(pieces))


_NUM = _through(_number)
_DAT = _through(_date)
_FAMILIES: dict[str, _Family] = {
    "StringEquals": _Family(_joined, _identity, _eq),
    "StringEqualsIgnoreCase": _Family(lambda p: _joined(p).casefold(), _casefold, _eq),
    "StringLike": _Family(_like, _identity, _wildcard_match),
    "NumericEquals": _Family(_NUM, _number, _eq),
    "NumericLessThan": _Family(_NUM, _number, lambda r, p: bool(r < p)),
    "NumericLessThanEquals": _Family(_NUM, _number, lambda r, p: bool(r <= p)),
    "NumericGreaterThan": _Family(_NUM, _number, lambda r, p: bool(r > p)),
    "NumericGreaterThanEquals": _Family(_NUM, _number, lambda r, p: bool(r >= p)),
    "DateEquals": _Family(_DAT, _date, _eq),
    "DateLessThan": _Family(_DAT, _date, lambda r, p: bool(r < p)),
    "DateLessThanEquals": _Family(_DAT, _date, lambda r, p: bool(r <= p)),
    "DateGreaterThan": _Family(_DAT, _date, lambda r, p: bool(r > p)),
    "DateGreaterThanEquals": _Family(_DAT, _date, lambda r, p: bool(r >= p)),
    "Bool": _Family(_through(_bool), _bool, _eq),
    "BinaryEquals": _Family(_through(_binary), _binary, _eq),
    "IpAddress": _Family(_through(_network), _address, _in_network),
    "ArnEquals": _Family(_arn_pattern, _arn_value, _wildcard_match),
    "ArnLike": _Family(_arn_pattern, _arn_value, _wildcard_match),
}
# Negated operators evaluate their positive twin and invert it (NOR over the values).
_POSITIVE = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def bad_policy_values(condition: Condition) -> tuple[str, ...]:
    """The policy values of a condition that are malformed for its operator.

    Values with policy variables are checked only where variables are allowed.
    """
    if condition.base == "Null":
        return tuple(v for v in condition.values if _bool(v) is _BAD)
    family = _FAMILIES[_POSITIVE.get(condition.base, condition.base)]
    bad = []
    for value in condition.values:
        if condition.base in _VARIABLE_BASES and has_variables(value):
            continue
        if family.policy([(value, False)]) is _BAD:
            bad.append(value)
    return tuple(bad)


@dataclass(frozen=True)
class ConditionResult:
    """How one condition key under one operator evaluated.

    Attributes:
        operator: the operator as written.
        key: the condition key as written.
        matched: whether the condition holds.
        detail: why, in one line (``aws:SourceVpce is absent: ...``).
    """

    operator: str
    key: str
    matched: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "operator": self.operator,
            "key": self.key,
            "matched": self.matched,
            "detail": self.detail,
        }


class CompiledCondition:
    """One condition, with its policy values prepared once."""

    __slots__ = (
        "_family",
        "_key",
        "_prepared",
        "_uses_variables",
        "condition",
        "negated",
    )

    def __init__(self, condition: Condition, *, variables: bool) -> None:
        self.condition = condition
        self.negated = condition.negated
        self._key = condition.key.lower()
        self._family: _Family | None = None
        self._uses_variables = False
        self._prepared: tuple[Any, ...] = ()
        if condition.base == "Null":
            return
        family = _FAMILIES[_POSITIVE.get(condition.base, condition.base)]
        self._family = family
        self._uses_variables = (
            variables
            and condition.base in _VARIABLE_BASES
            and any(has_variables(v) for v in condition.values)
        )
        if not self._uses_variables:
            # Malformed policy values stay in (as _BAD): they match nothing, and they also
            # make a negated operator false, as iam-simulate does.
            self._prepared = tuple(family.policy([(v, False)]) for v in condition.values)

    def _policy_values(self, request: Request) -> tuple[Any, ...]:
        if not self._uses_variables:
            return self._prepared
        assert self._family is not None
        out = []
        for value in self.condition.values:
            pieces = substitute(value, request.variable)
            # An unresolved variable makes that value match nothing.
            if pieces is None:
                continue
            out.append(self._family.policy(pieces))
        return tuple(out)

    def _single(self, value: str, policy: tuple[Any, ...], memo: dict[Any, Any]) -> bool:
        family = self._family
        assert family is not None
        # Request values are parsed once per request, however many statements test them.
        memo_key = (family.request, value)
        prepared = memo.get(memo_key, memo)
        if prepared is memo:
            prepared = memo[memo_key] = family.request(value)
        if prepared is _BAD:
            return False
        compare = family.compare
        if self.negated:
            return all(p is not _BAD and not compare(prepared, p) for p in policy)
        return any(p is not _BAD and compare(prepared, p) for p in policy)

    def test(self, request: Request) -> bool:
        """Whether the condition holds for the request."""
        return self._evaluate(request)[0]

    def _evaluate(self, request: Request) -> tuple[bool, _Reason]:
        # Returns the outcome and the reason code used by explain().
        cond = self.condition
        values = request._values.get(self._key)
        if cond.base == "Null":
            wanted = {_bool(v) for v in cond.values}
            return ("true" if values is None else "false") in wanted, "null"
        if values is None:
            return self._absent()
        if cond.set_operator is None and self._key in request._multi:
            # A multivalued key needs a set operator (iam-simulate's reading; AWS's pages
            # only warn that the result may be unexpected).
            return False, "multivalued"
        policy = self._policy_values(request)
        memo = request._memo
        # Every request value must hold for ForAllValues, and for a plain negated operator
        # (each value differs from all policy values); one is enough otherwise.
        every = cond.set_operator == "ForAllValues" or (cond.set_operator is None and self.negated)
        quantifier = all if every else any
        return quantifier(self._single(v, policy, memo) for v in values), _SET_REASON[
            cond.set_operator
        ]

    def _absent(self) -> tuple[bool, _Reason]:
        # A missing key: ...IfExists is true, ForAllValues true, ForAnyValue false;
        # otherwise a negated operator is true and a positive one false.
        cond = self.condition
        if cond.if_exists:
            return True, "absent-ifexists"
        if cond.set_operator == "ForAllValues":
            return True, "absent-forall"
        if cond.set_operator == "ForAnyValue":
            return False, "absent-forany"
        return self.negated, "absent"

    def explain(self, request: Request) -> ConditionResult:
        """The outcome with a one-line reason."""
        cond = self.condition
        matched, reason = self._evaluate(request)
        values = request.values(self._key)
        if reason == "null":
            state = "absent" if values is None else "present"
            wanted = "absent" if "true" in {v.lower() for v in cond.values} else "present"
            detail = f"{cond.key} is {state}; Null {list(cond.values)} asks for it to be {wanted}"
        elif reason in _ABSENT_DETAIL:
            detail = f"{cond.key} is absent: {_ABSENT_DETAIL[reason]}"
        elif reason == "absent":
            kind = "negated operator is true" if matched else "positive operator is false"
            detail = f"{cond.key} is absent: a {kind} for an absent key"
        elif reason == "multivalued":
            detail = (
                f"{cond.key} = {_show(values or ())} is multivalued: only"
                " ForAnyValue:/ForAllValues: operators match a multivalued key"
            )
        else:
            detail = self._compared(request, values or (), matched)
        return ConditionResult(cond.operator, cond.key, matched, detail)

    def _compared(self, request: Request, values: tuple[str, ...], matched: bool) -> str:
        cond = self.condition
        policy = list(cond.values)
        verb = "matches" if matched else "does not match"
        rule = ""
        if self.negated:
            rule = " (must differ from every value)"
        if cond.set_operator:
            rule = f" ({cond.set_operator})"
        detail = f"{cond.key} = {_show(values)} {verb} {cond.operator} {policy}{rule}"
        if self._uses_variables and len(self._policy_values(request)) < len(policy):
            detail += "; a policy variable is unresolved, so its value matches nothing"
        elif self._family is not None and any(self._family.request(v) is _BAD for v in values):
            detail += "; the request value is malformed for this operator"
        return detail


# Why a condition came out as it did (see CompiledCondition._evaluate).
_Reason = Literal[
    "null",
    "absent",
    "absent-ifexists",
    "absent-forall",
    "absent-forany",
    "multivalued",
    "forall",
    "forany",
    "present",
]
_SET_REASON: Final[dict[SetOperator | None, _Reason]] = {
    "ForAllValues": "forall",
    "ForAnyValue": "forany",
    None: "present",
}
_ABSENT_DETAIL: Final[dict[str, str]] = {
    "absent-ifexists": "...IfExists makes the condition true",
    "absent-forall": "ForAllValues is true for an absent key",
    "absent-forany": "ForAnyValue is false for an absent key",
}


def _show(values: tuple[str, ...]) -> str:
    return repr(values[0]) if len(values) == 1 else repr(list(values))
