"""Shared fixtures for the local gateway's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from privateapi.testing import LocalGateway


@pytest.fixture(scope="module")
def gw() -> Iterator[LocalGateway]:
    """One gateway per test module (tests add their own APIs)."""
    with LocalGateway() as gateway:
        yield gateway
