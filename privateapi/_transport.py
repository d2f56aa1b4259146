"""Address pinning (``connect_to``) for httpx, like ``curl --resolve``.

A private API is often reached by connecting somewhere other than what the URL
names: a VPC endpoint IP, an NLB, a tunnel on localhost. Rewriting the URL would
change the ``Host`` header, the TLS server name and httpcore's pool key (which
ignores the ``sni_hostname`` extension, so two server names on one address would
share a connection). Instead the URL keeps the real hostname and only the TCP
connect is redirected, inside the network backend: URL, ``Host``, SNI, certificate
verification and the pool key all stay the real name.

The same backend makes a timeout a **deadline**. httpx's timeouts bound each socket
operation, so a server trickling one byte per second never trips a 3 s read timeout.
The client sets the request's deadline (:func:`deadline`, a context variable, so it
follows the thread or the task) and every connect, handshake, read and write here is
given at most the time left; past it, the operation fails with httpcore's own time-out
for that phase. Failures are also marked with their phase (connect, TLS handshake,
request), because httpcore raises ``ConnectTimeout`` for TCP and TLS alike and the
cause differs (``tcp.timeout`` vs ``tls.handshake-failed``).

This uses httpcore's ``network_backend`` seam and httpx's private ``_pool``
attribute; the versions are pinned in ``pyproject.toml`` for that reason.
"""

from __future__ import annotations

import contextvars
import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from privateapi._errors import mark_phase

__all__ = [
    "PinnedAsyncBackend",
    "PinnedSyncBackend",
    "Pins",
    "async_transport",
    "deadline",
    "ssl_context",
    "sync_transport",
    "timed_lookups",
]

#: ``(url_host, url_port) -> (connect_host, connect_port)``.
Pins = Mapping[tuple[str, int], tuple[str, int]]

# The monotonic time by which the current request must be done (None: no deadline).
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "privateapi_deadline", default=None
)


@contextmanager
def deadline(at: float | None) -> Iterator[None]:
    """Bound every network operation inside the block to end by ``at`` (``time.monotonic``)."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


# Called with the end time (``time.monotonic``) of each DNS lookup while timings are recorded.
_LOOKUP_DONE: contextvars.ContextVar[Callable[[float], None] | None] = contextvars.ContextVar(
    "privateapi_lookup_done", default=None
)


@contextmanager
def timed_lookups(done: Callable[[float], None] | None) -> Iterator[None]:
    """Inside the block, resolve names here (not in httpcore) and report when each ended.

    httpcore resolves inside ``socket.create_connection``, so a lookup cannot be told
    from the TCP connect. When timings are asked for, the backend resolves first
    (``getaddrinfo``, as ``create_connection`` does) and connects to each address in
    turn (as it does too), so the lookup gets its own time.
    """
    token = _LOOKUP_DONE.set(done)
    try:
        yield
    finally:
        _LOOKUP_DONE.reset(token)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host`` in getaddrinfo's order; a failure as httpcore's ConnectError."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        # httpcore would raise ConnectError(gaierror): the same, so the cause stays dns.*
        err = httpcore.ConnectError(str(exc))
        raise err from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _left(timeout: float | None, timeout_error: type[Exception]) -> float | None:
    """``timeout`` cut to the time left before the deadline; past it, ``timeout_error``."""
    at = _DEADLINE.get()
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise timeout_error("the request's deadline passed")
    return left if timeout is None or timeout > left else timeout


class _SyncStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the request's deadline."""

    __slots__ = ("_stream",)

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))
        except Exception as exc:
            mark_phase(exc, "request")
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))
        except Exception as exc:
            mark_phase(exc, "request")
            raise

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        try:
            left = _left(timeout, httpcore.ConnectTimeout)
            return _SyncStream(self._stream.start_tls(ssl_context, server_hostname, left))
        except Exception as exc:
            mark_phase(exc, "tls")
            raise

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _AsyncStream(httpcore.AsyncNetworkStream):
    """The async counterpart of :class:`_SyncStream`."""

    __slots__ = ("_stream",)

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return await self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))
        except Exception as exc:
            mark_phase(exc, "request")
            raise

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            await self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))
        except Exception as exc:
            mark_phase(exc, "request")
            raise

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            left = _left(timeout, httpcore.ConnectTimeout)
            return _AsyncStream(await self._stream.start_tls(ssl_context, server_hostname, left))
        except Exception as exc:
            mark_phase(exc, "tls")
            raise

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def _normalise(pins: Pins) -> dict[tuple[str, int], tuple[str, int]]:
    # httpcore hands connect_tcp the URL host as the URL spells it (lower-case, IPv6
    # without brackets), so keys are stored the same way.
    return {(h.lower().strip("[]"), p): (ch.strip("[]"), cp) for (h, p), (ch, cp) in pins.items()}


