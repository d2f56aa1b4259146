"""The TOML lab configuration: a full example builds a working lab; errors name the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lab_helpers import raw_client

from privateapi._auth import SigV4Auth
from privateapi.testing import LabConfig, LabConfigError, load_config

FULL = """
[gateway]
region = "eu-west-1"
account_id = "111122223333"
vpc_id = "vpc-0123456789abcdef0"

[[endpoints]]
name = "main"
id = "vpce-0123456789abcdef0"
zones = ["eu-west-1a"]

[[endpoints]]
name = "restricted"
private_dns = false
policy_file = "endpoint-policy.json"

[[credentials]]
access_key_id = "AKIAEXAMPLEKEY000001"
secret_access_key = "lab-secret"
arn = "arn:aws:iam::111122223333:role/app"

[[credentials]]
access_key_id = "ASIAEXAMPLEKEY000002"
secret_access_key = "old"
session_token = "tok"
expires = 2020-01-01T00:00:00Z

[[apis]]
id = "a1b2c3d4e5"
stages = ["prod", "test"]
endpoints = ["main", "restricted"]
policy = "allow-endpoints"
throttle = { rate = 1000, burst = 2000 }

  [[apis.routes]]
  method = "GET"
  path = "/ping"
  json = { message = "pong" }

  [[apis.routes]]
  method = "POST"
  path = "/orders"
  status = 201
  body = "created"
  headers = { "Content-Type" = "text/plain" }
  authorization = "AWS_IAM"
  throttle = { rate = 10, burst = 5 }

  [[apis.routes]]
  path = "/{proxy+}"

[[apis]]
id = "b1b2c3d4e5"
authorization = "AWS_IAM"
policy = '''{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
  "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}'''

[[apis]]
id = "c1b2c3d4e5"
policy = "none"

[[custom_domains]]
name = "api.example.internal"
endpoints = ["main"]
mappings = { "v1" = "a1b2c3d4e5/prod" }

[[faults]]
kind = "latency"
seconds = 0.01
api = "a1b2c3d4e5"
path = "/ping"

[[faults]]
kind = "status"
status = 503
vpce = "restricted"
count = 1
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "endpoint-policy.json").write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "execute-api:Invoke",
                        "Resource": "*",
                    }
                ],
            }
        )
    )
    path = tmp_path / "lab.toml"
    path.write_text(text)
    return path


def test_full_config(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, FULL))
    with cfg.build().start() as gw:
        assert gw.region == "eu-west-1"
        assert gw.endpoints[0].id == "vpce-0123456789abcdef0"
        assert gw.credentials.access_key_id == "AKIAEXAMPLEKEY000001"
        assert gw.api("a1b2c3d4e5").stages == ("prod", "test")
        with raw_client(gw, gw.target("a1b2c3d4e5", "vpce_alias")) as c:
            assert c.get("/ping").json() == {"message": "pong"}
            assert c.post("/orders").status_code == 403
        with raw_client(
            gw,
            gw.target("a1b2c3d4e5"),
            auth=SigV4Auth(gw.credentials.as_tuple(), region="eu-west-1"),
        ) as c:
            r = c.post("/orders")
            assert (r.status_code, r.text) == (201, "created")
        expired = gw.all_credentials[1]
        with raw_client(
            gw, gw.target("b1b2c3d4e5"), auth=SigV4Auth(expired.as_tuple(), region="eu-west-1")
        ) as c:
            assert c.get("/x").json() == {
                "message": "The security token included in the request is expired"
            }
        with raw_client(gw, gw.target("c1b2c3d4e5")) as c:
            assert c.get("/x").status_code == 403
        with raw_client(gw, gw.target(style="custom_domain")) as c:
            assert c.get("/ping").json() == {"message": "pong"}


