"""Findings for the traps of private API resource policies.

Each finding has a stable ``code`` and a ``severity``: ``error`` for what API Gateway
refuses (``policy-too-large``), ``warning`` for the rest:

``policy-too-large`` (error)
    the compact JSON text is over API Gateway's 8,192-character limit for a resource policy.
``policy-size-unverified``
    it fits, but not under another way API Gateway might count (whitespace, short forms
    expanded, quotes escaped); how the limit is counted is unverified.
``source-ip``
    ``aws:SourceIp`` is absent for calls through a VPC endpoint (every private API call):
    ``IpAddress`` never matches, ``NotIpAddress`` always does. Use ``aws:VpcSourceIp``.
``open-to-all-endpoints``
    an Allow without an ``aws:SourceVpce``/``aws:SourceVpc`` condition, and no Deny
    restricting them: any VPC endpoint in any account can reach the API.
``iam-principals``
    an Allow names ``AWS`` principals: methods not using ``AWS_IAM`` see anonymous callers,
    whom only ``Principal: "*"`` matches, so they deny everyone.
``allow-without-deny``
    a narrowed Allow and no Deny: same-account IAM callers whose identity policies allow
    get in regardless (Table A); restrict with a Deny.
``invalid-arn``
    a Resource or Principal ARN that can never match a call to this API.
``unknown-action``
    no execute-api action is covered.
``unknown-condition-key``
    a key API Gateway does not provide for ``execute-api:Invoke``.
``malformed-value``
    a condition value its operator cannot read (it matches nothing).
``variables-ignored``
    ``${...}`` without ``Version: 2012-10-17`` is literal text.
``missing-principal``
    a statement without ``Principal`` is invalid in a resource policy and never applies.
``not-principal``
    ``NotPrincipal`` is discouraged; whether API Gateway accepts it is unverified.
``forallvalues-allow``
    ``ForAllValues`` in an Allow is true when the key is absent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from privateapi.policy._conditions import bad_policy_values
from privateapi.policy._match import action_pattern, expand_short_form, is_short_form
from privateapi.policy._model import ApiContext, Condition, Policy, Statement, StatementRef
from privateapi.policy._parse import parse_policy
from privateapi.policy._size import MAX_POLICY_CHARS, compact_text, other_counts
from privateapi.policy._variables import has_variables

__all__ = ["EXECUTE_API_KEYS", "LINT_CODES", "LintCode", "LintWarning", "Severity", "lint"]

#: ``error``: API Gateway refuses the policy; ``warning``: it accepts it, but it likely
#: does not do what was meant.
Severity = Literal["error", "warning"]
#: Every finding's stable identifier (the module documentation says what each means).
LintCode = Literal[
    "policy-too-large",
    "policy-size-unverified",
    "source-ip",
    "open-to-all-endpoints",
    "iam-principals",
    "allow-without-deny",
    "invalid-arn",
    "unknown-action",
    "unknown-condition-key",
    "malformed-value",
    "variables-ignored",
    "missing-principal",
    "not-principal",
    "forallvalues-allow",
]
#: Every code, in the order of the module documentation.
LINT_CODES: Final[tuple[LintCode, ...]] = get_args(LintCode)

#: Condition keys API Gateway fills for ``execute-api:Invoke`` (lower case; IAM-only keys
#: are present only for ``AWS_IAM`` methods). ``aws:PrincipalTag/...`` is matched by prefix.
EXECUTE_API_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:Referer",
        "aws:SecureTransport",
        "aws:SourceArn",
        "aws:SourceIp",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:VpcSourceIp",
        "aws:UserAgent",
        "aws:TokenIssueTime",
        "aws:MultiFactorAuthPresent",
        "aws:MultiFactorAuthAge",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalType",
        "aws:userid",
        "aws:username",
        "execute-api:viaDomainArn",
    )
)
_UNVERIFIED_KEYS = frozenset(("aws:vpceaccount", "aws:vpceorgid", "aws:vpceorgpaths"))
_ENDPOINT_KEYS = frozenset(("aws:sourcevpce", "aws:sourcevpc"))
_INVOKE_ACTIONS = (
    "execute-api:Invoke",
    "execute-api:InvalidateCache",
    "execute-api:ManageConnections",
)
_API_ID = re.compile(r"^[a-zA-Z0-9*?]{1,10}$")
_METHODS = frozenset(("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"))


@dataclass(frozen=True)
class LintWarning:
    """One finding (an error or a warning).

    Attributes:
        code: a stable identifier (``source-ip``, ``open-to-all-endpoints``...).
        message: what is wrong and what to do, in one or two sentences.
        statement: the statement concerned, or ``None`` for the whole policy.
        key: the element or condition key concerned, if any.
        severity: ``"error"`` when API Gateway refuses the policy, else ``"warning"``.
    """

    code: LintCode
    message: str
    statement: StatementRef | None = None
    key: str | None = None
    severity: Severity = "warning"

    def __str__(self) -> str:
        where = f"{self.statement}: " if self.statement is not None else ""
        error = "error: " if self.severity == "error" else ""
        return f"{where}{error}{self.message} [{self.code}]"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "statement": None if self.statement is None else self.statement.to_dict(),
            "key": self.key,
        }


def lint(
    policy: Policy | str | bytes | Mapping[str, Any], api: ApiContext | None = None
) -> tuple[LintWarning, ...]:
    """Find the known traps of a private API resource policy, and a policy too large to save.

    Args:
        policy: the policy (parsed, JSON text or a mapping).
        api: the API it belongs to; enables checks that Resource ARNs point into it, and
            the size with short forms expanded.

    Returns:
        The findings: the size first, then in statement order (an empty tuple when none).
        A finding with ``severity == "error"`` means API Gateway would refuse the policy.

    Raises:
        PolicySyntaxError: the document cannot be parsed at all.

    Example:
        >>> doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        ...     "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*",
        ...     "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
        >>> [w.code for w in lint(doc)]
        ['open-to-all-endpoints', 'source-ip', 'allow-without-deny']
    """
    parsed = parse_policy(policy)
    written = policy.decode("utf-8", "replace") if isinstance(policy, bytes) else policy
    out = _size(parsed, written if isinstance(written, str) else None, api)
    deny_restricts_endpoints = any(
        st.effect == "Deny" and any(c.key.lower() in _ENDPOINT_KEYS for c in st.conditions)
        for st in parsed.statements
    )
    has_deny = any(st.effect == "Deny" for st in parsed.statements)
    for st in parsed.statements:
        out.extend(_statement(st, parsed, api, deny_restricts_endpoints))
    narrowed = [
        st
        for st in parsed.statements
        if st.effect == "Allow" and (st.conditions or (st.principal and st.principal.aws))
    ]
    if narrowed and not has_deny:
        out.append(
            LintWarning(
                "allow-without-deny",
                "the policy narrows who may call with an Allow but has no Deny: IAM callers in"
                " the API's account whose identity policies allow execute-api:Invoke get in"
                " regardless (Table A); add a Deny, e.g. StringNotEquals aws:SourceVpce",
                narrowed[0].ref,
            )
        )
    return tuple(out)


def _size(policy: Policy, written: str | None, api: ApiContext | None) -> list[LintWarning]:
    size = len(compact_text(policy))
    limit = f"{MAX_POLICY_CHARS:,}"
    if size > MAX_POLICY_CHARS:
        return [
            LintWarning(
                "policy-too-large",
                f"the policy is {size:,} characters as compact JSON, over API Gateway's"
                f" {limit}-character limit for a resource policy: it cannot be saved;"
                " shorten it (merge statements, list values in one condition, use wildcards)",
                severity="error",
            )
        ]
    over = {k: v for k, v in other_counts(policy, written, api).items() if v > MAX_POLICY_CHARS}
    if not over:
        return []
    counted = "; ".join(f"{v:,} {k}" for k, v in over.items())
    return [
        LintWarning(
            "policy-size-unverified",
            f"the policy is {size:,} characters as compact JSON, within API Gateway's {limit}"
            f"-character limit, but {counted}: how API Gateway counts the limit is unverified,"
            " so it may be refused",
        )
    ]


_Warn = Callable[[LintCode, str, str | None], None]


def _statement(
    st: Statement, policy: Policy, api: ApiContext | None, deny_restricts: bool
) -> list[LintWarning]:
    out: list[LintWarning] = []
    ref = st.ref

    def warn(code: LintCode, message: str, key: str | None) -> None:
        out.append(LintWarning(code, message, ref, key))

    _principal_findings(st, warn)
    _action_findings(st, warn)
    for resource in st.resources:
        _check_resource(resource, api, st, warn)
    keys = {c.key.lower() for c in st.conditions}
    if (
        st.effect == "Allow"
        and not st.not_action
        and not (keys & _ENDPOINT_KEYS)
        and not deny_restricts
        and st.principal is not None
    ):
        warn(
            "open-to-all-endpoints",
            "Allow has no aws:SourceVpce or aws:SourceVpc condition and no Deny restricts them:"
            " every VPC endpoint, in any account, can reach this private API",
            "Condition",
        )
    for cond in st.conditions:
        _condition_findings(cond, st, policy, warn)
    if not policy.variables_enabled and any(has_variables(r) for r in st.resources):
        warn(
            "variables-ignored",
            "Resource: policy variables need Version '2012-10-17'; here '${...}' is literal text",
            "Resource",
        )
    return out


def _principal_findings(st: Statement, warn: _Warn) -> None:
    if st.principal is None:
        warn(
            "missing-principal",
            "no Principal element: invalid in a resource policy, the statement never applies",
            "Principal",
        )
        return
    if st.not_principal:
        warn(
            "not-principal",
            "NotPrincipal is discouraged by AWS (under Allow it admits everyone else, anonymous"
            " callers included); whether API Gateway accepts it is unverified",
            "NotPrincipal",
        )
    elif st.effect == "Allow" and st.principal.aws:
        warn(
            "iam-principals",
            f"Allow names AWS principals {list(st.principal.aws)}: methods that do not use"
            " AWS_IAM authorization see anonymous callers, whom only Principal '*' matches,"
            " so they deny every call",
            "Principal",
        )
    for entry in st.principal.aws:
        _check_principal(entry, warn)


def _action_findings(st: Statement, warn: _Warn) -> None:
    covers = action_pattern(st.actions)
    hits = [covers.matches(a) for a in _INVOKE_ACTIONS]
    if (not st.not_action and not any(hits)) or (st.not_action and all(hits)):
        name = "NotAction" if st.not_action else "Action"
        warn(
            "unknown-action",
            f"{name} {list(st.actions)} covers no execute-api action (execute-api:Invoke,"
            " execute-api:InvalidateCache, execute-api:ManageConnections)",
            name,
        )


def _condition_findings(cond: Condition, st: Statement, policy: Policy, warn: _Warn) -> None:
    lowered = cond.key.lower()
    if lowered == "aws:sourceip":
        warn(
            "source-ip",
            f"{cond.operator} on aws:SourceIp: the key is absent for calls through a VPC"
            " endpoint (every private API call), so IpAddress never matches and"
            " NotIpAddress always does; use aws:VpcSourceIp for the client's private"
            " address",
            cond.key,
        )
    elif lowered in _UNVERIFIED_KEYS:
        warn(
            "unknown-condition-key",
            f"{cond.key}: unverified whether API Gateway populates it for execute-api:Invoke",
            cond.key,
        )
    elif lowered not in EXECUTE_API_KEYS and not lowered.startswith("aws:principaltag/"):
        warn(
            "unknown-condition-key",
            f"{cond.key} is not a condition key API Gateway provides for"
            " execute-api:Invoke; it is always absent",
            cond.key,
        )
    bad = bad_policy_values(cond)
    if bad:
        warn(
            "malformed-value",
            f"{cond.operator} {cond.key}: {list(bad)} cannot be read by the operator and"
            " match nothing",
            cond.key,
        )
    if cond.set_operator == "ForAllValues" and st.effect == "Allow" and not cond.if_exists:
        warn(
            "forallvalues-allow",
            f"{cond.operator} {cond.key} is true when the key is absent or empty, which"
            " an Allow rarely intends; add a Null check or use ForAnyValue",
            cond.key,
        )
    if not policy.variables_enabled and any(has_variables(v) for v in cond.values):
        warn(
            "variables-ignored",
            f"{cond.key}: policy variables need Version '2012-10-17'; here '${{...}}'"
            " is literal text",
            cond.key,
        )


def _check_principal(entry: str, warn: _Warn) -> None:
    parts = entry.split(":", 5)
    if len(parts) != 6:
        if entry[:1] == "A" and not entry.isdigit():
            warn(
                "invalid-arn",
                f"principal {entry!r} is a unique id: IAM stores these when the named user or"
                " role was deleted; a recreated one does not match",
                "Principal",
            )
        return
    if "*" in entry or "?" in entry:
        warn(
            "invalid-arn",
            f"principal {entry!r} has a wildcard: principal ARNs allow none, it never matches;"
            " use Principal '*' with ArnLike aws:PrincipalArn",
            "Principal",
        )
    elif parts[2] not in ("iam", "sts") or not re.fullmatch(r"\d{12}", parts[4]):
        warn(
            "invalid-arn",
            f"principal {entry!r} is not an IAM/STS ARN with a 12-digit account id",
            "Principal",
        )


def _check_resource(resource: str, api: ApiContext | None, st: Statement, warn: _Warn) -> None:
    key = "NotResource" if st.not_resource else "Resource"
    if resource == "*":
        return
    if is_short_form(resource):
        # Without the API, expand with wildcards so the path can still be checked.
        resource = expand_short_form(resource, api or ApiContext("*", "*", "*"))
    parts = resource.split(":", 5)
    if len(parts) < 6:
        return  # a padded wildcard pattern such as "arn:aws:execute-api:*"
    service, region, account, rest = parts[2], parts[3], parts[4], parts[5]
    if service.lower() not in ("execute-api", "*"):
        warn(
            "invalid-arn",
            f"{key} {resource!r} is not an execute-api ARN: it matches no call to an API",
            key,
        )
        return
    segments = rest.split("/")
    if not _API_ID.match(segments[0]) and "*" not in segments[0]:
        warn(
            "invalid-arn",
            f"{key} {resource!r}: {segments[0]!r} is not an API id (10 letters or digits)",
            key,
        )
    if api is not None:
        for label, given, expected in (
            ("region", region, api.region),
            ("account", account, api.account),
            ("API id", segments[0], api.api_id),
        ):
            if given != expected and not any(ch in given for ch in "*?"):
                warn(
                    "invalid-arn",
                    f"{key} {resource!r} names {label} {given!r}, not this API's {expected!r}:"
                    " it matches no call to this API",
                    key,
                )
    if len(segments) >= 3:
        method = segments[2]
        if method not in _METHODS and not any(ch in method for ch in "*?"):
            hint = (
                f"; methods are upper-case ({method.upper()!r}) and the resource part is"
                " case-sensitive"
                if method.upper() in _METHODS
                else ""
            )
            warn(
                "invalid-arn",
                f"{key} {resource!r}: {method!r} is not an HTTP method{hint}",
                key,
            )
