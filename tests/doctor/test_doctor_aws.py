"""AWS control-plane checks against moto's server on loopback, through botocore.

moto gaps (test-lab.md §3) are worked around where the worlds are seeded
(``tests/_moto.py``); ``DnsEntries`` are wrong and are only displayed, never judged.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from doctor_lab import FakeIMDS, Lab, free_port, offline

from privateapi._targets import InvokeTarget
from privateapi.doctor import DoctorOptions, Status, run
from tests._moto import REGION, Moto


@dataclass
class Aws(Moto):
    """moto seeded through botocore (``tests/_moto.py``), and the doctor's options for it."""

    def options(self, **kw: Any) -> DoctorOptions:
        base: dict[str, Any] = {
            "no_aws": False,
            "endpoint_url": self.url,
            "credentials": ("testing", "testing"),
            "checks": ("aws", "policy.evaluate"),
            # Generous: only moto on loopback answers, and a loaded machine must not fail
            # a check that is about AWS's answer, not its speed.
            "timeout": 10.0,
        }
        base.update(kw)
        return offline(**base)


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    yield f"http://{host}:{port}"
    srv.stop()


@pytest.fixture(scope="module")
def aws(moto_server: str) -> Aws:
    import botocore.session

    s = botocore.session.get_session()
    kw = {
        "region_name": REGION,
        "endpoint_url": moto_server,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    return Aws(
        url=moto_server, ec2=s.create_client("ec2", **kw), apigw=s.create_client("apigateway", **kw)
    )


@pytest.fixture
def imds() -> Iterator[FakeIMDS]:
    srv = FakeIMDS({"placement/region": REGION, "local-ipv4": "10.0.1.25"})
    yield srv
    srv.close()


def _by(rep: Any) -> dict[str, Any]:
    return {r.check_id: r for r in rep.results}


def test_healthy_setup_passes_every_aws_check(aws: Aws, imds: FakeIMDS) -> None:
    """PRIVATE API with a policy and stage; endpoint available in 2 AZs admitting 443."""
    net = aws.network()
    api = aws.api(vpces=[net["vpce"]])
    t = InvokeTarget.vpce_alias(api, REGION, "prod", vpce_id=net["vpce"])
    rep = run(
        t,
        aws.options(
            sign=True,
            imds=True,
            imds_endpoint=imds.url,
            checks=("env.platform", "aws", "policy.evaluate"),
        ),
    )
    by = _by(rep)
    assert by["aws.identity"].status is Status.INFO
    assert by["aws.identity"].data["account"] == "123456789012"
    for cid in ("aws.api", "aws.stage", "aws.vpce", "aws.vpc"):
        assert by[cid].status is Status.PASS, (cid, by[cid].summary)
    assert by["aws.vpce"].evidence["availability_zones"] == ["us-east-1a", "us-east-1b"]
    assert by["aws.vpce"].evidence["sg_admits_443"] is True
    assert by["policy.evaluate"].status is Status.PASS
    assert by["policy.evaluate"].evidence["source"] == "get-rest-api"
    assert by["policy.evaluate"].evidence["principal"].startswith("arn:aws:sts::123456789012")


def test_api_not_private(aws: Aws) -> None:
    """A REGIONAL API: aws.api-not-private."""
    api = aws.api(types=("REGIONAL",))
    rep = run(InvokeTarget.private_dns(api, REGION, "prod"), aws.options())
    assert _by(rep)["aws.api"].cause == "aws.api-not-private"


def test_alias_endpoint_not_associated(aws: Aws) -> None:
    """Alias style with an endpoint missing from vpcEndpointIds."""
    net = aws.network()
    api = aws.api()
    rep = run(InvokeTarget.vpce_alias(api, REGION, "prod", vpce_id=net["vpce"]), aws.options())
    r = _by(rep)["aws.api"]
    assert r.status is Status.FAIL and r.cause == "aws.vpce-not-associated"
    assert "update-rest-api" in (r.hint or "")


def test_no_resource_policy(aws: Aws) -> None:
    """A private API without a policy rejects everything: policy.missing."""
    api = aws.api(policy=None)
    rep = run(InvokeTarget.private_dns(api, REGION, "prod"), aws.options())
    assert _by(rep)["aws.api"].cause == "policy.missing"


def test_stage_missing(aws: Aws) -> None:
    """The URL's stage does not exist: aws.stage-missing."""
    api = aws.api()
    rep = run(InvokeTarget.private_dns(api, REGION, "nope"), aws.options())
    assert _by(rep)["aws.stage"].cause == "aws.stage-missing"


def test_api_not_found_is_a_warning(aws: Aws) -> None:
    """Another account's API is not found here: a warning, never a failure."""
    rep = run(InvokeTarget.private_dns("zzzzzzzzzz", REGION, "prod"), aws.options())
    by = _by(rep)
    assert by["aws.api"].status is Status.WARN
    assert by["aws.stage"].status is Status.SKIP


def test_private_dns_disabled_for_private_dns_style(aws: Aws) -> None:
    """The endpoint's private DNS is off: fatal for the private-DNS style only."""
    net = aws.network(private_dns=False)
    api = aws.api(vpces=[net["vpce"]])
    t = InvokeTarget(
        style="private_dns", api_id=api, region=REGION, stage="prod", vpce_id=net["vpce"]
    )
    rep = run(t, aws.options())
    assert _by(rep)["aws.vpce"].cause == "aws.private-dns-disabled"
    rep = run(InvokeTarget.vpce_alias(api, REGION, "prod", vpce_id=net["vpce"]), aws.options())
    assert _by(rep)["aws.vpce"].status is Status.PASS


def test_single_az_and_security_group(aws: Aws, imds: FakeIMDS) -> None:
    """One AZ warns; no rule for 443 from this host fails; both are reported."""
    net = aws.network(zones=("us-east-1a",), sg_443=False)
    api = aws.api(vpces=[net["vpce"]])
    rep = run(
        InvokeTarget.vpce_alias(api, REGION, "prod", vpce_id=net["vpce"]),
        aws.options(
            imds=True, imds_endpoint=imds.url, checks=("env.platform", "aws", "policy.evaluate")
        ),
    )
    r = _by(rep)["aws.vpce"]
    assert r.status is Status.FAIL and r.cause == "aws.sg-blocks-443"
    assert "one Availability Zone" in r.summary
    assert "10.0.1.25/32" in (r.hint or "")


def test_single_az_alone_warns(aws: Aws) -> None:
    """Without knowing this host's address, the 443 rule cannot be judged; one AZ warns."""
    net = aws.network(zones=("us-east-1a",))
    api = aws.api(vpces=[net["vpce"]])
    rep = run(InvokeTarget.vpce_alias(api, REGION, "prod", vpce_id=net["vpce"]), aws.options())
    r = _by(rep)["aws.vpce"]
    assert r.status is Status.WARN and r.cause == "aws.single-az"
    assert r.evidence["sg_admits_443"] is None


def test_endpoint_policy_denies(aws: Aws) -> None:
    """An endpoint policy without an Allow for this API: aws.endpoint-policy-denies."""
    deny = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}
    net = aws.network(endpoint_policy=deny)
    api = aws.api(vpces=[net["vpce"]])
    rep = run(InvokeTarget.vpce_alias(api, REGION, "prod", vpce_id=net["vpce"]), aws.options())
    r = _by(rep)["aws.vpce"]
    assert r.cause == "aws.endpoint-policy-denies"
    assert r.evidence["endpoint_policy"]["outcome"] == "explicit_deny"


