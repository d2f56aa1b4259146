"""The Lambda probe, called in Python against the local private API Gateway."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import REGION, Context, Gateway, client, recorded

from privateapi.fleet._compact import MAX_TARGETS, SSM_LIMIT
from privateapi.fleet.handler import handler, where_it_ran
from privateapi.testing import Fault

DENY_ALL: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        }
    ],
}


def _event(*targets: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"targets": list(targets), "where": False, **extra}


def _schema_ok(result: dict[str, Any]) -> None:
    import jsonschema

    schemas = json.loads((recorded.__globals__["DATA"] / "schemas.json").read_text())
    jsonschema.validate(result, schemas["fleet_result"])


def test_healthy_endpoint_passes_with_labels(gateway: Gateway) -> None:
    """Every style of a healthy API: verdict pass, where it ran, labels kept."""
    targets = [gateway.target(s) for s in ("private_dns", "vpce_alias", "host_header")]
    res = handler(_event(*targets, labels={"ou": "ou-ab12-cdef3456"}), Context())
    _schema_ok(res)
    assert res["verdict"] == "pass", [r["causes"] for r in res["reports"]]
    assert [r["verdict"] for r in res["reports"]] == ["pass", "pass", "pass"]
    assert res["where"]["account"] == "111122223333"
    assert res["where"]["region"] == REGION
    assert res["where"]["ou"] == "ou-ab12-cdef3456"
    assert res["reports"][0]["local_address"].startswith("127.")
    assert res["trimmed"] == 0
    assert {c["id"] for c in res["reports"][0]["checks"]} >= {"dns.lookup", "http.probe"}


def test_broken_endpoints_fail_with_their_causes(gateway: Gateway) -> None:
    """A deny policy, a wrong-name certificate and a reset: each cause is reported."""
    gw = gateway.gw
    other = gw.add_api(endpoints=[gateway.vpce_id])
    gw.set_policy(other.id, DENY_ALL)
    deny = gateway.target()
    deny["url"] = gw.target(other.id, "private_dns").base_url
    res = handler(_event(gateway.target(), deny), Context())
    assert res["verdict"] == "fail"
    assert res["reports"][0]["verdict"] == "pass"
    assert res["reports"][1]["verdict"] == "fail"
    assert res["reports"][1]["causes"] == ["http.explicit-deny"]
    gw.set_tls_mode("wrong-name")
    res = handler(_event(gateway.target()), Context())
    assert res["reports"][0]["causes"] == ["tls.name-mismatch"]
    gw.set_tls_mode("normal")
    with gw.add_fault(Fault.error(500, "boom")):
        res = handler(_event(gateway.target(checks=["http"])), Context())
    assert res["reports"][0]["verdict"] == "fail"
    assert res["reports"][0]["causes"] == ["http.backend-error"]


def test_nxdomain_when_private_dns_is_off(gateway: Gateway) -> None:
    """Private DNS off: the name does not resolve, later steps are not checked."""
    target = gateway.target()
    gateway.gw.set_private_dns(gateway.vpce_id, False)
    res = handler(_event(target), Context())
    rep = res["reports"][0]
    assert rep["causes"][0] == "dns.nxdomain"
    assert "http.probe" in rep["not_checked"]


def test_ssm_limit_on_request(gateway: Gateway) -> None:
    """limit "ssm": the answer is within 24,000 characters."""
    res = handler(_event(*[gateway.target()] * 3, limit="ssm"), Context())
    assert len(json.dumps(res)) <= SSM_LIMIT
    assert res["size_limit"] == SSM_LIMIT


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("not json", "event"),
        (42, "event"),
        ({"targets": []}, "targets"),
        ({"targets": ["https://x"], "colour": "red"}, "colour"),
        (
            {
                "targets": ["https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/p"]
                * (MAX_TARGETS + 1)
            },
            "at most",
        ),
        ({"targets": ["u"], "labels": {"a": ["list"]}}, "labels"),
        ({"targets": ["u"], "where": "yes"}, "where"),
        ({"targets": ["u"], "limit": 10}, "limit"),
    ],
)
def test_bad_event_is_an_error_result_not_a_traceback(event: Any, message: str) -> None:
    """The handler never raises on bad input: verdict error and a message naming it."""
    res = handler(event, Context())
    assert res["verdict"] == "error"
    assert message in res["error"]
    assert res["reports"] == []


def test_bad_target_is_an_error_entry_and_the_others_run(gateway: Gateway) -> None:
    """A bad URL or option: its own error entry; the healthy target still passes."""
    res = handler(
        _event(
            gateway.target(),
            {"url": "not a url"},
            {"url": gateway.target()["url"], "timeout": -1},
            {"url": gateway.target()["url"], "bogus": 1},
            {"api_id": "a1b2c3d4e5"},
            {"api_id": "a1b2c3d4e5", "region": REGION, "stage": "prod", "style": "nope"},
        ),
        Context(),
    )
    verdicts = [r["verdict"] for r in res["reports"]]
    assert verdicts == ["pass", "error", "error", "error", "error", "error"]
    errors = [r.get("error", "") for r in res["reports"][1:]]
    assert "timeout" in errors[1] and "bogus" in errors[2] and "style" in errors[4]
    assert res["verdict"] == "fail"


def test_facts_target_and_json_string_event(gateway: Gateway) -> None:
    """A target given by facts (api_id, region, stage) and an event given as JSON text."""
    t = gateway.target()
    facts = {k: v for k, v in t.items() if k != "url"}
    facts.update(api_id=gateway.api_id, region=REGION, stage="prod")
    res = handler(json.dumps(_event(facts)), Context())
    assert res["reports"][0]["verdict"] == "pass"
    assert (
        res["reports"][0]["target"]["label"]
        == f"api_id={gateway.api_id} region={REGION} stage=prod"
    )


def test_not_enough_time_left_is_said_not_passed(gateway: Gateway) -> None:
    """With 2 s left, no doctor run can finish: the target is not run, and says why."""
    res = handler(_event(gateway.target()), Context(remaining_ms=2_000))
    rep = res["reports"][0]
    assert rep["verdict"] == "error"
    assert "function's time" in rep["error"]


def test_where_it_ran_reads_the_function_configuration(moto: str) -> None:
    """GetFunctionConfiguration + DescribeSubnets (moto): VPC, subnets, and this run's AZ."""
    import io
    import zipfile

    ec2 = client("ec2", moto)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1a")
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone="us-east-1b")
    sg = ec2.create_security_group(GroupName="probe", Description="probe", VpcId=vpc)["GroupId"]
    iam = client("iam", moto)
    role = iam.create_role(
        RoleName="probe-where",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("x.py", "")
    client("lambda", moto).create_function(
        FunctionName="probe-where",
        Runtime="python3.12",
        Role=role,
        Handler="privateapi.fleet.handler.handler",
        Code={"ZipFile": buf.getvalue()},
        VpcConfig={
            "SubnetIds": [a["Subnet"]["SubnetId"], b["Subnet"]["SubnetId"]],
            "SecurityGroupIds": [sg],
        },
    )
    ctx = Context()
    ctx.invoked_function_arn = ctx.invoked_function_arn.replace(
        "privateapi-fleet-probe", "probe-where"
    )
    # No packet goes to 10.20.2.7: the address is only matched against the subnet CIDRs.
    where = where_it_ran(
        ctx, {"AWS_LAMBDA_FUNCTION_NAME": "probe-where"}, local_addresses=("10.20.2.7",)
    )
    assert where["platform"] == "lambda"
    # moto answers VpcConfig.VpcId with a fixed placeholder, not the subnets' VPC.
    assert where["vpc_id"].startswith("vpc-")
    assert where["subnet_ids"] == [a["Subnet"]["SubnetId"], b["Subnet"]["SubnetId"]]
    assert where["security_group_ids"] == [sg]
    assert where["subnet_id"] == b["Subnet"]["SubnetId"]
    assert where["availability_zone"] == "us-east-1b"
    unknown = where_it_ran(ctx, {}, local_addresses=("192.0.2.1",))
    assert "availability_zone" not in unknown
    assert "unknown" in unknown["notes"][0]


def test_where_it_ran_survives_a_denied_lookup(aws_env: None) -> None:
    """No AWS reachable (the dead endpoint): a note, and the probe still answers."""
    where = where_it_ran(Context(), {"AWS_LAMBDA_FUNCTION_NAME": "privateapi-fleet-probe"})
    assert where["account"] == "111122223333"
    assert "function configuration not read" in where["notes"][0]
    assert where_it_ran(None, {"AWS_REGION": "eu-west-1"}) == {
        "platform": "local",
        "region": "eu-west-1",
    }
