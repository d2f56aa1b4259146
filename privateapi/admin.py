"""Operate private REST APIs: associate VPC endpoints, deploy, apply resource policies, status.

Every function here talks to the API Gateway control plane through a botocore client
created lazily on first use. Each honours ``profile``, ``region`` and ``endpoint_url``
and, when no ``endpoint_url`` is given, botocore's own ``AWS_ENDPOINT_URL`` /
``AWS_ENDPOINT_URL_API_GATEWAY`` settings, so the same code can be pointed at a local
stand-in such as moto's server. Tests inject a ready ``client`` or ``session``.

With ``dry_run=True`` no AWS call is made at all, not even a read: the result lists
the calls that would be made (operation and parameters) so that a plan can be
reviewed without credentials.

AWS errors become :class:`AdminError` with a message that names the operation, the
id at fault and, for access denials, the IAM permission that is missing. Credentials
never appear in any message or result.

Example:
    >>> from privateapi import admin
    >>> plan = admin.associate_endpoints(
    ...     "a1b2c3d4e5", ["vpce-01234567abcdef012"], region="us-east-1", dry_run=True
    ... )
    >>> [call.operation for call in plan.calls]
    ['GetRestApi', 'UpdateRestApi']
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from privateapi._errors import InvalidInputError, PrivateApiError

if TYPE_CHECKING:
    import dns.resolver
    from botocore.session import Session

    from privateapi.policy import Policy

__all__ = [
    "VPC_ENDPOINT_IDS_PATH",
    "AdminError",
    "AliasNotResolvedError",
    "AliasPoll",
    "AliasResolution",
    "ApiStatus",
    "AwsCall",
    "ChangeResult",
    "CustomDomainInfo",
    "Deployment",
    "EndpointAssociation",
    "MissingPermissionError",
    "PolicySummary",
    "ResourceNotFoundError",
    "StageInfo",
    "apply_policy",
    "associate_endpoints",
    "deploy",
    "disassociate_endpoints",
    "status",
    "summarize_policy",
    "wait_for_alias",
]

#: The ``update-rest-api`` patch path that lists the endpoints associated with an API.
VPC_ENDPOINT_IDS_PATH = "/endpointConfiguration/vpcEndpointIds"


def _readable(message: str) -> str:
    """An AWS error message fit for one line: an HTML error page (a proxy, or a stand-in
    that does not implement the operation) becomes a short mention instead of the page."""
    text = message.strip()
    if text.startswith("<") and "<html" in text[:200].lower():
        return "an HTML page instead of an AWS error (a proxy, or an unimplemented operation)"
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= 300 else first[:297] + "..."


def _not_deployed_note(api_id: str, stage: str | None, *, dry_run: bool) -> str:
    saved = "would be saved" if dry_run else "is saved"
    return (
        f"The policy {saved} but NOT in effect: API Gateway applies a resource policy only"
        f" when the API is deployed. Deploy it with: privateapi deploy --api-id {api_id}"
        f" --stage {stage or 'STAGE'}"
    )


# The IAM actions each control-plane operation needs. API Gateway's management
# actions are HTTP verbs; a policy change also needs the UpdateRestApiPolicy action.
_PERMISSIONS: Mapping[str, tuple[str, ...]] = {
    "GetRestApi": ("apigateway:GET",),
    "GetStages": ("apigateway:GET",),
    "GetDeployments": ("apigateway:GET",),
    "GetDomainNames": ("apigateway:GET",),
    "GetBasePathMappings": ("apigateway:GET",),
    "GetDomainNameAccessAssociations": ("apigateway:GET",),
    "UpdateRestApi": ("apigateway:PATCH",),
    "UpdateRestApi/policy": ("apigateway:PATCH", "apigateway:UpdateRestApiPolicy"),
    "CreateDeployment": ("apigateway:POST",),
    "GetCallerIdentity": ("sts:GetCallerIdentity",),
}

_RESOURCES: Mapping[str, str] = {
    "GetRestApi": "/restapis/{api_id}",
    "GetStages": "/restapis/{api_id}/stages",
    "GetDeployments": "/restapis/{api_id}/deployments",
    "UpdateRestApi": "/restapis/{api_id}",
    "CreateDeployment": "/restapis/{api_id}/deployments",
    "GetDomainNames": "/domainnames",
    "GetBasePathMappings": "/domainnames/*/basepathmappings",
    "GetDomainNameAccessAssociations": "/domainnameaccessassociations",
}

_ACCESS_DENIED = frozenset(
    {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "AuthorizationError"}
)
_NOT_FOUND = frozenset({"NotFoundException", "ResourceNotFoundException"})
_BAD_CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "ExpiredToken",
        "UnauthorizedException",
    }
)
_THROTTLED = frozenset({"TooManyRequestsException", "ThrottlingException", "Throttling"})
_NO_POLICY_TEXT = "doesn't have a resource policy"


# --- errors --------------------------------------------------------------------------------


class AdminError(PrivateApiError):
    """A control-plane operation failed; the message says which and why.

    Attributes:
        operation: the AWS operation (``UpdateRestApi``), when one failed.
        code: AWS's error code (``BadRequestException``), when AWS answered.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        code: str | None = None,
        hint: str | None = None,
        cause_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.code = code
        self._hint = hint
        if cause_code is not None:
            self.cause_code = cause_code  # type: ignore[misc]  # per-instance on purpose

    @property
    def hint(self) -> str | None:
        """What to change: specific to this failure when known, else the cause's hint."""
        return self._hint or super().hint


