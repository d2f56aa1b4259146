"""requests support: a ``requests.Session`` for one private API (extra ``privateapi[requests]``).

The session sends the style's headers, always sends an explicit ``Host`` (so the
signed host and the sent host are one value), connects to ``connect_to`` with the
real hostname as TLS server name and certificate name, and signs with
requests-aws4auth fed by refreshable credentials (botocore's chain by default).

As :class:`privateapi.Client`, it does not follow redirects unless asked
(``follow_redirects=True``, or ``allow_redirects=True`` on one call), and then only to
the same origin, signed afresh: a redirect to another host or scheme raises
:class:`~privateapi.RedirectRefusedError` before anything is sent there. Response bodies
are capped by their decoded size (:class:`~privateapi.ResponseTooLargeError`).

Example:
    >>> from privateapi import InvokeTarget
    >>> from privateapi.requests import session
    >>> t = InvokeTarget.private_dns("a1b2c3d4e5", "us-east-1", "prod")
    >>> with session(t, credentials=("AKIDEXAMPLE", "secret")) as s:  # doctest: +SKIP
    ...     s.get("/pets").raise_for_status()

requests is imported when this module is, so ``import privateapi`` never needs it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from urllib.parse import SplitResult, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.connectionpool import ConnectionPool

from privateapi._credentials import CredentialsLike, CredentialSource, resolve_credentials
from privateapi._errors import (
    ApiGatewayError,
    InvalidInputError,
    RedirectRefusedError,
    ResponseTooLargeError,
    build_error,
)
from privateapi._targets import InvokeTarget, split_url
from privateapi._wire import DEFAULT_MAX_RESPONSE_BYTES, check_max_response_bytes

if TYPE_CHECKING:
    from requests.sessions import _Settings

__all__ = [
    "CappedAdapter",
    "PinnedAdapter",
    "PrivateApiSession",
    "raise_for_status",
    "session",
]

# An absolute URL starts with a scheme; "://" later on (in a query value) does not count.
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")

# What requests-aws4auth signs: its defaults plus the api_id_header style's header.
_INCLUDE_HEADERS = frozenset({"host", "content-type", "date", "x-amz-*", "x-apigw-api-id"})
# What a signature leaves on a request: dropped before a redirect is signed again.
_SIGNING_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256")
# A compressed body is decoded this many input bytes at a time (urllib3 before 2.6
# decoded a whole read at once): at most ~2 MB beyond the cap, whatever the ratio.
_DECODE_STEP = 2048
_PLAIN_STEP = 65536


def _origin(parts: SplitResult) -> tuple[str, str, int | None]:
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or "").lower(), parts.port or default)


class _CappedBody:
    """urllib3's response as requests reads it, with a cap on the decoded size.

    requests reads ``.content`` (and ``iter_content``, and a redirect's body) through
    ``raw.stream``; every read here counts what it hands out and stops past the cap.
    Everything else is urllib3's own response.
    """

    def __init__(self, raw: Any, limit: int, url: str) -> None:
        self._raw = raw
        self._limit = limit
        self._url = url
        self._total = 0
        encoded = bool(raw.headers.get("content-encoding")) if raw.headers is not None else False
        self._step = _DECODE_STEP if encoded else _PLAIN_STEP

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    def _count(self, data: bytes) -> bytes:
        self._total += len(data)
        if self._total > self._limit:
            self._raw.close()
            raise ResponseTooLargeError(
                f"{self._url}: the {self._raw.status} answer's body passed {self._limit} bytes"
                f" (max_response_bytes); reading stopped after {self._total} bytes",
                limit=self._limit,
                received=self._total,
                status_code=int(self._raw.status),
            )
        return data

    def stream(
        self, amt: int | None = 2**16, decode_content: bool | None = None
    ) -> Iterator[bytes]:
        """As urllib3's ``stream``, in small steps for a compressed body, counted."""
        step = min(amt or self._step, self._step)
        for chunk in self._raw.stream(step, decode_content=decode_content):
            yield self._count(chunk)

    def read(self, amt: int | None = None, decode_content: bool | None = None, **kw: Any) -> bytes:
        """As urllib3's ``read``; all of it (``amt=None``) is read in counted steps."""
        if amt is not None:
            return self._count(self._raw.read(min(amt, self._step), decode_content, **kw))
        return b"".join(self.stream(self._step, decode_content=decode_content))


class CappedAdapter(HTTPAdapter):
    """An adapter whose responses stop being read past ``max_response_bytes`` (decoded)."""

    def __init__(self, *, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES, **kwargs: Any):
        self.max_response_bytes = max_response_bytes
        super().__init__(**kwargs)

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        """As requests does, with the body read through the cap."""
        response = super().build_response(req, resp)
        url = urlsplit(req.url or "")
        where = f"{req.method} {urlunsplit(url._replace(query='', fragment=''))}"
        response.raw = _CappedBody(resp, self.max_response_bytes, where)
        return response


class _Frozen(NamedTuple):
    access_key: str
    secret_key: str
    token: str | None


class _RefreshableView:
    """Our CredentialSource as the ``refreshable_credentials`` requests-aws4auth expects."""

    def __init__(self, source: CredentialSource) -> None:
        self._source = source

    def get_frozen_credentials(self) -> _Frozen:
        snap = self._source.snapshot()
        return _Frozen(snap.access_key, snap.secret_key, snap.token)


class _NoBarePlus(AuthBase):
    """Rewrite a bare ``+`` in the query to ``%20`` before signing, then sign.

    requests encodes a params space as ``+``; API Gateway's reading of a bare ``+``
    is not documented, so the space is sent unambiguously (as privateapi's httpx
    client does).
    """

    def __init__(self, signer: Any) -> None:
        self.signer = signer

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if r.url and "+" in r.url:
            parts = urlsplit(r.url)
            if "+" in parts.query:
                r.url = urlunsplit(parts._replace(query=parts.query.replace("+", "%20")))
        result: requests.PreparedRequest = self.signer(r)
        return result


class PinnedAdapter(CappedAdapter):
    """An HTTPS adapter that connects ``(host, port)`` pairs to another address.

    The URL, the ``Host`` header, the TLS server name and the certificate check
    keep the real hostname (urllib3 ``server_hostname`` / ``assert_hostname``);
    only the TCP connection goes to the pinned address. Pools are keyed by those
    names too, so two server names on one address never share a connection.
    """

    def __init__(self, pins: Mapping[tuple[str, int], tuple[str, int]], **kwargs: Any) -> None:
        self.pins = {(h.lower(), p): v for (h, p), v in pins.items()}
        super().__init__(**kwargs)

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: Mapping[str, str] | None = None,
        cert: tuple[str, str] | str | None = None,
    ) -> ConnectionPool:
        """Pick the pool for ``request``; pinned hosts get one bound to the pinned address."""
        url = urlsplit(request.url or "")
        host = (url.hostname or "").lower()
        port = url.port or (443 if url.scheme == "https" else 80)
        pin = self.pins.get((host, port))
        if pin is None:
            return super().get_connection_with_tls_context(
                request, verify, proxies=dict(proxies or {}), cert=cert
            )
        host_params, base_kwargs = self.build_connection_pool_key_attributes(
            request, True if verify is None else verify, cert
        )
        # server_hostname/assert_hostname are urllib3 pool keys the stubs do not list.
        pool_kwargs: dict[str, Any] = {
            **base_kwargs,
            "server_hostname": host,
            "assert_hostname": host,
        }
        pool: ConnectionPool = self.poolmanager.connection_from_host(
            scheme=host_params["scheme"], host=pin[0], port=pin[1], pool_kwargs=pool_kwargs
        )
        return pool


