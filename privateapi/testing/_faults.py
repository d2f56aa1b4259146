"""Faults the local gateway can inject, per route or globally.

* ``latency``: wait before answering;
* ``reset``: a TCP RST, ``when="before"`` the body is read (right after the request head)
  or ``"after"`` the whole request was read, instead of an answer;
* ``status``: a 5xx (or any) error answer in API Gateway's shape;
* ``throttle``: 429 ``Too Many Requests`` (a burst: ``count`` requests);
* ``quota``: 429 ``Limit Exceeded``;
* ``blackhole``: the endpoint's address stops answering, like a security group DROP
  (``mode="stall"``: accepted, never answered; ``mode="drop"``: SYNs dropped), see
  :meth:`LocalGateway.blackhole`.

Example:
    >>> Fault.latency(0.2).kind
    'latency'
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass
from typing import Any

from privateapi.testing._errors import LabConfigError

__all__ = ["FAULT_KINDS", "Fault", "FaultHandle"]

FAULT_KINDS = ("latency", "reset", "status", "throttle", "quota", "blackhole")

_DEFAULT_MESSAGES = {
    500: "Internal server error",
    502: "Internal server error",
    503: "Service Unavailable",
    504: "Endpoint request timed out",
}


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault; build it with the class methods.

    ``count`` limits how many requests it hits (``None``: until removed).
    """

    kind: str
    seconds: float = 0.0
    status: int = 500
    message: str | None = None
    when: str = "before"
    count: int | None = None
    #: blackhole only: ``"stall"`` (accept, never answer) or ``"drop"`` (SYNs dropped)
    mode: str = "stall"

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise LabConfigError("fault.kind", self.kind, "one of " + ", ".join(FAULT_KINDS))
        if self.when not in ("before", "after"):
            raise LabConfigError("fault.when", self.when, "'before' or 'after'")
        if self.seconds < 0:
            raise LabConfigError("fault.seconds", self.seconds, "a duration >= 0")
        if not 100 <= self.status <= 599:
            raise LabConfigError("fault.status", self.status, "an HTTP status from 100 to 599")
        if self.mode not in ("stall", "drop"):
            raise LabConfigError("fault.mode", self.mode, "'stall' or 'drop'")
        if self.count is not None and self.count < 1:
            raise LabConfigError("fault.count", self.count, "a count >= 1 (or none: forever)")

    @classmethod
    def latency(cls, seconds: float, *, count: int | None = None) -> Fault:
        """Answer ``seconds`` later."""
        return cls("latency", seconds=seconds, count=count)

    @classmethod
    def reset(cls, when: str = "before", *, count: int | None = None) -> Fault:
        """Reset the TCP connection before the body is read or after the request was read."""
        return cls("reset", when=when, count=count)

    @classmethod
    def error(
        cls, status: int = 500, message: str | None = None, *, count: int | None = None
    ) -> Fault:
        """Answer ``status`` with API Gateway's error shape instead of calling the integration."""
        return cls("status", status=status, message=message, count=count)

    @classmethod
    def throttle(cls, count: int | None = None) -> Fault:
        """Answer 429 ``Too Many Requests`` to the next ``count`` requests (a burst)."""
        return cls("throttle", status=429, count=count)

    @classmethod
    def quota(cls, count: int | None = None) -> Fault:
        """Answer 429 ``Limit Exceeded`` (usage-plan quota)."""
        return cls("quota", status=429, count=count)

    @classmethod
    def blackhole(cls, mode: str = "stall") -> Fault:
        """Stop answering on the endpoint's address (use with ``vpce_id=`` or globally).

        ``"stall"``: TCP is accepted, then no byte comes back (TLS handshake timeout);
        ``"drop"``: SYNs are dropped (TCP connect timeout), as behind a security group.
        """
        return cls("blackhole", mode=mode)

    @property
    def error_message(self) -> str:
        """The message of a ``status`` fault."""
        return self.message or _DEFAULT_MESSAGES.get(self.status, "Internal server error")

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "fault") -> Fault:
        """Build from a config table (``kind`` plus the fields above)."""
        known = {"kind", "seconds", "status", "message", "when", "count", "mode"}
        for key, value in data.items():
            if key not in known:
                raise LabConfigError(f"{where}.{key}", value, "one of " + ", ".join(sorted(known)))
        if "kind" not in data:
            raise LabConfigError(f"{where}.kind", None, "one of " + ", ".join(FAULT_KINDS))
        try:
            return cls(**data)
        except TypeError as exc:
            raise LabConfigError(where, data, f"valid fault fields ({exc})") from None
        except LabConfigError as exc:
            # Name the table the value came from (faults[2].kind), not the dataclass.
            raise LabConfigError(
                f"{where}.{exc.field.split('.')[-1]}", exc.value, exc.expected
            ) from None


class FaultHandle:
    """A registered fault; :meth:`remove` (or leaving its ``with`` block) takes it away."""

    def __init__(
        self,
        fault: Fault,
        registry: list[FaultHandle],
        lock: threading.Lock,
        *,
        api_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        vpce_id: str | None = None,
        on_change: Any = None,
    ) -> None:
        self.fault = fault
        self.api_id = api_id
        self.method = method.upper() if method else None
        self.path = path
        self.vpce_id = vpce_id
        self.hits = 0
        self._registry = registry
        self._lock = lock
        self._on_change = on_change

    def matches(self, *, api_id: str | None, method: str, path: str | None, vpce_id: str) -> bool:
        """Whether a request (routed to ``api_id`` and resource ``path``) is in scope."""
        if self.vpce_id is not None and self.vpce_id != vpce_id:
            return False
        if self.api_id is not None and self.api_id != api_id:
            return False
        if self.method is not None and self.method not in (method, "ANY"):
            return False
        return self.path is None or (path is not None and fnmatch.fnmatchcase(path, self.path))

    def consume(self) -> bool:
        """Count one hit; False once ``count`` is used up (the fault then removes itself)."""
        with self._lock:
            if self.fault.count is not None and self.hits >= self.fault.count:
                return False
            self.hits += 1
            used_up = self.fault.count is not None and self.hits >= self.fault.count
            if used_up and self in self._registry:
                self._registry.remove(self)
            return True

    def remove(self) -> None:
        """Take the fault away (idempotent)."""
        with self._lock:
            if self in self._registry:
                self._registry.remove(self)
        if self._on_change is not None:
            self._on_change()

    def __enter__(self) -> FaultHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return (
            f"FaultHandle({self.fault!r}, api_id={self.api_id!r}, path={self.path!r},"
            f" vpce_id={self.vpce_id!r})"
        )