class MissingPermissionError(AdminError):
    """AWS denied a control-plane call; ``permissions`` are the IAM actions it needs."""

    def __init__(
        self, message: str, *, operation: str, permissions: tuple[str, ...], resource: str
    ) -> None:
        super().__init__(
            message,
            operation=operation,
            code="AccessDeniedException",
            hint=f"Grant {' and '.join(permissions)} on {resource} to the caller.",
            cause_code="aws.access-denied",
        )
        self.permissions = permissions
        self.resource = resource


class ResourceNotFoundError(AdminError):
    """AWS does not know the API (or another resource) the call named."""


class AliasNotResolvedError(AdminError):
    """The ``{api}-{vpce}`` alias did not resolve before the timeout."""

    def __init__(self, message: str, *, hostname: str, last_answer: str) -> None:
        super().__init__(
            message,
            hint=(
                "Association reaches DNS after a few minutes. If it still does not resolve,"
                " check `privateapi status` lists the endpoint, then redeploy the stage."
            ),
            cause_code="dns.nxdomain",
        )
        self.hostname = hostname
        self.last_answer = last_answer


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwsCall:
    """One control-plane call: the service, the operation and its parameters."""

    service: str
    operation: str
    params: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"service": self.service, "operation": self.operation, "params": dict(self.params)}

    def __str__(self) -> str:
        return f"{self.service} {self.operation} {json.dumps(dict(self.params), default=str)}"


@dataclass(frozen=True)
class Deployment:
    """A deployment created by an operation."""

    id: str | None
    stage: str
    created: datetime | None = None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "id": self.id,
            "stage": self.stage,
            "created": _iso(self.created),
            "description": self.description,
        }


@dataclass(frozen=True)
class EndpointAssociation:
    """A VPC endpoint associated with an API, and the alias name it gets."""

    vpce_id: str
    alias_hostname: str

    @property
    def alias_url(self) -> str:
        """``https://{api}-{vpce}.execute-api.{region}.{suffix}/`` (append the stage)."""
        return f"https://{self.alias_hostname}/"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "vpce_id": self.vpce_id,
            "alias_hostname": self.alias_hostname,
            "alias_url": self.alias_url,
        }


@dataclass(frozen=True)
class ChangeResult:
    """What a changing operation did (or, with ``dry_run``, would do).

    Attributes:
        action: ``associate``, ``disassociate``, ``deploy`` or ``apply-policy``.
        calls: the AWS calls made, in order; with ``dry_run`` the calls that would be made.
        changed: whether anything was changed on AWS.
        vpc_endpoint_ids: the API's associated endpoints after the change (association only).
        endpoints: the endpoints acted upon, with their alias names (association only).
        deployment: the deployment created, if any.
        warnings: things to look at (policy lint warnings, ids already in place...).
        notes: what the caller must know, e.g. that a saved policy needs a deployment.
    """

    action: str
    api_id: str
    region: str
    dry_run: bool
    calls: tuple[AwsCall, ...]
    changed: bool = False
    vpc_endpoint_ids: tuple[str, ...] = ()
    endpoints: tuple[EndpointAssociation, ...] = ()
    deployment: Deployment | None = None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "action": self.action,
            "api_id": self.api_id,
            "region": self.region,
            "dry_run": self.dry_run,
            "changed": self.changed,
            "calls": [c.to_dict() for c in self.calls],
            "vpc_endpoint_ids": list(self.vpc_endpoint_ids),
            "endpoints": [e.to_dict() for e in self.endpoints],
            "deployment": self.deployment.to_dict() if self.deployment else None,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class StageInfo:
    """A stage and its current deployment."""

    name: str
    deployment_id: str | None
    last_deployed: datetime | None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "name": self.name,
            "deployment_id": self.deployment_id,
            "last_deployed": _iso(self.last_deployed),
            "description": self.description,
        }


@dataclass(frozen=True)
class PolicySummary:
    """The resource policy in a few lines: who may call, and what lint found.

    Attributes:
        present: whether the API has a resource policy at all.
        who_may_call: one line per statement, e.g. ``Allow everyone: execute-api:Invoke on
            execute-api:/* when aws:SourceVpce is vpce-0123...``.
        source_vpces: endpoint ids the policy names in ``aws:SourceVpce`` conditions.
        source_vpcs: VPC ids the policy names in ``aws:SourceVpc`` conditions.
        warnings: lint warnings (``privateapi.policy.lint``).
        error: why the policy could not be read, if it could not.
    """

    present: bool
    who_may_call: tuple[str, ...] = ()
    source_vpces: tuple[str, ...] = ()
    source_vpcs: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "present": self.present,
            "who_may_call": list(self.who_may_call),
            "source_vpces": list(self.source_vpces),
            "source_vpcs": list(self.source_vpcs),
            "warnings": list(self.warnings),
            "error": self.error,
        }