class PinnedSyncBackend(httpcore.NetworkBackend):
    """A sync network backend that connects pinned ``(host, port)`` pairs elsewhere.

    Every stream it opens keeps to the request's :func:`deadline` and marks its
    failures with their phase. ``inner`` is the backend doing the real work
    (httpcore's own by default).
    """

    def __init__(self, pins: Pins, inner: httpcore.NetworkBackend | None = None) -> None:
        self.pins = _normalise(pins)
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Open the TCP connection to the pinned address, if ``(host, port)`` is pinned."""
        if self.pins:
            host, port = self.pins.get((host.lower(), port), (host, port))
        done = _LOOKUP_DONE.get()
        try:
            hosts = [host]
            if done is not None and not _is_address(host):
                hosts = _resolve(host, port)
                done(time.monotonic())
            stream = self._connect_first(hosts, port, timeout, local_address, socket_options)
        except Exception as exc:
            mark_phase(exc, "connect")
            raise
        return _SyncStream(stream)

    def _connect_first(
        self,
        hosts: list[str],
        port: int,
        timeout: float | None,
        local_address: str | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.NetworkStream:
        """The first address that accepts, in order (``socket.create_connection``'s rule)."""
        for i, address in enumerate(hosts):
            left = _left(timeout, httpcore.ConnectTimeout)
            try:
                return self._inner.connect_tcp(address, port, left, local_address, socket_options)
            except httpcore.ConnectError:
                if i == len(hosts) - 1:
                    raise
        raise httpcore.ConnectError(f"no address for port {port}")  # pragma: no cover

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:  # pragma: no cover - httpx's uds= transports only
        """As the inner backend, under the deadline."""
        left = _left(timeout, httpcore.ConnectTimeout)
        return _SyncStream(self._inner.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore's connect retries
        """As the inner backend."""
        self._inner.sleep(seconds)


class PinnedAsyncBackend(httpcore.AsyncNetworkBackend):
    """The asyncio/trio (anyio) counterpart of :class:`PinnedSyncBackend`."""

    def __init__(self, pins: Pins, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.pins = _normalise(pins)
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Open the TCP connection to the pinned address, if ``(host, port)`` is pinned."""
        if self.pins:
            host, port = self.pins.get((host.lower(), port), (host, port))
        try:
            left = _left(timeout, httpcore.ConnectTimeout)
            stream = await self._inner.connect_tcp(host, port, left, local_address, socket_options)
        except Exception as exc:
            mark_phase(exc, "connect")
            raise
        return _AsyncStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - httpx's uds= transports only
        """As the inner backend, under the deadline."""
        left = _left(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._inner.connect_unix_socket(path, left, socket_options))

    async def sleep(self, seconds: float) -> None:  # pragma: no cover - connect retries
        """As the inner backend."""
        await self._inner.sleep(seconds)


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
    """An ``httpx.HTTPTransport`` under the request's deadline, pinned hosts connected elsewhere."""
    ctx = ssl_context(verify, trust_env)
    transport = httpx.HTTPTransport(verify=ctx, http2=http2, limits=limits, trust_env=trust_env)
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
    """An ``httpx.AsyncHTTPTransport`` under the request's deadline, pinned hosts elsewhere."""
    ctx = ssl_context(verify, trust_env)
    transport = httpx.AsyncHTTPTransport(
        verify=ctx, http2=http2, limits=limits, trust_env=trust_env
    )
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
