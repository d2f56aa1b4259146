"""Every fault the local gateway can inject, in one place, as typed kinds.

Request faults (scoped by API, method, resource-path glob and endpoint):

* ``latency``: wait ``seconds`` before answering;
* ``reset``: a TCP RST, ``when="before"`` the body is read (right after the request head)
  or ``"after"`` the whole request was read, instead of an answer;
* ``status``: a 5xx (or any) error answer in API Gateway's shape;
* ``throttle``: 429 ``Too Many Requests`` (a burst: ``count`` requests);
* ``quota``: 429 ``Limit Exceeded``.

Endpoint faults (scoped by endpoint, or every endpoint):

* ``blackhole``: the endpoint's address stops answering, like a security group DROP
  (``mode="stall"``: accepted, never answered; ``mode="drop"``: SYNs dropped);
* ``tls``: the endpoint presents a ``wrong-name``, ``expired`` or ``untrusted`` certificate
  (``normal`` undoes a wider one for one endpoint).

Resolver faults (the lab's DNS server):

* ``dns``: ``mode="timeout"`` (queries dropped) or ``"servfail"``.

:class:`Fault` and :class:`FaultScope` are what the lab's TOML ``[[faults]]`` tables
are read into, field by field; :class:`FaultBook` holds the active ones and answers
"which fault applies now" for the request pipeline, the TLS layer and the DNS server.

Example:
    >>> Fault.latency(0.2).kind
    'latency'
"""

from __future__ import annotations

import fnmatch
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal, cast, get_args

from privateapi.testing._errors import LabConfigError

__all__ = [
    "BLACKHOLE_MODES",
    "DNS_MODES",
    "FAULT_KINDS",
    "TLS_MODES",
    "BlackholeMode",
    "DnsMode",
    "Fault",
    "FaultBook",
    "FaultHandle",
    "FaultKind",
    "FaultScope",
    "ResetWhen",
    "TlsMode",
]

#: The kind of a :class:`Fault` (one constructor each, ``Fault.latency(...)``, ...).
FaultKind = Literal["latency", "reset", "status", "throttle", "quota", "blackhole", "tls", "dns"]
#: The certificates an endpoint presents: its real ones, or a wrong-name, expired or
#: untrusted one (``LocalGateway.set_tls_mode``).
TlsMode = Literal["normal", "wrong-name", "expired", "untrusted"]
BlackholeMode = Literal["stall", "drop"]
DnsMode = Literal["timeout", "servfail"]
ResetWhen = Literal["before", "after"]

FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
TLS_MODES: tuple[str, ...] = get_args(TlsMode)
BLACKHOLE_MODES: tuple[str, ...] = get_args(BlackholeMode)
DNS_MODES: tuple[str, ...] = get_args(DnsMode)
_WHEN: tuple[str, ...] = get_args(ResetWhen)

#: Which kinds are scoped how: request faults by API/method/path/endpoint, endpoint faults
#: by endpoint only, the resolver fault not at all.
_REQUEST_KINDS = frozenset({"latency", "reset", "status", "throttle", "quota"})
_ENDPOINT_KINDS = frozenset({"blackhole", "tls"})
#: The fields each kind reads; any other field set to a non-default value is a mistake.
_FIELDS_OF: Mapping[str, frozenset[str]] = {
    "latency": frozenset({"seconds", "count"}),
    "reset": frozenset({"when", "count"}),
    "status": frozenset({"status", "message", "count"}),
    "throttle": frozenset({"count"}),
    "quota": frozenset({"count"}),
    "blackhole": frozenset({"mode"}),
    "tls": frozenset({"mode"}),
    "dns": frozenset({"mode"}),
}
_MODES: Mapping[str, tuple[str, ...]] = {
    "blackhole": BLACKHOLE_MODES,
    "tls": TLS_MODES,
    "dns": DNS_MODES,
}
#: A latency fault longer than this is a typo (API Gateway gives up on integrations at 29 s).
MAX_FAULT_SECONDS = 3600.0

