"""Routes and their integrations: static responses, Python callables, ASGI apps."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from privateapi._errors import REDACTED, scrub
from privateapi._wire import TOKEN, first_header
from privateapi.testing._errors import LabConfigError

__all__ = ["METHODS", "Handler", "LabRequest", "LabResponse", "Route", "check_header", "echo"]

#: The methods a route (or a fault scope) can name; ``ANY`` matches every method.
METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY"})
_METHODS = METHODS
# visible latin-1 (and inner spaces/tabs): what HTTP/1.1 can carry in a field value
_FIELD_VALUE = re.compile(r"(?:[\x21-\x7e\xa0-\xff](?:[ \t]*[\x21-\x7e\xa0-\xff])*)?")


def check_header(name: object, value: object, where: str = "header") -> tuple[str, str]:
    """``(name, value)`` if HTTP/1.1 can send it as is, else a :class:`LabConfigError`.

    A header with CR or LF would split the answer, a non-latin-1 one cannot be sent at
    all: both are refused here, when the route is made, never per request.
    """
    if not isinstance(name, str) or not TOKEN.fullmatch(name):
        raise LabConfigError(where, name, "a header name (letters, digits, '-'; no spaces)")
    if not isinstance(value, str) or not _FIELD_VALUE.fullmatch(value):
        raise LabConfigError(
            where,
            value,
            "a header value of visible latin-1 characters (no CR, LF, NUL or control"
            " characters, no leading or trailing spaces)",
        )
    return name, value


@dataclass(frozen=True, slots=True)
class LabRequest:
    """What a route's handler sees: the request after routing and authorization.

    ``path`` is the resource path (after the stage, or after a custom domain's base path),
    ``principal`` the caller (``"anonymous"`` or an IAM ARN) and ``authorizer`` the
    Lambda authorizer's ``context`` (empty without one).
    """

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    api_id: str
    stage: str
    path_parameters: Mapping[str, str]
    principal: str
    source_vpce: str
    source_vpc: str
    source_ip: str
    request_id: str
    authorizer: Mapping[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """The first value of a request header, case-insensitively."""
        return first_header(self.headers, name)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body or b"null")


@dataclass(frozen=True, slots=True)
class LabResponse:
    """An integration's answer.

    Example:
        >>> LabResponse(201, json={"id": 1}).status
        201
    """

    status: int = 200
    body: bytes | str = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    _wire: tuple[bytes, tuple[tuple[str, str], ...]] = field(
        init=False, repr=False, compare=False, default=(b"", ())
    )

    def __post_init__(self) -> None:
        if (
            not isinstance(self.status, int)
            or isinstance(self.status, bool)
            or not 200 <= self.status <= 599
        ):
            raise LabConfigError("status", self.status, "an HTTP status from 200 to 599")
        if not isinstance(self.body, bytes | str):
            raise LabConfigError("body", self.body, "bytes or a string")
        if not isinstance(self.headers, Mapping):
            raise LabConfigError("headers", self.headers, "a mapping of header names to values")
        for k, v in self.headers.items():
            check_header(k, v, f"headers.{k}" if isinstance(k, str) else "headers")
        object.__setattr__(self, "_wire", self._encode())

    def encoded(self) -> tuple[bytes, list[tuple[str, str]]]:
        """The body bytes and headers to send (JSON bodies get ``application/json``)."""
        body, headers = self._wire
        return body, list(headers)

    def _encode(self) -> tuple[bytes, tuple[tuple[str, str], ...]]:
        headers = list(self.headers.items())
        names = {k.lower() for k, _ in headers}
        if self.json is not None:
            try:
                body = json.dumps(self.json).encode()
            except (TypeError, ValueError) as exc:
                raise LabConfigError("json", self.json, f"JSON-serialisable data ({exc})") from None
            if "content-type" not in names:
                headers.append(("Content-Type", "application/json"))
        else:
            body = self.body.encode() if isinstance(self.body, str) else self.body
            if "content-type" not in names:
                headers.append(("Content-Type", "application/json"))
        return body, tuple(headers)


#: A route handler: called with the request, returns a response, a JSON-able value, str or bytes.
Handler: TypeAlias = Callable[[LabRequest], Any]
#: An ASGI application (scope, receive, send).
AsgiApp: TypeAlias = Callable[
    [
        dict[str, Any],
        Callable[[], Awaitable[dict[str, Any]]],
        Callable[[dict[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]


def echo(request: LabRequest) -> LabResponse:
    """The default integration: answers 200 with what the gateway saw, as JSON."""
    return LabResponse(
        200,
        json={
            "method": request.method,
            "path": request.path,
            "query": request.query,
            "api_id": request.api_id,
            "stage": request.stage,
            "path_parameters": dict(request.path_parameters),
            "principal": request.principal,
            "source_vpce": request.source_vpce,
            "source_vpc": request.source_vpc,
            "source_ip": request.source_ip,
            # Echoed for tests to see what arrived, but never a credential: the token
            # and the signature are redacted like everywhere else.
            "headers": {k.lower(): _redacted_header(k, v) for k, v in request.headers},
            "body": request.body.decode("utf-8", "replace"),
            "authorizer": dict(request.authorizer),
        },
    )


def _redacted_header(name: str, value: str) -> str:
    if name.lower() == "x-amz-security-token":
        return REDACTED
    return scrub(value) if name.lower() == "authorization" else value


@functools.lru_cache(maxsize=1024)
def _compile(path: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    # API Gateway resource paths: literal segments, {name} (one segment), {name+} (greedy, last).
    if not path.startswith("/"):
        raise LabConfigError("route.path", path, "a path starting with '/', e.g. '/pets/{id}'")
    parts = [p for p in path.split("/") if p]
    names: list[str] = []
    regex = ""
    for i, part in enumerate(parts):
        m = re.fullmatch(r"\{([A-Za-z0-9_]+)(\+?)\}", part)
        if m is None:
            if "{" in part or "}" in part:
                raise LabConfigError(
                    "route.path", path, "segments like 'pets', '{id}' or '{proxy+}'"
                )
            regex += "/" + re.escape(part)
            continue
        names.append(m.group(1))
        if m.group(2):
            if i != len(parts) - 1:
                raise LabConfigError(
                    "route.path", path, "a greedy '{name+}' only as the last segment"
                )
            regex += "/(?P<" + m.group(1) + ">.+)"
        else:
            regex += "/(?P<" + m.group(1) + ">[^/]+)"
    return re.compile(regex + "/?" if regex else "/"), tuple(names)


@dataclass(frozen=True, slots=True)
class Route:
    """One method on one resource path of an API, with its integration.

    ``integration`` is a :class:`LabResponse` (static), a callable taking a
    :class:`LabRequest` or an ASGI app (``asgi=True``). ``authorization`` overrides the
    API's (``"NONE"``, ``"AWS_IAM"`` or an authorizer callable); ``throttle`` is
    ``(rate per second, burst)`` for this route.

    Example:
        >>> Route("GET", "/ping", LabResponse(200, json={"ok": True})).matches("GET", "/ping")
        {}
    """

    method: str
    path: str
    integration: LabResponse | Handler | AsgiApp = echo
    authorization: Any = None
    throttle: tuple[float, int] | None = None
    asgi: bool = False

    def __post_init__(self) -> None:
        method = self.method.upper()
        if method not in _METHODS:
            raise LabConfigError(
                "route.method", self.method, "one of " + ", ".join(sorted(_METHODS))
            )
        object.__setattr__(self, "method", method)
        _compile(self.path)

    @classmethod
    def static(
        cls,
        method: str,
        path: str,
        status: int = 200,
        *,
        body: bytes | str = b"",
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        authorization: Any = None,
    ) -> Route:
        """A route answering a fixed response."""
        return cls(
            method, path, LabResponse(status, body, dict(headers or {}), json), authorization
        )

    @classmethod
    def handler(cls, method: str, path: str, fn: Handler, *, authorization: Any = None) -> Route:
        """A route whose integration is a Python callable ``fn(LabRequest) -> response``."""
        return cls(method, path, fn, authorization)

    @classmethod
    def asgi_app(cls, app: AsgiApp, *, path: str = "/{proxy+}", method: str = "ANY") -> Route:
        """A route (by default every path and method) forwarded to an ASGI application."""
        return cls(method, path, app, asgi=True)

    @property
    def is_static(self) -> bool:
        """Whether the integration is a fixed answer (no user code runs)."""
        return isinstance(self.integration, LabResponse)

    def matches(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters if this route serves ``method path``, else ``None``."""
        if self.method not in ("ANY", method):
            return None
        regex, _ = _compile(self.path)
        m = regex.fullmatch(path)
        return None if m is None else {k: v for k, v in m.groupdict().items() if v is not None}


def find_route(
    routes: Sequence[Route], method: str, path: str
) -> tuple[Route, dict[str, str]] | None:
    """The most specific route for ``method path``: literal beats parameter beats greedy."""
    best: tuple[tuple[int, int, int], Route, dict[str, str]] | None = None
    for route in routes:
        params = route.matches(method, path)
        if params is None:
            continue
        greedy = "+}" in route.path
        rank = (
            0 if greedy else 1,
            route.path.count("/") - len(params),
            1 if route.method != "ANY" else 0,
        )
        if best is None or rank > best[0]:
            best = (rank, route, params)
    return None if best is None else (best[1], best[2])
