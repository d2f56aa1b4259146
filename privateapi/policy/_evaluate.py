"""Evaluating one policy for one request: the decision and why.

All applicable statements are gathered (never first-match): any applicable ``Deny`` gives
an explicit deny, otherwise any applicable ``Allow`` an allow, otherwise an implicit deny.
A statement applies when its principal, action and resource match and every condition
holds. Matching is compiled once per policy (and per API for short forms) and reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, Literal, get_args

from privateapi.policy._conditions import CompiledCondition, ConditionResult
from privateapi.policy._errors import PolicySyntaxError
from privateapi.policy._match import (
    CompiledPrincipal,
    PrincipalMatch,
    ResourcePattern,
    ResourceSet,
    SplitArn,
    action_pattern,
    expand_short_form,
    is_short_form,
    split_arn,
    split_resource,
)
from privateapi.policy._model import (
    ApiContext,
    Effect,
    Policy,
    Request,
    Statement,
    StatementRef,
    _Caller,
)
from privateapi.policy._parse import parse_policy
from privateapi.policy._variables import has_variables, substitute

__all__ = [
    "OUTCOMES",
    "POLICY_KINDS",
    "Decision",
    "Element",
    "ElementResult",
    "Outcome",
    "PolicyKind",
    "StatementResult",
    "evaluate",
]

#: A policy's decision for one request (the same words as AWS's IAM Toolbox API:
#: ``ALLOW``, ``EXPLICIT_DENY``, ``IMPLICIT_DENY``); JSON output uses these strings.
Outcome = Literal["allow", "explicit_deny", "implicit_deny"]
#: ``resource``: a statement without ``Principal`` never applies (it is invalid there);
#: ``identity`` (IAM identity or Lambda authorizer policy) and ``endpoint`` (VPC endpoint
#: policy): a missing ``Principal`` means the caller.
PolicyKind = Literal["resource", "identity", "endpoint"]
#: The elements of a statement that must all match for it to apply.
Element = Literal["Principal", "Action", "Resource", "Condition"]

#: Every outcome, for validating and listing them.
OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)
#: Every policy kind.
POLICY_KINDS: Final[tuple[PolicyKind, ...]] = get_args(PolicyKind)

_MAX_COMPILED = 32


class _CompiledStatement:
    """A statement with its matchers built once (per policy kind and API)."""

    __slots__ = (
        "_variable_resources",
        "actions",
        "conditions",
        "deny",
        "everyone",
        "not_action",
        "not_principal",
        "not_resource",
        "principal",
        "ref",
        "resources",
        "short_forms",
        "statement",
    )

    def __init__(
        self, statement: Statement, *, kind: PolicyKind, variables: bool, api: ApiContext | None
    ) -> None:
        self.statement = statement
        self.ref = statement.ref
        self.deny = statement.effect == "Deny"
        self.not_principal = statement.not_principal
        self.not_action = statement.not_action
        self.not_resource = statement.not_resource
        if statement.principal is not None:
            self.principal: CompiledPrincipal | None = CompiledPrincipal.build(statement.principal)
        elif kind == "resource":
            self.principal = None
        else:
            self.principal = CompiledPrincipal.build_wildcard()
        # The common "Principal": "*" needs no per-request work.
        self.everyone = (
            self.principal is not None and self.principal.wildcard and not self.not_principal
        )
        self.actions = action_pattern(statement.actions)
        patterns: list[tuple[tuple[str, ...], str]] = []
        self.short_forms = False
        self._variable_resources: list[tuple[tuple[str, ...], str]] = []
        for entry in statement.resources:
            if entry == "*":
                continue
            resource = entry
            if is_short_form(entry):
                # Expanded with the API's region, account and id, as AWS does on save;
                # without an API a short form matches nothing.
                self.short_forms = True
                if api is None:
                    continue
                resource = expand_short_form(entry, api)
            split = split_resource(resource)
            assert split is not None  # the parser rejected anything else
            head, tail = split
            if variables and has_variables(tail):
                self._variable_resources.append((head, tail))
            else:
                patterns.append((head, tail))
        self.resources = ResourceSet(patterns, everything="*" in statement.resources)
        self.conditions = tuple(
            CompiledCondition(c, variables=variables) for c in statement.conditions
        )

    def principal_match(self, caller: _Caller, userid: tuple[str, ...] | None) -> PrincipalMatch:
        if self.everyone:
            return "direct"
        if self.principal is None:
            return "none"
        found = self.principal.match(caller, userid)
        if self.not_principal:
            # NotPrincipal names who is excluded; everyone else (anonymous too) matches.
            return "direct" if found == "none" else "none"
        return found

    def action_match(self, action: str) -> bool:
        return self.actions.matches(action) != self.not_action

    def resource_hit(self, target: SplitArn | None, request: Request) -> bool:
        """Whether Resource (or NotResource) lists the request's resource."""
        if self.resources.matches(target):
            return True
        return bool(self._variable_resources) and self.variable_hit(target, request)

    def resource_match(self, request: Request) -> bool:
        return self.resource_hit(split_arn(request.resource), request) != self.not_resource

    def variable_hit(self, target: SplitArn | None, request: Request) -> bool:
        for head, tail in self._variable_resources:
            pieces = substitute(tail, request.variable)
            # An unresolved variable makes the entry match nothing.
            if pieces is not None and ResourcePattern(head, pieces).matches(target):
                return True
        return False

    def condition_match(self, request: Request) -> bool:
        return all(c.test(request) for c in self.conditions)