_DEFAULT_MESSAGES = {
    500: "Internal server error",
    502: "Internal server error",
    503: "Service Unavailable",
    504: "Endpoint request timed out",
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _one_of(value: object, choices: tuple[str, ...]) -> bool:
    return isinstance(value, str) and value in choices


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault; build it with the class methods.

    ``count`` limits how many requests a request fault hits (``None``: until removed).
    ``mode`` is the blackhole's (``stall``/``drop``), the certificate's (``tls``) or the
    resolver's (``dns``) behaviour.
    """

    kind: FaultKind
    seconds: float = 0.0
    status: int = 500
    message: str | None = None
    when: ResetWhen = "before"
    count: int | None = None
    mode: str | None = None

    def __post_init__(self) -> None:
        if not _one_of(self.kind, FAULT_KINDS):
            raise LabConfigError("fault.kind", self.kind, "one of " + ", ".join(FAULT_KINDS))
        self._check_values()
        if self.kind in _MODES:
            modes = _MODES[self.kind]
            mode = "stall" if self.kind == "blackhole" and self.mode is None else self.mode
            if not _one_of(mode, modes):
                raise LabConfigError(
                    "fault.mode", self.mode, f"for a {self.kind} fault: one of " + ", ".join(modes)
                )
            object.__setattr__(self, "mode", mode)
        uses = _FIELDS_OF[self.kind]
        for f in fields(self):
            if f.name not in ("kind", *uses) and getattr(self, f.name) != f.default:
                raise LabConfigError(
                    f"fault.{f.name}",
                    getattr(self, f.name),
                    f"nothing: a {self.kind} fault reads only "
                    + (", ".join(sorted(uses)) or "its kind"),
                )

    def _check_values(self) -> None:
        s = self.seconds
        if not isinstance(s, int | float) or isinstance(s, bool) or not math.isfinite(s):
            raise LabConfigError("fault.seconds", s, "a finite number of seconds")
        if not 0 <= s <= MAX_FAULT_SECONDS:
            raise LabConfigError("fault.seconds", s, f"a duration from 0 to {MAX_FAULT_SECONDS:g}")
        if not _is_int(self.status) or not 100 <= self.status <= 599:
            raise LabConfigError("fault.status", self.status, "an HTTP status from 100 to 599")
        if self.message is not None and not isinstance(self.message, str):
            raise LabConfigError("fault.message", self.message, "a string")
        if not _one_of(self.when, _WHEN):
            raise LabConfigError("fault.when", self.when, "'before' or 'after'")
        if self.count is not None and (not _is_int(self.count) or self.count < 1):
            raise LabConfigError("fault.count", self.count, "an integer >= 1 (or none: forever)")
        if self.mode is not None and not isinstance(self.mode, str):
            raise LabConfigError("fault.mode", self.mode, "a string")

    @classmethod
    def latency(cls, seconds: float, *, count: int | None = None) -> Fault:
        """Answer ``seconds`` later."""
        return cls("latency", seconds=seconds, count=count)

    @classmethod
    def reset(cls, when: ResetWhen = "before", *, count: int | None = None) -> Fault:
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
        return cls("throttle", count=count)

    @classmethod
    def quota(cls, count: int | None = None) -> Fault:
        """Answer 429 ``Limit Exceeded`` (usage-plan quota)."""
        return cls("quota", count=count)

    @classmethod
    def blackhole(cls, mode: BlackholeMode = "stall") -> Fault:
        """Stop answering on the endpoint's address (use with ``vpce_id=`` or globally).

        ``"stall"``: TCP is accepted, then no byte comes back (TLS handshake timeout);
        ``"drop"``: SYNs are dropped (TCP connect timeout), as behind a security group.
        """
        return cls("blackhole", mode=mode)

    @classmethod
    def tls(cls, mode: TlsMode) -> Fault:
        """Present a ``wrong-name``, ``expired`` or ``untrusted`` certificate (or ``normal``)."""
        return cls("tls", mode=mode)

    @classmethod
    def dns(cls, mode: DnsMode) -> Fault:
        """Make the lab's DNS server drop queries (``timeout``) or answer ``servfail``."""
        return cls("dns", mode=mode)

    @property
    def error_message(self) -> str:
        """The message of a ``status`` fault."""
        return self.message or _DEFAULT_MESSAGES.get(self.status, "Internal server error")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "fault") -> Fault:
        """Build from a config table: ``kind`` plus the dataclass's own fields."""
        known = [f.name for f in fields(cls)]
        for key, value in data.items():
            if key not in known:
                raise LabConfigError(f"{where}.{key}", value, "one of " + ", ".join(known))
        if "kind" not in data:
            raise LabConfigError(f"{where}.kind", None, "one of " + ", ".join(FAULT_KINDS))
        try:
            return cls(**data)
        except LabConfigError as exc:
            # Name the table the value came from (faults[2].kind), not the dataclass.
            raise LabConfigError(
                f"{where}.{exc.field.split('.')[-1]}", exc.value, exc.expected
            ) from None


