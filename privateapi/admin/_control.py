"""The operations' seam to the control plane, over :mod:`privateapi._aws`.

:class:`Control` is one operation's view of AWS: it logs the calls it makes (they are
part of the result), refuses to call in a dry run, checks the few answer fields the
operations rely on, and turns :class:`~privateapi._aws.AwsError` into the
:class:`~privateapi.admin.AdminError` kinds with the IAM permission a denial lacks.
Sessions, clients, time limits, retries and the AWS error-code table are ``_aws``'s.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from privateapi._aws import DEFAULT_TIMEOUT, Aws, AwsError, pages
from privateapi.admin import _validate
from privateapi.admin._errors import AdminError, MissingPermissionError, ResourceNotFoundError
from privateapi.admin._results import AwsCall, NextStep

if TYPE_CHECKING:
    from botocore.session import Session

__all__ = ["Control", "partition_name"]

# The IAM actions each control-plane operation needs. API Gateway's management actions
# are HTTP verbs; a policy change also needs the UpdateRestApiPolicy action.
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

# The operations whose answer is one REST API or deployment: AWS always includes its id.
_ANSWERS_WITH_ID = frozenset({"GetRestApi", "UpdateRestApi", "CreateDeployment"})
_NO_POLICY_TEXT = "doesn't have a resource policy"


def partition_name(region: str) -> str:
    """``aws``, ``aws-cn``, ... for a region."""
    from privateapi._partitions import partition_for_region

    return partition_for_region(region).name


def unexpected_answer(operation: str, what: str) -> AdminError:
    """The error for an answer that is not API Gateway's (a proxy, a wrong endpoint)."""
    return AdminError(
        f"{operation}: AWS's answer could not be read ({what}); expected API Gateway's"
        f" {operation} response",
        operation=operation,
        cause_code="aws.bad-answer",
        fields=("endpoint_url",),
    )


def _check_answer(operation: str, params: Mapping[str, Any], result: Mapping[str, Any]) -> None:
    """Refuse an answer whose fields the operations read are missing or of the wrong type."""
    if operation in _ANSWERS_WITH_ID:
        found = result.get("id")
        if not isinstance(found, str) or not found:
            raise unexpected_answer(operation, f"no id in the answer (id {found!r:.40})")
        if operation != "CreateDeployment" and found != params.get("restApiId"):
            raise unexpected_answer(
                operation, f"the answer is about API {found!r:.40}, not {params.get('restApiId')}"
            )
    config = result.get("endpointConfiguration", {})
    if not isinstance(config, Mapping):
        raise unexpected_answer(operation, f"endpointConfiguration {config!r:.80} is not an object")
    for where, key, kind, name in (
        (config, "types", str, "strings"),
        (config, "vpcEndpointIds", str, "strings"),
        (result, "items", Mapping, "objects"),
        (result, "item", Mapping, "objects"),
    ):
        value = where.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, kind) for v in value):
            raise unexpected_answer(operation, f"{key} {value!r:.80} is not a list of {name}")


