"""Fixtures for the doctor tests: a local gateway, fake DNS, options wired to loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from _dnsstub import DnsStub
from doctor_lab import API_ID, REGION, Lab

from privateapi._targets import InvokeTarget


@pytest.fixture
def lab() -> Iterator[Lab]:
    """A local private API Gateway with a healthy API (allow-all policy)."""
    from privateapi.testing import LocalGateway

    with LocalGateway(region=REGION) as gw:
        ep = gw.endpoint()
        api = gw.add_api(endpoints=[ep.id])
        yield Lab(gw=gw, api_id=api.id, vpce_id=ep.id)


@pytest.fixture
def fake_dns(dns_stub: Callable[..., DnsStub]) -> DnsStub:
    """An empty stub DNS (the root ``dns_stub`` fixture); tests fill ``records``/``cnames``."""
    return dns_stub()


@pytest.fixture
def target() -> InvokeTarget:
    """A private-DNS target for API_ID."""
    return InvokeTarget.private_dns(API_ID, REGION, "prod")