@dataclass(frozen=True)
class CustomDomainInfo:
    """A private custom domain name mapped to the API, and who may reach it."""

    domain_name: str
    domain_name_id: str | None
    base_paths: tuple[str, ...]
    access_associations: tuple[str, ...] = ()
    #: False when the associations could not be looked up (see the status notes):
    #: then an empty ``access_associations`` means "unknown", not "none".
    associations_checked: bool = True

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "domain_name": self.domain_name,
            "domain_name_id": self.domain_name_id,
            "base_paths": list(self.base_paths),
            "access_associations": list(self.access_associations),
            "access_associations_checked": self.associations_checked,
        }


@dataclass(frozen=True)
class ApiStatus:
    """A private API as the control plane describes it.

    Attributes:
        endpoint_types: ``("PRIVATE",)`` for a private API.
        endpoints: associated VPC endpoints and their alias names.
        stages: stages with their last deployment time.
        policy: the resource policy summary.
        custom_domains: private custom domains with a base path mapping to this API.
        notes: what could not be checked, and why.
    """

    api_id: str
    name: str | None
    region: str
    endpoint_types: tuple[str, ...]
    disable_execute_api_endpoint: bool
    endpoints: tuple[EndpointAssociation, ...]
    stages: tuple[StageInfo, ...]
    policy: PolicySummary
    custom_domains: tuple[CustomDomainInfo, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def is_private(self) -> bool:
        """Whether the API's endpoint type is PRIVATE."""
        return "PRIVATE" in self.endpoint_types

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the ``privateapi status --json`` document)."""
        return {
            "api_id": self.api_id,
            "name": self.name,
            "region": self.region,
            "endpoint_types": list(self.endpoint_types),
            "private": self.is_private,
            "disable_execute_api_endpoint": self.disable_execute_api_endpoint,
            "endpoints": [e.to_dict() for e in self.endpoints],
            "stages": [s.to_dict() for s in self.stages],
            "policy": self.policy.to_dict(),
            "custom_domains": [d.to_dict() for d in self.custom_domains],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class AliasPoll:
    """One DNS poll of :func:`wait_for_alias`, passed to its ``progress`` callback."""

    attempt: int
    elapsed: float
    timeout: float
    hostname: str
    answer: str


@dataclass(frozen=True)
class AliasResolution:
    """The alias name resolved: its addresses, after how many polls and seconds."""

    hostname: str
    addresses: tuple[str, ...]
    attempts: int
    elapsed: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "hostname": self.hostname,
            "addresses": list(self.addresses),
            "attempts": self.attempts,
            "elapsed": round(self.elapsed, 3),
        }


# --- the AWS seam --------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _method_name(operation: str) -> str:
    """``UpdateRestApi`` -> ``update_rest_api`` (botocore's client method names)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def _partition_name(region: str) -> str:
    from privateapi._partitions import partition_for_region

    return partition_for_region(region).name


def _unexpected_answer(operation: str, what: str) -> AdminError:
    return AdminError(
        f"{operation}: AWS's answer could not be read ({what}); expected API Gateway's"
        f" {operation} response",
        operation=operation,
        hint="Check --endpoint-url / AWS_ENDPOINT_URL: it must be API Gateway's endpoint"
        " (or a faithful stand-in such as moto).",
    )


def _check_answer(operation: str, result: Mapping[str, Any]) -> None:
    """Refuse an answer whose lists the flows read are not lists of the expected type."""
    config = result.get("endpointConfiguration", {})
    if not isinstance(config, Mapping):
        raise _unexpected_answer(
            operation, f"endpointConfiguration {config!r:.80} is not an object"
        )
    for where, key, kind, name in (
        (config, "types", str, "strings"),
        (config, "vpcEndpointIds", str, "strings"),
        (result, "items", Mapping, "objects"),
    ):
        value = where.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, kind) for v in value):
            raise _unexpected_answer(operation, f"{key} {value!r:.80} is not a list of {name}")


