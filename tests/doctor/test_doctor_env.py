"""Environment checks: metadata (fake IMDS/ECS on loopback), proxies, hosts file, credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from doctor_lab import API_HOST, FakeECS, FakeIMDS, free_port, offline

from privateapi._targets import InvokeTarget
from privateapi.doctor import Status, run
from privateapi.doctor._env import proxy_for

MAC = "0e:11:22:33:44:55"
NET = f"network/interfaces/macs/{MAC}"


def _one(target: InvokeTarget, check: str, **kw: object):  # type: ignore[no-untyped-def]
    return run(target, offline(checks=(check,), **kw)).result(check)


def test_imdsv2_discovers_region_vpc_subnet(target: InvokeTarget) -> None:
    """IMDSv2 (token first) on a loopback fake: region, VPC, CIDRs, address, groups."""
    imds = FakeIMDS(
        {
            "placement/region": "us-east-1",
            "placement/availability-zone": "us-east-1a",
            "instance-id": "i-0123",
            "local-ipv4": "10.0.1.25",
            "mac": MAC,
            f"{NET}/vpc-id": "vpc-0abc",
            f"{NET}/subnet-id": "subnet-0abc",
            f"{NET}/vpc-ipv4-cidr-blocks": "10.0.0.0/16\n100.64.0.0/16",
            f"{NET}/security-group-ids": "sg-0aaa\nsg-0bbb",
        }
    )
    try:
        r = _one(target, "env.platform", imds=True, imds_endpoint=imds.url)
    finally:
        imds.close()
    assert r is not None and r.status is Status.INFO
    assert r.data["vpc_id"] == "vpc-0abc"
    assert r.data["vpc_cidrs"] == ["10.0.0.0/16", "100.64.0.0/16"]
    assert r.data["security_group_ids"] == ["sg-0aaa", "sg-0bbb"]
    assert "ec2: region us-east-1, vpc_id vpc-0abc" in r.summary


def test_imds_endpoint_from_environment(target: InvokeTarget) -> None:
    """AWS_EC2_METADATA_SERVICE_ENDPOINT is honoured; nothing listening is just info."""
    port = free_port()
    r = _one(
        target,
        "env.platform",
        imds=True,
        environ={"AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://127.0.0.1:{port}"},
    )
    assert r is not None and r.status is Status.INFO
    assert "127.0.0.1" in r.evidence["tried"]["imds"]


def test_imds_disabled_by_environment(target: InvokeTarget) -> None:
    """AWS_EC2_METADATA_DISABLED=true: IMDS is not asked at all."""
    r = _one(target, "env.platform", imds=True, environ={"AWS_EC2_METADATA_DISABLED": "true"})
    assert r is not None and r.evidence["tried"]["imds"] == "disabled"


def test_imds_token_refused(target: InvokeTarget) -> None:
    """An IMDS that refuses the token (IMDSv1-only proxies, hop limit) is reported as tried."""
    imds = FakeIMDS({})
    try:
        r = _one(target, "env.platform", imds=True, imds_endpoint=imds.url + "/nope")
    finally:
        imds.close()
    assert r is not None and "404" in r.evidence["tried"]["imds"]


def test_ecs_task_metadata(target: InvokeTarget) -> None:
    """ECS: region from the task ARN, address from the container's network."""
    ecs = FakeECS(
        {
            "TaskARN": "arn:aws:ecs:eu-west-1:123456789012:task/c/abc",
            "AvailabilityZone": "eu-west-1b",
        },
        {"Networks": [{"IPv4Addresses": ["10.1.2.3"]}]},
    )
    try:
        r = _one(target, "env.platform", environ={"ECS_CONTAINER_METADATA_URI_V4": ecs.url})
    finally:
        ecs.close()
    assert r is not None
    assert r.data["platform"] == "ecs"
    assert r.data["region"] == "eu-west-1"
    assert r.data["local_ipv4"] == "10.1.2.3"


def test_ecs_unreachable_falls_back(target: InvokeTarget) -> None:
    """A dead ECS endpoint is recorded, then IMDS (disabled here) is tried."""
    port = free_port()
    r = _one(
        target,
        "env.platform",
        environ={"ECS_CONTAINER_METADATA_URI_V4": f"http://127.0.0.1:{port}/v4"},
    )
    assert r is not None and "ecs" in r.evidence["tried"]


def test_lambda_environment(target: InvokeTarget) -> None:
    """Lambda: the function and region from the environment."""
    r = _one(
        target,
        "env.platform",
        environ={"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_REGION": "us-west-2"},
    )
    assert r is not None and r.data == {
        "platform": "lambda",
        "function": "fn",
        "region": "us-west-2",
    }


