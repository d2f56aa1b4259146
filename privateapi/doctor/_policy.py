"""Policy check: the resource policy evaluated locally for this caller.

The policy comes from ``--policy`` (a saved document) or from ``get-rest-api``. The
request is built from what the run discovered: the principal (the signed caller, or
``anonymous``), the resource ARN of the probe, and the condition keys a call from here
carries (``aws:SourceVpce``, ``aws:SourceVpc``, ``aws:VpcSourceIp``). The decision
names the deciding statement. When the saved policy and the live probe disagree, the
policy was most likely changed without a redeployment (saving alone changes nothing).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from privateapi.doctor import _facts as fx
from privateapi.doctor._context import Context, fail, info, passed, skip, warn
from privateapi.doctor._model import Result

if TYPE_CHECKING:
    from privateapi.policy._model import ApiContext, Request

__all__ = ["build_request", "check_policy"]

_DENIED = {"http.explicit-deny", "http.implicit-deny"}
_ALLOWED = {None, "http.backend-rejected", "http.backend-error", "http.throttled"}
_ARN_ACCOUNT = re.compile(r"arn:[\w-]+:execute-api:[\w-]+:(\d{12}):")
#: Any account works for matching when the policy names none: short forms
#: (``execute-api:/*``) are expanded with the same account as the request's ARN.
_PLACEHOLDER_ACCOUNT = "000000000000"


def _account(ctx: Context, document: str) -> tuple[str, str]:
    if ctx.target.account_id:
        return ctx.target.account_id, "target"
    m = _ARN_ACCOUNT.search(document)
    if m:
        return m.group(1), "policy resource ARN"
    acct = ctx.fact(fx.IDENTITY_ACCOUNT)
    if acct:
        return str(acct), "caller identity (same-account assumption)"
    return _PLACEHOLDER_ACCOUNT, "placeholder (the policy names no account)"


def _resource_path(ctx: Context) -> str:
    """The probe's resource path below the stage (what the ARN's last part names)."""
    path = ctx.request.path.lstrip("/")
    stage = ctx.target.stage
    if stage and (path == stage or path.startswith(stage + "/")):
        path = path[len(stage) :]
    return path.lstrip("/")


def build_request(ctx: Context, document: str) -> tuple[Request, ApiContext]:
    """The policy request for the probe's call, and the API it targets."""
    from privateapi.policy._model import ApiContext, Request

    target = ctx.target
    account, _ = _account(ctx, document)
    api = ApiContext(
        region=str(target.region),
        account=account,
        api_id=str(target.api_id),
        partition=target.partition.name,
    )
    path = _resource_path(ctx)
    resource = api.arn(f"{target.stage}/{ctx.request.method}/{path}")
    context: dict[str, str] = {"aws:SecureTransport": "true"}
    vpce = target.vpce_id or ctx.fact(fx.VPCE_ID)
    if vpce:
        context["aws:SourceVpce"] = str(vpce)
    vpc = ctx.options.source_vpc or ctx.fact(fx.PLATFORM_VPC_ID) or ctx.fact(fx.VPCE_VPC_ID)
    if vpc:
        context["aws:SourceVpc"] = str(vpc)
    ip = ctx.fact(fx.PLATFORM_LOCAL_IPV4) or ctx.fact(fx.TCP_LOCAL_ADDRESS)
    if ip:
        context["aws:VpcSourceIp"] = str(ip)
    principal = "anonymous"
    if signed_caller(ctx):
        principal = ctx.fact(fx.IDENTITY_ARN) or "anonymous"
    return Request(resource=resource, principal=principal, context=context), api


def signed_caller(ctx: Context) -> bool:
    """Whether the call is (or would be) signed, so the caller is not anonymous."""
    if ctx.result("http.probe") is not None and ctx.fact(fx.PROBE_STATUS) is not None:
        return ctx.fact_or(fx.PROBE_SIGNED, False)
    return ctx.options.sign