def test_default_config() -> None:
    with load_config().build() as gw:
        gw.start()
        with raw_client(gw, gw.target("a1b2c3d4e5")) as c:
            assert c.get("/ping").json() == {"message": "pong"}


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"bogus": 1}, "bogus"),
        ({"gateway": {"region": 5}}, "gateway.region"),
        ({"gateway": {"port": 70000}}, "gateway.port"),
        ({"gateway": {"port": True}}, "gateway.port"),
        ({"gateway": {"colour": "red"}}, "gateway.colour"),
        ({"endpoints": {"id": "x"}}, "endpoints"),
        ({"endpoints": [{"idd": "x"}]}, "endpoints[0].idd"),
        ({"endpoints": [{"id": "vpce-zz"}]}, "endpoints[0].id"),
        ({"endpoints": [{"zones": "us-east-1a"}]}, "endpoints[0].zones"),
        ({"endpoints": [{"policy": 5}]}, "endpoints[0].policy"),
        ({"endpoints": [{"policy_file": "missing.json"}]}, "endpoints[0].policy_file"),
        ({"credentials": [{"access_key_id": "A"}]}, "credentials[0].secret_access_key"),
        (
            {"credentials": [{"access_key_id": "A", "secret_access_key": "s", "expires": "soon"}]},
            "credentials[0].expires",
        ),
        (
            {"credentials": [{"access_key_id": "A", "secret_access_key": "s", "expires": 5}]},
            "credentials[0].expires",
        ),
        ({"apis": [{"id": "a1b2c3d4e5", "routes": [{"method": "GET"}]}]}, "apis[0].routes[0].path"),
        (
            {"apis": [{"id": "a1b2c3d4e5", "routes": [{"path": "/", "method": 1}]}]},
            "apis[0].routes[0].method",
        ),
        (
            {"apis": [{"id": "a1b2c3d4e5", "routes": [{"path": "/", "method": "FETCH"}]}]},
            "apis[0].routes[0].method",
        ),
        (
            {"apis": [{"id": "a1b2c3d4e5", "routes": [{"path": "/", "colour": 1}]}]},
            "apis[0].routes[0].colour",
        ),
        ({"apis": [{"id": "a1b2c3d4e5", "authorization": "CUSTOM"}]}, "apis[0].authorization"),
        ({"apis": [{"id": "a1b2c3d4e5", "endpoints": ["nope"]}]}, "apis[0].endpoints[0]"),
        ({"apis": [{"id": "a1b2c3d4e5", "endpoints": [1]}]}, "apis[0].endpoints[0]"),
        (
            {"apis": [{"id": "a1b2c3d4e5", "throttle": {"rate": -1, "burst": 1}}]},
            "apis[0].throttle.rate",
        ),
        (
            {"apis": [{"id": "a1b2c3d4e5", "throttle": {"rate": 1, "burst": 0}}]},
            "apis[0].throttle.burst",
        ),
        (
            {"apis": [{"id": "a1b2c3d4e5", "throttle": {"rate": 1, "burst": 1, "x": 1}}]},
            "apis[0].throttle.x",
        ),
        ({"apis": [{"id": "a1b2c3d4e5", "throttle": 5}]}, "apis[0].throttle"),
        ({"apis": [{"id": "a1b2c3d4e5", "policy": "open-sesame"}]}, "apis[0].policy"),
        ({"custom_domains": [{"mappings": {}}]}, "custom_domains[0].name"),
        ({"faults": [{"kind": "meteor"}]}, "faults[0].kind"),
        ({"faults": [{"kind": "latency", "vpce": "nope"}]}, "faults[0].vpce"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, data: dict[str, Any], key: str) -> None:
    with pytest.raises(LabConfigError) as info:
        LabConfig.from_dict(data, base_dir=tmp_path).build().close()
    assert info.value.field == key, str(info.value)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(LabConfigError, match="readable TOML"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[gateway\n")
    with pytest.raises(LabConfigError, match="valid TOML"):
        load_config(bad)
    with pytest.raises(LabConfigError):
        LabConfig.from_dict([])  # type: ignore[arg-type]


# -- every bad value fails at load, naming the key (never per request) ---------------------------

_NESTED = "{a = " * 60 + "1" + "}" * 60
_POLICY_HEAD = (
    '[[apis]]\npolicy = {Version = "2012-10-17", Statement = [{Effect = "Allow",'
    ' Principal = "*", Action = "execute-api:Invoke", Resource = "execute-api:/*",'
)
_ROUTE = '[[apis]]\n[[apis.routes]]\npath = "/x"\n'


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[[faults]]\nkind = "latency"\nseconds = 1\npath = ["/x"]\n', "faults[0].path"),
        ('[[faults]]\nkind = "latency"\nseconds = nan\n', "faults[0].seconds"),
        ('[[faults]]\nkind = "latency"\nseconds = inf\n', "faults[0].seconds"),
        ('[[faults]]\nkind = "latency"\nseconds = true\n', "faults[0].seconds"),
        ('[[faults]]\nkind = "throttle"\ncount = 1.5\n', "faults[0].count"),
        ('[[faults]]\nkind = "status"\nstatus = 999\n', "faults[0].status"),
        ('[[faults]]\nkind = "latency"\napi = "zzzzzzzzzz"\n', "faults[0].api"),
        ('[[faults]]\nkind = "tls"\nmode = "expired"\nmethod = "GET"\n', "faults[0].scope"),
        (_ROUTE + "status = 999\n", "apis[0].routes[0].status"),
        (
            _ROUTE + 'headers = { "X-A" = "a\\r\\nX-Injected: 1" }\n',
            "apis[0].routes[0].headers.X-A",
        ),
        (_ROUTE + 'headers = { "X-A" = "caf\\u20ac" }\n', "apis[0].routes[0].headers.X-A"),
        (_ROUTE + 'headers = { "X-A" = 5 }\n', "apis[0].routes[0].headers.X-A"),
        (_ROUTE + 'headers = { "Bad Name" = "x" }\n', "apis[0].routes[0].headers.Bad Name"),
        (_ROUTE + "json = " + _NESTED + "\n", "apis[0].routes[0].json"),
        (_ROUTE + "json = 2020-01-01T00:00:00Z\n", "apis[0].routes[0].json"),
        ('[[apis]]\nstages = "prod"\n', "apis[0].stages"),
        (
            '[[apis]]\ndisable_execute_api_endpoint = "yes"\n',
            "apis[0].disable_execute_api_endpoint",
        ),
        ('[[apis]]\nendpoint_access_mode = "STRICT"\n', "apis[0].endpoint_access_mode"),
        ('[[endpoints]]\nprivate_dns = "yes"\n', "endpoints[0].private_dns"),
        ('[[endpoints]]\nip_address_type = "ipv5"\n', "endpoints[0].ip_address_type"),
        ('[[endpoints]]\ntls_mode = "sloppy"\n', "endpoints[0].tls_mode"),
        (
            '[[apis]]\nid = "a1b2c3d4e5"\n[[custom_domains]]\nname = "x.example"\n'
            'mappings = { v1 = "garbage" }\n',
            "custom_domains[0].mappings.v1",
        ),
        (
            '[[apis]]\nid = "a1b2c3d4e5"\n[[custom_domains]]\nname = "x.example"\n'
            'mappings = { v1 = "a1b2c3d4e5/prod" }\nassociations = { default = "soon" }\n',
            "custom_domains[0].associations.default",
        ),
        (_POLICY_HEAD + " Condition = " + _NESTED + "}]}\n", "apis[0].policy"),
        ('[[apis]]\npolicy_file = "/dev/zero"\n', "apis[0].policy_file"),
        ('[[apis]]\npolicy_file = "big.json"\n', "apis[0].policy_file"),
        ('[[apis]]\npolicy_file = "nested.json"\n', "apis[0].policy_file"),
        ('[[apis]]\npolicy_file = "."\n', "apis[0].policy_file"),
    ],
)
def test_bad_values_fail_at_load_naming_the_key(tmp_path: Path, toml: str, key: str) -> None:
    (tmp_path / "big.json").write_text('{"Statement": [], "pad": "' + "x" * 100_000 + '"}')
    (tmp_path / "nested.json").write_text("[" * 5000 + "]" * 5000)
    path = tmp_path / "lab.toml"
    path.write_text(toml)
    with pytest.raises(LabConfigError) as info:
        load_config(path)
    assert info.value.field == key, str(info.value)
    assert len(str(info.value)) < 600  # a 100 KB value is shortened, not echoed


