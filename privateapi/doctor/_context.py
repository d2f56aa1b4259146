"""What a check sees: the target, the options, earlier results, shared lazy state."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from privateapi._causes import cause as _cause
from privateapi._names import parse_host_port
from privateapi.doctor._facts import Fact
from privateapi.doctor._model import Result, Status
from privateapi.doctor._options import DoctorOptions
from privateapi.doctor._request import CallerRequest

if TYPE_CHECKING:
    from privateapi._targets import InvokeTarget

__all__ = ["Context", "fail", "info", "passed", "skip", "warn"]

T = TypeVar("T")


class Context:
    """Shared state for one doctor run. Thread-safe: checks run concurrently."""

    def __init__(
        self,
        request: CallerRequest,
        options: DoctorOptions,
        recognised: InvokeTarget | None = None,
        unrecognised_because: str | None = None,
    ) -> None:
        #: The caller's request: what is probed, exactly.
        self.request = request
        #: The access style the URL names, when one does (control plane, policy, fixes).
        self.recognised = recognised
        #: Why no style claims the URL (``None`` when one does).
        self.unrecognised_because = unrecognised_because
        self.options = options
        self._results: dict[str, Result] = {}
        self._lock = threading.Lock()
        self._memo: dict[str, Any] = {}
        self._memo_locks: dict[str, threading.Lock] = {}
        #: check id -> "finished" event, for checks selected in this run (the runner fills it).
        self.finished: dict[str, threading.Event] = {}
        #: monotonic time by which the run must end (the runner sets it).
        self.deadline: float | None = None

    # --- results -----------------------------------------------------------------------
    def record(self, result: Result) -> None:
        """Store a finished result (the runner calls this)."""
        with self._lock:
            self._results[result.check_id] = result

    def result(self, check_id: str) -> Result | None:
        """The result of an earlier check, if it ran."""
        with self._lock:
            return self._results.get(check_id)

    def wait_for(self, check_id: str) -> Result | None:
        """Wait (within the run's deadline) for a check that is part of this run.

        For a check that only needs another's facts late (``dns.lookup`` reads the VPC
        CIDRs from ``env.platform`` after resolving), this keeps the slow part concurrent
        instead of ordering the whole check after it.
        """
        import time

        event = self.finished.get(check_id)
        if event is not None:
            remaining = (
                None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
            )
            event.wait(remaining)
        return self.result(check_id)

    def fact(self, fact: Fact[T]) -> T | None:
        """A fact an earlier check handed on (``Result.data``), or ``None``."""
        r = self.result(fact.check_id)
        if r is None:
            return None
        value: T | None = r.data.get(fact.key)
        return value

    def fact_or(self, fact: Fact[T], default: T) -> T:
        """A fact an earlier check handed on, or ``default`` when absent or empty."""
        value = self.fact(fact)
        return default if value is None else value

    def memo(self, key: str, factory: Callable[[], T]) -> T:
        """Compute a shared value once per run (credentials, AWS clients, ...)."""
        with self._lock:
            lock = self._memo_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                self._memo[key] = factory()
            value: T = self._memo[key]
            return value

    # --- where the data path goes -------------------------------------------------------
    @property
    def target(self) -> InvokeTarget:
        """The recognised target (only checks marked ``needs_target`` ask; the runner
        skips them when the URL names no style)."""
        if self.recognised is None:
            raise LookupError(f"no access style recognised: {self.unrecognised_because}")
        return self.recognised

    @property
    def server_name(self) -> str:
        """The TLS server name: the URL's host, as every HTTP client sends it."""
        return self.request.server_name

    @property
    def connect_host(self) -> str:
        """The host the client connects to (the request's connect-to host, else the URL host)."""
        return self.request.connect_host

    @property
    def connect_port(self) -> int:
        """The port the client connects to."""
        if self.request.connect_to:
            port = parse_host_port(self.request.connect_to)[1]
            if port is not None:
                return port
        return self.request.port

    @property
    def env(self) -> Mapping[str, str]:
        """The environment the checks read."""
        return self.options.env()


def _mk(
    status: Status,
    summary: str,
    *,
    cause: str | None,
    evidence: Mapping[str, Any] | None,
    hint: str | None,
    data: Mapping[str, Any] | None,
) -> Result:
    if hint is None and cause is not None:
        hint = _cause(cause).hint
    return Result(
        check_id="",
        status=status,
        summary=summary,
        cause=cause,
        evidence=dict(evidence or {}),
        hint=hint,
        data=dict(data or {}),
    )


def passed(
    summary: str,
    evidence: Mapping[str, Any] | None = None,
    *,
    data: Mapping[str, Any] | None = None,
) -> Result:
    """A passing result."""
    return _mk(Status.PASS, summary, cause=None, evidence=evidence, hint=None, data=data)


def info(
    summary: str,
    evidence: Mapping[str, Any] | None = None,
    *,
    data: Mapping[str, Any] | None = None,
) -> Result:
    """An informational result (neither good nor bad)."""
    return _mk(Status.INFO, summary, cause=None, evidence=evidence, hint=None, data=data)


def warn(
    cause: str,
    summary: str,
    evidence: Mapping[str, Any] | None = None,
    *,
    hint: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> Result:
    """A warning: the step works or could not be judged, with a caveat."""
    return _mk(Status.WARN, summary, cause=cause, evidence=evidence, hint=hint, data=data)


def fail(
    cause: str,
    summary: str,
    evidence: Mapping[str, Any] | None = None,
    *,
    hint: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> Result:
    """A failure: evidence that the call itself will not work."""
    return _mk(Status.FAIL, summary, cause=cause, evidence=evidence, hint=hint, data=data)


def skip(
    summary: str,
    evidence: Mapping[str, Any] | None = None,
    *,
    cause: str | None = None,
    hint: str | None = None,
) -> Result:
    """A skipped check: it could not run (never counted as passed)."""
    return _mk(Status.SKIP, summary, cause=cause, evidence=evidence, hint=hint, data=None)
