"""Shared helpers for the policy evaluator's tests (a plain module, not a conftest, so its
name cannot clash with the other test folders' conftest modules)."""

from __future__ import annotations

from typing import Any

from privateapi.policy import ApiContext

ACCOUNT = "123456789012"
OTHER = "210987654321"
API = ApiContext("us-east-1", ACCOUNT, "a1b2c3d4e5")
VPCE = "vpce-0a1b2c3d4e5f60718"
VPCE2 = "vpce-1a2b3c4d"


def arn(path: str = "prod/GET/pets") -> str:
    """The execute-api ARN of a path in the test API."""
    return API.arn(path)


def stmt(
    effect: str = "Allow",
    *,
    sid: str | None = None,
    principal: Any = "*",
    action: Any = "execute-api:Invoke",
    resource: Any = "execute-api:/*",
    condition: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """One statement; pass ``principal=None`` to leave the element out."""
    out: dict[str, Any] = {"Effect": effect}
    if sid is not None:
        out["Sid"] = sid
    if principal is not None:
        out["Principal"] = principal
    if action is not None:
        out["Action"] = action
    if resource is not None:
        out["Resource"] = resource
    if condition is not None:
        out["Condition"] = condition
    out.update(extra)
    return out


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    """A policy document."""
    out: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        out["Version"] = version
    return out