class _Compiled:
    """A policy's statements compiled for one kind and API, indexed by action."""

    __slots__ = ("_by_action", "statements")

    # Requests carry few distinct actions (execute-api:Invoke nearly always), so the
    # statements whose Action/NotAction admits an action are looked up, not re-matched.
    _MAX_ACTIONS = 64

    def __init__(self, statements: tuple[_CompiledStatement, ...]) -> None:
        self.statements = statements
        self._by_action: dict[str, tuple[_CompiledStatement, ...]] = {}

    def for_action(self, action: str) -> tuple[_CompiledStatement, ...]:
        found = self._by_action.get(action)
        if found is None:
            found = tuple(cs for cs in self.statements if cs.action_match(action))
            if len(self._by_action) >= self._MAX_ACTIONS:
                self._by_action.clear()
            self._by_action[action] = found
        return found


def _compiled(policy: Policy, kind: PolicyKind, api: ApiContext | None) -> _Compiled:
    key = (kind, api)
    found: _Compiled | None = policy._cache.get(key)
    if found is None:
        found = _Compiled(
            tuple(
                _CompiledStatement(s, kind=kind, variables=policy.variables_enabled, api=api)
                for s in policy.statements
            )
        )
        # One entry per API the policy is evaluated for: bounded, in case a caller feeds
        # requests for many APIs through one parsed policy.
        if len(policy._cache) >= _MAX_COMPILED:
            policy._cache.clear()
        policy._cache[key] = found
    return found


@dataclass(frozen=True)
class ElementResult:
    """Whether one element of a statement matched the request, and why.

    Attributes:
        element: ``Principal``, ``Action``, ``Resource`` or ``Condition``.
        matched: whether it matched (for ``Not...`` elements: whether the request is
            outside the listed values, i.e. whether the element lets the statement apply).
        detail: one line.
    """

    element: Element
    matched: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"element": self.element, "matched": self.matched, "detail": self.detail}


@dataclass(frozen=True)
class StatementResult:
    """How one statement evaluated for the request.

    Attributes:
        ref: the statement's index and ``Sid``.
        effect: ``Allow`` or ``Deny``.
        applies: whether every element matched (the statement takes part in the decision).
        elements: Principal, Action, Resource and Condition, in that order.
        conditions: each condition key's outcome.
        principal_match: ``"direct"``, ``"account"`` (only through an account principal,
            which delegates to the caller's identity policies) or ``"none"``.
    """

    ref: StatementRef
    effect: Effect
    applies: bool
    elements: tuple[ElementResult, ...]
    conditions: tuple[ConditionResult, ...] = ()
    principal_match: PrincipalMatch = "none"

    @property
    def failed(self) -> tuple[ElementResult, ...]:
        """The elements that did not match."""
        return tuple(e for e in self.elements if not e.matched)

    @property
    def failed_conditions(self) -> tuple[ConditionResult, ...]:
        """The conditions that did not hold."""
        return tuple(c for c in self.conditions if not c.matched)

    @property
    def near_miss(self) -> bool:
        """Whether exactly one element kept this statement from applying."""
        return len(self.failed) == 1

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "index": self.ref.index,
            "sid": self.ref.sid,
            "effect": self.effect,
            "applies": self.applies,
            "principal_match": self.principal_match,
            "elements": [e.to_dict() for e in self.elements],
            "conditions": [c.to_dict() for c in self.conditions],
        }