def test_vpc_dns_attributes(aws: Aws) -> None:
    """enableDnsHostnames off: fails the private-DNS style, warns for the alias."""
    net = aws.network(dns_hostnames=False)
    api = aws.api(vpces=[net["vpce"]])
    t = InvokeTarget(
        style="private_dns", api_id=api, region=REGION, stage="prod", vpce_id=net["vpce"]
    )
    r = _by(run(t, aws.options()))["aws.vpc"]
    assert r.status is Status.FAIL and r.cause == "aws.vpc-dns-attributes"
    r = _by(run(InvokeTarget.vpce_alias(api, REGION, "prod", vpce_id=net["vpce"]), aws.options()))[
        "aws.vpc"
    ]
    assert r.status is Status.WARN


def test_endpoint_discovered_from_the_vpc(aws: Aws) -> None:
    """Without --vpce-id the execute-api endpoint of this host's VPC is found."""
    net = aws.network()
    api = aws.api(vpces=[net["vpce"]])
    rep = run(InvokeTarget.private_dns(api, REGION, "prod"), aws.options(source_vpc=net["vpc"]))
    r = _by(rep)["aws.vpce"]
    assert r.status is Status.PASS and r.data["vpce_id"] == net["vpce"]
    rep = run(
        InvokeTarget.private_dns(api, REGION, "prod"), aws.options(source_vpc="vpc-0000000000")
    )
    assert _by(rep)["aws.vpce"].status is Status.WARN
    assert _by(rep)["aws.vpc"].status in (Status.SKIP, Status.WARN, Status.PASS)


