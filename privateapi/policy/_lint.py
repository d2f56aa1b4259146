"""Warnings for the traps of private API resource policies.

Each warning has a stable ``code``:

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
from dataclasses import dataclass
from typing import Any

from privateapi.policy._conditions import bad_policy_values
from privateapi.policy._match import action_pattern, expand_short_form, is_short_form
from privateapi.policy._model import ApiContext, Policy, Statement, StatementRef
from privateapi.policy._parse import parse_policy
from privateapi.policy._variables import has_variables

__all__ = ["EXECUTE_API_KEYS", "LintWarning", "lint"]

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
    """One finding.

    Attributes:
        code: a stable identifier (``source-ip``, ``open-to-all-endpoints``...).
        message: what is wrong and what to do, in one or two sentences.
        statement: the statement concerned, or ``None`` for the whole policy.
        key: the element or condition key concerned, if any.
    """

    code: str
    message: str
    statement: StatementRef | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = f"{self.statement}: " if self.statement is not None else ""
        return f"{where}{self.message} [{self.code}]"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "code": self.code,
            "message": self.message,
            "statement": None if self.statement is None else self.statement.to_dict(),
            "key": self.key,
        }


def lint(
    policy: Policy | str | dict[str, Any], api: ApiContext | None = None
) -> tuple[LintWarning, ...]:
    """Warn about the known traps of a private API resource policy.

    Args:
        policy: the policy (parsed, JSON text or a mapping).
        api: the API it belongs to; enables checks that Resource ARNs point into it.

    Returns:
        The warnings, in statement order (an empty tuple when none).

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
    out: list[LintWarning] = []
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


def _statement(
    st: Statement, policy: Policy, api: ApiContext | None, deny_restricts: bool
) -> list[LintWarning]:
    out: list[LintWarning] = []
    ref = st.ref

    def warn(code: str, message: str, key: str | None = None) -> None:
        out.append(LintWarning(code, message, ref, key))

    if st.principal is None:
        warn(
            "missing-principal",
            "no Principal element: invalid in a resource policy, the statement never applies",
            "Principal",
        )
    elif st.not_principal:
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
    if st.principal is not None:
        for entry in st.principal.aws:
            _check_principal(entry, warn)

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
    if not policy.variables_enabled and any(has_variables(r) for r in st.resources):
        warn(
            "variables-ignored",
            "Resource: policy variables need Version '2012-10-17'; here '${...}' is literal text",
            "Resource",
        )
    return out


def _check_principal(entry: str, warn: Any) -> None:
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


def _check_resource(resource: str, api: ApiContext | None, st: Statement, warn: Any) -> None:
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
