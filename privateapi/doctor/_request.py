"""The caller's request: what the doctor probes, exactly as the caller would send it.

The doctor judges the caller's own call, not an idealised one: the URL's host (which
is also the TLS server name, as in every HTTP client), its whole path and query, the
method, every header as given (a ``Host`` header changes routing, never SNI) and the
body. Recognising the URL as an access style (:func:`privateapi.parse_url`) is a
best effort that feeds the control-plane and policy checks and the fixes; a URL no
style claims (the bare regional name, an endpoint name without a routing header, an
NLB name) is still probed and its mistake reported as a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from privateapi._errors import InvalidInputError
from privateapi._names import format_host_port, parse_host_port

if TYPE_CHECKING:
    from privateapi._targets import InvokeTarget

__all__ = ["CallerRequest", "recognise"]

_METHOD = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: The region an execute-api name carries (any execute-api host: API, alias, endpoint, bare).
_REGION_IN_HOST = re.compile(r"(?:^|\.)execute-api(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.")


@dataclass(frozen=True)
class CallerRequest:
    """One HTTP request as the caller sends it (what ``privateapi doctor`` probes).

    Attributes:
        url: the ``https://`` URL; its host is the TLS server name and, without a
            ``Host`` header, the ``Host`` sent.
        method: the HTTP method.
        headers: every header as given, in order (``Host`` and ``Authorization`` too).
        body: the request body, or ``None``.
        connect_to: ``host[:port]`` to open the TCP connection to instead of the URL's
            host, like ``curl --connect-to``; SNI and ``Host`` stay the URL's.

    Example:
        >>> r = CallerRequest("https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/ping?x=1")
        >>> r.host, r.port, r.target, r.region
        ('a1b2c3d4e5.execute-api.us-east-1.amazonaws.com', 443, '/prod/ping?x=1', 'us-east-1')
    """

    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = field(default=None, repr=False)
    connect_to: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url.strip():
            raise InvalidInputError("url", self.url, "an https:// URL")
        try:
            parts = urlsplit(self.url.strip())
            _ = parts.port
        except ValueError as exc:
            raise InvalidInputError("url", self.url, f"a well-formed URL ({exc})") from None
        if parts.scheme.lower() != "https" or not parts.hostname:
            raise InvalidInputError(
                "url", self.url, "an https:// URL with a host (API Gateway serves TLS only)"
            )
        if parts.username or parts.password:
            raise InvalidInputError("url", self.url, "a URL without user info")
        if not isinstance(self.method, str) or not _METHOD.fullmatch(self.method):
            raise InvalidInputError("method", self.method, "an HTTP method such as 'GET'")
        object.__setattr__(self, "method", self.method.upper())
        headers = tuple((str(k).strip(), str(v).strip()) for k, v in self.headers)
        for name, value in headers:
            if not _HEADER_NAME.fullmatch(name) or any(c in value for c in "\r\n\0"):
                raise InvalidInputError("header", name, "'Name: value' without line breaks")
        object.__setattr__(self, "headers", headers)
        if self.connect_to is not None:
            parse_host_port(self.connect_to)  # raises InvalidInputError naming the value

    # --- the URL's parts ---------------------------------------------------------------
    @property
    def host(self) -> str:
        """The URL's host (lower-case, no final dot): the TLS server name, always."""
        return (urlsplit(self.url.strip()).hostname or "").lower().rstrip(".")

    @property
    def port(self) -> int:
        """The URL's port (443 unless it names one)."""
        return urlsplit(self.url.strip()).port or 443

    @property
    def target(self) -> str:
        """The request target: the URL's whole path and query (``/`` at least)."""
        parts = urlsplit(self.url.strip())
        path = parts.path or "/"
        return f"{path}?{parts.query}" if parts.query else path

    @property
    def path(self) -> str:
        """The URL's path without the query."""
        return urlsplit(self.url.strip()).path or "/"

    @property
    def server_name(self) -> str:
        """The TLS server name sent and verified: the URL's host (``Host`` never changes it)."""
        return self.host

    def header(self, name: str) -> str | None:
        """The first value of a header given by the caller (case-insensitive), or ``None``."""
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)

    @property
    def host_header(self) -> str:
        """The ``Host`` sent: the caller's ``Host`` header, else the URL's host[:port]."""
        given = self.header("host")
        if given is not None:
            return given
        return format_host_port(self.host, self.port, default_port=443)

    @property
    def routing_name(self) -> str:
        """The name API Gateway routes on, from ``Host`` (without port) or the URL host."""
        return parse_host_port(self.host_header)[0].lower().rstrip(".")

    @property
    def region(self) -> str | None:
        """The region an execute-api name in the URL or ``Host`` carries, else ``None``."""
        for name in (self.host, self.routing_name):
            m = _REGION_IN_HOST.search(name)
            if m:
                return m.group(1)
        return None

    @property
    def connect_host(self) -> str:
        """Where the TCP connection goes: ``connect_to``'s host, else the URL's host."""
        if self.connect_to:
            return parse_host_port(self.connect_to)[0]
        return self.host

    @property
    def connect_port(self) -> int:
        """The TCP port: ``connect_to``'s port, else the URL's port."""
        if self.connect_to:
            port = parse_host_port(self.connect_to)[1]
            if port is not None:
                return port
        return self.port

    def with_path(self, path: str) -> CallerRequest:
        """A copy whose URL path and query are replaced by ``path`` (``/x?y=1``)."""
        from dataclasses import replace

        if not path.startswith("/") or any(c.isspace() or c == "#" for c in path):
            raise InvalidInputError("path", path, "a path starting with '/', e.g. '/prod/ping'")
        parts = urlsplit(self.url.strip())
        return replace(self, url=f"https://{parts.netloc}{path}")

    def to_dict(self) -> dict[str, object]:
        """JSON description (header values are redacted by the caller of this)."""
        from privateapi._credentials import redact_headers

        return {
            "method": self.method,
            "url": self.url,
            "headers": redact_headers(dict(self.headers)),
            "body_bytes": None if self.body is None else len(self.body),
            "connect_to": self.connect_to,
            "server_name": self.server_name,
        }

    @classmethod
    def from_target(
        cls,
        target: InvokeTarget,
        *,
        method: str = "GET",
        path: str = "/",
        headers: Iterable[tuple[str, str]] = (),
        body: bytes | None = None,
    ) -> CallerRequest:
        """The request a client of ``target`` sends for ``path`` below the stage."""
        url = target.url("" if path in ("", "/") else path.split("?", 1)[0])
        if "?" in path:
            url += "?" + path.split("?", 1)[1]
        if path in ("", "/") and not url.endswith("/"):
            url += "/"
        given = list(headers)
        names = {k.lower() for k, _ in given}
        style_headers = [(k, v) for k, v in target.headers.items() if k.lower() not in names]
        return cls(
            url=url,
            method=method,
            headers=(*style_headers, *given),
            body=body,
            connect_to=target.connect_to,
        )


def recognise(request: CallerRequest) -> tuple[InvokeTarget | None, str | None]:
    """The access style a request's URL and headers name, or ``(None, why not)``.

    Recognition never decides what is probed: a recognised target only adds what the
    control-plane and policy checks need (API id, stage, endpoint id).
    """
    from privateapi._targets import parse_url

    pairs: Mapping[str, str] | list[tuple[str, str]] = [
        (k, v) for k, v in request.headers if k.lower() in ("host", "x-apigw-api-id")
    ]
    try:
        target = parse_url(request.url, pairs or None)
    except InvalidInputError as exc:
        return None, str(exc)
    if request.connect_to:
        target = target.with_connect_to(request.connect_to)
    return target, None