def _denied(
    outcome: str,
    who: str,
    deciding: str,
    evidence: dict[str, Any],
    document: str,
    *,
    probed: bool,
) -> Result:
    """The result for a policy that does not allow the call, weighed against the probe."""
    probe_cause = evidence.get("probe_cause")
    if outcome == "explicit_deny":
        why = f"the resource policy explicitly denies {who}: {deciding}"
    else:
        misses = ", ".join(evidence["near_misses"])
        why = f"nothing in the resource policy allows {who} (implicit deny)" + (
            f"; nearest: {misses}" if misses else ""
        )
    if "aws:SourceVpce" not in evidence["context"] and "sourcevpce" in document.lower():
        # Which endpoint carried the call is unknown and the policy's decision turns on
        # it: saying "denied" or "not deployed" here would be a guess.
        return info(
            f"cannot tell: {why} when the endpoint is unknown, but the endpoint the call"
            " used is not known here (give the endpoint id to evaluate it)",
            evidence,
        )
    if probed and probe_cause in _ALLOWED:
        return warn(
            "policy.not-deployed",
            f"{why}, yet the live API allowed the probe: the saved policy is not deployed"
            " (the next deployment will start denying)",
            evidence,
        )
    return fail("policy.denies", why, evidence)


def check_policy(ctx: Context) -> Result:
    """Evaluate the resource policy for this caller; compare with the live probe."""
    target = ctx.target
    document = ctx.options.policy or ctx.fact(fx.API_POLICY)
    if not document:
        return skip(
            "not run: no resource policy to evaluate (AWS checks off or unavailable;"
            " give a saved policy)"
        )
    # Imported only when there is a policy to evaluate (~70 ms of a short run).
    from privateapi.policy._evaluate import evaluate

    if target.api_id is None or target.stage is None or target.region is None:
        return skip("not run: the target names no API id/stage/region for the resource ARN")
    source = "--policy" if ctx.options.policy else "get-rest-api"
    request, api = build_request(ctx, document)
    decision = evaluate(document, request, api=api)
    deciding = ", ".join(str(r) for r in decision.deciding)
    _, account_source = _account(ctx, document)
    evidence: dict[str, Any] = {
        "source": source,
        "principal": request.principal,
        "resource": request.resource,
        "context": dict(request.context),
        "account_from": account_source,
        "outcome": decision.outcome,
        "deciding": [str(r) for r in decision.deciding],
        "near_misses": [str(s.ref) for s in decision.near_misses],
    }
    if request.principal == "anonymous" and signed_caller(ctx):
        evidence["principal_note"] = (
            "the call is signed but the caller's identity is unknown (aws.identity did not"
            " run): evaluated as anonymous"
        )
    if "aws:SourceVpce" not in request.context:
        evidence["note"] = (
            "the endpoint id is unknown (give the endpoint id): conditions on aws:SourceVpce"
            " evaluate as absent"
        )
    try:
        evidence["policy"] = json.loads(document)
    except ValueError:
        evidence["policy"] = document
    probe_cause = ctx.fact(fx.PROBE_CAUSE)
    evidence["probe_cause"] = probe_cause
    probed = ctx.result("http.probe") is not None and ctx.fact(fx.PROBE_STATUS) is not None
    who = f"{request.principal} via {request.context.get('aws:SourceVpce', 'an unknown endpoint')}"
    if decision.outcome == "allow":
        if probed and probe_cause in _DENIED:
            return fail(
                "policy.not-deployed",
                f"the saved policy allows {who} ({deciding}) but the live API denied the probe"
                f" ({probe_cause}): the policy change was probably not deployed",
                evidence,
                hint=f"Redeploy: aws apigateway create-deployment --rest-api-id {target.api_id}"
                f" --stage-name {target.stage}",
            )
        return passed(f"the resource policy allows {who}: {deciding}", evidence)
    return _denied(decision.outcome, who, deciding, evidence, document, probed=probed)