@dataclass(frozen=True, slots=True)
class FaultScope:
    """Which requests (or endpoints) a fault applies to; ``None`` matches everything.

    The ``toml`` metadata is the key of the lab config's ``[[faults]]`` table.
    """

    api_id: str | None = field(default=None, metadata={"toml": "api"})
    method: str | None = field(default=None, metadata={"toml": "method"})
    #: a glob on the resource path (``/pets/*``)
    path: str | None = field(default=None, metadata={"toml": "path"})
    vpce_id: str | None = field(default=None, metadata={"toml": "vpce"})

    def __post_init__(self) -> None:
        from privateapi.testing._routes import METHODS

        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and not isinstance(value, str):
                raise LabConfigError(f.name, value, "a string")
        if self.method is not None:
            method = self.method.upper()
            if method not in METHODS:
                raise LabConfigError("method", self.method, "one of " + ", ".join(sorted(METHODS)))
            object.__setattr__(self, "method", method)
        if self.path is not None and not self.path.startswith(("/", "*")):
            raise LabConfigError("path", self.path, "a resource-path glob such as '/pets/*'")

    @classmethod
    def toml_keys(cls) -> dict[str, str]:
        """TOML key → field name."""
        return {f.metadata["toml"]: f.name for f in fields(cls)}

    @property
    def is_request_scope(self) -> bool:
        """Whether it names more than an endpoint (API, method or path)."""
        return (self.api_id, self.method, self.path) != (None, None, None)

    def matches(self, *, api_id: str | None, method: str, path: str | None, vpce_id: str) -> bool:
        """Whether a request (routed to ``api_id`` and resource ``path``) is in scope."""
        if self.vpce_id is not None and self.vpce_id != vpce_id:
            return False
        if self.api_id is not None and self.api_id != api_id:
            return False
        if self.method is not None and self.method not in (method, "ANY"):
            return False
        return self.path is None or (path is not None and fnmatch.fnmatchcase(path, self.path))


class FaultHandle:
    """A registered fault; :meth:`remove` (or leaving its ``with`` block) takes it away."""

    def __init__(self, fault: Fault, scope: FaultScope, book: FaultBook) -> None:
        self.fault = fault
        self.scope = scope
        #: requests this fault was applied to
        self.hits = 0
        self._book = book

    @property
    def api_id(self) -> str | None:
        """The API it is scoped to (``None``: every API)."""
        return self.scope.api_id

    @property
    def method(self) -> str | None:
        """The method it is scoped to (``None``: every method)."""
        return self.scope.method

    @property
    def path(self) -> str | None:
        """The resource-path glob it is scoped to (``None``: every path)."""
        return self.scope.path

    @property
    def vpce_id(self) -> str | None:
        """The endpoint it is scoped to (``None``: every endpoint)."""
        return self.scope.vpce_id

    def remove(self) -> None:
        """Take the fault away (idempotent)."""
        self._book.remove(self)

    def __enter__(self) -> FaultHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return (
            f"FaultHandle({self.fault!r}, api_id={self.api_id!r}, path={self.path!r},"
            f" vpce_id={self.vpce_id!r})"
        )


