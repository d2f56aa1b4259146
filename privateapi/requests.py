"""requests support: a ``requests.Session`` for one private API (extra ``privateapi[requests]``).

The session sends the style's headers, always sends an explicit ``Host`` (so the
signed host and the sent host are one value), connects to ``connect_to`` with the
real hostname as TLS server name and certificate name, and signs with
requests-aws4auth fed by refreshable credentials (botocore's chain by default).

Example:
    >>> from privateapi import InvokeTarget
    >>> from privateapi.requests import session
    >>> t = InvokeTarget.private_dns("a1b2c3d4e5", "us-east-1", "prod")
    >>> with session(t, credentials=("AKIDEXAMPLE", "secret")) as s:  # doctest: +SKIP
    ...     s.get("/pets").raise_for_status()

requests is imported when this module is, so ``import privateapi`` never needs it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.connectionpool import ConnectionPool

from privateapi._credentials import CredentialsLike, CredentialSource, resolve_credentials
from privateapi._errors import ApiGatewayError, InvalidInputError, build_error
from privateapi._targets import InvokeTarget, split_url

if TYPE_CHECKING:
    from requests.sessions import _Settings

__all__ = ["PinnedAdapter", "PrivateApiSession", "raise_for_status", "session"]

# An absolute URL starts with a scheme; "://" later on (in a query value) does not count.
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")

# What requests-aws4auth signs: its defaults plus the api_id_header style's header.
_INCLUDE_HEADERS = frozenset({"host", "content-type", "date", "x-amz-*", "x-apigw-api-id"})


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


class PinnedAdapter(HTTPAdapter):
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
    """

    def __init__(self, target: InvokeTarget) -> None:
        super().__init__()
        self.target = target
        self.base_url = target.base_url
        origin = urlsplit(self.base_url)
        self._origin = (origin.scheme, (origin.hostname or "").lower(), origin.port or 443)

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
            parts = urlsplit(text)
            where = (parts.scheme, (parts.hostname or "").lower(), parts.port or 443)
            if where != self._origin:
                raise InvalidInputError("url", text, f"a URL on {self._origin[1]}")
        elif text:
            text = f"{self.base_url}/{text.lstrip('/')}"
        else:
            text = self.base_url
        return super().request(method, text, *args, **kwargs)


def session(
    target_or_url: InvokeTarget | str,
    *,
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    credentials: CredentialsLike | None = None,
    profile: str | None = None,
    region: str | None = None,
    sign: bool = True,
    connect_to: str | None = None,
    verify: bool | str = True,
) -> PrivateApiSession:
    """A ``requests.Session`` for a private API target.

    Args:
        target_or_url: an :class:`~privateapi.InvokeTarget` or an invoke URL (+ ``headers``).
        headers: default headers (merged over the style's).
        credentials: as for :class:`~privateapi.Client`; ``None`` is botocore's chain,
            refreshed before expiry.
        profile: the shared-config profile for the default chain.
        region: the signing region when the target names none.
        sign: ``False`` for unsigned calls.
        connect_to: ``host`` or ``host:port`` to connect to instead of the URL host.
        verify: ``True`` or a CA bundle path (``False`` is refused: never silently).
    """
    if verify is False:
        raise InvalidInputError(
            "verify", verify, "True or a CA bundle path (TLS verification stays on)"
        )
    if isinstance(target_or_url, InvokeTarget):
        target = target_or_url
    else:
        target, _ = split_url(target_or_url, headers)
    if connect_to is not None:
        target = target.with_connect_to(connect_to)
    s = PrivateApiSession(target)
    s.verify = verify
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
        s.mount(f"https://{target.host}", PinnedAdapter(pins))
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
