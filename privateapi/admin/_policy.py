"""``apply_policy`` and ``summarize_policy``: the API's resource policy."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from privateapi._aws import DEFAULT_TIMEOUT
from privateapi._errors import InvalidInputError
from privateapi.admin import _validate
from privateapi.admin._control import Control, partition_name
from privateapi.admin._deploy import deploy_after_change
from privateapi.admin._results import AwsCall, ChangeResult, NextStep, PolicySummary

if TYPE_CHECKING:
    from botocore.session import Session

    from privateapi.policy import Policy

__all__ = ["account_from_policy", "apply_policy", "summarize_policy"]


def _parse(policy: str | Mapping[str, Any] | Policy) -> Policy:
    from privateapi.policy import Policy, parse_policy

    if isinstance(policy, Policy):
        return policy
    return parse_policy(policy)


def _lint(policy: Policy, region: str, account: str | None, api_id: str) -> tuple[str, ...]:
    from privateapi.policy import ApiContext, lint

    api = ApiContext(region, account, api_id, partition=partition_name(region)) if account else None
    return tuple(str(w) for w in lint(policy, api=api))


def account_from_policy(text: str | None) -> str | None:
    """The account id in an execute-api ARN of a saved policy (AWS expands short forms)."""
    if not text:
        return None
    found = re.search(r"arn:[\w-]+:execute-api:[\w-]+:(\d{12}):", text)
    return found.group(1) if found else None


def _not_deployed_note(*, dry_run: bool) -> str:
    saved = "would be saved" if dry_run else "is saved"
    return (
        f"The policy {saved} but NOT in effect: API Gateway applies a resource policy only"
        " when the API is deployed. Deploy the stage to apply it."
    )


def apply_policy(
    api_id: str,
    policy: str | Mapping[str, Any] | Policy,
    *,
    stage: str | None = None,
    deploy: bool = True,
    account: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    dry_run: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    session: Session | None = None,
    client: Any = None,
) -> ChangeResult:
    """Validate, lint and save a resource policy, then redeploy ``stage``.

    The policy is parsed (a malformed one raises before any call), linted with
    :func:`privateapi.policy.lint` (warnings are returned, they do not block), put on the
    API (``replace /policy``) and, unless ``deploy`` is false, followed by a deployment of
    ``stage``: a saved policy does nothing until the API is deployed, and the result's
    ``notes`` (and ``next_steps``) say so when no deployment is made.

    Args:
        policy: the document: JSON text, a mapping or a parsed
            :class:`~privateapi.policy.Policy`.
        stage: the stage to redeploy (required unless ``deploy`` is false).
        account: the API's account id, for expanding ``execute-api:/...`` short forms while
            linting (default: read from the saved policy when it names one).

    Other arguments are those of :func:`~privateapi.admin.associate_endpoints`.
    """
    api_id = _validate.api_id(api_id)
    if deploy and stage is None:
        raise InvalidInputError("stage", None, "the stage to redeploy (or deploy=False)")
    stage = _validate.stage(stage) if stage is not None else None
    account = _validate.account_id(account)
    parsed = _parse(policy)
    from privateapi.policy import check_size  # lazy, like the other policy imports

    document = check_size(parsed)  # over API Gateway's size limit: refused before any call
    aws = Control(
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        session=session,
        client=client,
        dry_run=dry_run,
        timeout=timeout,
    )
    region = aws.region
    update = {
        "restApiId": api_id,
        "patchOperations": [{"op": "replace", "path": "/policy", "value": document}],
    }
    description = "privateapi: apply resource policy"
    deploy_params = {"restApiId": api_id, "stageName": stage, "description": description}
    notes = () if deploy else (_not_deployed_note(dry_run=dry_run),)
    steps = () if deploy else (NextStep("deploy", {"api_id": api_id, "stage": stage}),)
    if dry_run:
        plan = [
            AwsCall("apigateway", "GetRestApi", {"restApiId": api_id}),
            AwsCall("apigateway", "UpdateRestApi", update),
        ]
        if deploy:
            plan.append(AwsCall("apigateway", "CreateDeployment", deploy_params))
        return ChangeResult(
            "apply-policy",
            api_id,
            region,
            True,
            tuple(plan),
            warnings=_lint(parsed, region, account, api_id),
            notes=notes,
            next_steps=steps,
        )
    api = aws.call("GetRestApi", {"restApiId": api_id}, api_id=api_id)
    warnings = _lint(parsed, region, account or account_from_policy(api.get("policy")), api_id)
    updated = aws.call("UpdateRestApi", update, api_id=api_id, permission="UpdateRestApi/policy")
    deployment = None
    if deploy:
        assert stage is not None  # checked above
        deployment = deploy_after_change(
            aws,
            api_id,
            stage,
            description,
            api=updated,
            done="the policy was saved but is NOT in effect",
        )
    return ChangeResult(
        "apply-policy",
        api_id,
        region,
        False,
        tuple(aws.calls),
        changed=True,
        deployment=deployment,
        warnings=warnings,
        notes=notes,
        next_steps=steps,
    )


# --- the summary --------------------------------------------------------------------------


def _describe_condition(condition: Any) -> str:
    values = ", ".join(condition.values)
    return f"{condition.key} {condition.operator} {values}"


def _describe_principal(statement: Any) -> str:
    p = statement.principal
    if p is None:
        return "no one (no Principal)"
    names: list[str] = []
    if p.wildcard:
        names.append("everyone")
    names.extend(p.aws + p.service + p.federated + p.canonical_user)
    who = ", ".join(names) or "no one"
    return f"everyone except {who}" if statement.not_principal else who


def _describe_statement(st: Any) -> str:
    actions = ", ".join(st.actions) or "*"
    resources = ", ".join(st.resources) or "*"
    line = (
        f"{st.effect} {_describe_principal(st)}: {'not ' if st.not_action else ''}{actions}"
        f" on {'not ' if st.not_resource else ''}{resources}"
    )
    if st.conditions:
        line += " when " + " and ".join(_describe_condition(c) for c in st.conditions)
    return line


def summarize_policy(
    text: str | None, *, region: str, api_id: str, account: str | None = None
) -> PolicySummary:
    """Summarize a saved resource policy: who may call, the ids it names, lint warnings."""
    if not text:
        return PolicySummary(present=False)
    try:
        parsed = _parse(text)
    except InvalidInputError as exc:
        return PolicySummary(present=True, error=str(exc))
    vpces: list[str] = []
    vpcs: list[str] = []
    for st in parsed.statements:
        for c in st.conditions:
            key = c.key.lower()
            target = vpces if key == "aws:sourcevpce" else vpcs if key == "aws:sourcevpc" else None
            if target is not None:
                target.extend(v for v in c.values if v not in target)
    return PolicySummary(
        present=True,
        who_may_call=tuple(_describe_statement(st) for st in parsed.statements),
        source_vpces=tuple(vpces),
        source_vpcs=tuple(vpcs),
        warnings=_lint(parsed, region, account or account_from_policy(text), api_id),
    )
