"""Routing like API Gateway behind an endpoint: Host, x-apigw-api-id, alias, custom domain."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest
from lab_helpers import raw_client

import privateapi
from privateapi import InvalidInputError
from privateapi.testing import (
    DEFAULT_POLICY,
    LabConfigError,
    LabRequest,
    LocalGateway,
    Route,
    allow_endpoints_policy,
)

REGION = "us-east-1"


@pytest.fixture(scope="module")
def lab() -> Iterator[LocalGateway]:
    with LocalGateway(REGION) as gw:
        yield gw


def test_api_id_header_routes_even_with_unrelated_host(lab: LocalGateway) -> None:
    api = lab.add_api()
    t = lab.target(api.id, "api_id_header")
    with raw_client(lab, t) as c:
        r = c.get("/x", headers={"Host": "my-nlb-1234.elb.us-east-1.amazonaws.com"})
        assert r.status_code == 200
        assert r.json()["api_id"] == api.id
        # without the header the same request is not routed
        del c.headers["x-apigw-api-id"]
        assert (
            c.get("/x", headers={"Host": "my-nlb-1234.elb.us-east-1.amazonaws.com"}).status_code
            == 403
        )


def test_header_wins_over_host(lab: LocalGateway) -> None:
    a = lab.add_api()
    b = lab.add_api()
    with raw_client(lab, lab.target(a.id)) as c:
        assert c.get("/x", headers={"x-apigw-api-id": b.id}).json()["api_id"] == b.id


def test_routes_and_parameters(lab: LocalGateway) -> None:
    def pet(req: LabRequest) -> dict[str, Any]:
        return {
            "id": req.path_parameters["id"],
            "q": req.query,
            "h": req.header("X-Test"),
            "body": req.json(),
        }

    api = lab.add_api(
        routes=[
            Route.handler("POST", "/pets/{id}", pet),
            Route.static("GET", "/pets/special", json="literal"),
            Route.static("GET", "/pets/{id}", json="param"),
            Route.static("ANY", "/files/{path+}", json="greedy"),
            Route.static("GET", "/", json="root"),
        ]
    )
    with raw_client(lab, lab.target(api.id)) as c:
        r = c.post("/pets/7", params={"a": "1"}, json={"n": 1}, headers={"X-Test": "yes"})
        assert r.json() == {"id": "7", "q": "a=1", "h": "yes", "body": {"n": 1}}
        assert c.get("/pets/special").json() == "literal"
        assert c.get("/pets/8").json() == "param"
        assert c.delete("/files/a/b/c").json() == "greedy"
        assert c.get("/files").status_code == 403  # {path+} needs at least one segment
        assert c.get("").json() == "root"
        assert c.get("/").json() == "root"
        # HEAD is a method of its own in API Gateway (ANY covers it, GET does not)
        assert c.head("/pets/8").status_code == 403
        r = c.head("/files/x")
        assert (r.status_code, r.content) == (200, b"")


def test_asgi_integration(lab: LocalGateway) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        message = await receive()
        query = scope["query_string"].decode()
        body = f"{scope['method']} {scope['path']} {query} {message['body'].decode()}"
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"content-type", b"text/plain"), (b"x-app", b"1")],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})

    api = lab.add_api(routes=[Route.asgi_app(app)])
    with raw_client(lab, lab.target(api.id)) as c:
        r = c.post("/orders/1", params={"x": "y"}, content=b"hello")
    assert r.status_code == 201
    assert r.text == "POST /orders/1 x=y hello"
    assert r.headers["x-app"] == "1"


def test_custom_domain_base_paths(lab: LocalGateway) -> None:
    a = lab.add_api(routes=[Route("GET", "/pets")])
    b = lab.add_api(routes=[Route("GET", "/{proxy+}")])
    ep = lab.endpoint()
    dom = lab.add_custom_domain(
        "shop.example.internal",
        mappings={"v1": f"{a.id}/prod", "": (b.id, "prod")},
        endpoints=[ep.id],
    )
    assert dom.arn.endswith(f":/domainnames/shop.example.internal+{dom.domain_name_id}")
    t = lab.target(style="custom_domain", domain="shop.example.internal", base_path="v1")
    assert t.base_url == "https://shop.example.internal/v1"
    with raw_client(lab, t) as c:
        r = c.get("/pets")
        assert (r.status_code, r.json()["api_id"], r.json()["path"]) == (200, a.id, "/pets")
        r = c.get("https://shop.example.internal/other/thing")
        assert (r.json()["api_id"], r.json()["path"]) == (b.id, "/other/thing")
    # through the endpoint's DNS name with Host: the domain (vpce + Host style)
    t2 = lab.target(
        style="custom_domain", domain="shop.example.internal", base_path="v1", vpce_id=ep.id
    )
    assert t2.host == ep.dns_name
    with raw_client(lab, t2) as c:
        assert c.get("/pets").json()["api_id"] == a.id


def test_custom_domain_rules(lab: LocalGateway) -> None:
    api = lab.add_api()
    ep2 = lab.add_vpc_endpoint(private_dns=False)
    lab.add_custom_domain(
        "only.example.internal", mappings={"v1": f"{api.id}/prod"}, endpoints=[ep2.id]
    )
    lab.add_custom_domain(
        "denied.example.internal",
        mappings={"v1": f"{api.id}/prod"},
        endpoints=[ep2.id],
        policy=None,
    )
    with raw_client(lab, lab.target(style="custom_domain", domain="only.example.internal")) as c:
        assert c.get("/x").status_code == 200
        assert c.get("https://only.example.internal/v2/x").json() == {"message": "Forbidden"}
    # the first endpoint has no access association: not routed (unverified answer)
    t = lab.target(api.id, "host_header")
    with raw_client(lab, t) as c:
        r = c.get("https://" + t.host + "/v1/x", headers={"Host": "only.example.internal"})
        assert r.json() == {"message": "Forbidden"}
    lab.associate_domain("only.example.internal", lab.endpoint().id)
    with raw_client(lab, t) as c:
        assert (
            c.get(
                "https://" + t.host + "/v1/x", headers={"Host": "only.example.internal"}
            ).status_code
            == 200
        )
    with raw_client(lab, lab.target(style="custom_domain", domain="denied.example.internal")) as c:
        err = privateapi.classify(c.get("/x"))
        assert err is not None
        assert err.cause_code == "http.implicit-deny"
    with pytest.raises(LabConfigError):
        lab.add_custom_domain("*.example.internal", mappings={})
    with pytest.raises(LabConfigError):
        lab.target(style="custom_domain", domain="nope.example.internal")


def test_alias_of_another_endpoint_is_not_routed(lab: LocalGateway) -> None:
    api = lab.add_api()
    ep2 = lab.add_vpc_endpoint(private_dns=False)
    lab.associate(api.id, ep2.id)
    t = lab.target(api.id, "vpce_alias", vpce_id=ep2.id)
    assert t.connect_host == ep2.address
    with raw_client(lab, t) as c:
        r = c.get("/x")
        assert r.json()["source_vpce"] == ep2.id
    # the same alias name arriving at the first endpoint (e.g. captured by its wildcard)
    with raw_client(lab, lab.target(api.id)) as c:
        assert c.get("/x", headers={"Host": t.host}).json() == {"message": "Forbidden"}


def test_policy_context_keys(lab: LocalGateway) -> None:
    ep = lab.endpoint()
    vpc_ip_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {
                    "IpAddress": {"aws:VpcSourceIp": "127.0.0.0/8"},
                    "StringEquals": {"aws:SourceVpc": ep.vpc_id},
                },
            }
        ],
    }
    api = lab.add_api(policy=vpc_ip_only)
    with raw_client(lab, lab.target(api.id)) as c:
        r = c.get("/x")
        assert r.status_code == 200
        assert ipaddress.ip_address(r.json()["source_ip"]).is_loopback
    # aws:SourceIp is absent behind an endpoint: a Deny on NotIpAddress blocks everybody
    lab.set_policy(
        api.id,
        {
            "Version": "2012-10-17",
            "Statement": [
                dict(DEFAULT_POLICY["Statement"][0]),
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": "execute-api:/*",
                    "Condition": {"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
                },
            ],
        },
    )
    with raw_client(lab, lab.target(api.id)) as c:
        assert privateapi.classify(c.get("/x")).cause_code == "http.explicit-deny"  # type: ignore[union-attr]
    lab.set_policy(api.id, allow_endpoints_policy(ep.id))
    with raw_client(lab, lab.target(api.id)) as c:
        assert c.get("/x").status_code == 200


def test_runtime_changes(lab: LocalGateway) -> None:
    api = lab.add_api(routes=[Route("GET", "/a")])
    with raw_client(lab, lab.target(api.id)) as c:
        assert c.get("/b").status_code == 403
        lab.add_route(api.id, Route("GET", "/b"))
        assert c.get("/b").status_code == 200
        lab.set_authorization(api.id, "AWS_IAM")
        assert c.get("/b").json() == {"message": "Missing Authentication Token"}
        lab.set_authorization(api.id, "NONE")
        lab.set_throttle(0.0001, 1, api_id=api.id)
        assert c.get("/b").status_code == 200
        assert c.get("/b").status_code == 429
        lab.set_throttle(None, api_id=api.id)
        assert c.get("/b").status_code == 200


def test_route_and_global_throttle(lab: LocalGateway) -> None:
    api = lab.add_api(routes=[Route("GET", "/slowly", throttle=(0.0001, 2)), Route("GET", "/free")])
    with raw_client(lab, lab.target(api.id)) as c:
        assert [c.get("/slowly").status_code for _ in range(3)] == [200, 200, 429]
        assert c.get("/free").status_code == 200
        lab.set_throttle(0.0001, 1)
        try:
            assert [c.get("/free").status_code for _ in range(2)] == [200, 429]
        finally:
            lab.set_throttle(None)


def test_second_endpoint_has_its_own_address(lab: LocalGateway) -> None:
    ep2 = lab.add_vpc_endpoint(private_dns=False, vpc_id="vpc-0b")
    assert ep2.address != lab.endpoint().address
    assert ep2.port == lab.port  # the same port on every address when it was free
    api = lab.add_api()
    with raw_client(lab, lab.target(api.id, "api_id_header", vpce_id=ep2.id)) as c:
        body = c.get("/x").json()
    assert (body["source_vpce"], body["source_vpc"]) == (ep2.id, "vpc-0b")
    assert lab.endpoint(ep2.id).connect_to == f"{ep2.address}:{ep2.port}"
    zonal = lab.target(api.id, "host_header", vpce_id=ep2.id, zone=f"{REGION}b")
    assert zonal.host == ep2.zonal_dns_names[1]
    urls = lab.urls(api.id)
    assert set(urls) == {"private_dns", "host_header", "api_id_header"}
    assert urls["api_id_header"]["headers"] == {"x-apigw-api-id": api.id}


def test_validation_errors(lab: LocalGateway) -> None:
    api = lab.add_api()
    cases: list[Any] = [
        lambda: lab.add_api("short"),
        lambda: lab.add_api(api.id),
        lambda: lab.add_api(endpoint_type="WEIRD"),
        lambda: lab.add_api(stages=()),
        lambda: lab.add_api(stages=("bad stage",)),
        lambda: lab.add_api(endpoints=["vpce-0fffffffffffffff0"]),
        lambda: lab.add_api(routes=["GET /"]),
        lambda: lab.add_api(authorization="COGNITO"),
        lambda: lab.add_api(policy={"Statement": "nope"}),
        lambda: lab.add_vpc_endpoint(lab.endpoint().id),
        lambda: lab.add_vpc_endpoint(address="10.0.0.1", private_dns=False),
        lambda: lab.add_vpc_endpoint(address="not-an-ip", private_dns=False),
        lambda: lab.add_vpc_endpoint(address=lab.endpoint().address, private_dns=False),
        lambda: lab.api("zzzzzzzzzz"),
        lambda: lab.target(api.id, "carrier_pigeon"),
        lambda: lab.target(api.id, "vpce_alias"),
        lambda: Route("FETCH", "/"),
        lambda: Route("GET", "no-slash"),
        lambda: Route("GET", "/{bad"),
        lambda: Route("GET", "/{greedy+}/more"),
    ]
    for case in cases:
        with pytest.raises(InvalidInputError):
            case()
    assert lab.api(api.id).id == api.id
    assert {a.id for a in lab.apis} >= {api.id}
    assert lab.all_credentials[0] == lab.credentials


def test_lifecycle_rules() -> None:
    gw = LocalGateway(default_endpoint=False)
    with pytest.raises(RuntimeError):
        _ = gw.resolver
    with pytest.raises(LabConfigError):
        gw.target()
    gw.add_vpc_endpoint()  # before start: bound at start
    with gw:
        assert gw.start() is gw
        assert gw.endpoint().port > 0
        with pytest.raises(LabConfigError):
            gw.target()  # no API yet
    gw.close()
    with pytest.raises(RuntimeError):
        gw.start()
    empty = LocalGateway(default_endpoint=False)
    with pytest.raises(LabConfigError):
        empty.endpoint()
    assert empty.port == 0
    with pytest.raises(RuntimeError):
        empty.dns_fault = None
    empty.close()


def test_non_loopback_needs_explicit_permission() -> None:
    with pytest.raises(LabConfigError, match="loopback"):
        LocalGateway(first_address="192.0.2.10")
    gw = LocalGateway(first_address="192.0.2.10", allow_non_loopback=True, default_endpoint=False)
    gw.close()  # never started: nothing was bound


def test_async_with() -> None:
    import asyncio

    async def main() -> int:
        async with LocalGateway() as gw:
            return gw.port

    assert asyncio.run(main()) > 0


def test_async_client(lab: LocalGateway) -> None:
    import asyncio

    api = lab.add_api(authorization="AWS_IAM")

    async def main() -> list[int]:
        async with lab.async_client(api.id, "api_id_header") as client:
            answers = await asyncio.gather(*(client.get(f"/n/{i}") for i in range(5)))
        return [r.status_code for r in answers]

    assert asyncio.run(main()) == [200] * 5


def test_port_taken_on_the_next_address() -> None:
    import socket

    with LocalGateway() as gw:
        port = gw.port
        blocker = socket.socket()
        try:
            blocker.bind(("127.0.0.3", port))
            ep = gw.add_vpc_endpoint(private_dns=False)
        finally:
            blocker.close()
        assert ep.address == "127.0.0.3"
        assert ep.port != port  # fell back to another free port
        with raw_client(gw, gw.target(gw.add_api().id, "api_id_header", vpce_id=ep.id)) as c:
            assert c.get("/x").status_code == 200


def test_asgi_timeout_is_504() -> None:
    import asyncio

    async def slow(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await asyncio.sleep(5)

    with LocalGateway(integration_timeout=0.2) as gw:
        api = gw.add_api(routes=[Route.asgi_app(slow)])
        with raw_client(gw, gw.target(api.id)) as c:
            r = c.get("/x")
    assert (r.status_code, r.json()) == (504, {"message": "Endpoint request timed out"})


def test_ipv6_loopback_endpoint() -> None:
    import dns.resolver

    with LocalGateway(first_address="::1") as gw:
        ep = gw.endpoint()
        assert ep.address == "::1"
        api = gw.add_api(endpoints=[ep.id])
        assert [r.to_text() for r in gw.dns_resolver().resolve(ep.dns_name, "AAAA")] == ["::1"]
        with pytest.raises(dns.resolver.NoAnswer):
            gw.dns_resolver().resolve(ep.dns_name, "A")
        for style in ("private_dns", "vpce_alias", "api_id_header"):
            t = gw.target(api.id, style)
            assert t.connect_to == f"[::1]:{ep.port}"
            with raw_client(gw, t) as c:
                assert c.get("/x").status_code == 200