class Control:
    """One operation's calls to API Gateway: logged, bounded, errors translated.

    ``timeout`` bounds the whole operation: every call shares one deadline.
    """

    def __init__(
        self,
        *,
        region: str | None,
        profile: str | None,
        endpoint_url: str | None,
        session: Session | None,
        client: Any,
        dry_run: bool,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        timeout = _validate.timeout(timeout)
        endpoint_url = _validate.endpoint_url(endpoint_url)
        self.dry_run = dry_run
        self.calls: list[AwsCall] = []
        self.aws = Aws(
            region=_validate.region(region),
            profile=profile,
            endpoint_url={"apigateway": endpoint_url} if endpoint_url else None,
            timeout=timeout,
            deadline=time.monotonic() + timeout,
            session=session,
            clients={"apigateway": client} if client is not None else None,
            user_agent="privateapi-admin",
        )

    @property
    def region(self) -> str:
        """The region the operation works in (resolved without any call)."""
        return self.aws.region

    def call(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        api_id: str | None = None,
        permission: str | None = None,
    ) -> dict[str, Any]:
        """Make one API Gateway call, log it, check its answer, and translate its errors."""
        assert not self.dry_run, "a dry run makes no AWS call"  # the operations return before
        self.calls.append(AwsCall("apigateway", operation, dict(params)))
        try:
            result = self.aws.call("apigateway", operation, params)
        except AwsError as exc:
            raise self._translate(exc, permission or operation, api_id) from None
        _check_answer(operation, params, result)
        return result

    def call_all(
        self, operation: str, params: Mapping[str, Any], *, api_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a paginated ``items``/``position`` listing."""
        listing = pages(
            lambda page_params: self.call(operation, page_params, api_id=api_id), params
        )
        return [item for page in listing for item in page.get("items", [])]

    def _translate(self, exc: AwsError, permission_key: str, api_id: str | None) -> AdminError:
        operation = exc.operation
        cause = exc.cause_code
        said = f"{exc.code or exc.status}: {exc.aws_message}"
        if cause == "aws.access-denied":
            return self._denied(exc, permission_key, api_id)
        if cause == "aws.not-found":
            what = f"REST API {api_id!r}" if api_id else "the resource"
            return ResourceNotFoundError(
                f"{operation}: {what} was not found in {self.aws.region} (AWS said:"
                f" {exc.code or exc.status}: {exc.aws_message or 'not found'})",
                operation=operation,
                code=exc.code or str(exc.status),
                hint="Check the API id, the region and the profile (the API may live in"
                " another account or region).",
                fields=("api_id", "region", "profile"),
            )
        if _NO_POLICY_TEXT in exc.aws_message:
            return AdminError(
                f"{operation}: API Gateway refused: {exc.aws_message}",
                operation=operation,
                code=exc.code,
                cause_code="policy.missing",
                hint="Attach a resource policy to the API first, then deploy.",
                next_step=NextStep("apply_policy", {"api_id": api_id, "stage": None}),
            )
        if cause == "aws.credentials-rejected":
            return AdminError(
                f"{operation}: AWS did not accept the credentials ({said})",
                operation=operation,
                code=exc.code,
                cause_code=cause,
                fields=("profile", "region"),
            )
        if cause == "aws.throttled":
            return AdminError(
                f"{operation}: throttled by AWS ({exc.code}); retry in a few seconds",
                operation=operation,
                code=exc.code,
                cause_code=cause,
            )
        return self._other(exc)

    def _denied(self, exc: AwsError, permission_key: str, api_id: str | None) -> AdminError:
        operation = exc.operation
        region = self.aws.region
        permissions = _PERMISSIONS.get(permission_key, (f"apigateway:{operation}",))
        path = _RESOURCES.get(operation, "/*").format(api_id=api_id or "*")
        resource = f"arn:{partition_name(region)}:apigateway:{region}::{path}"
        return MissingPermissionError(
            f"{operation} was denied: the caller lacks {' and '.join(permissions)}"
            f" on {resource} (AWS said: {exc.code or exc.status}: {exc.aws_message})",
            operation=operation,
            permissions=permissions,
            resource=resource,
        )

    def _other(self, exc: AwsError) -> AdminError:
        operation = exc.operation
        cause = exc.cause_code
        if cause == "aws.bad-answer":
            if exc.detail:
                return unexpected_answer(operation, exc.detail)
            # An error status with a body that is not AWS's (an HTML page): say so as is.
            return AdminError(
                str(exc), operation=operation, cause_code=cause, fields=("endpoint_url",)
            )
        if cause == "creds.missing":
            return AdminError(
                str(exc),
                operation=operation,
                cause_code=cause,
                hint="Configure credentials (AWS_PROFILE or a named profile, SSO login, an"
                " instance role) with access to API Gateway.",
                fields=("profile",),
            )
        if cause == "aws.unreachable":
            return AdminError(
                str(exc),
                operation=operation,
                cause_code=cause,
                hint="Check the endpoint URL (or AWS_ENDPOINT_URL) and the route to AWS (an"
                " apigateway interface endpoint in a VPC without internet access).",
                fields=("endpoint_url", "timeout"),
            )
        if exc.code is None and exc.status is None:  # botocore refused before sending
            return AdminError(str(exc), operation=operation, cause_code=cause)
        return AdminError(
            f"{operation} failed: {exc.code or exc.status}: {exc.aws_message}",
            operation=operation,
            code=exc.code,
            cause_code=cause,
        )
