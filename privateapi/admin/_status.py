"""``status``: what the control plane says about a private API (reads only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from privateapi._aws import DEFAULT_TIMEOUT
from privateapi.admin import _validate
from privateapi.admin._control import Control
from privateapi.admin._endpoints import endpoint_association
from privateapi.admin._errors import AdminError
from privateapi.admin._policy import summarize_policy
from privateapi.admin._results import ApiStatus, CustomDomainInfo, StageInfo

if TYPE_CHECKING:
    from botocore.session import Session

__all__ = ["status"]


def _private_domains(aws: Control, notes: list[str]) -> list[dict[str, Any]]:
    try:
        domains = aws.call_all("GetDomainNames", {"resourceOwner": "SELF"})
    except AdminError as exc:
        notes.append(f"custom domains not checked: {exc}")
        return []
    return [d for d in domains if "PRIVATE" in d.get("endpointConfiguration", {}).get("types", [])]


def _base_paths(
    aws: Control, api_id: str, domain: dict[str, Any], notes: list[str]
) -> tuple[str, ...]:
    params = {"domainName": domain["domainName"]}
    if domain.get("domainNameId"):
        params["domainNameId"] = domain["domainNameId"]
    try:
        mappings = aws.call_all("GetBasePathMappings", params)
    except AdminError as exc:
        notes.append(f"base path mappings of {domain['domainName']} not checked: {exc}")
        return ()
    return tuple(str(m.get("basePath", "(none)")) for m in mappings if m.get("restApiId") == api_id)


def _custom_domains(aws: Control, api_id: str, notes: list[str]) -> tuple[CustomDomainInfo, ...]:
    found = [
        (d, paths)
        for d in _private_domains(aws, notes)
        if (paths := _base_paths(aws, api_id, d, notes))
    ]
    if not found:
        return ()
    associations: list[dict[str, Any]] = []
    checked = True
    try:
        associations = aws.call_all("GetDomainNameAccessAssociations", {"resourceOwner": "SELF"})
    except AdminError as exc:
        checked = False
        notes.append(f"domain name access associations not checked: {exc}")
    result = []
    for d, paths in found:
        arn = d.get("domainNameArn")
        vpces = tuple(
            str(a.get("accessAssociationSource"))
            for a in associations
            if arn and a.get("domainNameArn") == arn
        )
        result.append(
            CustomDomainInfo(d["domainName"], d.get("domainNameId"), paths, vpces, checked)
        )
    return tuple(result)


def _stages(aws: Control, api_id: str) -> tuple[StageInfo, ...]:
    stages_raw = aws.call("GetStages", {"restApiId": api_id}, api_id=api_id).get("item", [])
    deployments = {
        d.get("id"): d for d in aws.call_all("GetDeployments", {"restApiId": api_id}, api_id=api_id)
    }
    return tuple(
        StageInfo(
            name=str(s.get("stageName")),
            deployment_id=s.get("deploymentId"),
            last_deployed=deployments.get(s.get("deploymentId"), {}).get("createdDate"),
            description=s.get("description") or None,
        )
        for s in sorted(stages_raw, key=lambda s: str(s.get("stageName")))
    )


def status(
    api_id: str,
    *,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    include_domains: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    session: Session | None = None,
    client: Any = None,
) -> ApiStatus:
    """Describe a private API: endpoint type, endpoints and aliases, stages, policy, domains.

    Reads only (``apigateway:GET``). Custom domains and access associations are looked up
    when ``include_domains`` is true; if that part is denied or unsupported the status says
    so in ``notes`` instead of failing. ``timeout`` bounds every read together; the other
    arguments are those of :func:`~privateapi.admin.associate_endpoints`.
    """
    api_id = _validate.api_id(api_id)
    aws = Control(
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        session=session,
        client=client,
        dry_run=False,
        timeout=timeout,
    )
    region = aws.region
    api = aws.call("GetRestApi", {"restApiId": api_id}, api_id=api_id)
    config = api.get("endpointConfiguration", {})
    endpoints = tuple(
        endpoint_association(api_id, v, region) for v in config.get("vpcEndpointIds", [])
    )
    stages = _stages(aws, api_id)
    notes: list[str] = []
    domains = _custom_domains(aws, api_id, notes) if include_domains else ()
    return ApiStatus(
        api_id=api_id,
        name=api.get("name"),
        region=region,
        endpoint_types=tuple(config.get("types", [])),
        disable_execute_api_endpoint=bool(api.get("disableExecuteApiEndpoint", False)),
        endpoints=endpoints,
        stages=stages,
        policy=summarize_policy(api.get("policy"), region=region, api_id=api_id),
        custom_domains=domains,
        notes=tuple(notes),
    )
