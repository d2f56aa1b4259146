"""``associate_endpoints`` / ``disassociate_endpoints``: the VPC endpoints of a private API."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from privateapi._aws import DEFAULT_TIMEOUT
from privateapi.admin import _validate
from privateapi.admin._control import Control
from privateapi.admin._deploy import deploy_after_change
from privateapi.admin._errors import AdminError
from privateapi.admin._results import AwsCall, ChangeResult, EndpointAssociation, NextStep

if TYPE_CHECKING:
    from botocore.session import Session

__all__ = [
    "VPC_ENDPOINT_IDS_PATH",
    "associate_endpoints",
    "disassociate_endpoints",
    "endpoint_association",
]

#: The ``update-rest-api`` patch path that lists the endpoints associated with an API.
VPC_ENDPOINT_IDS_PATH = "/endpointConfiguration/vpcEndpointIds"

Action = Literal["associate", "disassociate"]


def endpoint_association(api_id: str, vpce_id: str, region: str) -> EndpointAssociation:
    """An endpoint id with the ``{api}-{vpce}`` alias name it gets in ``region``."""
    from privateapi._targets import alias_hostname

    return EndpointAssociation(vpce_id, alias_hostname(api_id, vpce_id, region))


def _patch(api_id: str, action: Action, targets: Sequence[str]) -> dict[str, Any]:
    op = "add" if action == "associate" else "remove"
    return {
        "restApiId": api_id,
        "patchOperations": [{"op": op, "path": VPC_ENDPOINT_IDS_PATH, "value": v} for v in targets],
    }


def _split(
    action: Action, ids: Sequence[str], current: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(ids to change, ids already as wanted) for the API's current endpoints."""
    if action == "associate":
        return [v for v in ids if v not in current], [v for v in ids if v in current]
    return [v for v in ids if v in current], [v for v in ids if v not in current]


def _require_private(api_id: str, api: dict[str, Any]) -> None:
    types = tuple(api.get("endpointConfiguration", {}).get("types", []))
    if "PRIVATE" not in types:
        raise AdminError(
            f"API {api_id} is {'/'.join(types) or 'not PRIVATE'}: VPC endpoints can only be"
            " associated with PRIVATE APIs",
            operation="GetRestApi",
            cause_code="aws.api-not-private",
            fields=("api_id",),
        )


def _change_endpoints(
    action: Action,
    api_id: str,
    vpce_ids: Iterable[str] | str,
    *,
    redeploy_stage: str | None,
    aws: Control,
) -> ChangeResult:
    api_id = _validate.api_id(api_id)
    ids = _validate.vpce_ids(vpce_ids)
    stage = _validate.stage(redeploy_stage) if redeploy_stage is not None else None
    region = aws.region
    description = f"privateapi: {action} {', '.join(ids)}"
    endpoints = tuple(endpoint_association(api_id, v, region) for v in ids)
    deploy_params = {"restApiId": api_id, "stageName": stage, "description": description}
    if aws.dry_run:
        plan = [
            AwsCall("apigateway", "GetRestApi", {"restApiId": api_id}),
            AwsCall("apigateway", "UpdateRestApi", _patch(api_id, action, ids)),
        ]
        if stage is not None:
            plan.append(AwsCall("apigateway", "CreateDeployment", deploy_params))
        return ChangeResult(action, api_id, region, True, tuple(plan), endpoints=endpoints)

    api = aws.call("GetRestApi", {"restApiId": api_id}, api_id=api_id)
    _require_private(api_id, api)
    current = list(api.get("endpointConfiguration", {}).get("vpcEndpointIds", []))
    todo, skipped = _split(action, ids, current)
    skip_word = "already associated" if action == "associate" else "not associated"
    after = current
    if todo:
        updated = aws.call("UpdateRestApi", _patch(api_id, action, todo), api_id=api_id)
        after = list(updated.get("endpointConfiguration", {}).get("vpcEndpointIds", []))
    deployment = None
    notes: list[str] = []
    steps: list[NextStep] = []
    if stage is not None:
        done = f"the endpoints were {action}d" if todo else "nothing needed to change"
        deployment = deploy_after_change(aws, api_id, stage, description, api=api, done=done)
    elif todo:
        notes.append("Redeploy the API for the change to take effect on the alias names.")
        steps.append(NextStep("deploy", {"api_id": api_id, "stage": None}))
    if action == "associate" and todo:
        notes.append("The alias names take a few minutes to appear in DNS.")
        for vpce_id in todo:
            steps.append(
                NextStep("wait_for_alias", {"api_id": api_id, "vpce_id": vpce_id, "region": region})
            )
    return ChangeResult(
        action,
        api_id,
        region,
        False,
        tuple(aws.calls),
        changed=bool(todo) or deployment is not None,
        vpc_endpoint_ids=tuple(after),
        endpoints=endpoints,
        deployment=deployment,
        warnings=tuple(f"{v} was {skip_word}; nothing to do for it" for v in skipped),
        notes=tuple(notes),
        next_steps=tuple(steps),
    )


