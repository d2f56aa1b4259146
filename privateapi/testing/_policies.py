"""Policy decisions for the pipeline: evaluation with a decision cache, Lambda authorizers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from privateapi.policy import Outcome, Policy, PolicyKind

__all__ = ["AuthorizerResult", "Evaluator", "Unauthorized"]

_MAX_CACHED = 4096


class Unauthorized(Exception):  # noqa: N818 - named after API Gateway's answer
    """Raise from a Lambda-authorizer callable to answer 401 ``Unauthorized``."""


#: what an authorizer call gives: its outcome and context, ``"unauthorized"`` or ``"failed"``
AuthorizerResult = tuple["Outcome", dict[str, Any]] | str


class Evaluator:
    """Evaluates policies for one gateway's region and account, caching decisions.

    Decisions are pure functions of (policy, kind, request): repeated calls (a test loop,
    the benchmark) reuse them. Only the context keys the policy can read are part of the
    cache key (its condition keys; everything when it uses ``${...}`` variables): the
    time keys change every second, and keying on them grew the cache by an entry a
    second under load. The policy object is kept in the entry, so a replaced policy
    never matches an old entry even if its ``id()`` is reused. The cache is bounded
    (cleared when full).
    """

    def __init__(self, region: str, account_id: str, partition: str) -> None:
        self.region = region
        self.account_id = account_id
        self.partition = partition
        self._cache: dict[tuple[Any, ...], tuple[Policy, Outcome]] = {}
        self._keys: dict[int, tuple[Policy, frozenset[str] | None]] = {}
        self._lock = threading.Lock()

    def _relevant(self, policy: Policy) -> frozenset[str] | None:
        """The (lower-case) context keys ``policy`` reads, or ``None`` for "any of them"."""
        hit = self._keys.get(id(policy))
        if hit is not None and hit[0] is policy:
            return hit[1]
        import json

        keys: frozenset[str] | None = frozenset(
            c.key.lower() for st in policy.statements for c in st.conditions
        )
        if "${" in json.dumps(policy.source, default=str):
            keys = None  # a policy variable can read any key
        with self._lock:
            if len(self._keys) >= _MAX_CACHED:
                self._keys.clear()
            self._keys[id(policy)] = (policy, keys)
        return keys

    def decide(
        self,
        policy: Policy,
        arn: str,
        principal: str,
        context: Mapping[str, str],
        api_id: str,
        *,
        kind: PolicyKind,
        principal_account: str | None = None,
    ) -> Outcome:
        """The outcome of ``policy`` for a call to ``arn`` by ``principal``."""
        from privateapi.policy import ApiContext, Request, evaluate

        ctx = dict(context)
        if principal_account is not None and principal != "anonymous":
            ctx["aws:PrincipalArn"] = principal
            ctx["aws:PrincipalAccount"] = principal_account
        relevant = self._relevant(policy)
        items = sorted((k, v) for k, v in ctx.items() if relevant is None or k.lower() in relevant)
        key = (id(policy), kind, arn, principal, tuple(items))
        hit = self._cache.get(key)
        if hit is not None and hit[0] is policy:
            return hit[1]
        request = Request(resource=arn, principal=principal, context=ctx)
        api = ApiContext(self.region, self.account_id, api_id, self.partition)
        outcome = evaluate(policy, request, api=api, kind=kind).outcome
        with self._lock:
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[key] = (policy, outcome)
        return outcome

    def run_authorizer(
        self, fn: Callable[[dict[str, Any]], Any], event: dict[str, Any], api_id: str
    ) -> AuthorizerResult:
        """Call a Lambda-authorizer callable and read its policy like API Gateway."""
        from privateapi.policy import ApiContext, Request, evaluate

        try:
            response = fn(event)
        except Unauthorized:
            return "unauthorized"
        except Exception:
            return "failed"
        if not isinstance(response, Mapping) or "policyDocument" not in response:
            return "failed"
        try:
            decision = evaluate(
                response["policyDocument"],
                Request(resource=event["methodArn"]),
                api=ApiContext(self.region, self.account_id, api_id, self.partition),
                kind="identity",
            )
        except (ValueError, RecursionError):
            return "failed"
        ctx = response.get("context") or {}
        ctx = dict(ctx) if isinstance(ctx, Mapping) else {}
        ctx.setdefault("principalId", response.get("principalId"))
        return decision.outcome, ctx


def authorizer_event(
    *,
    method_arn: str,
    resource: str,
    path: str,
    method: str,
    headers: tuple[tuple[str, str], ...],
    query: str,
    path_parameters: Mapping[str, str],
    account_id: str,
    api_id: str,
    stage: str,
    request_id: str,
    source_ip: str,
    vpce_id: str,
    vpc_id: str,
) -> dict[str, Any]:
    """API Gateway's ``REQUEST`` authorizer event."""
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": dict(headers),
        "queryStringParameters": dict(parse_qsl(query, keep_blank_values=True)),
        "pathParameters": dict(path_parameters),
        "stageVariables": {},
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "stage": stage,
            "httpMethod": method,
            "requestId": request_id,
            "identity": {"sourceIp": source_ip, "vpceId": vpce_id, "vpcId": vpc_id},
        },
    }
