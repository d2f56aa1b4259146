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

from dataclasses import dataclass, replace
from typing import Any, Literal

from privateapi.policy._evaluate import Decision, Outcome, evaluate
from privateapi.policy._model import ANONYMOUS, ApiContext, Policy, Request

__all__ = ["AuthType", "Authorization", "Side", "authorize", "combine"]

AuthType = Literal["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"]
Side = Literal["endpoint_policy", "resource_policy", "caller"]
Table = Literal["A", "B"]

_AUTH_TYPES: tuple[str, ...] = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
_OUTCOMES: tuple[str, ...] = ("allow", "explicit_deny", "implicit_deny")


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
    """API Gateway's Table A (same account) or Table B (cross account).

    Any explicit deny wins. Same account: either side's allow is enough. Cross account:
    both sides must allow.

    Example:
        >>> combine("allow", "implicit_deny", same_account=True)
        'allow'
        >>> combine("allow", "implicit_deny", same_account=False)
        'implicit_deny'
    """
    if "explicit_deny" in (caller, resource):
        return "explicit_deny"
    if same_account:
        return "allow" if "allow" in (caller, resource) else "implicit_deny"
    return "allow" if caller == resource == "allow" else "implicit_deny"


def _outcome_of(value: Outcome | Decision | None) -> Outcome | None:
    if value is None or isinstance(value, Decision):
        return None if value is None else value.outcome
    if value not in _OUTCOMES:
        from privateapi.policy._errors import PolicySyntaxError

        raise PolicySyntaxError(
            f"caller outcome {value!r} is not valid",
            key="caller",
            value=value,
            expected="'allow', 'explicit_deny' or 'implicit_deny'",
        )
    return value


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
    if auth_type not in _AUTH_TYPES:
        from privateapi.policy._errors import PolicySyntaxError

        raise PolicySyntaxError(
            f"authorization type {auth_type!r} is not valid",
            key="auth_type",
            value=auth_type,
            expected=", ".join(_AUTH_TYPES),
        )
    if caller is not None and caller_policy is not None:
        from privateapi.policy._errors import PolicySyntaxError

        raise PolicySyntaxError(
            "give either caller or caller_policy, not both",
            key="caller",
            expected="one caller side",
        )
    notes: list[str] = []
    if api is None:
        api = ApiContext.from_arn(request.resource)

    endpoint: Decision | None = None
    if endpoint_policy is not None:
        endpoint = evaluate(endpoint_policy, request, api=api, kind="endpoint")
        if endpoint.outcome != "allow":
            return Authorization(
                outcome=endpoint.outcome,
                decided_by=("endpoint_policy",),
                auth_type=auth_type,
                resource=None,
                endpoint=endpoint,
                reason=f"the VPC endpoint policy gives {endpoint.outcome}; it is checked first",
            )

    if auth_type != "AWS_IAM" and not request.anonymous:
        # Only AWS_IAM methods authenticate the caller; to the policies everyone else is
        # anonymous, so {"AWS": ...} principals never match them.
        request = replace(request, principal=ANONYMOUS)
        notes.append(f"{auth_type} method: the caller is anonymous to the resource policy")

    caller_outcome = _outcome_of(caller)
    if caller_policy is not None:
        caller_outcome = evaluate(caller_policy, request, api=api, kind="identity").outcome

    if resource_policy is None:
        return Authorization(
            outcome="implicit_deny",
            decided_by=("resource_policy",),
            auth_type=auth_type,
            resource=None,
            endpoint=endpoint,
            caller=caller_outcome,
            reason="a private API without a resource policy rejects every call",
            notes=tuple(notes),
        )
    resource = evaluate(resource_policy, request, api=api)

    def done(
        outcome: Outcome, sides: tuple[Side, ...], reason: str, table: Table | None = None
    ) -> Authorization:
        return Authorization(
            outcome=outcome,
            decided_by=sides,
            auth_type=auth_type,
            resource=resource,
            table=table,
            endpoint=endpoint,
            caller=caller_outcome,
            reason=reason,
            notes=tuple(notes),
        )

    rp = resource.outcome
    if auth_type == "NONE":
        return done(rp, ("resource_policy",), f"NONE: the resource policy alone decides ({rp})")

    if auth_type == "COGNITO_USER_POOLS":
        notes.append(
            "disputed: the authorization-flow page says the resource policy must explicitly"
            " allow Cognito callers, while its Table A would allow with a silent resource"
            " policy; this follows the text"
        )
        if caller_outcome not in (None, "allow"):
            return done(caller_outcome, ("caller",), "the Cognito token was not accepted")
        return done(
            rp,
            ("resource_policy",),
            f"COGNITO_USER_POOLS: the resource policy must explicitly allow ({rp})",
        )

    if auth_type == "CUSTOM":
        if rp == "explicit_deny":
            return done(
                rp,
                ("resource_policy",),
                "the resource policy explicitly denies; it is checked before the Lambda"
                " authorizer runs",
            )
        if caller_outcome is None:
            caller_outcome = "implicit_deny"
            notes.append("no authorizer outcome given: treated as silent")
        outcome = combine(caller_outcome, rp, same_account=True)
        return done(
            outcome,
            _sides(outcome, caller_outcome, rp),
            _table_reason("A", caller_outcome, rp),
            "A",
        )

    # AWS_IAM
    if request.anonymous:
        # An unsigned call to an AWS_IAM method never reaches the policies
        # (403 Missing Authentication Token).
        return done(
            "implicit_deny",
            ("caller",),
            "AWS_IAM: the call is not signed, so there is no IAM caller to authorize",
        )
    if caller_outcome is None:
        caller_outcome = "implicit_deny"
        notes.append("no identity-policy outcome given: treated as silent (no Allow)")
    if same_account is None:
        caller_account = request.caller.account
        same_account = (
            caller_account is not None and api is not None and caller_account == api.account
        )
    table: Table = "A" if same_account else "B"
    rp_for_table = rp
    if rp == "allow" and resource.delegated:
        # An account principal delegates to the caller's identity policies; it does not
        # allow by itself (general IAM rule; unverified for execute-api).
        notes.append(
            "the resource policy allows only through an account principal, which delegates"
            " to the caller's identity policies (IAM rule; unverified for execute-api)"
        )
        rp_for_table = "implicit_deny"
    outcome = combine(caller_outcome, rp_for_table, same_account=same_account)
    return done(
        outcome,
        _sides(outcome, caller_outcome, rp_for_table),
        _table_reason(table, caller_outcome, rp_for_table),
        table,
    )


def _sides(outcome: Outcome, caller: Outcome, resource: Outcome) -> tuple[Side, ...]:
    sides: list[Side] = []
    if outcome == "explicit_deny":
        if caller == "explicit_deny":
            sides.append("caller")
        if resource == "explicit_deny":
            sides.append("resource_policy")
    elif outcome == "allow":
        if caller == "allow":
            sides.append("caller")
        if resource == "allow":
            sides.append("resource_policy")
    else:
        # Implicit deny: the side(s) whose allow was missing.
        if caller != "allow":
            sides.append("caller")
        if resource != "allow":
            sides.append("resource_policy")
    return tuple(sides)


def _table_reason(table: Table, caller: Outcome, resource: Outcome) -> str:
    scope = "same account" if table == "A" else "cross account"
    return f"Table {table} ({scope}): caller {caller} x resource policy {resource}"
