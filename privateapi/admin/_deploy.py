"""``deploy``: create a deployment of a stage; and the deployment after another change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from privateapi._aws import DEFAULT_TIMEOUT
from privateapi.admin import _validate
from privateapi.admin._control import Control
from privateapi.admin._errors import AdminError
from privateapi.admin._results import AwsCall, ChangeResult, Deployment, NextStep

if TYPE_CHECKING:
    from botocore.session import Session

__all__ = ["create_deployment", "deploy", "deploy_after_change"]


def _require_policy(api_id: str, stage: str, api: Mapping[str, Any]) -> None:
    """Refuse, as AWS does, to deploy a PRIVATE API that has no resource policy."""
    types = api.get("endpointConfiguration", {}).get("types", [])
    if "PRIVATE" in types and not api.get("policy"):
        raise AdminError(
            f"API {api_id} is PRIVATE and has no resource policy, so API Gateway refuses to"
            ' deploy it (400 "Private REST API doesn\'t have a resource policy attached to it")',
            operation="CreateDeployment",
            code="BadRequestException",
            hint="Attach a resource policy to the API first; applying one can deploy the stage.",
            cause_code="policy.missing",
            next_step=NextStep("apply_policy", {"api_id": api_id, "stage": stage}),
        )


def create_deployment(
    aws: Control, api_id: str, stage: str, description: str | None, api: Mapping[str, Any]
) -> Deployment:
    """Deploy ``stage`` of the API read as ``api`` (refused first without a policy)."""
    _require_policy(api_id, stage, api)
    params: dict[str, Any] = {"restApiId": api_id, "stageName": stage}
    if description:
        params["description"] = description
    made = aws.call("CreateDeployment", params, api_id=api_id)
    return Deployment(
        id=str(made["id"]),  # checked by Control: a deployment answer always has an id
        stage=stage,
        created=made.get("createdDate"),
        description=made.get("description", description),
    )


def deploy_after_change(
    aws: Control,
    api_id: str,
    stage: str,
    description: str,
    *,
    api: Mapping[str, Any],
    done: str,
) -> Deployment:
    """Deploy after a change; if that fails, the error says the change itself was made."""
    try:
        return create_deployment(aws, api_id, stage, description, api)
    except AdminError as exc:
        exc.args = (f"{done}, then {exc}",)
        raise


def deploy(
    api_id: str,
    stage: str,
    description: str | None = None,
    *,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    dry_run: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    session: Session | None = None,
    client: Any = None,
) -> ChangeResult:
    """Create a deployment of the API to ``stage`` (creating the stage if needed).

    A PRIVATE API without a resource policy is refused before the call, with the same
    reason AWS gives (400 ``Private REST API doesn't have a resource policy attached to it``).
    Other arguments are those of :func:`~privateapi.admin.associate_endpoints`.
    """
    api_id = _validate.api_id(api_id)
    stage = _validate.stage(stage)
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
    params: dict[str, Any] = {"restApiId": api_id, "stageName": stage}
    if description:
        params["description"] = description
    if dry_run:
        plan = (
            AwsCall("apigateway", "GetRestApi", {"restApiId": api_id}),
            AwsCall("apigateway", "CreateDeployment", params),
        )
        return ChangeResult("deploy", api_id, region, True, plan)
    api = aws.call("GetRestApi", {"restApiId": api_id}, api_id=api_id)
    deployment = create_deployment(aws, api_id, stage, description, api)
    return ChangeResult(
        "deploy", api_id, region, False, tuple(aws.calls), changed=True, deployment=deployment
    )
