"""A timeout is a deadline: a dribbling server cannot hold a call past its budget.

The servers trickle bytes and record how far they got before the client went away,
so the assertions are about events (the client left while the server still had bytes
to send; one connection, not one per retry), never about how long the machine took.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest

from privateapi import _errors as e
from privateapi._client import AsyncClient, Client, RetryPolicy
from privateapi._targets import InvokeTarget

API = "abcde12345"
DRIBBLE = 400  # bytes a dribbling server would send at 50 ms each: 20 s if nobody stops it


def _dribble(head: bytes, tail: bytes) -> Any:
    """A handler sending ``head`` at once and then ``tail`` one byte every 50 ms."""

    def handler(srv: Any, conn: socket.socket, _head: bytes) -> None:
        sent = 0
        try:
            conn.sendall(head)
            for byte in tail:
                if srv.stop.wait(0.05):
                    break
                conn.sendall(bytes([byte]))
                sent += 1
        except OSError:
            pass  # the client went away: what we want to see
        srv.notes.append(sent)

    return handler


HEADERS_DRIBBLE = _dribble(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a" * DRIBBLE)
BODY_DRIBBLE = _dribble(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % DRIBBLE, b"b" * DRIBBLE)


def _target(port: int) -> InvokeTarget:
    return InvokeTarget.private_dns(API, "us-east-1", "prod", connect_to=f"127.0.0.1:{port}")


def _wait_notes(srv: Any, n: int) -> list[Any]:
    # The handler notes how far it got once the client's close reaches it.
    for _ in range(200):
        if len(srv.notes) >= n:
            break
        srv.stop.wait(0.05)
    return list(srv.notes)


@pytest.mark.parametrize("handler", [HEADERS_DRIBBLE, BODY_DRIBBLE], ids=["headers", "body"])
def test_sync_dribble_is_cut_at_the_deadline(
    raw_server: Any, server_ctx: Any, client_ctx: Any, handler: Any
) -> None:
    srv = raw_server(handler, ctx=server_ctx)
    with (
        Client(_target(srv.port), sign=False, verify=client_ctx, timeout=2.0) as c,
        pytest.raises(e.TransportError) as info,
    ):
        c.get("/")
    assert info.value.cause_code == "http.timeout"
    # One attempt took the whole budget, so no retry started (GET is retryable).
    assert srv.connections == 1
    notes = _wait_notes(srv, 1)
    assert notes and notes[0] < DRIBBLE  # the client left mid-dribble


@pytest.mark.parametrize("handler", [HEADERS_DRIBBLE, BODY_DRIBBLE], ids=["headers", "body"])
def test_async_dribble_is_cut_at_the_deadline(
    raw_server: Any, server_ctx: Any, client_ctx: Any, handler: Any
) -> None:
    srv = raw_server(handler, ctx=server_ctx)

    async def run() -> str | None:
        async with AsyncClient(_target(srv.port), sign=False, verify=client_ctx, timeout=2.0) as c:
            with pytest.raises(e.TransportError) as info:
                await c.get("/")
            return info.value.cause_code

    assert asyncio.run(run()) == "http.timeout"
    assert srv.connections == 1
    notes = _wait_notes(srv, 1)
    assert notes and notes[0] < DRIBBLE


def test_per_request_timeout_sets_that_calls_deadline(
    raw_server: Any, server_ctx: Any, client_ctx: Any
) -> None:
    srv = raw_server(HEADERS_DRIBBLE, ctx=server_ctx)
    with Client(_target(srv.port), sign=False, verify=client_ctx, timeout=None) as c:
        with pytest.raises(e.TransportError) as info:
            c.get("/", timeout=2.0)
        assert "deadline is 2 s" in str(info.value)
    assert _wait_notes(srv, 1)[0] < DRIBBLE


# -- retries inside the deadline (no network, no clock reading in the assertions) -----------


def test_no_retry_whose_backoff_reaches_past_the_deadline() -> None:
    sent: list[httpx.Request] = []
    slept: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(503)

    policy = RetryPolicy(
        max_attempts=5, backoff_base=50.0, backoff_max=50.0, sleep=slept.append,
        random=lambda _a, b: b,
    )  # fmt: skip
    target = InvokeTarget.private_dns(API, "us-east-1", "prod")
    with Client(
        target, sign=False, transport=httpx.MockTransport(answer), retries=policy, timeout=10.0
    ) as c:
        assert c.get("/").status_code == 503
        # The same backoff fits a call without a deadline (budget permitting).
        long = RetryPolicy(
            max_attempts=2, backoff_base=50.0, backoff_max=50.0, budget=1000.0,
            sleep=slept.append, random=lambda _a, b: b,
        )  # fmt: skip
        c.retries = long
        assert c.get("/", timeout=None).status_code == 503
    assert len(sent) == 3
    assert slept == [50.0]


def test_timeouts_of_a_request_are_restored_after_the_call() -> None:
    """Each attempt gets the time left; the request keeps the timeouts it was built with."""
    seen: list[dict[str, float | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        return httpx.Response(200)

    target = InvokeTarget.private_dns(API, "us-east-1", "prod")
    with Client(target, sign=False, transport=httpx.MockTransport(answer), timeout=30.0) as c:
        request = c.build_request("GET", "/")
        built = dict(request.extensions["timeout"])
        c.send(request)
    assert request.extensions["timeout"] == built
    assert all(v is not None and v <= 30.0 for v in seen[0].values())


def test_a_request_built_outside_httpx_gets_the_clients_deadline(
    raw_server: Any, server_ctx: Any, client_ctx: Any
) -> None:
    """httpx.Request(...) has no timeouts of its own: send() gives it the client's."""
    srv = raw_server(HEADERS_DRIBBLE, ctx=server_ctx)
    target = _target(srv.port)
    with Client(target, sign=False, verify=client_ctx, timeout=2.0, retries=None) as c:
        with pytest.raises(e.TransportError) as info:
            c.send(httpx.Request("GET", f"{target.base_url}/raw"))
        assert info.value.cause_code == "http.timeout"
    assert _wait_notes(srv, 1)[0] < DRIBBLE