def test_unknown_endpoint_id(aws: Aws) -> None:
    """A vpce id that does not exist: aws.vpce-unavailable."""
    api = aws.api()
    t = InvokeTarget.vpce_alias(api, REGION, "prod", vpce_id="vpce-0bbbbbbbbbbbbbbbb")
    assert _by(run(t, aws.options()))["aws.vpce"].cause == "aws.vpce-unavailable"


def test_unreachable_aws_never_fails(lab: Lab) -> None:
    """AWS APIs unreachable: the aws checks skip (aws.unreachable); the verdict still passes."""
    dead = f"http://127.0.0.1:{free_port()}"
    # A closed loopback port refuses at once, so a generous timeout costs nothing here and
    # keeps the gateway probes (DNS, TCP, TLS, HTTP) passing on a loaded machine; with
    # 0.5 s this failed under CPU load (the probes, not AWS, ran out of time).
    rep = run(lab.target("vpce_alias"), lab.options(no_aws=False, endpoint_url=dead, timeout=10.0))
    by = _by(rep)
    for cid in ("aws.identity", "aws.api", "aws.vpce"):
        assert by[cid].status is Status.SKIP, (cid, by[cid].summary)
        assert by[cid].cause == "aws.unreachable"
    assert rep.verdict == "pass"


def test_no_credentials_skips(aws: Aws) -> None:
    """No credentials for the control plane: skip, not fail."""
    rep = run(InvokeTarget.private_dns("a1b2c3d4e5", REGION, "prod"), aws.options(credentials=None))
    by = _by(rep)
    assert by["aws.identity"].status is Status.SKIP
    assert "credentials" in by["aws.identity"].summary
    assert rep.counts["fail"] == 0


@contextlib.contextmanager
def _aws_answering(status: int, content_type: str, body: bytes, **headers: str) -> Iterator[str]:
    """A loopback stand-in for an AWS endpoint that answers every call with one error."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer  # noqa: N815 - http.server's names

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def _run_one_aws_check(url: str, check: str) -> Any:
    opts = offline(
        no_aws=False,
        endpoint_url=url,
        credentials=("testing", "testing"),
        checks=(check,),
        timeout=10.0,  # the stand-in answers at once; a loaded machine may be slow to run it
    )
    return run(InvokeTarget.private_dns("a1b2c3d4e5", REGION, "prod"), opts)


def test_access_denied_warns() -> None:
    """AccessDenied from AWS: warn aws.access-denied (this check could not look)."""
    body = (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
        b"<Message>no</Message></Error><RequestId>1</RequestId></ErrorResponse>"
    )
    with _aws_answering(403, "text/xml", body) as url:
        rep = _run_one_aws_check(url, "aws.identity")
    r = rep.result("aws.identity")
    assert r is not None and r.status is Status.WARN and r.cause == "aws.access-denied"
    assert r.hint is not None and "sts:GetCallerIdentity" in r.hint and "--" not in r.hint


def test_unexpected_aws_error_warns_not_internal_error() -> None:
    """A 500 from API Gateway's control plane: warn naming the AWS code, no crash report."""
    answer = _aws_answering(
        500, "application/json", b'{"message": "boom"}', x_amzn_ErrorType="InternalFailure"
    )
    with answer as url:
        rep = _run_one_aws_check(url, "aws.api")
    r = rep.result("aws.api")
    assert r is not None
    assert r.status is Status.WARN, r.summary
    assert "InternalFailure" in r.summary
    assert "internal error" not in r.summary
    assert rep.counts["fail"] == 0


