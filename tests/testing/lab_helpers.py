"""Helpers for the local gateway's tests: raw httpx clients pinned to the lab's addresses."""

from __future__ import annotations

from typing import Any

import httpcore
import httpx

from privateapi import InvokeTarget
from privateapi.testing import LocalGateway


class _Pinned(httpcore.SyncBackend):
    """Connect every hostname to one loopback address (curl --resolve style)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def connect_tcp(  # type: ignore[override]
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        return super().connect_tcp(self.host, self.port, timeout, local_address, socket_options)


def raw_client(
    gw: LocalGateway,
    target: InvokeTarget,
    *,
    auth: httpx.Auth | None = None,
    verify: Any = None,
    timeout: float = 5.0,
) -> httpx.Client:
    """A plain httpx client for ``target``: URL host = SNI, connects to the lab's address."""
    ctx = verify if verify is not None else gw.ssl_context()
    transport = httpx.HTTPTransport(verify=ctx)
    transport._pool.close()
    transport._pool = httpcore.ConnectionPool(
        ssl_context=ctx, network_backend=_Pinned(target.connect_host, target.connect_port)
    )
    return httpx.Client(
        transport=transport,
        headers=dict(target.headers),
        auth=auth,
        timeout=timeout,
        base_url=target.base_url,
    )