def associate_endpoints(
    api_id: str,
    vpce_ids: Iterable[str] | str,
    *,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    redeploy_stage: str | None = None,
    dry_run: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    session: Session | None = None,
    client: Any = None,
) -> ChangeResult:
    """Associate VPC endpoints with a private API (``add /endpointConfiguration/vpcEndpointIds``).

    Endpoints already associated are left alone (and reported in ``warnings``). With
    ``redeploy_stage`` a deployment of that stage follows, which AWS asks for after every
    (dis)association. The ``{api}-{vpce}`` alias names then take minutes to reach DNS:
    see :func:`~privateapi.admin.wait_for_alias`.

    Args:
        api_id: the REST API id.
        vpce_ids: one endpoint id or several.
        region: the API's region (default: ``AWS_REGION``, then botocore's configuration).
        profile: a named AWS profile.
        endpoint_url: the control-plane endpoint (default: botocore's, which honours
            ``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_API_GATEWAY``).
        redeploy_stage: the stage to redeploy afterwards.
        dry_run: make no call; return the calls that would be made.
        timeout: seconds the whole operation may take, every call and retry included
            (a stalled endpoint is an :class:`~privateapi.admin.AdminError` after that).
        session: a botocore session to create clients from (tests).
        client: a ready apigateway client (tests; its answers are not checked for
            being AWS's, and ``timeout`` is only as good as its own).

    Raises:
        InvalidInputError: a malformed id, stage, region, endpoint URL or timeout.
        AdminError: AWS refused (:class:`~privateapi.admin.MissingPermissionError`,
            :class:`~privateapi.admin.ResourceNotFoundError`), the API is not PRIVATE,
            the endpoint did not answer in time, or its answer is not AWS's.
    """
    return _change_endpoints(
        "associate",
        api_id,
        vpce_ids,
        redeploy_stage=redeploy_stage,
        aws=Control(
            region=region,
            profile=profile,
            endpoint_url=endpoint_url,
            session=session,
            client=client,
            dry_run=dry_run,
            timeout=timeout,
        ),
    )


def disassociate_endpoints(
    api_id: str,
    vpce_ids: Iterable[str] | str,
    *,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    redeploy_stage: str | None = None,
    dry_run: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    session: Session | None = None,
    client: Any = None,
) -> ChangeResult:
    """Remove VPC endpoints from a private API (``remove /endpointConfiguration/vpcEndpointIds``).

    The counterpart of :func:`associate_endpoints`, with the same arguments. Endpoints that
    are not associated are left alone (and reported in ``warnings``).
    """
    return _change_endpoints(
        "disassociate",
        api_id,
        vpce_ids,
        redeploy_stage=redeploy_stage,
        aws=Control(
            region=region,
            profile=profile,
            endpoint_url=endpoint_url,
            session=session,
            client=client,
            dry_run=dry_run,
            timeout=timeout,
        ),
    )
