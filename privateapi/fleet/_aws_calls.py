"""The fleet's calls to AWS: a call log and dry runs over :mod:`privateapi._aws`.

Sessions, clients, time bounds, retries and AWS error → cause all come from
``privateapi._aws`` (the one AWS room, shared with admin and the doctor); this module only
keeps the fleet's call log, answers dry runs, and names the missing permission.

With ``dry_run=True`` nothing is created and nothing is sent, not even a read: each call
is recorded as an :class:`AwsCall` and answered with ``None`` so a command can print its
plan without credentials.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from privateapi._errors import PrivateApiError

__all__ = ["AwsCall", "AwsSession", "FleetAwsError"]


class FleetAwsError(PrivateApiError):
    """An AWS call of the fleet failed: names the service, the operation and AWS's code.

    ``cause_code`` is the project's cause (``aws.access-denied``, ``aws.unreachable``, ...).
    """

    def __init__(
        self,
        message: str,
        *,
        service: str,
        operation: str,
        code: str | None = None,
        hint: str | None = None,
        cause_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.service = service
        self.operation = operation
        self.code = code
        self._hint = hint
        if cause_code is not None:
            self.cause_code = cause_code  # type: ignore[misc]  # per-instance on purpose

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


#: Seconds a Lambda Invoke of the probe may take: the function's own limit (900 s) plus
#: start-up; every other call is quick.
_INVOKE_TIMEOUT = 960.0
#: Seconds for every other call, retries included.
_CALL_TIMEOUT = 60.0


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
    _rooms: dict[float, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        from privateapi._aws import validate_endpoint_url

        if self.endpoint_url is not None:
            validate_endpoint_url(self.endpoint_url)
        if self.region is not None:
            from privateapi._targets import validate_region

            self.region = validate_region(self.region)

    def _aws(self, service: str) -> Any:
        from privateapi._aws import Aws, botocore_session

        timeout = _INVOKE_TIMEOUT if service == "lambda" else _CALL_TIMEOUT
        if timeout not in self._rooms:
            if self.session is None:
                # one session for every client, so credentials are resolved once
                self.session = botocore_session(self.profile, check_profile=True)
            self._rooms[timeout] = Aws(
                region=self.region,
                endpoint_url=self.endpoint_url,
                timeout=timeout,
                user_agent="privateapi-fleet",
                session=self.session,
            )
        return self._rooms[timeout]

    def client(self, service: str) -> Any:
        """The botocore client for ``service`` (made once)."""
        return self._aws(service).client(service)

    def call(self, service: str, operation: str, **params: Any) -> Any:
        """Make (or, in a dry run, record) one call; AWS errors become FleetAwsError."""
        self.calls.append(AwsCall(service, operation, params))
        if self.dry_run:
            return None
        from privateapi._aws import AwsError

        try:
            return self._aws(service).call(service, operation, params)
        except AwsError as exc:
            hint = None
            if exc.cause_code == "aws.access-denied":
                hint = f"The caller needs {service}:{operation} (see the fleet docs, Permissions)."
            elif exc.cause_code == "creds.missing":
                hint = "Configure AWS credentials (a profile, SSO, a role)."
            raise FleetAwsError(
                str(exc),
                service=service,
                operation=operation,
                code=exc.code,
                hint=hint,
                cause_code=exc.cause_code,
            ) from None

    def pages(
        self, service: str, operation: str, params: Mapping[str, Any], *, param: str, next_key: str
    ) -> Iterator[dict[str, Any]]:
        """The pages of a token-paged listing (none in a dry run), each fetched by :meth:`call`.

        ``param`` is the request's paging parameter, ``next_key`` the answer's field for
        the next one (S3: ``ContinuationToken`` / ``NextContinuationToken``).
        """
        sent = dict(params)
        while True:
            page = self.call(service, operation, **sent)
            if page is None:  # dry run
                return
            yield page
            following = page.get(next_key)
            if not following:
                return
            sent = {**params, param: following}