class FaultBook:
    """The active faults, newest last; every question about faults is answered here.

    ``on_change`` is called (outside the lock) whenever endpoint faults change, so the
    gateway can pause or resume listeners for ``blackhole`` ``drop``.
    """

    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._handles: list[FaultHandle] = []
        self._on_change = on_change

    def add(self, fault: Fault, scope: FaultScope | None = None) -> FaultHandle:
        """Register ``fault`` for ``scope`` (everything when ``None``)."""
        scope = scope or FaultScope()
        if fault.kind in _ENDPOINT_KINDS and scope.is_request_scope:
            raise LabConfigError(
                "fault.scope",
                scope,
                f"only vpce_id for a {fault.kind} fault (it applies to endpoints)",
            )
        if fault.kind == "dns" and scope != FaultScope():
            raise LabConfigError("fault.scope", scope, "none for a dns fault (one resolver)")
        handle = FaultHandle(fault, scope, self)
        with self._lock:
            self._handles.append(handle)
        self._changed(fault)
        return handle

    def remove(self, handle: FaultHandle) -> None:
        """Take one fault away (idempotent)."""
        with self._lock:
            if handle not in self._handles:
                return
            self._handles.remove(handle)
        self._changed(handle.fault)

    def remove_where(self, kind: FaultKind, vpce_id: str | None = None) -> None:
        """Remove the ``kind`` faults scoped to ``vpce_id`` (all of them when ``None``)."""
        with self._lock:
            gone = [
                h
                for h in self._handles
                if h.fault.kind == kind and (vpce_id is None or h.scope.vpce_id == vpce_id)
            ]
            for h in gone:
                self._handles.remove(h)
        if gone:
            self._changed(gone[0].fault)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._handles.clear()
        if self._on_change is not None:
            self._on_change()

    def has(self, kind: FaultKind) -> bool:
        """Whether any fault of ``kind`` is active (a cheap question, asked per request)."""
        return any(h.fault.kind == kind for h in self._handles)

    @property
    def active(self) -> tuple[FaultHandle, ...]:
        """Every active fault, oldest first."""
        with self._lock:
            return tuple(self._handles)

    def _changed(self, fault: Fault) -> None:
        if fault.kind in _ENDPOINT_KINDS and self._on_change is not None:
            self._on_change()

    def take(
        self,
        kinds: frozenset[str],
        *,
        api_id: str | None,
        method: str,
        path: str | None,
        vpce_id: str,
        when: ResetWhen | None = None,
    ) -> Fault | None:
        """The first matching request fault of ``kinds``, counting one hit on it.

        A fault whose ``count`` is used up removes itself.
        """
        with self._lock:
            for handle in self._handles:
                f = handle.fault
                if f.kind not in kinds or (when is not None and f.when != when):
                    continue
                if not handle.scope.matches(
                    api_id=api_id, method=method, path=path, vpce_id=vpce_id
                ):
                    continue
                handle.hits += 1
                if f.count is not None and handle.hits >= f.count:
                    self._handles.remove(handle)
                return f
        return None

    def _newest(self, kind: str, vpce_id: str | None) -> Fault | None:
        with self._lock:
            for handle in reversed(self._handles):
                if handle.fault.kind != kind:
                    continue
                if handle.scope.vpce_id is None or handle.scope.vpce_id == vpce_id:
                    return handle.fault
        return None

    def tls_mode(self, vpce_id: str) -> TlsMode:
        """The certificate mode of an endpoint now (the newest matching ``tls`` fault)."""
        fault = self._newest("tls", vpce_id)
        return cast("TlsMode", fault.mode if fault is not None else "normal")

    def blackhole(self, vpce_id: str) -> BlackholeMode | None:
        """How an endpoint is blackholed now, or ``None``."""
        fault = self._newest("blackhole", vpce_id)
        return None if fault is None else cast("BlackholeMode", fault.mode)

    def dns(self) -> DnsMode | None:
        """The resolver's fault now, or ``None``."""
        fault = self._newest("dns", None)
        return None if fault is None else cast("DnsMode", fault.mode)


def scope_from_table(table: Mapping[str, Any], where: str) -> tuple[dict[str, Any], FaultScope]:
    """Split a ``[[faults]]`` table into the fault's fields and its scope (by TOML key).

    The endpoint reference (``vpce``) is returned as written; the caller resolves names.
    """
    keys = FaultScope.toml_keys()
    spec = {k: v for k, v in table.items() if k not in keys}
    raw = {keys[k]: v for k, v in table.items() if k in keys}
    try:
        scope = FaultScope(**raw)
    except LabConfigError as exc:
        toml = {v: k for k, v in keys.items()}.get(exc.field, exc.field)
        raise LabConfigError(f"{where}.{toml}", exc.value, exc.expected) from None
    return spec, scope