@pytest.mark.parametrize(
    ("env", "proxied"),
    [
        ({}, False),
        ({"HTTPS_PROXY": "http://proxy:3128"}, True),
        ({"https_proxy": "http://proxy:3128"}, True),
        ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": ".amazonaws.com"}, False),
        (
            {
                "HTTPS_PROXY": "http://proxy:3128",
                "NO_PROXY": "*.execute-api.us-east-1.amazonaws.com",
            },
            False,
        ),
        ({"HTTPS_PROXY": "http://proxy:3128", "no_proxy": API_HOST}, False),
        ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "*"}, False),
        ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "example.com, ,10.0.0.0/8"}, True),
        ({"ALL_PROXY": "http://proxy:3128"}, True),
    ],
)
def test_proxy_decision(env: dict[str, str], proxied: bool) -> None:
    """HTTPS_PROXY/https_proxy unless NO_PROXY exempts the host (suffix, wildcard, *)."""
    assert (proxy_for(API_HOST, env) is not None) is proxied


def test_proxy_for_addresses() -> None:
    """NO_PROXY CIDRs match address hosts."""
    env = {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8,bad/cidr"}
    assert proxy_for("10.1.2.3", env) is None
    assert proxy_for("192.168.1.1", env) == "http://p:1"


def test_proxy_check_warns_and_masks_password(target: InvokeTarget) -> None:
    """env.proxy warns with env.proxy and never shows the proxy password."""
    r = _one(target, "env.proxy", environ={"HTTPS_PROXY": "http://u:s3cret@proxy:3128"})
    assert r is not None and r.status is Status.WARN and r.cause == "env.proxy"
    assert "s3cret" not in str(r.to_dict())
    ok = _one(
        target, "env.proxy", environ={"HTTPS_PROXY": "http://p:1", "NO_PROXY": ".amazonaws.com"}
    )
    assert ok is not None and ok.status is Status.PASS and "exempts" in ok.summary


def test_hosts_file_pinning(target: InvokeTarget, tmp_path: Path) -> None:
    """A hosts entry for the API name warns with dns.hosts-override, naming the line."""
    hosts = tmp_path / "hosts"
    hosts.write_text(f"127.0.0.1 localhost\n# comment\n10.9.9.9 {API_HOST.upper()} # pinned\n")
    r = _one(target, "env.hosts", hosts_file=str(hosts))
    assert r is not None and r.status is Status.WARN and r.cause == "dns.hosts-override"
    assert "line 3" in r.summary
    hosts.write_text("127.0.0.1 localhost\n")
    r = _one(target, "env.hosts", hosts_file=str(hosts))
    assert r is not None and r.status is Status.PASS
    r = _one(target, "env.hosts", hosts_file=str(tmp_path / "missing"))
    assert r is not None and r.status is Status.SKIP


def test_credentials(target: InvokeTarget) -> None:
    """Static credentials pass (masked); none warn creds.missing; --no-sign skips."""
    r = _one(target, "env.credentials", sign=True, credentials=("AKIDEXAMPLE12345", "secret"))
    assert r is not None and r.status is Status.PASS
    assert r.evidence["access_key"] == "AKID…2345"
    assert "secret" not in str(r.to_dict())
    r = _one(target, "env.credentials", sign=True)
    assert r is not None and r.status is Status.WARN and r.cause == "creds.missing"
    r = _one(target, "env.credentials", sign=False)
    assert r is not None and r.status is Status.SKIP


def test_credentials_from_the_botocore_chain(
    target: InvokeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default chain (environment variables here) names its method."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE12345")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
    r = _one(target, "env.credentials", sign=True)
    assert r is not None and r.status is Status.PASS
    assert r.evidence["method"] == "env"
    assert r.evidence["temporary"] is True


def test_vpc_cidrs_from_imds_make_answers_private(target: InvokeTarget) -> None:
    """A VPC in public space (BYOIP): IMDS's CIDRs make its endpoint addresses private."""
    from _dnsstub import DnsStub

    imds = FakeIMDS(
        {"mac": MAC, f"{NET}/vpc-ipv4-cidr-blocks": "203.0.113.0/24", f"{NET}/vpc-id": "vpc-1"}
    )
    dns_srv = DnsStub({API_HOST + ".": {"A": ["203.0.113.5"]}})
    try:
        rep = run(
            target,
            offline(
                imds=True,
                imds_endpoint=imds.url,
                resolver=dns_srv.address,
                checks=("env.platform", "dns.lookup"),
            ),
        )
    finally:
        imds.close()
        dns_srv.close()
    r = rep.result("dns.lookup")
    assert r is not None and r.status is Status.PASS, r.summary
