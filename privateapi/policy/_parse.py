"""Parsing a policy document (JSON text or a dict) into the typed model.

Structural errors raise :class:`PolicySyntaxError` naming the statement (index and
``Sid``) and the key. Values that parse but can never match (a bad CIDR, an odd ARN)
are left to :func:`privateapi.policy.lint`, because AWS evaluates them as "no match".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, cast

from privateapi.policy._conditions import OPERATORS, split_operator
from privateapi.policy._errors import PolicySyntaxError
from privateapi.policy._match import is_short_form, split_resource
from privateapi.policy._model import (
    VERSION_2008,
    VERSION_2012,
    Condition,
    Effect,
    Policy,
    Principal,
    Statement,
)

__all__ = ["MAX_DEPTH", "parse_policy"]

#: How deeply a document may nest objects and arrays. A valid policy needs six levels
#: (document, Statement list, statement, Condition, operator, value list); the margin
#: leaves room for a precise error about a slightly wrong shape, and the bound keeps a
#: hostile (or cyclic) Python structure from exhausting the stack.
MAX_DEPTH = 32

_TOP_KEYS = ("Version", "Id", "Statement")
_STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
_PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_UNIQUE_ID = re.compile(r"^A[A-Z0-9]{3}[A-Z0-9]{12,}$")


class _Where:
    """The statement being parsed, for error messages."""

    def __init__(self, index: int | None = None, sid: str | None = None) -> None:
        self.index = index
        self.sid = sid

    def error(self, problem: str, *, key: str, value: object = None, expected: str = "") -> Any:
        return PolicySyntaxError(
            problem, statement=self.index, sid=self.sid, key=key, value=value, expected=expected
        )


class _JsonObject(dict[str, Any]):
    """A decoded JSON object that remembers keys it saw twice (reported with context)."""

    duplicates: tuple[str, ...] = ()


def _keep_duplicates(pairs: list[tuple[str, Any]]) -> _JsonObject:
    out = _JsonObject(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        repeated: list[str] = []
        for key, _ in pairs:
            if key in seen:
                repeated.append(key)
            seen.add(key)
        out.duplicates = tuple(repeated)
    return out


def _check_duplicates(where: _Where, value: object, path: str) -> None:
    # A key must not repeat within one element; JSON decoding keeps the last one, so the
    # repeat is found here, where the statement is known.
    if isinstance(value, _JsonObject) and value.duplicates:
        key = value.duplicates[0]
        raise where.error(
            f"key {key!r} appears twice in {path}",
            key=key,
            expected="each key at most once per element",
        )
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_duplicates(where, item, f"{path}.{key}" if path != "the document" else key)
    elif isinstance(value, list):
        for item in value:
            _check_duplicates(where, item, path)


def parse_policy(document: str | bytes | Mapping[str, Any] | Policy) -> Policy:
    """Parse a policy document into a :class:`Policy`.

    Args:
        document: JSON text (``str`` or ``bytes``), an already-decoded mapping, or a
            :class:`Policy` (returned as is).

    Returns:
        The parsed policy; compiled matchers are built on first evaluation and reused.

    Raises:
        PolicySyntaxError: the text is not JSON, or the document is not a valid policy;
            the message names the statement (index and ``Sid``) and the key.

    Example:
        >>> policy = parse_policy('''{"Version": "2012-10-17", "Statement": [
        ...   {"Sid": "AllowVpce", "Effect": "Allow", "Principal": "*",
        ...    "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}''')
        >>> policy.statements[0].ref
        StatementRef(index=0, sid='AllowVpce')
    """
    if isinstance(document, Policy):
        return document
    data = _read(document) if isinstance(document, str | bytes) else document
    _check_depth(data)
    if not isinstance(data, Mapping):
        raise PolicySyntaxError(
            f"the document is a JSON {_json_type(data)}",
            key="document",
            expected="a JSON object with a Statement element",
        )
    version, policy_id, raw = _top_level(data)
    statements = tuple(_statement(i, s) for i, s in enumerate(raw))
    _check_sids(statements)
    # The source is kept as plain JSON data so the policy can be printed back.
    source = cast("dict[str, Any]", json.loads(json.dumps(data)))
    return Policy(statements=statements, version=version, id=policy_id, source=source)


def _read(document: str | bytes) -> Any:
    try:
        return _decode(document)
    except json.JSONDecodeError as exc:
        raise PolicySyntaxError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            key="document",
            expected="a JSON object with a Statement element",
        ) from None
    except UnicodeDecodeError:
        raise PolicySyntaxError(
            "not valid UTF-8 text", key="document", expected="a JSON policy document"
        ) from None
    except RecursionError:
        raise _too_deep() from None


def _top_level(data: Mapping[str, Any]) -> tuple[str | None, str | None, list[Any]]:
    # Version, Id and the statements (one statement object is a list of one).
    doc = _Where()
    if isinstance(data, _JsonObject) and data.duplicates:
        _check_duplicates(doc, data, "the document")
    for key in data:
        if key not in _TOP_KEYS:
            raise doc.error(
                f"unknown top-level element {key!r}", key=str(key), expected=_one_of(_TOP_KEYS)
            )
    version = data.get("Version")
    if version is not None and version not in (VERSION_2012, VERSION_2008):
        raise doc.error(
            f"Version {version!r} is not valid",
            key="Version",
            value=version,
            expected=f"{VERSION_2012!r} or {VERSION_2008!r}",
        )
    policy_id = data.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise doc.error("Id must be a string", key="Id", value=policy_id, expected="a string")
    if "Statement" not in data:
        raise doc.error("the Statement element is missing", key="Statement", expected="a list")
    raw = data["Statement"]
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list):
        raise doc.error(
            f"Statement is a JSON {_json_type(raw)}",
            key="Statement",
            value=raw,
            expected="a statement object or a list of them",
        )
    return version, policy_id, raw


def _too_deep() -> PolicySyntaxError:
    return PolicySyntaxError(
        f"the document is nested too deeply: objects and arrays more than {MAX_DEPTH} levels deep",
        key="document",
        expected=f"at most {MAX_DEPTH} levels of nesting (a policy needs 6)",
    )


def _check_depth(data: object) -> None:
    # Iterative, so the check itself cannot overflow the stack; a cyclic structure is
    # caught too, as it is infinitely deep. Every later step recurses at most this deep.
    pending: list[tuple[object, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, Mapping):
            children: Iterable[object] = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            raise _too_deep()
        pending.extend((child, depth + 1) for child in children)


def _check_sids(statements: tuple[Statement, ...]) -> None:
    # One pass with a set: a Sid seen before is the second use (list.count was quadratic).
    seen: set[str] = set()
    repeated: set[str] = set()
    for st in statements:
        if st.sid is not None:
            if st.sid in seen:
                repeated.add(st.sid)
            seen.add(st.sid)
    for st in statements:
        # The first statement using a repeated Sid is the one named, as before.
        if st.sid in repeated:
            raise _Where(st.index, st.sid).error(
                f"Sid {st.sid!r} is used by more than one statement",
                key="Sid",
                value=st.sid,
                expected="a unique Sid per statement",
            )


def _decode(document: str | bytes) -> Any:
    text = document.decode("utf-8") if isinstance(document, bytes) else document
    try:
        data = json.loads(text, object_pairs_hook=_keep_duplicates)
    except json.JSONDecodeError:
        # API Gateway's get-rest-api returns the policy with its quotes escaped
        # ({\"Version\":...}); read that form as the JSON string it is.
        if not text.lstrip().startswith('{\\"'):
            raise
        data = json.loads(f'"{text.strip()}"')
    if isinstance(data, str) and data.lstrip().startswith("{"):
        # A policy document wrapped in a JSON string (the escaped form, or a file
        # holding the "policy" value as written by the AWS CLI).
        data = json.loads(data, object_pairs_hook=_keep_duplicates)
    return data


def _statement(index: int, raw: object) -> Statement:
    where = _Where(index)
    if not isinstance(raw, Mapping):
        raise where.error(
            f"the statement is a JSON {_json_type(raw)}", key="Statement", expected="an object"
        )
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise where.error("Sid must be a string", key="Sid", value=sid, expected="a string")
    where.sid = sid
    _check_duplicates(where, raw, "the statement")
    for key in raw:
        if key not in _STATEMENT_KEYS:
            raise where.error(
                f"unknown element {key!r}", key=str(key), expected=_one_of(_STATEMENT_KEYS)
            )
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        if effect is None:
            raise where.error(
                "the Effect element is missing", key="Effect", expected="'Allow' or 'Deny'"
            )
        raise where.error(
            f"Effect {effect!r} is not valid",
            key="Effect",
            value=effect,
            expected="'Allow' or 'Deny'",
        )
    principal, not_principal = _principal(where, raw)
    actions, not_action = _pair(where, raw, "Action", "NotAction")
    for action in actions:
        if action != "*" and ":" not in action:
            raise where.error(
                f"action {action!r} has no service prefix",
                key="NotAction" if not_action else "Action",
                value=action,
                expected="'service:ActionName' (e.g. 'execute-api:Invoke') or '*'",
            )
    resources, not_resource = _pair(where, raw, "Resource", "NotResource")
    for resource in resources:
        if resource != "*" and not is_short_form(resource) and split_resource(resource) is None:
            raise where.error(
                f"resource {resource!r} is not an ARN",
                key="NotResource" if not_resource else "Resource",
                value=resource,
                expected="'*', an ARN ('arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/"
                "METHOD/PATH') or a short form ('execute-api:/STAGE/METHOD/PATH')",
            )
    conditions = _conditions(where, raw.get("Condition"))
    return Statement(
        index=index,
        sid=sid,
        effect=cast("Effect", effect),
        principal=principal,
        not_principal=not_principal,
        actions=actions,
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        conditions=conditions,
    )


def _strings(where: _Where, key: str, value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        raise where.error(
            f"{key} is an empty list", key=key, value=value, expected="at least one string"
        )
    for item in items:
        if not isinstance(item, str):
            raise where.error(
                f"{key} holds a JSON {_json_type(item)}",
                key=key,
                value=item,
                expected="a string or a list of strings",
            )
    return tuple(cast("list[str]", items))


def _pair(
    where: _Where, raw: Mapping[str, Any], name: str, negated: str
) -> tuple[tuple[str, ...], bool]:
    if name in raw and negated in raw:
        raise where.error(
            f"both {name} and {negated} are present", key=name, expected="one of the two"
        )
    if name in raw:
        return _strings(where, name, raw[name]), False
    if negated in raw:
        return _strings(where, negated, raw[negated]), True
    raise where.error(
        f"neither {name} nor {negated} is present", key=name, expected=f"{name} or {negated}"
    )


def _principal(where: _Where, raw: Mapping[str, Any]) -> tuple[Principal | None, bool]:
    if "Principal" in raw and "NotPrincipal" in raw:
        raise where.error(
            "both Principal and NotPrincipal are present",
            key="Principal",
            expected="one of the two",
        )
    key = "NotPrincipal" if "NotPrincipal" in raw else "Principal"
    if key not in raw:
        return None, False
    value = raw[key]
    if value == "*":
        return Principal(wildcard=True), key == "NotPrincipal"
    if not isinstance(value, Mapping) or not value:
        raise where.error(
            f"{key} {value!r} is not valid",
            key=key,
            value=value,
            expected="'*' or an object such as {\"AWS\": [ARNs or account ids]}",
        )
    found: dict[str, tuple[str, ...]] = {}
    for ptype, entries in value.items():
        if ptype not in _PRINCIPAL_TYPES:
            raise where.error(
                f"{key} type {ptype!r} is not known",
                key=f"{key}.{ptype}",
                value=ptype,
                expected=_one_of(_PRINCIPAL_TYPES),
            )
        found[ptype] = _strings(where, f"{key}.{ptype}", entries)
    aws = found.get("AWS", ())
    for entry in aws:
        if entry == "*" or _ACCOUNT_ID.match(entry) or _UNIQUE_ID.match(entry):
            continue
        parts = entry.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not parts[5]:
            raise where.error(
                f"{key} AWS entry {entry!r} is not an ARN, account id or '*'",
                key=f"{key}.AWS",
                value=entry,
                expected="'*', a 12-digit account id or an IAM ARN"
                " ('arn:aws:iam::123456789012:role/NAME')",
            )
    return (
        Principal(
            wildcard="*" in aws,
            aws=tuple(a for a in aws if a != "*"),
            service=found.get("Service", ()),
            federated=found.get("Federated", ()),
            canonical_user=found.get("CanonicalUser", ()),
        ),
        key == "NotPrincipal",
    )


def _conditions(where: _Where, raw: object) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise where.error(
            f"Condition is a JSON {_json_type(raw)}",
            key="Condition",
            value=raw,
            expected='an object: {"OPERATOR": {"KEY": VALUE or [VALUES]}}',
        )
    out: list[Condition] = []
    for operator, block in raw.items():
        set_op, base, if_exists = split_operator(operator)
        if base is None:
            raise where.error(
                f"Condition operator {operator!r} is not a known operator",
                key=f"Condition.{operator}",
                value=operator,
                expected="one of "
                + ", ".join(OPERATORS)
                + " (optionally with 'IfExists', or prefixed 'ForAnyValue:'/'ForAllValues:';"
                " not both on Null)",
            )
        if not isinstance(block, Mapping) or not block:
            raise where.error(
                f"Condition operator {operator!r} holds {block!r}",
                key=f"Condition.{operator}",
                value=block,
                expected='an object of condition keys: {"aws:SourceVpce": "vpce-..."}',
            )
        for key, value in block.items():
            out.append(
                Condition(
                    operator=operator,
                    key=key,
                    values=_condition_values(where, f"Condition.{operator}.{key}", value),
                    base=base,
                    set_operator=set_op,
                    if_exists=if_exists,
                )
            )
    return tuple(out)


def _condition_values(where: _Where, key: str, value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        # JSON numbers and booleans compare on their string form.
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, int | float):
            out.append(json.dumps(item))
        elif isinstance(item, str):
            out.append(item)
        else:
            raise where.error(
                f"condition value {item!r} is a JSON {_json_type(item)}",
                key=key,
                value=item,
                expected="a string, number or boolean, or a list of them",
            )
    return tuple(out)


def _one_of(names: tuple[str, ...]) -> str:
    return "one of " + ", ".join(names)


def _json_type(value: object) -> str:
    # bool before the numbers: True is an int to Python, a boolean to JSON.
    for kind, name in _JSON_TYPES:
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__


_JSON_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "boolean"),
    ((int, float), "number"),
    (str, "string"),
    (list, "array"),
    (Mapping, "object"),
)
