"""Fidelity: API Gateway's limits, STRICT endpoint access mode, private custom domains with
access associations, dualstack endpoints and per-gateway credentials, over real sockets."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator
from typing import Any

import dns.resolver
import pytest
from lab_helpers import raw_client

import privateapi
from privateapi._auth import SigV4Auth
from privateapi.testing import LabConfigError, LocalGateway, Route
from privateapi.testing._registry import ipv6_loopback_available

REGION = "us-east-1"
ACCOUNT = "123456789012"
ENHANCED = "SecurityPolicy_TLS13_1_3_2025_09"


@pytest.fixture(scope="module")
def lab() -> Iterator[LocalGateway]:
    with LocalGateway(REGION, ACCOUNT) as gw:
        yield gw


def check_apigw(r: Any) -> None:
    assert r.headers["x-amzn-requestid"]
    assert r.headers["x-amz-apigw-id"]
    assert r.headers["date"]


# -- limits ----------------------------------------------------------------------------------------


def test_method_arn_over_1600_bytes_is_414(lab: LocalGateway) -> None:
    api = lab.add_api(routes=[Route("GET", "/{proxy+}")])
    prefix = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api.id}/prod/GET/"
    room = 1600 - len(prefix)
    with raw_client(lab, lab.target(api.id)) as c:
        ok = c.get("/" + "a" * room)
        assert ok.status_code == 200, ok.text
        r = c.get("/" + "a" * (room + 1))
    assert r.status_code == 414
    assert r.json() == {"message": "Request URI too long"}
    check_apigw(r)
    # the ARN counts the decoded path: percent-encoded bytes count once decoded
    with raw_client(lab, lab.target(api.id)) as c:
        assert c.get("/" + "%61" * room).status_code == 200


def test_resource_policy_is_capped_at_8192_characters_when_put(lab: LocalGateway) -> None:
    def policy_of(size: int) -> str:
        doc = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": "execute-api:/*",
                }
            ],
        }
        pad = size - len(json.dumps(doc))
        doc["Statement"][0]["Sid"] = "A" * pad
        text = json.dumps(doc)
        assert len(text) == size
        return text

    api = lab.add_api(policy=policy_of(8192))  # exactly the limit: accepted
    with pytest.raises(LabConfigError) as info:
        lab.add_api(policy=policy_of(8193))
    assert info.value.field == "api.policy"
    assert "8,192 characters" in str(info.value)
    with pytest.raises(LabConfigError):
        lab.set_policy(api.id, json.loads(policy_of(8193)))  # a mapping counts as sent
    with raw_client(lab, lab.target(api.id)) as c:
        assert c.get("/x").status_code == 200  # the rejected put changed nothing


# -- STRICT ----------------------------------------------------------------------------------------


def test_strict_allows_only_sni_equal_to_the_api_host(lab: LocalGateway) -> None:
    ep = lab.endpoint()
    api = lab.add_api(
        routes=[Route.static("GET", "/ping", json={"ok": True})],
        endpoints=[ep.id],
        security_policy=ENHANCED,
        endpoint_access_mode="STRICT",
    )
    assert lab.api(api.id).endpoint_access_mode == "STRICT"
    for style in ("private_dns", "vpce_alias"):
        with raw_client(lab, lab.target(api.id, style)) as c:
            assert c.get("/ping").json() == {"ok": True}, style
    for style in ("host_header", "api_id_header"):
        with raw_client(lab, lab.target(api.id, style)) as c:
            r = c.get("/ping")
        assert (r.status_code, r.json()) == (403, {"message": "Forbidden"}), style
        err = privateapi.classify(r)
        assert err is not None
        assert err.cause_code == "http.wrong-endpoint"
    lab.set_endpoint_access_mode("BASIC", api_id=api.id)
    with raw_client(lab, lab.target(api.id, "host_header")) as c:
        assert c.get("/ping").status_code == 200
    assert lab.request_log[-1].status == 200


def test_strict_refuses_an_sni_other_than_the_host() -> None:
    import socket
    import ssl

    with LocalGateway(REGION, ACCOUNT) as gw:
        api = gw.add_api(security_policy=ENHANCED, endpoint_access_mode="STRICT")
        ep = gw.endpoint()
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the wrong SNI gets the default certificate

        def call(sni: str) -> bytes:
            with (
                socket.create_connection((ep.address, ep.port), timeout=5) as s,
                ctx.wrap_socket(s, server_hostname=sni) as tls,
            ):
                head = f"GET /prod/x HTTP/1.1\r\nHost: {api.hostname}\r\nConnection: close\r\n"
                tls.sendall(head.encode() + b"\r\n")
                out = b""
                while data := tls.recv(65536):
                    out += data
                return out

        assert call(api.hostname).startswith(b"HTTP/1.1 200")
        refused = call("api.example.com")  # e.g. a public custom domain's name
        assert refused.startswith(b"HTTP/1.1 403")
        assert b'{"message":"Forbidden"}' in refused
        assert gw.request_log[-1].sni == "api.example.com"


def test_strict_needs_an_enhanced_policy(lab: LocalGateway) -> None:
    with pytest.raises(LabConfigError, match="classic security policy"):
        lab.add_api(endpoint_access_mode="STRICT")
    with pytest.raises(LabConfigError, match="BASIC or STRICT"):
        lab.add_api(security_policy=ENHANCED, endpoint_access_mode="LOOSE")
    with pytest.raises(LabConfigError, match="SecurityPolicy_"):
        lab.add_api(security_policy="TLS_9_9")
    api = lab.add_api(security_policy=ENHANCED)
    assert lab.api(api.id).endpoint_access_mode == "BASIC"  # unverified default
    with pytest.raises(LabConfigError):
        lab.set_endpoint_access_mode("STRICT", api_id=api.id, domain="x.example")


def test_strict_on_a_custom_domain(lab: LocalGateway) -> None:
    ep = lab.endpoint()
    api = lab.add_api(routes=[Route.static("GET", "/ping", json={"ok": True})])
    lab.add_custom_domain(
        "strict.example.internal",
        mappings={"v1": (api.id, "prod")},
        endpoints=[ep.id],
        security_policy=ENHANCED,
        endpoint_access_mode="STRICT",
    )
    with raw_client(lab, lab.target(style="custom_domain", domain="strict.example.internal")) as c:
        assert c.get("/ping").json() == {"ok": True}
    t = lab.target(style="custom_domain", domain="strict.example.internal", vpce_id=ep.id)
    with raw_client(lab, t) as c:
        assert c.get("/ping").json() == {"message": "Forbidden"}  # vpce name + Host: domain
    lab.set_endpoint_access_mode("BASIC", domain="strict.example.internal")
    with raw_client(lab, t) as c:
        assert c.get("/ping").json() == {"ok": True}


# -- custom domains: access associations and the domain's policy ----------------------------------


def test_access_association_pending_ready_missing(lab: LocalGateway) -> None:
    api = lab.add_api(routes=[Route.static("GET", "/ping", json={"ok": True})])
    ep = lab.add_vpc_endpoint(private_dns=False)
    name = "assoc.example.internal"
    lab.add_custom_domain(name, mappings={"": (api.id, "prod")})
    # missing: no association, so no consumer hosted zone either
    with pytest.raises(dns.resolver.NXDOMAIN):
        lab.dns_resolver().resolve(name, "A")
    t = lab.target(style="custom_domain", domain=name, vpce_id=ep.id)
    with raw_client(lab, t) as c:
        assert c.get("/ping").json() == {"message": "Forbidden"}
    # pending: the name resolves (the consumer made the zone), API Gateway does not serve it yet
    lab.associate_domain(name, ep.id, state="pending")
    info = next(d for d in lab.custom_domains if d.name == name)
    assert info.associations == {ep.id: "pending"}
    assert [r.to_text() for r in lab.dns_resolver().resolve(name, "A")] == [ep.address]
    with raw_client(lab, lab.target(style="custom_domain", domain=name)) as c:
        r = c.get("/ping")
    assert (r.status_code, r.json()) == (403, {"message": "Forbidden"})
    check_apigw(r)
    # ready
    lab.associate_domain(name, ep.id)
    with raw_client(lab, lab.target(style="custom_domain", domain=name)) as c:
        assert c.get("/ping").json() == {"ok": True}
    # deleted again
    lab.disassociate_domain(name, ep.id)
    with raw_client(lab, t) as c:
        assert c.get("/ping").json() == {"message": "Forbidden"}
    with pytest.raises(LabConfigError):
        lab.associate_domain(name, ep.id, state="soon")


def test_the_domain_policy_is_evaluated_on_the_domain_arn(lab: LocalGateway) -> None:
    api = lab.add_api(routes=[Route.static("GET", "/ping", json={"ok": True})])
    ep = lab.endpoint()
    d = lab.add_custom_domain(
        "policy.example.internal", mappings={"": (api.id, "prod")}, endpoints=[ep.id]
    )
    t = lab.target(style="custom_domain", domain=d.name)
    with raw_client(lab, t) as c:
        assert c.get("/ping").status_code == 200
    lab.set_domain_policy(
        d.name,
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": d.arn,
                    "Condition": {"StringEquals": {"aws:SourceVpce": ep.id}},
                }
            ],
        },
    )
    with raw_client(lab, t) as c:
        r = c.get("/ping")
    assert r.status_code == 403
    assert r.json()["Message"] == (
        f"User: anonymous is not authorized to perform: execute-api:Invoke on resource: {d.arn}"
        " with an explicit deny"
    )


def test_domain_mappings_are_validated(lab: LocalGateway) -> None:
    api = lab.add_api()
    for mappings in (
        {"v1": "garbage"},
        {"v1": "zzzzzzzzzz/prod"},
        {"v1": f"{api.id}/bad stage"},
        {"a/b": f"{api.id}/prod"},
        {"v1": 5},
    ):
        with pytest.raises(LabConfigError) as info:
            lab.add_custom_domain("m.example.internal", mappings=mappings)  # type: ignore[arg-type]
        assert info.value.field.startswith("custom_domain.mappings"), info.value


# -- dualstack -------------------------------------------------------------------------------------

needs_ipv6 = pytest.mark.skipif(
    not ipv6_loopback_available(), reason="NOT RUN: this host cannot listen on ::1"
)


@needs_ipv6
def test_dualstack_endpoint_answers_a_and_aaaa_and_serves_both() -> None:
    with LocalGateway(REGION, ACCOUNT, default_endpoint=False) as gw:
        ep = gw.add_vpc_endpoint(ip_address_type="dualstack")
        other = gw.add_vpc_endpoint(ip_address_type="dualstack", private_dns=False)
        assert (ep.ip_address_type, ep.ipv6_address) == ("dualstack", "::1")
        assert ep.ipv6_port and other.ipv6_port and ep.ipv6_port != other.ipv6_port
        api = gw.add_api(endpoints=[ep.id])
        r = gw.dns_resolver()
        for name in (
            ep.dns_name,
            api.hostname,
            f"{api.id}-{ep.id}.execute-api.{REGION}.amazonaws.com",
        ):
            assert [x.to_text() for x in r.resolve(name, "A")] == [ep.address], name
            assert [x.to_text() for x in r.resolve(name, "AAAA")] == ["::1"], name
        for style in ("private_dns", "vpce_alias", "host_header", "api_id_header"):
            t6 = gw.target(api.id, style, ipv6=True)
            assert t6.connect_to == f"[::1]:{ep.ipv6_port}", style
            with raw_client(gw, t6) as c:
                body = c.get("/x").json()
            assert body["source_ip"] == "::1"
        with raw_client(gw, gw.target(api.id)) as c:
            assert ipaddress.ip_address(c.get("/x").json()["source_ip"]).version == 4


@needs_ipv6
def test_vpc_source_ip_with_ipv6_in_policies() -> None:
    def only(cidr: str) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": "execute-api:/*",
                    "Condition": {"IpAddress": {"aws:VpcSourceIp": cidr}},
                }
            ],
        }

    with LocalGateway(REGION, ACCOUNT, default_endpoint=False) as gw:
        gw.add_vpc_endpoint(ip_address_type="dualstack")
        api = gw.add_api(policy=only("::1/128"))
        with raw_client(gw, gw.target(api.id, ipv6=True)) as c:
            assert c.get("/x").status_code == 200
        with raw_client(gw, gw.target(api.id)) as c:
            r = c.get("/x")
        assert r.status_code == 403
        assert privateapi.classify(r).cause_code == "http.implicit-deny"  # type: ignore[union-attr]
        gw.set_policy(api.id, only("127.0.0.0/8"))
        with raw_client(gw, gw.target(api.id, ipv6=True)) as c:
            assert c.get("/x").status_code == 403
        with raw_client(gw, gw.target(api.id)) as c:
            assert c.get("/x").status_code == 200


@needs_ipv6
def test_ipv6_only_endpoint_has_aaaa_only() -> None:
    with LocalGateway(REGION, ACCOUNT, default_endpoint=False) as gw:
        ep = gw.add_vpc_endpoint(ip_address_type="ipv6", private_dns=False)
        assert (ep.address, ep.ip_address_type, ep.ipv6_address) == ("::1", "ipv6", None)
        assert [x.to_text() for x in gw.dns_resolver().resolve(ep.dns_name, "AAAA")] == ["::1"]
        with pytest.raises(dns.resolver.NoAnswer):
            gw.dns_resolver().resolve(ep.dns_name, "A")


def test_ip_address_type_is_validated(lab: LocalGateway) -> None:
    with pytest.raises(LabConfigError, match="ipv4, dualstack or ipv6"):
        lab.add_vpc_endpoint(ip_address_type="ipv5", private_dns=False)
    with pytest.raises(LabConfigError):
        lab.add_vpc_endpoint(ipv6_address="::1", private_dns=False)  # ipv4 with an IPv6 address
    with pytest.raises(LabConfigError):
        lab.add_vpc_endpoint(ip_address_type="dualstack", ipv6_address="127.0.0.9")


# -- credentials -----------------------------------------------------------------------------------


def test_built_in_credentials_are_random_per_gateway() -> None:
    with LocalGateway() as a, LocalGateway() as b:
        ka, kb = a.credentials, b.credentials
        assert ka.access_key_id != kb.access_key_id
        assert ka.secret_access_key != kb.secret_access_key
        for creds in (ka, kb):
            assert re.fullmatch(r"AKIA[A-Z2-7]{16}", creds.access_key_id)
            assert len(creds.secret_access_key) == 40
            assert creds.access_key_id != "AKIAIOSFODNN7EXAMPLE"
        api = a.add_api(authorization="AWS_IAM")
        example = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        with raw_client(a, a.target(api.id), auth=SigV4Auth(example, region=REGION)) as c:
            r = c.get("/x")
        assert privateapi.classify(r).cause_code == "http.invalid-token"  # type: ignore[union-attr]
        with raw_client(a, a.target(api.id), auth=SigV4Auth(kb.as_tuple(), region=REGION)) as c:
            assert c.get("/x").status_code == 403  # another gateway's pair is unknown here
        with a.client(api.id) as c:
            assert c.get("/x").status_code == 200