def test_toml_nested_beyond_the_parser_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "lab.toml"
    path.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(LabConfigError, match="nested less deeply"):
        load_config(path)
    with pytest.raises(LabConfigError, match="regular file"):
        load_config("/dev/zero")


def test_new_keys_build_a_working_lab(tmp_path: Path) -> None:
    """TLS and DNS faults, STRICT and access associations, from the TOML file."""
    import socket
    import ssl

    import dns.message
    import dns.query
    import dns.rcode

    path = tmp_path / "lab.toml"
    path.write_text(
        """
[[endpoints]]
name = "main"
[[endpoints]]
name = "bad-tls"
private_dns = false
[[apis]]
id = "a1b2c3d4e5"
endpoints = ["main"]
security_policy = "SecurityPolicy_TLS13_1_3_2025_09"
endpoint_access_mode = "STRICT"
[[custom_domains]]
name = "api.example.internal"
mappings = { "" = "a1b2c3d4e5/prod" }
associations = { main = "pending" }
[[faults]]
kind = "tls"
mode = "expired"
vpce = "bad-tls"
[[faults]]
kind = "dns"
mode = "servfail"
"""
    )
    with load_config(path).build() as gw:
        assert gw.api("a1b2c3d4e5").endpoint_access_mode == "STRICT"
        assert gw.custom_domains[0].associations == {gw.endpoints[0].id: "pending"}
        bad = gw.endpoints[1]
        with (
            socket.create_connection((bad.address, bad.port), timeout=3) as s,
            pytest.raises(ssl.SSLCertVerificationError) as info,
        ):
            gw.ssl_context().wrap_socket(s, server_hostname=bad.dns_name)
        assert info.value.verify_code == 10
        host, port = gw.resolver
        q = dns.message.make_query(bad.dns_name, "A")
        assert dns.query.udp(q, host, port=port, timeout=2).rcode() == dns.rcode.SERVFAIL