class PrivateApiSession(requests.Session):
    """A ``requests.Session`` bound to one target: relative paths join its base URL.

    Absolute URLs must be on the target's host (signed requests never go elsewhere).
    Redirects are not followed unless ``follow_redirects`` is true (or a call passes
    ``allow_redirects=True``); a followed one must stay on the request's origin and is
    signed again, any other raises :class:`~privateapi.RedirectRefusedError`.
    """

    def __init__(self, target: InvokeTarget, *, follow_redirects: bool = False) -> None:
        super().__init__()
        self.target = target
        self.base_url = target.base_url
        self.follow_redirects = follow_redirects
        self._origin = _origin(urlsplit(self.base_url))

    def __repr__(self) -> str:
        # Never the auth object or headers: they hold the signer and the session token.
        signing = "unsigned" if self.auth is None else "signed"
        return f"<PrivateApiSession {self.base_url!r} style={self.target.style} {signing}>"

    def get(self, url: str | bytes, params: Any = None, **kwargs: Any) -> requests.Response:
        """``GET``; redirects as the session says (requests' own ``get`` always follows)."""
        return self.request("GET", url, params=params, **kwargs)

    def options(self, url: str | bytes, **kwargs: Any) -> requests.Response:
        """``OPTIONS``; redirects as the session says."""
        return self.request("OPTIONS", url, **kwargs)

    def resolve_redirects(self, resp: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
        """As requests does, except for ``response.next`` (``yield_requests``): none.

        requests prepares that next request (with this one's headers, token and
        signature) even when it does not follow; here a redirect is only ever prepared
        by following it, which checks the origin and signs it again.
        """
        if kwargs.get("yield_requests"):
            return iter(())
        return super().resolve_redirects(resp, req, *args, **kwargs)

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: Any) -> None:
        """Refuse a redirect off the request's origin; sign a same-origin one again.

        requests would send the session token, the date and (for 307/308) the body to
        any host and keep the stale signature; here nothing leaves for another host or
        scheme, and a same-origin redirect gets a fresh signature for its own path.
        """
        new = urlsplit(prepared_request.url or "")
        old = urlsplit(response.request.url or "")
        if _origin(new) != _origin(old):
            shown = urlunsplit(new._replace(query="", fragment=""))
            raise RedirectRefusedError(
                f"{response.status_code} redirect from {response.request.method}"
                f" {urlunsplit(old._replace(query='', fragment=''))} to {shown} not followed:"
                " it leaves the API's origin, and a signed request (signature, session token,"
                " date, body, headers) is never sent to another host or scheme",
                status_code=response.status_code,
                location=shown,
                response=response,
            )
        for name in _SIGNING_HEADERS:
            prepared_request.headers.pop(name, None)
        if self.auth is not None:
            prepared_request.prepare_auth(self.auth)

    def merge_environment_settings(
        self,
        url: str | bytes | None,
        proxies: Any,
        stream: Any,
        verify: Any,
        cert: Any,
    ) -> _Settings:
        """As requests does, but a CA bundle set on the session beats REQUESTS_CA_BUNDLE.

        requests lets the environment variable override ``session.verify``
        (psf/requests#3829); for a pinned private endpoint the caller's bundle wins.
        """
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None and isinstance(self.verify, str):
            settings["verify"] = self.verify
        if settings.get("verify") is False:
            # session() refuses verify=False; a per-request or later session.verify=False
            # must not switch verification off silently either.
            raise InvalidInputError(
                "verify", False, "True or a CA bundle path (TLS verification stays on)"
            )
        return settings

    def request(  # type: ignore[override]
        self, method: str, url: str | bytes = "", *args: Any, **kwargs: Any
    ) -> requests.Response:
        """As :meth:`requests.Session.request`, with ``url`` relative to the target."""
        text = url.decode() if isinstance(url, bytes) else url
        if _ABSOLUTE.match(text):
            if _origin(urlsplit(text)) != self._origin:
                raise InvalidInputError("url", text, f"a URL on {self._origin[1]}")
        elif text:
            text = f"{self.base_url}/{text.lstrip('/')}"
        else:
            text = self.base_url
        kwargs.setdefault("allow_redirects", self.follow_redirects)
        return super().request(method, text, *args, **kwargs)


