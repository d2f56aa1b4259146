"""Address pinning (``connect_to``) for httpx, like ``curl --resolve``.

A private API is often reached by connecting somewhere other than what the URL
names: a VPC endpoint IP, an NLB, a tunnel on localhost. Rewriting the URL would
change the ``Host`` header, the TLS server name and httpcore's pool key (which
ignores the ``sni_hostname`` extension, so two server names on one address would
share a connection). Instead the URL keeps the real hostname and only the TCP
connect is redirected, inside the network backend: URL, ``Host``, SNI, certificate
verification and the pool key all stay the real name.

This uses httpcore's ``network_backend`` seam and httpx's private ``_pool``
attribute; the versions are pinned in ``pyproject.toml`` for that reason.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterable, Mapping

import httpcore
import httpx

__all__ = [
    "PinnedAsyncBackend",
    "PinnedSyncBackend",
    "Pins",
    "async_transport",
    "ssl_context",
    "sync_transport",
]

#: ``(url_host, url_port) -> (connect_host, connect_port)``.
Pins = Mapping[tuple[str, int], tuple[str, int]]


def _normalise(pins: Pins) -> dict[tuple[str, int], tuple[str, int]]:
    # httpcore hands connect_tcp the URL host as the URL spells it (lower-case, IPv6
    # without brackets), so keys are stored the same way.
    return {(h.lower().strip("[]"), p): (ch.strip("[]"), cp) for (h, p), (ch, cp) in pins.items()}


class PinnedSyncBackend(httpcore.SyncBackend):
    """A sync network backend that connects pinned ``(host, port)`` pairs elsewhere."""

    def __init__(self, pins: Pins) -> None:
        self.pins = _normalise(pins)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Open the TCP connection to the pinned address, if ``(host, port)`` is pinned."""
        host, port = self.pins.get((host.lower(), port), (host, port))
        return super().connect_tcp(host, port, timeout, local_address, socket_options)


class PinnedAsyncBackend(httpcore.AnyIOBackend):
    """The asyncio/trio (anyio) counterpart of :class:`PinnedSyncBackend`."""

    def __init__(self, pins: Pins) -> None:
        self.pins = _normalise(pins)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Open the TCP connection to the pinned address, if ``(host, port)`` is pinned."""
        host, port = self.pins.get((host.lower(), port), (host, port))
        return await super().connect_tcp(host, port, timeout, local_address, socket_options)


def ssl_context(
    verify: ssl.SSLContext | str | os.PathLike[str] | bool, trust_env: bool = True
) -> ssl.SSLContext:
    """An SSL context for ``verify`` (a CA bundle file or directory path is accepted).

    httpx 0.28 deprecates ``verify=<path>``; a path is turned into a context here.
    """
    if isinstance(verify, ssl.SSLContext):
        return verify
    if isinstance(verify, os.PathLike):
        verify = os.fspath(verify)
    if isinstance(verify, str):
        try:
            if os.path.isdir(verify):
                return ssl.create_default_context(capath=verify)
            return ssl.create_default_context(cafile=verify)
        except (OSError, ssl.SSLError) as exc:  # missing, unreadable, or not PEM
            from privateapi._errors import InvalidInputError

            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
            raise InvalidInputError(
                "CA bundle", verify, f"a readable PEM file of CA certificates ({reason})"
            ) from None
    return httpx.create_ssl_context(verify=verify, trust_env=trust_env)


def sync_transport(
    pins: Pins,
    *,
    verify: ssl.SSLContext | str | os.PathLike[str] | bool = True,
    http2: bool = False,
    limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),  # noqa: B008
    trust_env: bool = True,
) -> httpx.HTTPTransport:
    """An ``httpx.HTTPTransport`` whose connections to pinned hosts go elsewhere."""
    ctx = ssl_context(verify, trust_env)
    transport = httpx.HTTPTransport(verify=ctx, http2=http2, limits=limits, trust_env=trust_env)
    if pins:
        transport._pool.close()
        transport._pool = httpcore.ConnectionPool(
            ssl_context=ctx,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=PinnedSyncBackend(pins),
        )
    return transport


def async_transport(
    pins: Pins,
    *,
    verify: ssl.SSLContext | str | os.PathLike[str] | bool = True,
    http2: bool = False,
    limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),  # noqa: B008
    trust_env: bool = True,
) -> httpx.AsyncHTTPTransport:
    """An ``httpx.AsyncHTTPTransport`` whose connections to pinned hosts go elsewhere."""
    ctx = ssl_context(verify, trust_env)
    transport = httpx.AsyncHTTPTransport(
        verify=ctx, http2=http2, limits=limits, trust_env=trust_env
    )
    if pins:
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=ctx,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=PinnedAsyncBackend(pins),
        )
    return transport
