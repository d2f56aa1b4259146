"""Real TLS on 127.0.0.1 with a trustme CA: connect_to pins the address, not the name.

The server records the SNI it saw, the Host header and the client's source port (one
per connection). Only loopback addresses are used.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from privateapi import _errors as e
from privateapi._client import AsyncClient, Client
from privateapi._targets import InvokeTarget
from privateapi._transport import sync_transport

API = "abcde12345"
API_HOST = f"{API}.execute-api.us-east-1.amazonaws.com"
VPCE = "vpce-01234567abcdef012-01234567.execute-api.us-east-1.vpce.amazonaws.com"
CREDS = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


def test_connect_to_keeps_url_host_sni_and_host(server: int, client_ctx: ssl.SSLContext) -> None:
    target = InvokeTarget.private_dns(API, "us-east-1", "prod", connect_to=f"127.0.0.1:{server}")
    with Client(target, credentials=CREDS, verify=client_ctx) as c:
        first = c.get("/items").json()
        second = c.get("/items").json()
    assert first["sni"] == API_HOST
    assert first["host"] == API_HOST
    assert first["signed"] is True
    assert second["conn"] == first["conn"]  # keep-alive on the pinned connection


def test_host_header_style_sni_is_vpce_and_host_is_api(
    server: int, client_ctx: ssl.SSLContext
) -> None:
    target = InvokeTarget.host_header(API, "us-east-1", "prod", vpce_dns=VPCE)
    with Client(
        target, credentials=CREDS, verify=client_ctx, connect_to=f"127.0.0.1:{server}"
    ) as c:
        seen = c.get("/").json()
    assert seen["sni"] == VPCE
    assert seen["host"] == API_HOST


def test_two_server_names_on_one_address_do_not_share_connections(
    server: int, client_ctx: ssl.SSLContext
) -> None:
    pins = {(API_HOST, 443): ("127.0.0.1", server), (VPCE, 443): ("127.0.0.1", server)}
    transport = sync_transport(pins, verify=client_ctx)
    with httpx.Client(transport=transport) as http:
        a1 = http.get(f"https://{API_HOST}/prod").json()
        b1 = http.get(f"https://{VPCE}/prod", headers={"x-apigw-api-id": API}).json()
        a2 = http.get(f"https://{API_HOST}/prod").json()
        b2 = http.get(f"https://{VPCE}/prod").json()
    assert (a1["sni"], b1["sni"], a2["sni"], b2["sni"]) == (API_HOST, VPCE, API_HOST, VPCE)
    assert a1["conn"] != b1["conn"]
    assert a2["conn"] == a1["conn"]
    assert b2["conn"] == b1["conn"]


def test_untrusted_ca_is_a_typed_tls_error(server: int) -> None:
    target = InvokeTarget.private_dns(API, "us-east-1", "prod", connect_to=f"127.0.0.1:{server}")
    empty = ssl.create_default_context(cadata=trustme.CA().cert_pem.bytes().decode())
    with (
        Client(target, credentials=CREDS, verify=empty) as c,
        pytest.raises(e.TransportError) as info,
    ):
        c.get("/")
    assert info.value.cause_code == "tls.untrusted"


def test_name_mismatch_is_a_typed_tls_error(server: int, client_ctx: ssl.SSLContext) -> None:
    target = InvokeTarget.custom_domain(
        "api.example.com",
        base_path="v1",
        region="us-east-1",
        connect_to=f"127.0.0.1:{server}",
    )
    with (
        Client(target, credentials=CREDS, verify=client_ctx) as c,
        pytest.raises(e.TransportError) as info,
    ):
        c.get("/")
    assert info.value.cause_code == "tls.name-mismatch"


def test_refused_is_typed_and_retried() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    target = InvokeTarget.private_dns(API, "us-east-1", "prod", connect_to=f"127.0.0.1:{port}")
    events: list[object] = []
    from privateapi._client import RetryPolicy

    policy = RetryPolicy(sleep=lambda _s: None, on_retry=events.append)
    with (
        Client(target, credentials=CREDS, retries=policy) as c,
        pytest.raises(e.TransportError) as info,
    ):
        c.post("/", content=b"x")
    assert info.value.cause_code == "tcp.refused"
    assert len(events) == 2


def test_async_connect_to(server: int, client_ctx: ssl.SSLContext) -> None:
    async def run() -> dict[str, Any]:
        target = InvokeTarget.api_id_header(
            API, "us-east-1", "prod", vpce_dns=VPCE, connect_to=f"127.0.0.1:{server}"
        )
        async with AsyncClient(target, credentials=CREDS, verify=client_ctx) as c:
            r = await c.get("/x")
            return dict(r.json())

    seen = asyncio.run(run())
    assert seen["sni"] == VPCE
    assert seen["host"] == VPCE
    assert seen["api_id"] == API
    assert seen["signed"] is True


def test_ssl_context_accepts_paths(ca: trustme.CA, tmp_path: Path) -> None:
    from privateapi._transport import ssl_context

    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    assert isinstance(ssl_context(str(bundle)), ssl.SSLContext)
    assert isinstance(ssl_context(str(tmp_path)), ssl.SSLContext)
    ctx = ssl.create_default_context()
    assert ssl_context(ctx) is ctx
    assert ssl_context(True).verify_mode == ssl.CERT_REQUIRED


def test_client_with_ca_bundle_path(server: int, ca: trustme.CA, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    target = InvokeTarget.private_dns(API, "us-east-1", "prod", connect_to=f"127.0.0.1:{server}")
    with Client(target, credentials=CREDS, verify=str(bundle)) as c:
        assert c.get("/").json()["sni"] == API_HOST