@dataclass(frozen=True)
class Decision:
    """The outcome of one policy for one request.

    Attributes:
        outcome: ``"allow"``, ``"explicit_deny"`` or ``"implicit_deny"``.
        deciding: every applicable ``Deny`` for an explicit deny, every applicable
            ``Allow`` for an allow, nothing for an implicit deny.
        delegated: for an allow, whether every deciding ``Allow`` named the caller only
            through an account principal (``"123456789012"`` / ``...:root``). Under IAM
            rules such an allow delegates to the caller's own identity policies and does
            not allow by itself.
        request: the request evaluated.
        api: the API used for ``execute-api:/...`` short forms (given, or taken from the
            request's ARN).
    """

    outcome: Outcome
    deciding: tuple[StatementRef, ...]
    delegated: bool
    request: Request = field(repr=False)
    api: ApiContext | None = field(default=None, repr=False)
    policy: Policy = field(default_factory=lambda: Policy(()), repr=False, compare=False)
    kind: PolicyKind = field(default="resource", repr=False)

    @property
    def allowed(self) -> bool:
        """Whether the outcome is ``allow``."""
        return self.outcome == "allow"

    @cached_property
    def statements(self) -> tuple[StatementResult, ...]:
        """A per-statement explanation (built on first access, not during evaluation)."""
        return tuple(
            _explain(cs, self.request, self.api)
            for cs in _compiled(self.policy, self.kind, self.api).statements
        )

    @property
    def near_misses(self) -> tuple[StatementResult, ...]:
        """Statements that failed on exactly one element (most useful for an implicit deny)."""
        return tuple(s for s in self.statements if not s.applies and s.near_miss)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, explanation included."""
        return {
            "outcome": self.outcome,
            "deciding": [r.to_dict() for r in self.deciding],
            "delegated": self.delegated,
            "request": {
                "principal": self.request.principal,
                "action": self.request.action,
                "resource": self.request.resource,
                "context": {
                    k: (v if isinstance(v, str) else list(v))
                    for k, v in self.request.context.items()
                },
            },
            "api": None
            if self.api is None
            else {
                "region": self.api.region,
                "account": self.api.account,
                "api_id": self.api.api_id,
                "partition": self.api.partition,
            },
            "statements": [s.to_dict() for s in self.statements],
            "near_misses": [s.ref.to_dict() for s in self.near_misses],
        }


def evaluate(
    policy: Policy | str | dict[str, Any],
    request: Request,
    *,
    api: ApiContext | None = None,
    kind: PolicyKind = "resource",
) -> Decision:
    """Evaluate one policy for one request, as AWS would.

    Args:
        policy: a parsed :class:`Policy`, or a document :func:`parse_policy` accepts.
        request: the call: principal, action, resource ARN and condition keys.
        api: the API the policy belongs to, for ``execute-api:/...`` short forms. When not
            given it is taken from the request's execute-api ARN (a resource policy only
            ever sees calls to its own API); otherwise short forms match nothing.
        kind: ``"resource"`` (default), ``"identity"`` or ``"endpoint"``; decides what a
            statement without ``Principal`` means.

    Returns:
        The :class:`Decision`: outcome, deciding statements and an explanation.

    Example:
        >>> from privateapi.policy import Request, evaluate
        >>> doc = {"Version": "2012-10-17", "Statement": [
        ...     {"Sid": "Vpce", "Effect": "Allow", "Principal": "*",
        ...      "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
        ...     {"Sid": "DenyOthers", "Effect": "Deny", "Principal": "*",
        ...      "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
        ...      "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}]}
        >>> arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets"
        >>> d = evaluate(doc, Request(arn, context={"aws:SourceVpce": "vpce-99999999"}))
        >>> d.outcome, [str(r) for r in d.deciding]
        ('explicit_deny', ["Statement[1] (Sid 'DenyOthers')"])
    """
    if kind not in POLICY_KINDS:
        raise PolicySyntaxError(
            f"policy kind {kind!r} is not valid",
            key="kind",
            value=kind,
            expected=", ".join(repr(k) for k in POLICY_KINDS),
        )
    parsed = parse_policy(policy)
    if api is None:
        api = ApiContext.from_arn(request.resource)
    denies: list[StatementRef] = []
    allows: list[StatementRef] = []
    account_only = True
    target = split_arn(request.resource)
    caller = request.caller
    userid = request.values("aws:userid")
    # The hot loop: cheap checks first, each written out to keep per-statement cost low.
    for cs in _compiled(parsed, kind, api).for_action(request.action):
        found: PrincipalMatch = "direct" if cs.everyone else cs.principal_match(caller, userid)
        if found == "none":
            continue
        if cs.resource_hit(target, request) == cs.not_resource:
            continue
        if cs.conditions and not cs.condition_match(request):
            continue
        if cs.deny:
            denies.append(cs.ref)
        else:
            allows.append(cs.ref)
            account_only = account_only and found == "account"
    if denies:
        outcome: Outcome = "explicit_deny"
        deciding = tuple(denies)
    elif allows:
        outcome = "allow"
        deciding = tuple(allows)
    else:
        outcome = "implicit_deny"
        deciding = ()
    return Decision(
        outcome=outcome,
        deciding=deciding,
        delegated=outcome == "allow" and account_only,
        request=request,
        api=api,
        policy=parsed,
        kind=kind,
    )


def _explain(cs: _CompiledStatement, request: Request, api: ApiContext | None) -> StatementResult:
    st = cs.statement
    found = cs.principal_match(request.caller, request.values("aws:userid"))
    principal = ElementResult("Principal", found != "none", _principal_detail(cs, request, found))
    action_ok = cs.action_match(request.action)
    listed = list(st.actions)
    if st.not_action:
        action_detail = (
            f"{request.action} is not in NotAction {listed}"
            if action_ok
            else f"{request.action} is excluded by NotAction {listed}"
        )
    else:
        action_detail = (
            f"{request.action} matches Action {listed}"
            if action_ok
            else f"{request.action} matches none of Action {listed}"
        )
    resource_ok = cs.resource_match(request)
    resource_detail = _resource_detail(cs, request, api, resource_ok)
    results = tuple(c.explain(request) for c in cs.conditions)
    condition_ok = all(r.matched for r in results)
    if not results:
        condition_detail = "no Condition block"
    elif condition_ok:
        condition_detail = "every condition holds"
    else:
        condition_detail = "; ".join(
            f"{r.operator} {r.key} is false: {r.detail}" for r in results if not r.matched
        )
    elements = (
        principal,
        ElementResult("Action", action_ok, action_detail),
        ElementResult("Resource", resource_ok, resource_detail),
        ElementResult("Condition", condition_ok, condition_detail),
    )
    applies = all(e.matched for e in elements)
    return StatementResult(
        ref=cs.ref,
        effect=st.effect,
        applies=applies,
        elements=elements,
        conditions=results,
        principal_match=found,
    )


def _principal_detail(cs: _CompiledStatement, request: Request, found: PrincipalMatch) -> str:
    st = cs.statement
    who = request.principal
    if st.principal is None:
        return "no Principal element: the statement is invalid and never applies"
    spec = st.principal
    listed: list[str] = (["*"] if spec.wildcard else []) + [
        *spec.aws,
        *spec.service,
        *spec.federated,
        *spec.canonical_user,
    ]
    if st.not_principal:
        verb = "is excluded by" if found == "none" else "is not in"
        return f"{who} {verb} NotPrincipal {listed}"
    if found == "none" and request.anonymous:
        return f"anonymous callers match only Principal '*', not {listed}"
    return {
        "direct": f"{who} matches Principal {listed}",
        "account": f"{who} matches Principal {listed} through its account: an account"
        " principal delegates to the caller's identity policies",
        "none": f"{who} matches none of Principal {listed}",
    }[found]


def _resource_detail(
    cs: _CompiledStatement, request: Request, api: ApiContext | None, ok: bool
) -> str:
    st = cs.statement
    listed = list(st.resources)
    name = "NotResource" if st.not_resource else "Resource"
    notes = ""
    if cs.short_forms:
        notes = (
            f" (short forms expanded with {api.arn('')[:-1]})"
            if api is not None
            else " (short forms match nothing: no API given and the request ARN is not an"
            " execute-api ARN)"
        )
    if st.not_resource:
        verb = "is not in" if ok else "is excluded by"
    else:
        verb = "matches" if ok else "matches none of"
    return f"{request.resource} {verb} {name} {listed}{notes}"
