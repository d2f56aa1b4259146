"""The errors the operations raise: :class:`AdminError` and its kinds.

They belong to the :class:`~privateapi.PrivateApiError` tree: ``except PrivateApiError``
catches them, and each carries a cause code and a hint. Messages and hints never name a
command-line flag: ``fields`` names the arguments worth checking and ``next_step`` the
operation that fixes the problem, for a front end to render its own way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from privateapi._errors import PrivateApiError

if TYPE_CHECKING:
    from privateapi.admin._results import NextStep

__all__ = [
    "AdminError",
    "AliasNotResolvedError",
    "MissingPermissionError",
    "ResourceNotFoundError",
]


class AdminError(PrivateApiError):
    """A control-plane operation failed; the message says which and why.

    Attributes:
        operation: the AWS operation (``UpdateRestApi``), when one failed.
        code: AWS's error code (``BadRequestException``), when AWS answered.
        fields: the arguments worth checking (``("endpoint_url",)``), by parameter name.
        next_step: the operation that fixes it, when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        code: str | None = None,
        hint: str | None = None,
        cause_code: str | None = None,
        fields: tuple[str, ...] = (),
        next_step: NextStep | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.code = code
        self._hint = hint
        self.fields = fields
        self.next_step = next_step
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
            fields=("profile",),
        )
        self.permissions = permissions
        self.resource = resource


class ResourceNotFoundError(AdminError):
    """AWS does not know the API (or another resource) the call named."""

    cause_code = "aws.not-found"


class AliasNotResolvedError(AdminError):
    """The ``{api}-{vpce}`` alias did not resolve before the timeout."""

    def __init__(
        self,
        message: str,
        *,
        hostname: str,
        last_answer: str,
        next_step: NextStep | None = None,
    ) -> None:
        super().__init__(
            message,
            hint=(
                "Association reaches DNS after a few minutes. If it still does not resolve,"
                " check that the API's status lists the endpoint, then redeploy the stage."
            ),
            cause_code="dns.nxdomain",
            next_step=next_step,
        )
        self.hostname = hostname
        self.last_answer = last_answer