@dataclass
class _Aws:
    """Lazily created clients, the call log, and AWS error translation."""

    region: str | None
    profile: str | None
    endpoint_url: str | None
    session: Session | None
    client: Any
    dry_run: bool
    calls: list[AwsCall] = field(default_factory=list)
    _clients: dict[str, Any] = field(default_factory=dict)
    _session_cache: Any = None

    def __post_init__(self) -> None:
        # Checked before any call (and in dry runs): botocore would only fail at the first
        # request, some forms (a port out of range) with a bare ValueError.
        if self.endpoint_url is not None:
            from urllib.parse import urlsplit

            try:
                parts = urlsplit(self.endpoint_url)
                ok = parts.scheme in ("http", "https") and bool(parts.hostname)
                ok = ok and (parts.port is None or parts.port > 0)
            except (TypeError, ValueError):  # not a string; a port not a number or > 65535
                ok = False
            if not ok:
                raise InvalidInputError(
                    "endpoint_url", self.endpoint_url, "an http(s) URL, e.g. http://127.0.0.1:5000"
                )

    def _session(self) -> Session:
        if self._session_cache is None:
            if self.session is not None:
                self._session_cache = self.session
            else:
                import botocore.session

                made = botocore.session.Session()
                # botocore only notices a missing profile at its first lookup, which an
                # environment variable can short-circuit: check here for a clear error.
                if self.profile is not None and self.profile not in made.available_profiles:
                    raise InvalidInputError(
                        "profile",
                        self.profile,
                        "a profile named in the AWS config or credentials file",
                    )
                if self.profile is not None:
                    made.set_config_variable("profile", self.profile)
                self._session_cache = made
        cached: Session = self._session_cache
        return cached

    def resolved_region(self) -> str:
        """The region: explicit, an injected client's, AWS_REGION, or botocore's configuration."""
        if self.region:
            return self.region
        if self.client is not None:
            self.region = str(self.client.meta.region_name)
            return self.region
        # AWS_REGION first, as the AWS CLI and the other SDKs do: botocore itself only reads
        # AWS_DEFAULT_REGION and the profile. An unknown profile was refused by _session().
        session = self._session()  # first: refuses an unknown profile even in a dry run
        configured = os.environ.get("AWS_REGION") or session.get_config_variable("region")
        if not configured:
            raise InvalidInputError(
                "region", None, "an AWS region: pass --region or set AWS_REGION"
            )
        self.region = str(configured)
        return self.region

    def _get_client(self, service: str) -> Any:
        if service == "apigateway" and self.client is not None:
            return self.client
        if service not in self._clients:
            from botocore.config import Config

            region = self.resolved_region()
            session = self._session()
            try:
                self._clients[service] = session.create_client(
                    service,
                    region_name=region,
                    # None lets botocore apply AWS_ENDPOINT_URL(_API_GATEWAY) and config files.
                    endpoint_url=self.endpoint_url if service == "apigateway" else None,
                    config=Config(
                        # botocore's standard retries; AWS_MAX_ATTEMPTS still applies.
                        retries={"mode": "standard"},
                        user_agent_extra="privateapi-admin",
                    ),
                )
            except ValueError as exc:  # botocore's "Invalid endpoint: ..."
                raise InvalidInputError(
                    "endpoint_url", self.endpoint_url, "an http(s) URL, e.g. http://127.0.0.1:5000"
                ) from exc
        return self._clients[service]

    def call(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        service: str = "apigateway",
        api_id: str | None = None,
        permission: str | None = None,
    ) -> dict[str, Any]:
        """Make one call, log it, and translate its errors."""
        assert not self.dry_run, "a dry run makes no AWS call"  # the flows return before
        self.calls.append(AwsCall(service, operation, dict(params)))
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._get_client(service)
        try:
            response = getattr(client, _method_name(operation))(**params)
        except ClientError as exc:
            raise self._translate(exc, operation, permission or operation, api_id) from None
        except BotoCoreError as exc:
            raise self._translate_botocore(exc, operation) from None
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            # botocore's parser fails this way on an answer of the wrong shape (a list for
            # an object, a bad timestamp): not API Gateway, or a broken stand-in for it.
            raise _unexpected_answer(operation, f"{type(exc).__name__}: {exc}") from None
        result: dict[str, Any] = dict(response)
        result.pop("ResponseMetadata", None)
        _check_answer(operation, result)
        return result

    def call_all(
        self, operation: str, params: Mapping[str, Any], *, api_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a paginated ``items``/``position`` listing."""
        items: list[dict[str, Any]] = []
        position: str | None = None
        while True:
            page_params = dict(params, limit=500)
            if position:
                page_params["position"] = position
            page = self.call(operation, page_params, api_id=api_id)
            items.extend(page.get("items", []))
            position = page.get("position")
            if not position:
                return items

    def _translate(
        self, exc: Any, operation: str, permission_key: str, api_id: str | None
    ) -> AdminError:
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "")
        message = _readable(str(error.get("Message") or exc.response.get("message") or ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        region = self.region or "us-east-1"
        if code in _ACCESS_DENIED or (status == 403 and code not in _BAD_CREDENTIALS):
            permissions = _PERMISSIONS.get(permission_key, (f"apigateway:{operation}",))
            path = _RESOURCES.get(operation, "/*").format(api_id=api_id or "*")
            resource = f"arn:{_partition_name(region)}:apigateway:{region}::{path}"
            return MissingPermissionError(
                f"{operation} was denied: the caller lacks {' and '.join(permissions)}"
                f" on {resource} (AWS said: {code or status}: {message})",
                operation=operation,
                permissions=permissions,
                resource=resource,
            )
        if code in _NOT_FOUND or status == 404:
            what = f"REST API {api_id!r}" if api_id else "the resource"
            return ResourceNotFoundError(
                f"{operation}: {what} was not found in {region} (AWS said: {code or status}:"
                f" {message or 'not found'})",
                operation=operation,
                code=code or str(status),
                hint="Check the API id, --region and --profile (the API may live in another"
                " account or region).",
            )
        if _NO_POLICY_TEXT in message:
            return AdminError(
                f"{operation}: API Gateway refused: {message}",
                operation=operation,
                code=code,
                cause_code="policy.missing",
            )
        if code in _BAD_CREDENTIALS:
            return AdminError(
                f"{operation}: AWS did not accept the credentials ({code}: {message})",
                operation=operation,
                code=code,
                hint="Refresh or fix the credentials of this profile (expired session or SSO"
                " token, wrong key, or a region the account has not enabled).",
            )
        if code in _THROTTLED:
            return AdminError(
                f"{operation}: throttled by AWS ({code}); retry in a few seconds",
                operation=operation,
                code=code,
            )
        return AdminError(
            f"{operation} failed: {code or status}: {message}", operation=operation, code=code
        )

    def _translate_botocore(self, exc: Exception, operation: str) -> AdminError:
        from botocore.exceptions import (
            EndpointConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            profile = f" for profile {self.profile!r}" if self.profile else ""
            return AdminError(
                f"{operation}: no usable AWS credentials{profile}",
                operation=operation,
                cause_code="creds.missing",
                hint="Configure credentials (AWS_PROFILE, --profile, SSO login, an instance"
                " role) with access to API Gateway.",
            )
        if isinstance(exc, EndpointConnectionError):
            return AdminError(
                f"{operation}: could not reach the API Gateway endpoint: {exc}",
                operation=operation,
                cause_code="aws.unreachable",
                hint="Check --endpoint-url / AWS_ENDPOINT_URL, or the route to AWS"
                " (an apigateway interface endpoint in a VPC without internet).",
            )
        return AdminError(f"{operation} failed: {exc}", operation=operation)


def _aws(
    *,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    session: Session | None,
    client: Any,
    dry_run: bool,
) -> _Aws:
    if region is not None:
        from privateapi._targets import validate_region

        region = validate_region(region)
    return _Aws(
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        session=session,
        client=client,
        dry_run=dry_run,
    )


# --- validation ----------------------------------------------------------------------------


def _validate_api_id(api_id: str) -> str:
    from privateapi._targets import validate_api_id

    return validate_api_id(api_id)


def _validate_stage(stage: str) -> str:
    from privateapi._targets import validate_stage

    return validate_stage(stage)


def _validate_vpce_ids(vpce_ids: Iterable[str] | str) -> tuple[str, ...]:
    from privateapi._targets import validate_vpce_id

    if isinstance(vpce_ids, str):
        vpce_ids = [vpce_ids]
    result: list[str] = []
    for raw in vpce_ids:
        value = validate_vpce_id(raw)
        if value not in result:
            result.append(value)
    if not result:
        raise InvalidInputError("vpce_ids", [], "at least one VPC endpoint id")
    return tuple(result)


def _endpoint(api_id: str, vpce_id: str, region: str) -> EndpointAssociation:
    from privateapi._targets import alias_hostname

    return EndpointAssociation(vpce_id, alias_hostname(api_id, vpce_id, region))


# --- operations ----------------------------------------------------------------------------


def _change_endpoints(
    action: Literal["associate", "disassociate"],
    api_id: str,
    vpce_ids: Iterable[str] | str,
    *,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    redeploy_stage: str | None,
    dry_run: bool,
    session: Session | None,
    client: Any,
) -> ChangeResult:
    api_id = _validate_api_id(api_id)
    ids = _validate_vpce_ids(vpce_ids)
    stage = _validate_stage(redeploy_stage) if redeploy_stage is not None else None
    aws = _aws(
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        session=session,
        client=client,
        dry_run=dry_run,
    )
    region = aws.resolved_region()
    op = "add" if action == "associate" else "remove"
    description = f"privateapi: {action} {', '.join(ids)}"
    endpoints = tuple(_endpoint(api_id, v, region) for v in ids)

    def patch(targets: Sequence[str]) -> dict[str, Any]:
        return {
            "restApiId": api_id,
            "patchOperations": [
                {"op": op, "path": VPC_ENDPOINT_IDS_PATH, "value": v} for v in targets
            ],
        }

    deploy_params = {"restApiId": api_id, "stageName": stage, "description": description}
    if dry_run:
        plan = [
            AwsCall("apigateway", "GetRestApi", {"restApiId": api_id}),
            AwsCall("apigateway", "UpdateRestApi", patch(ids)),
        ]
        if stage is not None:
            plan.append(AwsCall("apigateway", "CreateDeployment", deploy_params))
        return ChangeResult(action, api_id, region, True, tuple(plan), endpoints=endpoints)

    api = aws.call("GetRestApi", {"restApiId": api_id}, api_id=api_id)
    types = tuple(api.get("endpointConfiguration", {}).get("types", []))
    if "PRIVATE" not in types:
        raise AdminError(
            f"API {api_id} is {'/'.join(types) or 'not PRIVATE'}: VPC endpoints can only be"
            " associated with PRIVATE APIs",
            operation="GetRestApi",
            cause_code="aws.api-not-private",
        )
    current = list(api.get("endpointConfiguration", {}).get("vpcEndpointIds", []))
    if action == "associate":
        todo = [v for v in ids if v not in current]
        skipped = [v for v in ids if v in current]
        skip_word = "already associated"
    else:
        todo = [v for v in ids if v in current]
        skipped = [v for v in ids if v not in current]
        skip_word = "not associated"
    warnings = [f"{v} was {skip_word}; nothing to do for it" for v in skipped]
    after = current
    if todo:
        updated = aws.call("UpdateRestApi", patch(todo), api_id=api_id)
        after = list(updated.get("endpointConfiguration", {}).get("vpcEndpointIds", []))
    deployment = None
    notes: list[str] = []
    if stage is not None:
        done = f"the endpoints were {action}d" if todo else "nothing needed to change"
        deployment = _deploy_after_change(aws, api_id, stage, description, api, done)
    elif todo:
        notes.append(
            f"Redeploy the API for the change to take effect on the alias names:"
            f" privateapi deploy --api-id {api_id} --stage STAGE"
        )
    if action == "associate" and todo:
        notes.append("The alias names take a few minutes to appear in DNS (use --wait).")
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
        warnings=tuple(warnings),
        notes=tuple(notes),
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
    session: Session | None = None,
    client: Any = None,
) -> ChangeResult:
    """Associate VPC endpoints with a private API (``add /endpointConfiguration/vpcEndpointIds``).

    Endpoints already associated are left alone (and reported in ``warnings``). With
    ``redeploy_stage`` a deployment of that stage follows, which AWS asks for after every
    (dis)association. The ``{api}-{vpce}`` alias names then take minutes to reach DNS:
    see :func:`wait_for_alias`.

    Args:
        api_id: the REST API id.
        vpce_ids: one endpoint id or several.
        region: the API's region (default: botocore's configuration, e.g. ``AWS_REGION``).
        profile: a named AWS profile.
        endpoint_url: the control-plane endpoint (default: botocore's, which honours
            ``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_API_GATEWAY``).
        redeploy_stage: the stage to redeploy afterwards.
        dry_run: make no call; return the calls that would be made.
        session: a botocore session to create clients from (tests).
        client: a ready apigateway client (tests).

    Raises:
        InvalidInputError: a malformed id, stage or region.
        AdminError: AWS refused (:class:`MissingPermissionError`, :class:`ResourceNotFoundError`),
            or the API is not PRIVATE.
    """
    return _change_endpoints(
        "associate",
        api_id,
        vpce_ids,
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        redeploy_stage=redeploy_stage,
        dry_run=dry_run,
        session=session,
        client=client,
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
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        redeploy_stage=redeploy_stage,
        dry_run=dry_run,
        session=session,
        client=client,
    )


def _require_policy(api_id: str, api: Mapping[str, Any]) -> None:
    """Refuse, as AWS does, to deploy a PRIVATE API that has no resource policy."""
    types = api.get("endpointConfiguration", {}).get("types", [])
    if "PRIVATE" in types and not api.get("policy"):
        raise AdminError(
            f"API {api_id} is PRIVATE and has no resource policy, so API Gateway refuses to"
            ' deploy it (400 "Private REST API doesn\'t have a resource policy attached to it")',
            operation="CreateDeployment",
            code="BadRequestException",
            hint=f"Attach a policy first: privateapi policy apply --api-id {api_id}"
            " --generate --vpce VPCE --stage STAGE",
            cause_code="policy.missing",
        )


def _create_deployment(
    aws: _Aws, api_id: str, stage: str, description: str | None, api: Mapping[str, Any]
) -> Deployment:
    _require_policy(api_id, api)
    params: dict[str, Any] = {"restApiId": api_id, "stageName": stage}
    if description:
        params["description"] = description
    made = aws.call("CreateDeployment", params, api_id=api_id)
    return Deployment(
        id=made.get("id"),
        stage=stage,
        created=made.get("createdDate"),
        description=made.get("description", description),
    )


def _deploy_after_change(
    aws: _Aws,
    api_id: str,
    stage: str,
    description: str,
    api: Mapping[str, Any],
    done: str,
) -> Deployment:
    """Deploy after a change; if that fails, the error says the change itself was made."""
    try:
        return _create_deployment(aws, api_id, stage, description, api)
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
    session: Session | None = None,
    client: Any = None,
) -> ChangeResult:
    """Create a deployment of the API to ``stage`` (creating the stage if needed).

    A PRIVATE API without a resource policy is refused before the call, with the same
    reason AWS gives (400 ``Private REST API doesn't have a resource policy attached to it``).
    Other arguments are those of :func:`associate_endpoints`.
    """
    api_id = _validate_api_id(api_id)
    stage = _validate_stage(stage)
    aws = _aws(
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        session=session,
        client=client,
        dry_run=dry_run,
    )
    region = aws.resolved_region()
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
    deployment = _create_deployment(aws, api_id, stage, description, api)
    return ChangeResult(
        "deploy", api_id, region, False, tuple(aws.calls), changed=True, deployment=deployment
    )


def _parse(policy: str | Mapping[str, Any] | Policy) -> Policy:
    from privateapi.policy import Policy, parse_policy

    if isinstance(policy, Policy):
        return policy
    return parse_policy(policy)


def _lint(policy: Policy, region: str, account: str | None, api_id: str) -> tuple[str, ...]:
    from privateapi.policy import ApiContext, lint

    api = (
        ApiContext(region, account, api_id, partition=_partition_name(region)) if account else None
    )
    return tuple(str(w) for w in lint(policy, api=api))


def _account_from_policy(text: str | None) -> str | None:
    """The account id in an execute-api ARN of a saved policy (AWS expands short forms)."""
    if not text:
        return None
    found = re.search(r"arn:[\w-]+:execute-api:[\w-]+:(\d{12}):", text)
    return found.group(1) if found else None


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
    session: Session | None = None,
    client: Any = None,
) -> ChangeResult:
    """Validate, lint and save a resource policy, then redeploy ``stage``.

    The policy is parsed (a malformed one raises before any call), linted with
    :func:`privateapi.policy.lint` (warnings are returned, they do not block), put on the
    API (``replace /policy``) and, unless ``deploy`` is false, followed by a deployment of
    ``stage``: a saved policy does nothing until the API is deployed, and the result's
    ``notes`` say so when no deployment is made.

    Args:
        policy: the document: JSON text, a mapping or a parsed
            :class:`~privateapi.policy.Policy`.
        stage: the stage to redeploy (required unless ``deploy`` is false).
        account: the API's account id, for expanding ``execute-api:/...`` short forms while
            linting (default: read from the saved policy when it names one).

    Other arguments are those of :func:`associate_endpoints`.
    """
    api_id = _validate_api_id(api_id)
    if deploy and stage is None:
        raise InvalidInputError("stage", None, "the stage to redeploy (or deploy=False)")
    stage = _validate_stage(stage) if stage is not None else None
    if account is not None:
        from privateapi._targets import validate_account_id

        account = validate_account_id(account)
    parsed = _parse(policy)
    from privateapi.policy import check_size  # over API Gateway's size limit: refused here

    document = check_size(parsed)
    aws = _aws(
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        session=session,
        client=client,
        dry_run=dry_run,
    )
    region = aws.resolved_region()
    update = {
        "restApiId": api_id,
        "patchOperations": [{"op": "replace", "path": "/policy", "value": document}],
    }
    description = "privateapi: apply resource policy"
    deploy_params = {"restApiId": api_id, "stageName": stage, "description": description}
    notes = [] if deploy else [_not_deployed_note(api_id, stage, dry_run=dry_run)]
    if dry_run:
        plan = [
            AwsCall("apigateway", "GetRestApi", {"restApiId": api_id}),
            AwsCall("apigateway", "UpdateRestApi", update),
        ]
        if deploy:
            plan.append(AwsCall("apigateway", "CreateDeployment", deploy_params))
        warnings = _lint(parsed, region, account, api_id)
        return ChangeResult(
            "apply-policy", api_id, region, True, tuple(plan), warnings=warnings, notes=tuple(notes)
        )
    api = aws.call("GetRestApi", {"restApiId": api_id}, api_id=api_id)
    warnings = _lint(parsed, region, account or _account_from_policy(api.get("policy")), api_id)
    updated = aws.call("UpdateRestApi", update, api_id=api_id, permission="UpdateRestApi/policy")
    deployment = None
    if deploy:
        assert stage is not None  # checked above
        deployment = _deploy_after_change(
            aws, api_id, stage, description, updated, "the policy was saved but is NOT in effect"
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
        notes=tuple(notes),
    )


# --- status --------------------------------------------------------------------------------


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
    lines: list[str] = []
    vpces: list[str] = []
    vpcs: list[str] = []
    for st in parsed.statements:
        actions = ", ".join(st.actions) or "*"
        resources = ", ".join(st.resources) or "*"
        line = (
            f"{st.effect} {_describe_principal(st)}: {'not ' if st.not_action else ''}{actions}"
            f" on {'not ' if st.not_resource else ''}{resources}"
        )
        if st.conditions:
            line += " when " + " and ".join(_describe_condition(c) for c in st.conditions)
        lines.append(line)
        for c in st.conditions:
            key = c.key.lower()
            target = vpces if key == "aws:sourcevpce" else vpcs if key == "aws:sourcevpc" else None
            if target is not None:
                target.extend(v for v in c.values if v not in target)
    account = account or _account_from_policy(text)
    return PolicySummary(
        present=True,
        who_may_call=tuple(lines),
        source_vpces=tuple(vpces),
        source_vpcs=tuple(vpcs),
        warnings=_lint(parsed, region, account, api_id),
    )


def _custom_domains(aws: _Aws, api_id: str, notes: list[str]) -> tuple[CustomDomainInfo, ...]:
    try:
        domains = aws.call_all("GetDomainNames", {"resourceOwner": "SELF"})
    except AdminError as exc:
        notes.append(f"custom domains not checked: {exc}")
        return ()
    private = [
        d for d in domains if "PRIVATE" in d.get("endpointConfiguration", {}).get("types", [])
    ]
    found: list[tuple[dict[str, Any], tuple[str, ...]]] = []
    for d in private:
        params = {"domainName": d["domainName"]}
        if d.get("domainNameId"):
            params["domainNameId"] = d["domainNameId"]
        try:
            mappings = aws.call_all("GetBasePathMappings", params)
        except AdminError as exc:
            notes.append(f"base path mappings of {d['domainName']} not checked: {exc}")
            continue
        paths = tuple(
            str(m.get("basePath", "(none)")) for m in mappings if m.get("restApiId") == api_id
        )
        if paths:
            found.append((d, paths))
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


def status(
    api_id: str,
    *,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    include_domains: bool = True,
    session: Session | None = None,
    client: Any = None,
) -> ApiStatus:
    """Describe a private API: endpoint type, endpoints and aliases, stages, policy, domains.

    Reads only (``apigateway:GET``). Custom domains and access associations are looked up
    when ``include_domains`` is true; if that part is denied or unsupported the status says
    so in ``notes`` instead of failing.
    """
    api_id = _validate_api_id(api_id)
    aws = _aws(
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        session=session,
        client=client,
        dry_run=False,
    )
    region = aws.resolved_region()
    api = aws.call("GetRestApi", {"restApiId": api_id}, api_id=api_id)
    config = api.get("endpointConfiguration", {})
    endpoints = tuple(_endpoint(api_id, v, region) for v in config.get("vpcEndpointIds", []))
    stages_raw = aws.call("GetStages", {"restApiId": api_id}, api_id=api_id).get("item", [])
    deployments = {
        d["id"]: d for d in aws.call_all("GetDeployments", {"restApiId": api_id}, api_id=api_id)
    }
    stages = tuple(
        StageInfo(
            name=s["stageName"],
            deployment_id=s.get("deploymentId"),
            last_deployed=deployments.get(s.get("deploymentId"), {}).get("createdDate"),
            description=s.get("description") or None,
        )
        for s in sorted(stages_raw, key=lambda s: str(s.get("stageName")))
    )
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


# --- DNS -----------------------------------------------------------------------------------


def _make_resolver(resolver: str | dns.resolver.Resolver | None) -> dns.resolver.Resolver:
    import dns.resolver

    if resolver is None:
        try:
            return dns.resolver.Resolver()  # the nameservers of /etc/resolv.conf
        except dns.resolver.NoResolverConfiguration as exc:
            raise InvalidInputError(
                "resolver", None, "a DNS server IP[:port]: no nameserver is configured here"
            ) from exc
    if isinstance(resolver, dns.resolver.Resolver):
        return resolver
    from privateapi._targets import parse_resolver

    host, port = parse_resolver(resolver)
    made = dns.resolver.Resolver(configure=False)
    made.nameservers = [host]
    made.port = port
    return made


def wait_for_alias(
    api_id: str,
    vpce_id: str,
    region: str,
    *,
    timeout: float = 300.0,
    interval: float = 5.0,
    resolver: str | dns.resolver.Resolver | None = None,
    progress: Callable[[AliasPoll], None] | None = None,
) -> AliasResolution:
    """Poll DNS until ``{api_id}-{vpce_id}.execute-api.{region}.{suffix}`` resolves.

    Args:
        timeout: give up after this many seconds.
        interval: seconds between polls.
        resolver: the nameservers of ``/etc/resolv.conf`` when ``None``; ``"IP[:port]"`` or a
            :class:`dns.resolver.Resolver` to ask a particular server (the VPC resolver,
            or a test server on loopback).
        progress: called after each unsuccessful poll.

    Raises:
        AliasNotResolvedError: the name did not resolve in time; the message gives the
            last answer (NXDOMAIN, no answer, timeout).
    """
    import dns.exception
    import dns.resolver

    from privateapi._targets import alias_hostname

    hostname = alias_hostname(_validate_api_id(api_id), _validate_vpce_ids(vpce_id)[0], region)
    if not 0 < timeout < float("inf"):
        raise InvalidInputError("timeout", timeout, "a positive number of seconds")
    if not 0 < interval < float("inf"):
        raise InvalidInputError("interval", interval, "a positive number of seconds")
    res = _make_resolver(resolver)
    start = time.monotonic()
    attempt = 0
    answer = "not asked"
    while True:
        attempt += 1
        elapsed = time.monotonic() - start
        try:
            reply = res.resolve(hostname, "A", lifetime=max(0.2, min(2.0, timeout - elapsed)))
            addresses = tuple(sorted(r.to_text() for r in reply))
            return AliasResolution(hostname, addresses, attempt, time.monotonic() - start)
        except dns.resolver.NXDOMAIN:
            answer = "NXDOMAIN"
        except dns.resolver.NoAnswer:
            answer = "no A record (NODATA)"
        except dns.resolver.NoNameservers:
            answer = "no nameserver answered (SERVFAIL)"
        except dns.exception.Timeout:
            answer = "the resolver did not answer (timeout)"
        elapsed = time.monotonic() - start
        if progress is not None:
            progress(AliasPoll(attempt, elapsed, timeout, hostname, answer))
        if elapsed >= timeout:
            raise AliasNotResolvedError(
                f"{hostname} did not resolve within {timeout:g} s ({attempt} polls;"
                f" last answer: {answer})",
                hostname=hostname,
                last_answer=answer,
            )
        # The last poll happens at the deadline, not one interval before it.
        time.sleep(min(interval, timeout - elapsed))
