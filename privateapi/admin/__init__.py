"""Operate private REST APIs: associate VPC endpoints, deploy, apply resource policies, status.

Every function here talks to the API Gateway control plane through
:mod:`privateapi._aws` (botocore, imported on first use). Each honours ``profile``,
``region`` and ``endpoint_url`` and, when no ``endpoint_url`` is given, botocore's own
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_API_GATEWAY`` settings, so the same code can be
pointed at a local stand-in such as moto's server. Tests inject a ready ``client`` or
``session``.

Each operation is bounded by ``timeout`` (seconds, default 60): every call and retry it
makes shares that deadline, so a stalled endpoint fails in time. An answer that is not
AWS's (an HTML login page, an empty body, invalid JSON) is an :class:`AdminError`, never a
success.

With ``dry_run=True`` no AWS call is made at all, not even a read: the result lists
the calls that would be made (operation and parameters) so that a plan can be
reviewed without credentials.

AWS errors become :class:`AdminError` (a :class:`~privateapi.PrivateApiError`) with a
message that names the operation, the id at fault and, for access denials, the IAM
permission that is missing. Credentials never appear in any message or result.
Results are frozen dataclasses with one ``to_dict()``; what to do next is data too
(:class:`NextStep`), so that messages never name a front end's flags.

The package has a module per operation: ``_endpoints`` (associate/disassociate),
``_deploy``, ``_policy`` (apply, summarize), ``_status``, ``_dns`` (the alias waiter), over
``_control`` (the seam to AWS), ``_validate``, ``_results`` and ``_errors``.

Example:
    >>> from privateapi import admin
    >>> plan = admin.associate_endpoints(
    ...     "a1b2c3d4e5", ["vpce-01234567abcdef012"], region="us-east-1", dry_run=True
    ... )
    >>> [call.operation for call in plan.calls]
    ['GetRestApi', 'UpdateRestApi']
"""

from __future__ import annotations

from privateapi.admin._deploy import deploy
from privateapi.admin._dns import wait_for_alias
from privateapi.admin._endpoints import (
    VPC_ENDPOINT_IDS_PATH,
    associate_endpoints,
    disassociate_endpoints,
)
from privateapi.admin._errors import (
    AdminError,
    AliasNotResolvedError,
    MissingPermissionError,
    ResourceNotFoundError,
)
from privateapi.admin._policy import apply_policy, summarize_policy
from privateapi.admin._results import (
    AliasPoll,
    AliasResolution,
    ApiStatus,
    AwsCall,
    ChangeResult,
    CustomDomainInfo,
    Deployment,
    EndpointAssociation,
    NextStep,
    PolicySummary,
    StageInfo,
)
from privateapi.admin._status import status
from privateapi.admin._validate import validate_alias_wait

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
    "NextStep",
    "PolicySummary",
    "ResourceNotFoundError",
    "StageInfo",
    "apply_policy",
    "associate_endpoints",
    "deploy",
    "disassociate_endpoints",
    "status",
    "summarize_policy",
    "validate_alias_wait",
    "wait_for_alias",
]
