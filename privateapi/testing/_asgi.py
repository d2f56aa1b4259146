"""Run a user's ASGI application as a route's integration (HTTP proxy style).

The app runs on one private event loop thread (started on first use), so sync
connection threads can hand it requests with ``run_coroutine_threadsafe``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from privateapi.testing._routes import AsgiApp, LabRequest, LabResponse

__all__ = ["AsgiRunner"]


class AsgiRunner:
    """An event loop in a daemon thread that calls ASGI apps."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="privateapi-lab-asgi", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def call(self, app: AsgiApp, request: LabRequest, timeout: float = 29.0) -> LabResponse:
        """Call ``app`` with ``request``; 29 s is API Gateway's integration timeout."""
        future = asyncio.run_coroutine_threadsafe(_call(app, request), self._ensure())
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()  # the app's task is cancelled, as the caller gets its 504
            raise

    def close(self) -> None:
        """Stop the loop and join its thread (idempotent)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=2)
        loop.close()


async def _call(app: AsgiApp, request: LabRequest) -> LabResponse:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "https",
        "path": request.path,
        "raw_path": request.path.encode(),
        "query_string": request.query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers],
        "client": (request.source_ip, 0),
        "server": ("127.0.0.1", 443),
        "extensions": {
            "privateapi.lab": {
                "api_id": request.api_id,
                "stage": request.stage,
                "principal": request.principal,
            }
        },
    }
    sent_body = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": request.body, "more_body": False}
        await asyncio.Event().wait()  # pragma: no cover - apps rarely wait for disconnect
        return {"type": "http.disconnect"}  # pragma: no cover

    status = 500
    headers: dict[str, str] = {}
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            for k, v in message.get("headers", []):
                headers[k.decode("latin-1")] = v.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))

    await app(scope, receive, send)
    return LabResponse(status, b"".join(chunks), headers)