def session(
    target_or_url: InvokeTarget | str,
    *,
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    credentials: CredentialsLike | Literal[False] | None = None,
    profile: str | None = None,
    region: str | None = None,
    sign: bool = True,
    connect_to: str | None = None,
    verify: bool | str | os.PathLike[str] = True,
    follow_redirects: bool = False,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
) -> PrivateApiSession:
    """A ``requests.Session`` for a private API target.

    Args:
        target_or_url: an :class:`~privateapi.InvokeTarget` or an invoke URL (+ ``headers``).
        headers: default headers (merged over the style's).
        credentials: as for :class:`~privateapi.Client`; ``None`` is botocore's chain,
            refreshed before expiry; ``False`` sends unsigned requests (as ``sign=False``,
            and as ``LocalGateway.client(credentials=False)``).
        profile: the shared-config profile for the default chain.
        region: the signing region when the target names none.
        sign: ``False`` for unsigned calls.
        connect_to: ``host`` or ``host:port`` to connect to instead of the URL host.
        verify: ``True`` or a CA bundle path, ``str`` or path-like (``False`` is refused:
            never silently).
        follow_redirects: follow same-origin redirects (signed again); off by default.
            One to another host or scheme raises :class:`~privateapi.RedirectRefusedError`.
        max_response_bytes: the cap on a response body, counted decoded; past it,
            :class:`~privateapi.ResponseTooLargeError`. Timeouts are requests' own:
            per connect and per read, not a deadline for the whole call.
    """
    check_max_response_bytes(max_response_bytes)
    if verify is False:
        raise InvalidInputError(
            "verify", verify, "True or a CA bundle path (TLS verification stays on)"
        )
    if isinstance(verify, os.PathLike):
        verify = os.fspath(verify)
    if credentials is False:
        sign, credentials = False, None
    if isinstance(target_or_url, InvokeTarget):
        target = target_or_url
    else:
        target, _ = split_url(target_or_url, headers)
    if connect_to is not None:
        target = target.with_connect_to(connect_to)
    s = PrivateApiSession(target, follow_redirects=follow_redirects)
    s.verify = verify
    for prefix in ("https://", "http://"):
        s.mount(prefix, CappedAdapter(max_response_bytes=max_response_bytes))
    # One Host value, set explicitly: urllib3 sends it and requests-aws4auth signs it.
    s.headers["Host"] = target.signing_host
    s.headers.update(dict(target.headers))
    if headers:
        items = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in items:
            s.headers[name] = value
    if target.connect_to:
        pins = {(target.host, target.port): (target.connect_host, target.connect_port)}
        s.trust_env = False  # an environment proxy would bypass the pinned address
        s.mount(
            f"https://{target.host}", PinnedAdapter(pins, max_response_bytes=max_response_bytes)
        )
    if sign:
        from requests_aws4auth import AWS4Auth

        from privateapi._client import _region_for

        source = resolve_credentials(credentials, profile=profile)
        signer = AWS4Auth(
            refreshable_credentials=_RefreshableView(source),
            region=_region_for(target, region),
            service="execute-api",
            include_hdrs=set(_INCLUDE_HEADERS),
        )
        s.auth = _NoBarePlus(signer)
    return s


def raise_for_status(response: requests.Response) -> requests.Response:
    """Raise the typed :class:`~privateapi.ApiGatewayError` for an error answer."""
    err: ApiGatewayError | None = build_error(
        response.status_code, response.headers, response.content
    )
    if err is not None:
        raise err
    return response
