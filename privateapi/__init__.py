"""privateapi: call and troubleshoot AWS API Gateway private REST APIs from inside a VPC.

The public API is small and re-exported here; everything else lives in private
``_modules``. Attributes are loaded on first use, so ``import privateapi`` stays
cheap (httpx and botocore are imported only by what needs them).

Example:
    >>> import privateapi
    >>> t = privateapi.InvokeTarget.private_dns("a1b2c3d4e5", "us-east-1", "prod")
    >>> t.base_url
    'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from privateapi._causes import CAUSES, Cause, cause, iter_causes
    from privateapi._client import (
        AsyncClient,
        Client,
        RetryEvent,
        RetryPolicy,
        raise_for_status,
    )
    from privateapi._credentials import (
        Credentials,
        CredentialSource,
        redact,
        remember_secret,
        resolve_credentials,
    )
    from privateapi._errors import (
        AccessDeniedError,
        ApiGatewayError,
        AuthorizerDenyError,
        BackendError,
        BackendRejectedError,
        ClockSkewError,
        CredentialsError,
        EndpointPolicyDenyError,
        ExpiredTokenError,
        ExplicitDenyError,
        ForbiddenError,
        ImplicitDenyError,
        IncompleteSignatureError,
        InvalidInputError,
        InvalidTokenError,
        MissingAuthenticationTokenError,
        NotApiGatewayError,
        PayloadTooLargeError,
        PrivateApiError,
        QuotaExceededError,
        RequestTooLargeError,
        SignatureMismatchError,
        ThrottledError,
        TransportError,
        UnauthorizedError,
        WrongEndpointError,
        classify,
    )
    from privateapi._partitions import Partition, partition_for_region
    from privateapi._signing import SigningDetails, SigV4Auth
    from privateapi._targets import (
        InvokeTarget,
        Style,
        StyleOption,
        alias_hostname,
        api_hostname,
        available_styles,
        parse_url,
        split_url,
    )
    from privateapi.policy import PolicySyntaxError

__version__: str

# name -> module that defines it
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(["CAUSES", "Cause", "cause", "iter_causes"], "privateapi._causes"),
    **dict.fromkeys(
        [
            "AccessDeniedError",
            "ApiGatewayError",
            "AuthorizerDenyError",
            "BackendError",
            "BackendRejectedError",
            "ClockSkewError",
            "CredentialsError",
            "EndpointPolicyDenyError",
            "ExpiredTokenError",
            "ExplicitDenyError",
            "ForbiddenError",
            "ImplicitDenyError",
            "IncompleteSignatureError",
            "InvalidInputError",
            "InvalidTokenError",
            "MissingAuthenticationTokenError",
            "NotApiGatewayError",
            "PayloadTooLargeError",
            "PrivateApiError",
            "QuotaExceededError",
            "RequestTooLargeError",
            "SignatureMismatchError",
            "ThrottledError",
            "TransportError",
            "UnauthorizedError",
            "WrongEndpointError",
            "classify",
        ],
        "privateapi._errors",
    ),
    **dict.fromkeys(["Partition", "partition_for_region"], "privateapi._partitions"),
    "PolicySyntaxError": "privateapi.policy",
    **dict.fromkeys(
        ["AsyncClient", "Client", "RetryEvent", "RetryPolicy", "raise_for_status"],
        "privateapi._client",
    ),
    **dict.fromkeys(
        ["Credentials", "CredentialSource", "redact", "remember_secret", "resolve_credentials"],
        "privateapi._credentials",
    ),
    **dict.fromkeys(["SigningDetails", "SigV4Auth"], "privateapi._signing"),
    **dict.fromkeys(
        [
            "InvokeTarget",
            "Style",
            "StyleOption",
            "alias_hostname",
            "api_hostname",
            "available_styles",
            "parse_url",
            "split_url",
        ],
        "privateapi._targets",
    ),
}

__all__ = [
    "CAUSES",
    "AccessDeniedError",
    "ApiGatewayError",
    "AsyncClient",
    "AuthorizerDenyError",
    "BackendError",
    "BackendRejectedError",
    "Cause",
    "Client",
    "ClockSkewError",
    "CredentialSource",
    "Credentials",
    "CredentialsError",
    "EndpointPolicyDenyError",
    "ExpiredTokenError",
    "ExplicitDenyError",
    "ForbiddenError",
    "ImplicitDenyError",
    "IncompleteSignatureError",
    "InvalidInputError",
    "InvalidTokenError",
    "InvokeTarget",
    "MissingAuthenticationTokenError",
    "NotApiGatewayError",
    "Partition",
    "PayloadTooLargeError",
    "PolicySyntaxError",
    "PrivateApiError",
    "QuotaExceededError",
    "RequestTooLargeError",
    "RetryEvent",
    "RetryPolicy",
    "SigV4Auth",
    "SignatureMismatchError",
    "SigningDetails",
    "Style",
    "StyleOption",
    "ThrottledError",
    "TransportError",
    "UnauthorizedError",
    "WrongEndpointError",
    "__version__",
    "alias_hostname",
    "api_hostname",
    "available_styles",
    "cause",
    "classify",
    "iter_causes",
    "parse_url",
    "partition_for_region",
    "raise_for_status",
    "redact",
    "remember_secret",
    "resolve_credentials",
    "split_url",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("privateapi")
        except PackageNotFoundError:  # pragma: no cover - a bare checkout
            return "0+unknown"
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'privateapi' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return __all__