def test_no_region_skips() -> None:
    """A custom domain without a region: nothing to ask AWS."""
    t = InvokeTarget.custom_domain("api.example.internal")
    rep = run(t, offline(no_aws=False, checks=("aws.identity",)))
    r = rep.result("aws.identity")
    assert r is not None and r.status is Status.SKIP and "region" in r.summary


def test_security_group_rule_matching() -> None:
    """Rules admit 443 by CIDR (v4/v6) or by this host's groups; unknowns stay unknown."""
    from privateapi.doctor._aws import _rule_admits

    tcp443 = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    assert _rule_admits({**tcp443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}, "10.0.1.5", set())
    assert not _rule_admits({**tcp443, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}, "10.0.1.5", set())
    assert _rule_admits({**tcp443, "Ipv6Ranges": [{"CidrIpv6": "fd00::/8"}]}, "fd00::5", set())
    assert not _rule_admits(
        {"IpProtocol": "udp", "FromPort": 443, "ToPort": 443}, "10.0.1.5", set()
    )
    assert not _rule_admits({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}, "10.0.1.5", set())
    assert _rule_admits(
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, "10.0.1.5", set()
    )
    pair = {**tcp443, "UserIdGroupPairs": [{"GroupId": "sg-1"}]}
    assert _rule_admits(pair, "10.0.1.5", {"sg-1"}) is True
    assert _rule_admits(pair, "10.0.1.5", set()) is None
    assert _rule_admits(pair, "10.0.1.5", {"sg-2"}) is False
    assert _rule_admits({**tcp443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}, None, set()) is None
    assert _rule_admits(tcp443, None, set()) is False


def test_escaped_policy_text() -> None:
    """API Gateway may return the policy with escaped quotes; it is unescaped for evaluation."""
    from privateapi.doctor._aws import _unescape_policy

    raw = '{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[]}'
    assert json.loads(_unescape_policy(raw)) == {"Version": "2012-10-17", "Statement": []}
    assert _unescape_policy('{"a": 1}') == '{"a": 1}'


def test_bad_profile_and_session_credentials(aws: Aws) -> None:
    """An unknown profile skips with the reason; session-token credentials are passed on."""
    t = InvokeTarget.private_dns("a1b2c3d4e5", REGION, "prod")
    rep = run(t, aws.options(credentials=None, profile="no-such-profile", checks=("aws.identity",)))
    r = rep.result("aws.identity")
    assert r is not None and r.status is Status.SKIP and "AWS client" in r.summary
    rep = run(t, aws.options(credentials=("testing", "testing", "token"), checks=("aws.identity",)))
    r = rep.result("aws.identity")
    assert r is not None and r.status is Status.INFO


def test_custom_domain_without_api_id_skips(aws: Aws) -> None:
    """A custom domain target names no API: aws.api and aws.stage skip with the reason."""
    t = InvokeTarget.custom_domain("api.example.internal", region=REGION)
    by = _by(run(t, aws.options(checks=("aws.api", "aws.stage"))))
    assert by["aws.api"].status is Status.SKIP and "API id" in by["aws.api"].summary
    assert by["aws.stage"].status is Status.SKIP


@pytest.mark.parametrize(
    ("status", "error_type", "cause"),
    [
        (429, "TooManyRequestsException", "aws.throttled"),
        (403, "UnrecognizedClientException", "aws.credentials-rejected"),
        (409, "ConflictException", "aws.call-failed"),
    ],
)
def test_aws_errors_warn_with_their_cause(status: int, error_type: str, cause: str) -> None:
    """Every warning of an AWS check carries a cause from _aws's one table."""
    answer = _aws_answering(
        status, "application/json", b'{"message": "no"}', x_amzn_ErrorType=error_type
    )
    with answer as url:
        rep = _run_one_aws_check(url, "aws.stage")
    # aws.stage needs aws.api, which meets the answer first; aws.stage then skips.
    warned = [r for r in rep.results if r.status is Status.WARN]
    assert warned, [(r.check_id, r.status, r.summary) for r in rep.results]
    assert {r.cause for r in warned} == {cause}


def test_an_unusable_endpoint_url_skips_with_the_reason() -> None:
    rep = _run_one_aws_check("ftp://nowhere", "aws.identity")
    r = rep.result("aws.identity")
    assert r is not None and r.status is Status.SKIP
    assert "cannot build an AWS client" in r.summary and "endpoint_url" in r.summary
