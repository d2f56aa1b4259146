"""Every botocore session and client the fleet makes, and the dry-run plan.

This module is the fleet's only door to AWS. It is **to be replaced by**
``privateapi._aws`` (the one home for botocore sessions, clients and AWS error → cause)
when that module lands: :func:`make_client` and :func:`translate` are the two seams.

With ``dry_run=True`` nothing is created and nothing is sent, not even a read: each call
is recorded as an :class:`AwsCall` and answered with ``None`` so a command can print its
plan without credentials.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from privateapi._errors import InvalidInputError, PrivateApiError

__all__ = ["AwsCall", "AwsSession", "FleetAwsError", "make_client", "translate"]


class FleetAwsError(PrivateApiError):
    """An AWS call of the fleet failed: names the service, the operation and AWS's code."""

    def __init__(
        self,
        message: str,
        *,
        service: str,
        operation: str,
        code: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.service = service
        self.operation = operation
        self.code = code
        self._hint = hint

    @property
    def hint(self) -> str | None:
        """What to change, when known."""
        return self._hint


@dataclass(frozen=True)
class AwsCall:
    """One AWS call: the service, the operation and its parameters."""

    service: str
    operation: str
    params: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"service": self.service, "operation": self.operation, "params": dict(self.params)}

    def __str__(self) -> str:
        return f"{self.service} {self.operation} {json.dumps(dict(self.params), default=str)}"


def _check_endpoint_url(endpoint_url: str | None) -> None:
    if endpoint_url is None:
        return
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(endpoint_url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        ok = ok and (parts.port is None or parts.port > 0)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InvalidInputError(
            "endpoint_url", endpoint_url, "an http(s) URL, e.g. http://127.0.0.1:5000"
        )


def make_client(
    service: str,
    *,
    region: str | None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    session: Any = None,
) -> Any:
    """A botocore client (to be replaced by ``privateapi._aws``).

    ``endpoint_url=None`` leaves botocore's own ``AWS_ENDPOINT_URL[_SERVICE]`` handling in
    place; retries are botocore's standard mode.
    """
    import botocore.session
    from botocore.config import Config

    _check_endpoint_url(endpoint_url)
    made = session if session is not None else botocore.session.Session()
    if session is None and profile is not None:
        if profile not in made.available_profiles:
            raise InvalidInputError(
                "profile", profile, "a profile named in the AWS config or credentials file"
            )
        made.set_config_variable("profile", profile)
    region = region or made.get_config_variable("region")
    if not region:
        raise InvalidInputError("region", None, "an AWS region: pass --region or set AWS_REGION")
    try:
        return made.create_client(
            service,
            region_name=region,
            endpoint_url=endpoint_url,
            config=Config(
                retries={"mode": "standard"},
                user_agent_extra="privateapi-fleet",
                # A Lambda Invoke of the probe waits for the doctor; the others are quick.
                read_timeout=960 if service == "lambda" else 60,
                connect_timeout=10,
            ),
        )
    except ValueError as exc:  # botocore's "Invalid endpoint: ..."
        raise InvalidInputError(
            "endpoint_url", endpoint_url, "an http(s) URL, e.g. http://127.0.0.1:5000"
        ) from exc


def translate(exc: Exception, service: str, operation: str) -> FleetAwsError:
    """An AWS error as a :class:`FleetAwsError` (to be replaced by ``privateapi._aws``).

    Messages carry AWS's code and message only: never a request, a signature or a key.
    """
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or "")
        message = str(err.get("Message") or "").strip().splitlines()
        text = message[0][:300] if message else ""
        hint = None
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            hint = f"The caller needs {service}:{operation} (see docs/fleet.md, Permissions)."
        return FleetAwsError(
            f"{service} {operation} failed: {code}: {text}",
            service=service,
            operation=operation,
            code=code,
            hint=hint,
        )
    if isinstance(exc, NoCredentialsError):
        return FleetAwsError(
            f"{service} {operation}: no AWS credentials",
            service=service,
            operation=operation,
            hint="Configure credentials (AWS_PROFILE, --profile, SSO, a role).",
        )
    if isinstance(exc, EndpointConnectionError):
        return FleetAwsError(
            f"{service} {operation}: could not reach the endpoint: {exc}",
            service=service,
            operation=operation,
        )
    return FleetAwsError(
        f"{service} {operation} failed: {type(exc).__name__}: {exc}",
        service=service,
        operation=operation,
    )


@dataclass
class AwsSession:
    """Lazily made clients per service, the call log, and dry runs.

    Attributes:
        region, profile, endpoint_url: as for every privateapi command.
        dry_run: record the calls, make none (every call answers ``None``).
        session: an injected botocore session (tests).
        calls: every call made (or, in a dry run, that would be made), in order.
    """

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    dry_run: bool = False
    session: Any = None
    calls: list[AwsCall] = field(default_factory=list)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        _check_endpoint_url(self.endpoint_url)
        if self.region is not None:
            from privateapi._targets import validate_region

            self.region = validate_region(self.region)

    def client(self, service: str) -> Any:
        """The botocore client for ``service`` (made once)."""
        if service not in self._clients:
            self._clients[service] = make_client(
                service,
                region=self.region,
                profile=self.profile,
                endpoint_url=self.endpoint_url,
                session=self.session,
            )
        return self._clients[service]

    def call(self, service: str, operation: str, **params: Any) -> Any:
        """Make (or, in a dry run, record) one call; AWS errors become FleetAwsError."""
        self.calls.append(AwsCall(service, operation, params))
        if self.dry_run:
            return None
        from botocore.exceptions import BotoCoreError, ClientError
        from botocore.parsers import ResponseParserError

        client = self.client(service)
        method = "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
        try:
            answer = getattr(client, method)(**params)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, service, operation) from None
        except ResponseParserError:
            # Not an AWS answer (an HTML error page: a proxy, or a stand-in failing).
            raise FleetAwsError(
                f"{service} {operation}: the answer was not an AWS response",
                service=service,
                operation=operation,
            ) from None
        if isinstance(answer, dict):
            answer.pop("ResponseMetadata", None)
        return answer
