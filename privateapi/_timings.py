"""Per-phase timings of a request, from httpcore's ``trace`` events (like curl's ``-w``).

``Client(record_timings=True)`` hands a :class:`_Recorder` to httpcore as the request's
``trace`` extension and attaches the resulting :class:`Timings` to the response
(:meth:`Timings.of`). The values are cumulative seconds from the start of the send, as
curl's ``time_connect``/``time_appconnect``/``time_starttransfer``/``time_total`` are.

The DNS lookup is timed by the network backend (``privateapi._transport.timed_lookups``):
httpcore resolves inside ``socket.create_connection``, so while timings are recorded the
backend resolves first and connects to each address in turn, as ``create_connection``
does. A connect address given as an IP (``connect_to``) has no lookup (``dns`` is
``None``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["TIMINGS_EXTENSION", "Timings"]

#: The response extension that holds the :class:`Timings`.
TIMINGS_EXTENSION = "privateapi.timings"


@dataclass(frozen=True)
class Timings:
    """When each phase of a request ended, in seconds since the send started.

    Attributes:
        dns: the name lookup ended; ``None`` for an IP address or a reused connection.
        connect: TCP connected; ``None`` for a reused connection.
        tls: TLS handshake done; ``None`` for plain HTTP or a reused connection.
        first_byte: the response head arrived (curl's ``time_starttransfer``).
        total: the response body was read, retries and redirects included.
        connected_address: the peer ``address:port`` the request went to, when known.
        reused: the request went over a pooled connection (no connect, no handshake).
    """

    dns: float | None
    connect: float | None
    tls: float | None
    first_byte: float | None
    total: float
    connected_address: str | None
    reused: bool

    @staticmethod
    def of(response: httpx.Response) -> Timings | None:
        """The timings of a response of ``Client(record_timings=True)``, else ``None``."""
        value = response.extensions.get(TIMINGS_EXTENSION)
        return value if isinstance(value, Timings) else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (seconds as floats, ``None`` where not measured)."""
        return {
            "dns": self.dns,
            "connect": self.connect,
            "tls": self.tls,
            "first_byte": self.first_byte,
            "total": self.total,
            "connected_address": self.connected_address,
            "reused": self.reused,
        }


def _address(stream: object) -> str | None:
    get = getattr(stream, "get_extra_info", None)
    if get is None:
        return None
    try:
        peer = get("server_addr")
    except Exception:
        return None
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
    return None


class _Recorder:
    """The httpcore trace callback of one send; marks are kept for the latest attempt."""

    def __init__(self, started: float, chained: Callable[[str, dict[str, Any]], Any] | None):
        self._started = started
        self._chained = chained
        self._marks: dict[str, float] = {}
        self._address: str | None = None

    def lookup_done(self, at: float) -> None:
        """A DNS lookup of this attempt ended at ``at`` (``time.monotonic``)."""
        self._marks["dns"] = at - self._started

    def attempt(self) -> None:
        """A new attempt (a retry or a redirect): forget the previous one's phases."""
        self._marks.clear()
        self._address = None

    def __call__(self, name: str, info: dict[str, Any]) -> None:
        now = time.monotonic() - self._started
        if name == "connection.connect_tcp.complete":
            self._marks["connect"] = now
            self._address = _address(info.get("return_value"))
        elif name == "connection.start_tls.complete":
            self._marks["tls"] = now
        elif name.endswith(".receive_response_headers.complete"):
            self._marks["first_byte"] = now
        if self._chained is not None:
            self._chained(name, info)

    def finish(self, response: httpx.Response) -> Timings:
        """The timings, now that the body has been read."""
        address = self._address or _address(response.extensions.get("network_stream"))
        return Timings(
            dns=self._marks.get("dns"),
            connect=self._marks.get("connect"),
            tls=self._marks.get("tls"),
            first_byte=self._marks.get("first_byte"),
            total=time.monotonic() - self._started,
            connected_address=address,
            reused="connect" not in self._marks,
        )


def recorder_for(request: httpx.Request, started: float) -> _Recorder:
    """Install a recorder as ``request``'s trace extension (chaining the caller's own)."""
    chained = request.extensions.get("trace")
    if isinstance(chained, _Recorder):  # a redirect re-sent through the same client
        chained = chained._chained
    recorder = _Recorder(started, chained)
    request.extensions["trace"] = recorder
    return recorder
