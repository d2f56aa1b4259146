"""pytest fixtures for the local private API Gateway (registered through ``pytest11``).

This module is imported by every pytest run wherever privateapi is installed, so it
imports nothing beyond pytest at load time; the gateway (and trustme) load when a
fixture is first used.

Example (``test_orders.py``, no conftest needed)::

    def test_ping(private_api_gateway):
        api = private_api_gateway.add_api()
        with private_api_gateway.client(api.id) as client:
            assert client.get("/ping").status_code == 200
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from privateapi.testing import LocalGateway


@pytest.fixture
def private_api_gateway() -> Iterator[LocalGateway]:
    """A started :class:`~privateapi.testing.LocalGateway` (us-east-1, one endpoint).

    It is closed after the test.
    """
    from privateapi.testing import LocalGateway

    with LocalGateway() as gw:
        yield gw


@pytest.fixture
def private_api_gateway_factory() -> Iterator[Callable[..., LocalGateway]]:
    """A factory ``make(**LocalGateway kwargs)`` for started gateways; all closed after the test."""
    from privateapi.testing import LocalGateway

    made: list[LocalGateway] = []

    def make(**kwargs: Any) -> LocalGateway:
        gw = LocalGateway(**kwargs).start()
        made.append(gw)
        return gw

    yield make
    for gw in made:
        gw.close()
