"""What the HTTP layer hands the gateway, and what the gateway answers it (the seam between them).

The HTTP layer (:mod:`._http`) owns sockets, TLS and framing; the gateway
(:mod:`._pipeline`) owns every decision. They meet through the frozen values here and
the :class:`Handler` protocol, so neither reaches into the other.
"""

from __future__ import annotations

import enum
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from privateapi.testing._answers import Answer, NoReply

__all__ = ["Connection", "Deferred", "Handler", "Head", "Refusal"]


@dataclass(frozen=True, slots=True)
class Connection:
    """One client connection after its TLS handshake."""

    #: the endpoint (VPC endpoint id) whose listener accepted it
    listener: str
    local: tuple[str, int]
    peer: tuple[str, int]
    #: the TLS server name the client sent (``None``: no SNI)
    sni: str | None


@dataclass(frozen=True, slots=True)
class Head:
    """A request head as received (header names keep their case, values are latin-1)."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    http_version: str
    #: request line + header values, in bytes: what API Gateway's 10,240-byte quota counts
    #: (unverified whether it counts the CRLFs and names too; it says "header values")
    line_and_values: int
    _first: dict[str, str] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        # the pipeline asks for a header ten times a request: index the first values once
        first: dict[str, str] = {}
        for k, v in self.headers:
            first.setdefault(k.lower(), v)
        object.__setattr__(self, "_first", first)

    def header(self, name: str) -> str | None:
        """The first value of a header (``name`` in lower case)."""
        return self._first.get(name)


@dataclass(frozen=True, slots=True)
class Deferred:
    """The rest of an answer, to be finished on a worker thread: it may block.

    The I/O thread runs the gateway's decisions itself (they are quick, and handing
    every request to another thread cost more than deciding it); what may wait (a user's
    handler or authorizer, an injected latency) comes back as this.
    """

    finish: Callable[[], Answer | NoReply]


class Refusal(enum.Enum):
    """Why the HTTP layer could not hand over a request."""

    #: not HTTP/1.1 as API Gateway reads it (framing errors, smuggling attempts)
    BAD_REQUEST = "bad-request"
    #: a body over 10 MB
    BODY_TOO_LARGE = "body-too-large"
    #: a head over the hard cap of the HTTP layer (far over API Gateway's quota)
    HEAD_TOO_LARGE = "head-too-large"


class Handler(Protocol):
    """What the HTTP layer asks the gateway."""

    def tls_context(self, listener: str) -> ssl.SSLContext:
        """The server context of a listener (it picks the certificate by SNI)."""

    def on_connect(self, listener: str) -> NoReply | None:
        """``HOLD`` to accept and never answer (a blackhole), else ``None``."""

    def on_head(self, conn: Connection, head: Head) -> Answer | NoReply | None:
        """An answer or no-reply before the body is read, or ``None`` to read it."""

    def respond(self, conn: Connection, head: Head, body: bytes) -> Answer | NoReply | Deferred:
        """The answer to a whole request, or what is left to do on a worker thread."""

    def refuse(self, conn: Connection, head: Head | None, refusal: Refusal) -> Answer:
        """The answer to a request the HTTP layer refused."""
