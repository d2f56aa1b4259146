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

# Two lists on purpose, checked against each other by tests/test_exported_members.py (its
# failure prints the block to paste). Deriving _EXPORTS from this block at import time (ast
# or a regex over our own source) was tried: it adds ~3.5 ms to a ~17 ms import (import ast
# + parse) and breaks where no source ships (PyInstaller, pyc-only installs), for the gain
# of one line per export. A generated __init__.pyi would still be a second list.
if TYPE_CHECKING:
    # For type checkers only, which cannot follow __getattr__: the same names as _EXPORTS,
    # re-exported explicitly (``X as X``).
    from privateapi._auth import SigV4Auth as SigV4Auth
    from privateapi._causes import CAUSES as CAUSES
    from privateapi._causes import Cause as Cause
    from privateapi._causes import cause as cause
    from privateapi._causes import iter_causes as iter_causes
    from privateapi._client import AsyncClient as AsyncClient
    from privateapi._client import Client as Client
    from privateapi._client import RetryEvent as RetryEvent
    from privateapi._client import RetryPolicy as RetryPolicy
    from privateapi._client import raise_for_status as raise_for_status
    from privateapi._credentials import Credentials as Credentials
    from privateapi._credentials import CredentialSource as CredentialSource
    from privateapi._credentials import redact as redact
    from privateapi._credentials import redact_headers as redact_headers
    from privateapi._credentials import remember_secret as remember_secret
    from privateapi._credentials import resolve_credentials as resolve_credentials
    from privateapi._errors import AccessDeniedError as AccessDeniedError
    from privateapi._errors import ApiGatewayError as ApiGatewayError
    from privateapi._errors import AuthorizerDenyError as AuthorizerDenyError
    from privateapi._errors import BackendError as BackendError
    from privateapi._errors import BackendRejectedError as BackendRejectedError
    from privateapi._errors import ClockSkewError as ClockSkewError
    from privateapi._errors import CredentialsError as CredentialsError
    from privateapi._errors import EndpointPolicyDenyError as EndpointPolicyDenyError
    from privateapi._errors import ExpiredTokenError as ExpiredTokenError
    from privateapi._errors import ExplicitDenyError as ExplicitDenyError
    from privateapi._errors import ForbiddenError as ForbiddenError
    from privateapi._errors import ImplicitDenyError as ImplicitDenyError
    from privateapi._errors import IncompleteSignatureError as IncompleteSignatureError
    from privateapi._errors import InvalidInputError as InvalidInputError
    from privateapi._errors import InvalidTokenError as InvalidTokenError
    from privateapi._errors import (
        MissingAuthenticationTokenError as MissingAuthenticationTokenError,
    )
    from privateapi._errors import NotApiGatewayError as NotApiGatewayError
    from privateapi._errors import PayloadTooLargeError as PayloadTooLargeError
    from privateapi._errors import PrivateApiError as PrivateApiError
    from privateapi._errors import QuotaExceededError as QuotaExceededError
    from privateapi._errors import RedirectRefusedError as RedirectRefusedError
    from privateapi._errors import RequestTooLargeError as RequestTooLargeError
    from privateapi._errors import ResponseTooLargeError as ResponseTooLargeError
    from privateapi._errors import SignatureMismatchError as SignatureMismatchError
    from privateapi._errors import ThrottledError as ThrottledError
    from privateapi._errors import TransportError as TransportError
    from privateapi._errors import UnauthorizedError as UnauthorizedError
    from privateapi._errors import WrongEndpointError as WrongEndpointError
    from privateapi._errors import classify as classify
    from privateapi._names import format_host_port as format_host_port
    from privateapi._names import parse_host_port as parse_host_port
    from privateapi._names import validate_account_id as validate_account_id
    from privateapi._names import validate_api_id as validate_api_id
    from privateapi._names import validate_region as validate_region
    from privateapi._partitions import Partition as Partition
    from privateapi._partitions import partition_for_region as partition_for_region
    from privateapi._signing import SigningDetails as SigningDetails
    from privateapi._styles import Style as Style
    from privateapi._styles import infer_style as infer_style
    from privateapi._targets import InvokeTarget as InvokeTarget
    from privateapi._targets import StyleOption as StyleOption
    from privateapi._targets import alias_hostname as alias_hostname
    from privateapi._targets import api_hostname as api_hostname
    from privateapi._targets import available_styles as available_styles
    from privateapi._targets import parse_url as parse_url
    from privateapi._targets import split_url as split_url
    from privateapi._timings import Timings as Timings
    from privateapi._wire import MAX_BODY_BYTES as MAX_BODY_BYTES
    from privateapi.policy import PolicySyntaxError as PolicySyntaxError

__version__: str

# The public API, each name once: name -> the module that defines it, loaded on first use.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "privateapi._causes": ("CAUSES", "Cause", "cause", "iter_causes"),
    "privateapi._client": (
        "AsyncClient",
        "Client",
        "RetryEvent",
        "RetryPolicy",
        "raise_for_status",
    ),
    "privateapi._credentials": (
        "CredentialSource",
        "Credentials",
        "redact",
        "redact_headers",
        "remember_secret",
        "resolve_credentials",
    ),
    "privateapi._errors": (
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
        "RedirectRefusedError",
        "RequestTooLargeError",
        "ResponseTooLargeError",
        "SignatureMismatchError",
        "ThrottledError",
        "TransportError",
        "UnauthorizedError",
        "WrongEndpointError",
        "classify",
    ),
    "privateapi._names": (
        "format_host_port",
        "parse_host_port",
        "validate_account_id",
        "validate_api_id",
        "validate_region",
    ),
    "privateapi._partitions": ("Partition", "partition_for_region"),
    "privateapi._auth": ("SigV4Auth",),
    "privateapi._signing": ("SigningDetails",),
    "privateapi._styles": ("Style", "infer_style"),
    "privateapi._targets": (
        "InvokeTarget",
        "StyleOption",
        "alias_hostname",
        "api_hostname",
        "available_styles",
        "parse_url",
        "split_url",
    ),
    "privateapi._timings": ("Timings",),
    "privateapi._wire": ("MAX_BODY_BYTES",),
    "privateapi.policy": ("PolicySyntaxError",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = [*_MODULE_OF, "__version__"]  # noqa: PLE0604 - derived from _EXPORTS, the one list


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("privateapi")
        except PackageNotFoundError:  # pragma: no cover - a bare checkout
            return "0+unknown"
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'privateapi' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return __all__
