"""Tests of OrdersService against the local private API Gateway (the pytest fixture).

``private_api_gateway`` comes with privateapi (a pytest plugin): a started
:class:`privateapi.testing.LocalGateway` with one VPC endpoint, closed after the test.

Run: ``pytest examples/service_tests``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from orders_service import InventoryUnavailable, OrdersService

from privateapi.testing import LabRequest, LocalGateway, Route, allow_endpoints_policy

STOCK = {"apple": 5, "pear": 0}


def stock(request: LabRequest) -> tuple[int, dict[str, object]]:
    sku = request.path_parameters["sku"]
    if sku not in STOCK:
        return 404, {"message": f"no such sku {sku}"}
    return 200, {"sku": sku, "available": STOCK[sku]}


def service_for(gw: LocalGateway, api_id: str) -> OrdersService:
    return OrdersService(
        gw.target(api_id, "private_dns"),
        credentials=gw.credentials.as_tuple(),
        verify=gw.ssl_context(),
        retries=None,
    )


@pytest.fixture
def inventory(private_api_gateway: LocalGateway) -> Iterator[OrdersService]:
    api = private_api_gateway.add_api(
        routes=[Route.handler("GET", "/stock/{sku}", stock)], authorization="AWS_IAM"
    )
    service = service_for(private_api_gateway, api.id)
    yield service
    service.close()


def test_accepts_an_order_in_stock(inventory: OrdersService) -> None:
    decision = inventory.place("apple", 3)
    assert decision.accepted
    assert decision.why == "5 in stock"


def test_refuses_an_order_out_of_stock(inventory: OrdersService) -> None:
    assert not inventory.place("pear", 1).accepted


def test_policy_denial_is_a_domain_error(private_api_gateway: LocalGateway) -> None:
    elsewhere = private_api_gateway.add_vpc_endpoint(private_dns=False)
    api = private_api_gateway.add_api(
        routes=[Route.handler("GET", "/stock/{sku}", stock)],
        authorization="AWS_IAM",
        policy=allow_endpoints_policy(elsewhere.id),  # not the endpoint we call through
    )
    service = service_for(private_api_gateway, api.id)
    with pytest.raises(InventoryUnavailable) as info:
        service.place("apple", 1)
    service.close()
    assert info.value.reason == "http.explicit-deny"


def test_throttling_is_a_domain_error(private_api_gateway: LocalGateway) -> None:
    api = private_api_gateway.add_api(
        routes=[Route.handler("GET", "/stock/{sku}", stock)],
        authorization="AWS_IAM",
        throttle=(0.001, 1),  # one request, then 429
    )
    service = service_for(private_api_gateway, api.id)
    service.place("apple", 1)
    with pytest.raises(InventoryUnavailable) as info:
        service.place("apple", 1)
    service.close()
    assert info.value.reason == "http.throttled"
