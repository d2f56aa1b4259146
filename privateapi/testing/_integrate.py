"""The last step of the pipeline: call a route's integration and turn its result into an answer."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, cast

from privateapi.testing import _answers as A  # noqa: N812 - A.internal_error() reads like the table
from privateapi.testing._answers import Answer
from privateapi.testing._routes import LabRequest, LabResponse, Route

if TYPE_CHECKING:
    from privateapi.testing._asgi import AsgiRunner
    from privateapi.testing._routes import AsgiApp, Handler

__all__ = ["Integrator"]


class Integrator:
    """Static answers, Python callables and ASGI apps (on one private event loop)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._asgi: AsgiRunner | None = None
        self._lock = threading.Lock()

    def call(self, route: Route, request: LabRequest) -> Answer:
        """The integration's answer; its exceptions and bad results are the caller's 500."""
        integration = route.integration
        if isinstance(integration, LabResponse):
            body, headers = integration.encoded()
            return Answer(integration.status, body, tuple(headers))
        if route.asgi:
            try:
                response: Any = self._runner().call(
                    cast("AsgiApp", integration), request, self.timeout
                )
            except TimeoutError:
                # API Gateway gives up on an integration after 29 s (INTEGRATION_TIMEOUT).
                return A.internal_error(504, "Endpoint request timed out")
        else:
            response = cast("Handler", integration)(request)
        if not isinstance(response, LabResponse):
            if isinstance(response, bytes | str):
                response = LabResponse(200, response)
            elif isinstance(response, tuple) and len(response) == 2:
                response = LabResponse(int(response[0]), json=response[1])
            else:
                response = LabResponse(200, json=response)
        body, headers = response.encoded()
        return Answer(response.status, body, tuple(headers))

    def _runner(self) -> AsgiRunner:
        with self._lock:
            if self._asgi is None:
                from privateapi.testing._asgi import AsgiRunner

                self._asgi = AsgiRunner()
            return self._asgi

    def close(self) -> None:
        """Stop the ASGI event loop, if one was started."""
        with self._lock:
            runner, self._asgi = self._asgi, None
        if runner is not None:
            runner.close()
