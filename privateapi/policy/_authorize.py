"""API Gateway's final decision: VPC endpoint policy, resource policy and the caller side.

API Gateway Developer Guide, "apigateway-authorization-flow" and "apigateway-vpc-endpoint-
policies" (see ``docs/policy.md``):

1. the VPC endpoint policy is evaluated first and must allow;
2. ``NONE``: the resource policy must explicitly allow (the caller is anonymous);
3. ``AWS_IAM``: the caller's identity-policy decision and the resource policy combine by
   Table A (same account) or Table B (cross account);
4. ``CUSTOM`` (Lambda authorizer): the resource policy is checked for an explicit deny
   before the authorizer runs, then the authorizer's policy and the resource policy
   combine by Table A; the caller is anonymous to the resource policy;
5. ``COGNITO_USER_POOLS``: after the token is validated the resource policy must
   explicitly allow (the page's Table A says otherwise; disputed, see the notes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, get_args

from privateapi.policy._errors import PolicySyntaxError
from privateapi.policy._evaluate import OUTCOMES, Decision, Outcome, evaluate
from privateapi.policy._model import ANONYMOUS, ApiContext, Policy, Request

__all__ = [
    "AUTH_TYPES",
    "TABLES",
    "AuthType",
    "Authorization",
    "Side",
    "Table",
    "authorize",
    "combine",
]

#: A method's authorization type, as API Gateway names it (``CUSTOM`` = Lambda authorizer).
AuthType = Literal["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"]
#: Who decided: the VPC endpoint policy, the resource policy, or the caller side (identity
#: policy, Lambda authorizer or Cognito token check).
Side = Literal["endpoint_policy", "resource_policy", "caller"]
#: API Gateway's Table A (caller and API in one account) or Table B (cross account).
Table = Literal["A", "B"]

#: Every method authorization type, in the order API Gateway documents them.
AUTH_TYPES: Final[tuple[AuthType, ...]] = get_args(AuthType)

# API Gateway Developer Guide, "apigateway-authorization-flow", as printed there: a row per
# caller-side outcome, a column per resource-policy outcome (Allow, silent, Deny).
_COLUMNS: Final[tuple[Outcome, ...]] = ("allow", "implicit_deny", "explicit_deny")
# fmt: off
#: Tables A and B: ``TABLES[table][caller][column]``, columns in the order RP Allow,
#: RP silent, RP Deny.
TABLES: Final[Mapping[Table, Mapping[Outcome, tuple[Outcome, Outcome, Outcome]]]] = {
    "A": {  # same account       RP Allow         RP silent        RP Deny
        "allow":              ("allow",         "allow",         "explicit_deny"),
        "implicit_deny":      ("allow",         "implicit_deny", "explicit_deny"),
        "explicit_deny":      ("explicit_deny", "explicit_deny", "explicit_deny"),
    },
    "B": {  # cross account      RP Allow         RP silent        RP Deny
        "allow":              ("allow",         "implicit_deny", "explicit_deny"),
        "implicit_deny":      ("implicit_deny", "implicit_deny", "explicit_deny"),
        "explicit_deny":      ("explicit_deny", "explicit_deny", "explicit_deny"),
    },
}
# fmt: on


@dataclass(frozen=True)
class Authorization:
    """API Gateway's final answer for one call, and which side decided it.

    Attributes:
        outcome: ``"allow"``, ``"explicit_deny"`` or ``"implicit_deny"``.
        decided_by: the sides that decided: for a deny, the side(s) that denied or (for
            an implicit deny) lacked the needed allow; for an allow, the side(s) whose
            allow was needed (``endpoint_policy``, ``resource_policy``, ``caller``).
        auth_type: the method's authorization type.
        table: ``"A"`` (same account) or ``"B"`` (cross account) when a table was used.
        endpoint: the VPC endpoint policy's decision, when one was given.
        resource: the resource policy's decision.
        caller: the caller side's outcome (identity policy or authorizer), if any.
        reason: one line saying why.
        notes: caveats (disputed or unverified rules the answer relies on).
    """

    outcome: Outcome
    decided_by: tuple[Side, ...]
    auth_type: AuthType
    resource: Decision | None
    table: Table | None = None
    endpoint: Decision | None = None
    caller: Outcome | None = None
    reason: str = ""
    notes: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        """Whether the call gets through."""
        return self.outcome == "allow"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "outcome": self.outcome,
            "decided_by": list(self.decided_by),
            "auth_type": self.auth_type,
            "table": self.table,
            "caller": self.caller,
            "reason": self.reason,
            "notes": list(self.notes),
            "endpoint_policy": None if self.endpoint is None else self.endpoint.to_dict(),
            "resource_policy": None if self.resource is None else self.resource.to_dict(),
        }


def combine(caller: Outcome, resource: Outcome, *, same_account: bool) -> Outcome:
    """API Gateway's Table A (same account) or Table B (cross account), read from :data:`TABLES`.

    Any explicit deny wins. Same account: either side's allow is enough. Cross account:
    both sides must allow.

    Raises:
        PolicySyntaxError: an outcome is not one of ``allow``, ``explicit_deny`` or
            ``implicit_deny``.

    Example:
        >>> combine("allow", "implicit_deny", same_account=True)
        'allow'
        >>> combine("allow", "implicit_deny", same_account=False)
        'implicit_deny'
    """
    row = TABLES["A" if same_account else "B"][_checked(caller, "caller")]
    return row[_COLUMNS.index(_checked(resource, "resource"))]


_BY_NAME: Final[Mapping[str, Outcome]] = {o: o for o in OUTCOMES}


def _checked(value: object, name: str) -> Outcome:
    found = _BY_NAME.get(value) if isinstance(value, str) else None
    if found is None:
        raise PolicySyntaxError(
            f"{name} outcome {value!r} is not valid",
            key=name,
            value=value,
            expected=", ".join(repr(o) for o in OUTCOMES),
        )
    return found


def _outcome_of(value: Outcome | Decision | None) -> Outcome | None:
    if value is None or isinstance(value, Decision):
        return None if value is None else value.outcome
    return _checked(value, "caller")


def authorize(
    resource_policy: Policy | str | dict[str, Any] | None,
    request: Request,
    *,
    auth_type: AuthType = "NONE",
    caller: Outcome | Decision | None = None,
    caller_policy: Policy | str | dict[str, Any] | None = None,
    endpoint_policy: Policy | str | dict[str, Any] | None = None,
    api: ApiContext | None = None,
    same_account: bool | None = None,
) -> Authorization:
    """API Gateway's decision for one call to a private API.

    Args:
        resource_policy: the API's resource policy (``None``: the API has none, and a
            private API without one rejects every call).
        request: the call; for ``NONE``, ``CUSTOM`` and ``COGNITO_USER_POOLS`` the caller
            is anonymous to the policies whatever ``request.principal`` says.
        auth_type: the method's authorization type.
        caller: the caller side's result: the IAM identity-policy outcome for ``AWS_IAM``,
            the Lambda authorizer policy's for ``CUSTOM``, the token check for
            ``COGNITO_USER_POOLS`` (``"allow"`` = valid). Either an outcome string or a
            :class:`Decision`.
        caller_policy: instead of ``caller``, a policy to evaluate for the caller side
            (identity policy or authorizer policy; a missing ``Principal`` is the caller).
        endpoint_policy: the VPC endpoint policy, evaluated first; ``None`` means the
            default full-access endpoint policy.
        api: the API, for ``execute-api:/...`` short forms (default: from the ARN).
        same_account: whether caller and API share an account; by default compared from
            the caller's ARN and the API's account.

    Returns:
        The :class:`Authorization`.

    Example:
        >>> from privateapi.policy import Request, authorize
        >>> arn = "arn:aws:execute-api:us-east-1:111111111111:a1b2c3d4e5/prod/GET/pets"
        >>> only_vpce = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        ...     "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
        ...     "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}]}
        >>> caller = Request(arn, principal="arn:aws:iam::111111111111:role/app")
        >>> a = authorize(only_vpce, caller, auth_type="AWS_IAM", caller="allow")
        >>> a.outcome, a.decided_by, a.table
        ('allow', ('caller',), 'A')
    """
    _check_arguments(auth_type, caller, caller_policy)
    if api is None:
        api = ApiContext.from_arn(request.resource)
    call = _Call(auth_type, request, api, same_account)
    if endpoint_policy is not None:
        call.endpoint = evaluate(endpoint_policy, request, api=api, kind="endpoint")
        if call.endpoint.outcome != "allow":
            return call.endpoint_denies()
    call.as_seen_by_policies()
    call.caller = _outcome_of(caller)
    if caller_policy is not None:
        call.caller = evaluate(caller_policy, call.request, api=api, kind="identity").outcome
    if resource_policy is None:
        return call.answer(
            "implicit_deny",
            ("resource_policy",),
            "a private API without a resource policy rejects every call",
        )
    call.resource = evaluate(resource_policy, call.request, api=api)
    return _DECIDE[auth_type](call, call.resource.outcome)


def _check_arguments(auth_type: object, caller: object, caller_policy: object) -> None:
    if auth_type not in AUTH_TYPES:
        raise PolicySyntaxError(
            f"authorization type {auth_type!r} is not valid",
            key="auth_type",
            value=auth_type,
            expected=", ".join(AUTH_TYPES),
        )
    if caller is not None and caller_policy is not None:
        raise PolicySyntaxError(
            "give either caller or caller_policy, not both",
            key="caller",
            expected="one caller side",
        )


@dataclass
class _Call:
    """One authorization in progress: what its steps found so far, and their caveats."""

    auth_type: AuthType
    request: Request
    api: ApiContext | None
    same_account: bool | None
    endpoint: Decision | None = None
    resource: Decision | None = None
    caller: Outcome | None = None
    notes: list[str] = field(default_factory=list)

    def answer(
        self, outcome: Outcome, sides: tuple[Side, ...], reason: str, table: Table | None = None
    ) -> Authorization:
        return Authorization(
            outcome=outcome,
            decided_by=sides,
            auth_type=self.auth_type,
            resource=self.resource,
            table=table,
            endpoint=self.endpoint,
            caller=self.caller,
            reason=reason,
            notes=tuple(self.notes),
        )

    def endpoint_denies(self) -> Authorization:
        # Step 1: the VPC endpoint policy is checked first, and must allow.
        assert self.endpoint is not None
        outcome = self.endpoint.outcome
        return self.answer(
            outcome,
            ("endpoint_policy",),
            f"the VPC endpoint policy gives {outcome}; it is checked first",
        )

    def as_seen_by_policies(self) -> None:
        # Only AWS_IAM methods authenticate the caller; to the policies everyone else is
        # anonymous, so {"AWS": ...} principals never match them.
        if self.auth_type != "AWS_IAM" and not self.request.anonymous:
            self.request = replace(self.request, principal=ANONYMOUS)
            self.notes.append(
                f"{self.auth_type} method: the caller is anonymous to the resource policy"
            )

    def by_table(self, table: Table, caller: Outcome, resource: Outcome) -> Authorization:
        outcome = combine(caller, resource, same_account=table == "A")
        scope = "same account" if table == "A" else "cross account"
        return self.answer(
            outcome,
            _sides(outcome, caller, resource),
            f"Table {table} ({scope}): caller {caller} x resource policy {resource}",
            table,
        )


def _decide_none(call: _Call, rp: Outcome) -> Authorization:
    # Step 2: the resource policy must explicitly allow.
    return call.answer(rp, ("resource_policy",), f"NONE: the resource policy alone decides ({rp})")


def _decide_cognito(call: _Call, rp: Outcome) -> Authorization:
    # Step 5: after the token is validated the resource policy must explicitly allow.
    call.notes.append(
        "disputed: the authorization-flow page says the resource policy must explicitly"
        " allow Cognito callers, while its Table A would allow with a silent resource"
        " policy; this follows the text"
    )
    if call.caller not in (None, "allow"):
        assert call.caller is not None
        return call.answer(call.caller, ("caller",), "the Cognito token was not accepted")
    return call.answer(
        rp,
        ("resource_policy",),
        f"COGNITO_USER_POOLS: the resource policy must explicitly allow ({rp})",
    )


def _decide_custom(call: _Call, rp: Outcome) -> Authorization:
    # Step 4: an explicit deny in the resource policy stops the call before the Lambda
    # authorizer runs; otherwise the authorizer's policy and the resource policy meet in
    # Table A.
    if rp == "explicit_deny":
        return call.answer(
            rp,
            ("resource_policy",),
            "the resource policy explicitly denies; it is checked before the Lambda"
            " authorizer runs",
        )
    if call.caller is None:
        call.caller = "implicit_deny"
        call.notes.append("no authorizer outcome given: treated as silent")
    return call.by_table("A", call.caller, rp)


def _decide_iam(call: _Call, rp: Outcome) -> Authorization:
    # Step 3: identity policies and the resource policy meet in Table A or Table B.
    if call.request.anonymous:
        # An unsigned call to an AWS_IAM method never reaches the policies
        # (403 Missing Authentication Token).
        return call.answer(
            "implicit_deny",
            ("caller",),
            "AWS_IAM: the call is not signed, so there is no IAM caller to authorize",
        )
    if call.caller is None:
        call.caller = "implicit_deny"
        call.notes.append("no identity-policy outcome given: treated as silent (no Allow)")
    same_account = call.same_account
    if same_account is None:
        account = call.request.caller.account
        same_account = account is not None and call.api is not None and account == call.api.account
    assert call.resource is not None
    if rp == "allow" and call.resource.delegated:
        # An account principal delegates to the caller's identity policies; it does not
        # allow by itself (general IAM rule; unverified for execute-api).
        call.notes.append(
            "the resource policy allows only through an account principal, which delegates"
            " to the caller's identity policies (IAM rule; unverified for execute-api)"
        )
        rp = "implicit_deny"
    return call.by_table("A" if same_account else "B", call.caller, rp)


_DECIDE: Final[Mapping[AuthType, Callable[[_Call, Outcome], Authorization]]] = {
    "NONE": _decide_none,
    "AWS_IAM": _decide_iam,
    "CUSTOM": _decide_custom,
    "COGNITO_USER_POOLS": _decide_cognito,
}


def _sides(outcome: Outcome, caller: Outcome, resource: Outcome) -> tuple[Side, ...]:
    def decided(got: Outcome) -> bool:
        # Explicit deny: the side(s) that denied; allow: the side(s) that allowed;
        # implicit deny: the side(s) whose allow was missing.
        return got != "allow" if outcome == "implicit_deny" else got == outcome

    sides: list[Side] = []
    if decided(caller):
        sides.append("caller")
    if decided(resource):
        sides.append("resource_policy")
    return tuple(sides)
