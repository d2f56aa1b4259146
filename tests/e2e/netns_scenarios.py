"""Run *inside* a fresh network + mount namespace (``unshare -nm``): never in the root one.

Sets up the namespace's loopback, a dnsmasq on 127.0.0.1:53 bind-mounted as the system
resolver, the local gateway on 127.0.0.2:443, and runs ``privateapi doctor`` with its
**default system resolver** as a subprocess per scenario. Prints one JSON object:
``{scenario: report}``. The test in ``test_doctor_netns.py`` starts this with ``unshare``.

:data:`SCENARIOS` is the table of worlds and what the doctor must say in each; it is plain
data, imported (outside any namespace) by the tests to parametrise and to check that every
cause the doctor's checks can emit is produced by some world here.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGION = "us-east-1"
UNKNOWN_API = "zzzzz99999"
# Names the dnsmasq of the namespace answers beside the healthy API's (10 letters/digits).
PUBLIC_ADDR_API = "pubaddr001"  # -> 203.0.113.7: "public" (TEST-NET-3; no route in the netns)
STALE_API = "stale00001"  # -> 127.0.0.9: nothing listens on 443
NO_ROUTE_API = "noroute001"  # -> 10.9.9.9: the fresh namespace has no route there (ENETUNREACH)
AAAA_ONLY_API = "aaaaonly01"  # only an AAAA record (unrouted fd00:ec2::10); NODATA for A
NOT_GW_API = "notgw00001"  # -> 127.0.0.4: a plain HTTPS server, not API Gateway
NLB_NAME = f"internal-privapi-nlb-0123456789abcdef.elb.{REGION}.amazonaws.com"
PROXY = "127.0.0.5:3128"  # a CONNECT stub answering 503
TUNNEL = "127.0.0.11:3128"  # a CONNECT proxy that resolves names itself and tunnels
PROXY_ONLY_API = "proxyonly1"  # unknown to this host's DNS; the proxy knows it
VPC_RESOLVER = "169.254.169.253"  # the Amazon-provided resolver, on the namespace's lo


def _name(api_id: str) -> str:
    return f"{api_id}.execute-api.{REGION}.amazonaws.com"


@dataclass(frozen=True)
class Scenario:
    """One world and what the doctor must report in it.

    ``fails``: (check id, cause) pairs whose check must have status ``fail``; ``warns``:
    pairs whose check must have status ``warn`` or ``fail``; ``skips``: pairs whose check
    must be skipped with that cause (AWS could not be asked). ``verdict`` is the report's
    verdict (``None``: not judged). ``doctor2`` names the rule a world waits for (the doctor
    rewrite in progress): its test is a strict xfail until that lands.
    """

    name: str
    verdict: str | None
    fails: tuple[tuple[str, str], ...] = ()
    warns: tuple[tuple[str, str], ...] = ()
    skips: tuple[tuple[str, str], ...] = ()
    doctor2: str | None = None

    @property
    def causes(self) -> set[str]:
        """Every cause this world is expected to produce."""
        return {cause for _, cause in (*self.fails, *self.warns, *self.skips)}


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("healthy", "pass"),
    Scenario("nxdomain", "fail", (("dns.lookup", "dns.nxdomain"), ("dns.vpc", "dns.nxdomain"))),
    Scenario(
        "hosts-pinned",
        "fail",
        (("tcp.connect", "tcp.refused"),),
        (("env.hosts", "dns.hosts-override"), ("dns.vpc", "dns.resolver-mismatch")),
    ),
    Scenario("sg-drop", "fail", (("tcp.connect", "tcp.timeout"),)),
    Scenario("public-address", "fail", (("dns.lookup", "dns.public-address"),)),
    Scenario("stale-record", "fail", (("tcp.connect", "tcp.refused"),)),
    Scenario("resolver-unreachable", "fail", (("dns.lookup", "dns.resolver-unreachable"),)),
    Scenario("tls-wrong-name", "fail", (("tls.handshake", "tls.name-mismatch"),)),
    Scenario("tls-expired", "fail", (("tls.handshake", "tls.expired"),)),
    Scenario("tls-untrusted", "fail", (("tls.handshake", "tls.untrusted"),)),
    Scenario("tls-stall", "fail", (("tls.handshake", "tls.handshake-failed"),)),
    Scenario("http-backend-error", "fail", (("http.probe", "http.backend-error"),)),
    # A used-up quota fails the caller's call as surely as a throttle does (issue 11 §2).
    Scenario("http-quota", "fail", (("http.probe", "http.quota-exceeded"),)),
    Scenario("http-reset", "fail", (("http.probe", "http.connection-failed"),)),
    Scenario("http-explicit-deny", "fail", (("http.probe", "http.explicit-deny"),)),
    Scenario("http-missing-token-wrong-stage", "fail", (("http.probe", "http.missing-token"),)),
    Scenario("http-wrong-endpoint-public-api", "fail", (("http.probe", "http.wrong-endpoint"),)),
    Scenario("http-payload-too-large", "fail", (("http.probe", "http.payload-too-large"),)),
    Scenario("http-unauthorized", "fail", (("http.probe", "http.unauthorized"),)),
    Scenario("http-slow", "fail", (("http.probe", "http.timeout"),)),
    Scenario(
        "creds-missing-iam",
        "fail",
        (("http.probe", "http.missing-token"),),
        (("env.credentials", "creds.missing"),),
    ),
    # The rules the doctor rewrite (doctor2) adds: written now, strict xfail until it lands.
    Scenario(
        "tcp-no-route",
        "fail",
        (("tcp.connect", "tcp.unreachable"),),
    ),
    Scenario(
        "hosts-override-breaks-path",
        "fail",
        (("env.hosts", "dns.hosts-override"),),
    ),
    Scenario(
        "http-not-api-gateway",
        "fail",
        (("http.probe", "http.not-api-gateway"),),
    ),
    Scenario(
        "env-proxy-connect-503",
        "fail",
        (("http.probe", "env.proxy"),),
    ),
    Scenario(
        "http-throttled",
        "fail",
        (("http.probe", "http.throttled"),),
    ),
    Scenario(
        "dns-aaaa-only",
        "fail",
        (("dns.lookup", "dns.nodata"),),
    ),
    # Unverified: that the local gateway presents its execute-api certificate for an NLB
    # server name (as AWS does); doctor2 sends the URL's name as SNI.
    Scenario(
        "tls-name-mismatch-nlb",
        "fail",
        (("tls.handshake", "tls.name-mismatch"),),
    ),
    # A proxy that carries the call: judged through it, a warning, the call passes.
    Scenario("proxy-tunnels", "pass", warns=(("env.proxy", "env.proxy"),)),
    # Only the proxy reaches the API (this host cannot even resolve it): the call works.
    Scenario(
        "proxy-only-path",
        "pass",
        warns=(("env.proxy", "env.proxy"), ("dns.lookup", "dns.nxdomain")),
    ),
    # The gateway's own refusals of an unsigned call.
    Scenario("http-implicit-deny", "fail", (("http.probe", "http.implicit-deny"),)),
    Scenario("http-authorizer-deny", "fail", (("http.probe", "http.authorizer-deny"),)),
    Scenario("http-backend-rejected", "fail", (("http.probe", "http.backend-rejected"),)),
    # A signed probe (credentials in the environment) and the gateway's SigV4 check.
    Scenario("signed-healthy", "pass"),
    Scenario("http-signature-mismatch", "fail", (("http.probe", "http.signature-mismatch"),)),
    Scenario("http-invalid-token", "fail", (("http.probe", "http.invalid-token"),)),
    Scenario("http-expired-token", "fail", (("http.probe", "http.expired-token"),)),
    Scenario("http-clock-skew", "fail", (("http.probe", "http.clock-skew"),)),
    Scenario("http-incomplete-signature", "fail", (("http.probe", "http.incomplete-signature"),)),
    # The control plane: moto in the namespace (netns_aws.py), the doctor's AWS checks on.
    Scenario("aws-healthy", "pass"),
    Scenario("aws-api-not-private", "fail", (("aws.api", "aws.api-not-private"),)),
    Scenario("aws-vpce-not-associated", "fail", (("aws.api", "aws.vpce-not-associated"),)),
    Scenario("policy-missing", "fail", (("aws.api", "policy.missing"),)),
    Scenario("aws-stage-missing", "fail", (("aws.stage", "aws.stage-missing"),)),
    # The API is not in the account the credentials see (another account's): not a failure.
    Scenario("aws-not-found", "pass", warns=(("aws.api", "aws.not-found"),)),
    # Private DNS off (or the VPC's DNS attributes off): the name resolves publicly.
    Scenario(
        "aws-private-dns-disabled",
        "fail",
        (("aws.vpce", "aws.private-dns-disabled"), ("dns.lookup", "dns.public-address")),
    ),
    Scenario(
        "aws-vpc-dns-attributes",
        "fail",
        (("aws.vpc", "aws.vpc-dns-attributes"), ("dns.lookup", "dns.public-address")),
    ),
    Scenario("aws-single-az", "pass", warns=(("aws.vpce", "aws.single-az"),)),
    # The endpoint's group admits only SSH, and the namespace drops 443 as the group would.
    Scenario(
        "aws-sg-blocks-443",
        "fail",
        (("aws.vpce", "aws.sg-blocks-443"), ("tcp.connect", "tcp.timeout")),
    ),
    # The endpoint policy denies: AWS says so, and the gateway's endpoint refuses the call.
    Scenario(
        "aws-endpoint-policy-denies",
        "fail",
        (("aws.vpce", "aws.endpoint-policy-denies"), ("http.probe", "http.endpoint-policy-deny")),
    ),
    Scenario("aws-vpce-unavailable", "fail", (("aws.vpce", "aws.vpce-unavailable"),)),
    Scenario("aws-vpce-not-found", "pass", warns=(("aws.vpce", "aws.vpce-not-found"),)),
    Scenario(
        "policy-denies",
        "fail",
        (("policy.evaluate", "policy.denies"), ("http.probe", "http.explicit-deny")),
    ),
    # The saved policy allows; the live API (the gateway) still denies: not deployed.
    Scenario(
        "policy-not-deployed",
        "fail",
        (("policy.evaluate", "policy.not-deployed"), ("http.probe", "http.explicit-deny")),
    ),
    # AWS's answers moto cannot give: a stand-in answering every call with one error.
    Scenario("aws-unreachable", "pass", skips=(("aws.identity", "aws.unreachable"),)),
    Scenario("aws-access-denied", "pass", warns=(("aws.identity", "aws.access-denied"),)),
    Scenario(
        "aws-credentials-rejected", "pass", warns=(("aws.identity", "aws.credentials-rejected"),)
    ),
    Scenario("aws-throttled", "pass", warns=(("aws.identity", "aws.throttled"),)),
    Scenario("aws-call-failed", "pass", warns=(("aws.identity", "aws.call-failed"),)),
    Scenario("aws-bad-answer", "pass", warns=(("aws.api", "aws.bad-answer"),)),
)

#: Causes the doctor can emit that no world here produces, each with why (the test checks
#: this list is exact, so a new cause, or a new world covering one, shows up).
NOT_PRODUCED: dict[str, str] = {}


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True)


def guard() -> None:
    """Refuse to run unless this is a fresh namespace: only ``lo``, no routes."""
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    names = [ln.split(":")[1].strip().split("@")[0] for ln in links.splitlines() if ln.strip()]
    routes = subprocess.run(["ip", "route"], capture_output=True, text=True, check=True).stdout
    if names != ["lo"] or routes.strip():
        sys.exit(f"refusing to run outside a fresh network namespace (links {names})")


def doctor(
    url: str,
    ca: str,
    *extra: str,
    env: dict[str, str] | None = None,
    aws: str | None = None,
) -> dict[str, Any]:
    """``privateapi doctor URL --json`` as a user runs it; ``aws``: the AWS endpoint URL.

    Without ``aws`` the AWS checks are off (``--no-aws``); with it they ask that endpoint
    with the namespace's moto credentials.
    """
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    full_env = {**base, "AWS_EC2_METADATA_DISABLED": "true", "NO_COLOR": "1"}
    if aws is not None:
        import netns_aws

        full_env.update(netns_aws.CREDENTIALS)
    full_env.update(env or {})
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "privateapi_cli",
            "doctor",
            url,
            "--ca-bundle",
            ca,
            *(("--endpoint-url", aws) if aws is not None else ("--no-aws",)),
            "--json",
            "--timeout",
            "1",
            *extra,
        ],
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
        timeout=60,
    )
    try:
        report: dict[str, Any] = json.loads(out.stdout)
    except json.JSONDecodeError:
        report = {"verdict": "error", "checks": [], "stdout": out.stdout, "stderr": out.stderr}
    report["exit_code"] = out.returncode
    return report


@contextlib.contextmanager
def bind(path: Path, over: str) -> Iterator[None]:
    """Bind-mount ``path`` over ``over`` (a private mount namespace: the host never sees it)."""
    sh("mount", "--bind", str(path), over)
    try:
        yield
    finally:
        sh("umount", over)


@contextlib.contextmanager
def iptables(*rule: str) -> Iterator[None]:
    """One rule in this namespace's own iptables, removed afterwards."""
    sh("iptables", "-A", *rule)
    try:
        yield
    finally:
        sh("iptables", "-D", *rule)


@contextlib.contextmanager
def https_stub(address: str, cert: Any) -> Iterator[None]:
    """A plain HTTPS server answering 200 ``{"ok": true}``, with no x-amz* header at all."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Server", "nginx")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    srv = http.server.ThreadingHTTPServer((address, 443), Handler)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield
    finally:
        srv.shutdown()
        srv.server_close()


@contextlib.contextmanager
def connect_503(hostport: str) -> Iterator[None]:
    """A squid-like forward proxy that answers every CONNECT with 503."""
    host, port = hostport.rsplit(":", 1)
    lsock = socket.create_server((host, int(port)))
    lsock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = lsock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.settimeout(5)
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nX-Squid-Error: ERR_DNS_FAIL 0\r\n"
                    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                )

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield
    finally:
        stop.set()
        lsock.close()
        t.join(5)


@contextlib.contextmanager
def connect_tunnel(hostport: str, names: dict[str, str]) -> Iterator[list[str]]:
    """A forward proxy that tunnels ``CONNECT host:port`` to ``names[host]`` (its own DNS).

    Yields the request lines it received. Any name it does not know gets 502.
    """
    host, port = hostport.rsplit(":", 1)
    lsock = socket.create_server((host, int(port)))
    seen: list[str] = []

    def relay(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def one(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            seen.append(line)
            target = line.split()[1] if line.startswith("CONNECT ") else ""
            name, _, tport = target.rpartition(":")
            if name not in names:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            with socket.create_connection((names[name], int(tport)), timeout=10) as up:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                back = threading.Thread(target=relay, args=(up, conn), daemon=True)
                back.start()
                relay(conn, up)
                back.join(10)

    def serve() -> None:
        while True:
            try:
                conn, _ = lsock.accept()
            except OSError:
                return
            threading.Thread(target=one, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield seen
    finally:
        lsock.close()


def _dnsmasq(records: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            "dnsmasq",
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--no-poll",
            # The VPC resolver's link-local address too (the doctor asks it on EC2).
            f"--listen-address=127.0.0.1,{VPC_RESOLVER}",
            "--bind-interfaces",
            "--port=53",
            "--pid-file=",
            "--user=root",
            *(f"--host-record={r}" for r in records),
            "--address=/#/",
            "--local-ttl=1",
        ],
    )


def _deny_authorizer(event: dict[str, Any]) -> dict[str, Any]:
    """A Lambda authorizer that answers Deny for every call."""
    return {
        "principalId": "nobody",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": event["methodArn"]}
            ],
        },
    }


@dataclass
class Plane:
    """The control plane's worlds as seeded: ids in moto, mirrored on the gateway."""

    records: list[str]
    ids: dict[str, str]


def seed_control_plane(gw: Any, moto: Any) -> Plane:
    """Seed moto with one VPC/endpoint/API per world; the gateway serves the same APIs.

    Each API exists on both sides with the same id: moto answers the doctor's AWS checks,
    the gateway answers its probe, and each world is consistent across the two (an
    endpoint with private DNS off resolves publicly; an endpoint policy that denies in
    AWS denies on the gateway too).
    """
    import netns_aws

    ids: dict[str, str] = {}
    records: list[str] = []

    def mirror(key: str, api_id: str, address: str = "127.0.0.2", **kw: Any) -> None:
        ids[key] = api_id
        gw.add_api(api_id, **kw)
        records.append(f"{_name(api_id)},{address}")

    ok = moto.network()
    ids["ok_vpce"] = ok["vpce"]
    mirror("ok", moto.api(vpces=[ok["vpce"]]))
    mirror("regional", moto.api(types=("REGIONAL",)), endpoint_type="REGIONAL")
    unassociated = moto.api()
    mirror("unassociated", unassociated)
    records.append(f"{unassociated}-{ok['vpce']}.execute-api.{REGION}.amazonaws.com,127.0.0.2")
    mirror("no_policy", moto.api(policy=None), policy=None)
    for key, kw, public in (
        ("no_private_dns", {"private_dns": False}, "203.0.113.8"),
        ("no_hostnames", {"dns_hostnames": False}, "203.0.113.9"),
    ):
        net = moto.network(**kw)
        ids[f"{key}_vpce"] = net["vpce"]
        mirror(key, moto.api(vpces=[net["vpce"]]), address=public)
    one_az = moto.network(zones=("us-east-1a",))
    ids["one_az_vpce"] = one_az["vpce"]
    mirror("one_az", moto.api(vpces=[one_az["vpce"]]))
    no_443 = moto.network(zones=("us-east-1a",), sg_443=False)
    ids["no_443_vpce"], ids["no_443_vpc"] = no_443["vpce"], no_443["vpc"]
    mirror("no_443", moto.api(vpces=[no_443["vpce"]]))
    deny_everything = {
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]
    }
    ep_deny = moto.network(endpoint_policy=deny_everything)
    ids["ep_deny_vpce"] = ep_deny["vpce"]
    gw.add_vpc_endpoint(
        ep_deny["vpce"], private_dns=False, policy=deny_everything, address="127.0.0.10"
    )
    mirror("ep_deny", moto.api(vpces=[ep_deny["vpce"]]), address="127.0.0.10")
    ids["bare_vpc"] = moto.network(endpoint=False)["vpc"]
    mirror("deny", moto.api(policy=netns_aws.DENY_ALL), policy=netns_aws.DENY_ALL)
    mirror("stale", moto.api(policy=netns_aws.ALLOW_ALL), policy=netns_aws.DENY_ALL)
    return Plane(records, ids)


def run_control_plane(results: dict[str, Any], plane: Plane, ca: str, moto_url: str) -> None:
    """The worlds of the doctor's AWS checks (moto, the stand-ins, IMDS)."""
    import netns_aws

    ids = plane.ids

    def url(key: str) -> str:
        return f"https://{_name(ids[key])}/prod"

    def run(key: str, *extra: str, env: dict[str, str] | None = None, aws: str = moto_url) -> Any:
        return doctor(url(key), ca, "--no-sign", *extra, env=env, aws=aws)

    results["aws-healthy"] = run("ok", "--vpce-id", ids["ok_vpce"])
    results["aws-api-not-private"] = run("regional")
    alias = f"{ids['unassociated']}-{ids['ok_vpce']}.execute-api.{REGION}.amazonaws.com"
    results["aws-vpce-not-associated"] = doctor(
        f"https://{alias}/prod", ca, "--no-sign", aws=moto_url
    )
    results["policy-missing"] = run("no_policy")
    results["aws-stage-missing"] = doctor(
        f"https://{_name(ids['ok'])}/nope", ca, "--no-sign", aws=moto_url
    )
    results["aws-private-dns-disabled"] = run(
        "no_private_dns", "--vpce-id", ids["no_private_dns_vpce"]
    )
    results["aws-vpc-dns-attributes"] = run("no_hostnames", "--vpce-id", ids["no_hostnames_vpce"])
    results["aws-single-az"] = run("one_az", "--vpce-id", ids["one_az_vpce"])
    results["aws-endpoint-policy-denies"] = run("ep_deny", "--vpce-id", ids["ep_deny_vpce"])
    results["aws-vpce-unavailable"] = run("ok", "--vpce-id", "vpce-0bbbbbbbbbbbbbbbb")
    results["policy-denies"] = run("deny")
    results["policy-not-deployed"] = run("stale")
    # This host's address and VPC from instance metadata (IMDSv2 in the namespace).
    on = {"AWS_EC2_METADATA_DISABLED": "false"}
    with contextlib.closing(netns_aws.FakeIMDS(netns_aws.ec2_metadata(ids["no_443_vpc"]))) as imds:
        drop = ("INPUT", "-i", "lo", "-d", "127.0.0.2", "-p", "tcp", "--dport", "443")
        with iptables(*drop, "-j", "DROP"):
            results["aws-sg-blocks-443"] = run(
                "no_443",
                "--vpce-id",
                ids["no_443_vpce"],
                env={**on, "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url},
            )
    with contextlib.closing(netns_aws.FakeIMDS(netns_aws.ec2_metadata(ids["bare_vpc"]))) as imds:
        results["aws-vpce-not-found"] = run(
            "ok", env={**on, "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url}
        )
    # An API another account owns: the data path works, this account's AWS knows nothing.
    results["aws-not-found"] = doctor(
        results["healthy"]["target"]["url"], ca, "--no-sign", aws=moto_url
    )
    results["aws-unreachable"] = run("ok", aws="http://127.0.0.1:9")
    refusals = {
        "aws-access-denied": netns_aws.Refusal(403, "AccessDenied"),
        "aws-credentials-rejected": netns_aws.Refusal(403, "InvalidClientTokenId"),
        "aws-throttled": netns_aws.Refusal(400, "Throttling", "Rate exceeded"),
        "aws-call-failed": netns_aws.Refusal(400, "ValidationError", "not valid"),
    }
    for n, (key, refusal) in enumerate(refusals.items()):
        with netns_aws.aws_answering(refusal, 5101 + n) as stand_in:
            results[key] = run("ok", aws=stand_in)
    portal = b"<html><body><h1>Proxy login</h1></body></html>"
    with netns_aws.aws_answering(portal, 5110) as stand_in:
        results["aws-bad-answer"] = run("ok", aws=stand_in)


def run_all(work: Path) -> dict[str, Any]:  # noqa: PLR0915  one straight list of worlds
    from datetime import UTC, datetime, timedelta

    import netns_aws
    import trustme

    from privateapi.testing import Fault, LocalGateway, Route

    results: dict[str, Any] = {}
    # The gateway's "now" for signature checks: moved ahead for the clock-skew world.
    skew = [timedelta(0)]

    def clock() -> datetime:
        return datetime.now(UTC) + skew[0]

    with (
        LocalGateway(region=REGION, port=443, first_address="127.0.0.2", clock=clock) as gw,
        netns_aws.moto_server() as moto,
    ):
        ep = gw.endpoint()
        api = gw.add_api(endpoints=[ep.id])
        pub = gw.add_api(endpoint_type="REGIONAL")
        iam = gw.add_api(authorization="AWS_IAM")
        deny = gw.add_api(
            policy={
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
        )
        only_root = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "execute-api:Invoke",
                    "Resource": "execute-api:/*",
                }
            ],
        }
        implicit = gw.add_api(policy=only_root)
        proxy_only = gw.add_api(PROXY_ONLY_API)
        authorizer = gw.add_api(authorization=_deny_authorizer)
        rejecting = gw.add_api(
            routes=[Route.static("GET", "/", 404, json={"message": "no pet with that id"})]
        )
        expired = gw.add_credentials(
            session_token="netns-session-token",  # the gateway's fake session
            expires=datetime.now(UTC) - timedelta(hours=1),
        )
        plane = seed_control_plane(gw, moto)
        name = _name(api.id)
        dnsmasq = _dnsmasq(
            [
                *plane.records,
                *(f"{_name(a.id)},127.0.0.2" for a in (implicit, authorizer, rejecting)),
                f"{name},127.0.0.2",
                f"{_name(pub.id)},127.0.0.2",
                f"{_name(iam.id)},127.0.0.2",
                f"{_name(deny.id)},127.0.0.2",
                f"{_name(PUBLIC_ADDR_API)},203.0.113.7",
                f"{_name(STALE_API)},127.0.0.9",
                f"{_name(NO_ROUTE_API)},10.9.9.9",
                # No IPv6 route in the namespace (only lo): the host is IPv4-only for it.
                f"{_name(AAAA_ONLY_API)},fd00:ec2::10",
                f"{_name(NOT_GW_API)},127.0.0.4",
                f"{NLB_NAME},127.0.0.2",
            ]
        )
        try:
            time.sleep(0.3)
            ca = str(gw.ca_bundle)
            url = f"https://{name}/prod"
            unsigned = "--no-sign"
            results["healthy"] = doctor(url, ca, unsigned)
            results["nxdomain"] = doctor(f"https://{_name(UNKNOWN_API)}/prod", ca, unsigned)
            # A hosts-file entry pinning the name elsewhere: getaddrinfo follows it, the VPC
            # resolver does not.
            hosts = work / "hosts"
            hosts.write_text(f"127.0.0.1 localhost\n127.0.0.3 {name}\n")
            with bind(hosts, "/etc/hosts"):
                results["hosts-pinned"] = doctor(url, ca, unsigned)
                results["hosts-override-breaks-path"] = results["hosts-pinned"]
            # The security group: DROP 443 to the endpoint, inside this namespace only.
            drop = ("INPUT", "-i", "lo", "-d", "127.0.0.2", "-p", "tcp", "--dport", "443")
            with iptables(*drop, "-j", "DROP"):
                results["sg-drop"] = doctor(url, ca, unsigned)
            results["public-address"] = doctor(
                f"https://{_name(PUBLIC_ADDR_API)}/prod", ca, unsigned
            )
            results["stale-record"] = doctor(f"https://{_name(STALE_API)}/prod", ca, unsigned)
            results["tcp-no-route"] = doctor(f"https://{_name(NO_ROUTE_API)}/prod", ca, unsigned)
            results["dns-aaaa-only"] = doctor(f"https://{_name(AAAA_ONLY_API)}/prod", ca, unsigned)
            dead = work / "resolv-dead.conf"
            dead.write_text("nameserver 127.0.0.53\noptions timeout:1 attempts:1\n")
            with bind(dead, "/etc/resolv.conf"):
                results["resolver-unreachable"] = doctor(url, ca, unsigned)
            for mode in ("wrong-name", "expired", "untrusted"):
                with gw.add_fault(Fault.tls(mode)):  # type: ignore[arg-type]
                    results[f"tls-{mode}"] = doctor(url, ca, unsigned)
            with gw.add_fault(Fault.blackhole("stall")):
                results["tls-stall"] = doctor(url, ca, unsigned)
            results["tls-name-mismatch-nlb"] = doctor(
                f"https://{NLB_NAME}/prod", ca, unsigned, "-H", f"Host: {name}"
            )
            for key, fault in (
                ("http-backend-error", Fault.error(502)),
                ("http-quota", Fault.quota()),
                ("http-throttled", Fault.throttle()),
                ("http-reset", Fault.reset()),
                ("http-payload-too-large", Fault.error(413)),
                ("http-unauthorized", Fault.error(401)),
                # An answer later than the doctor's per-step timeout (given as 2 s above).
                ("http-slow", Fault.latency(6)),
            ):
                with gw.add_fault(fault, api_id=api.id):
                    results[key] = doctor(url, ca, unsigned)
            results["http-explicit-deny"] = doctor(f"https://{_name(deny.id)}/prod", ca, unsigned)
            results["http-missing-token-wrong-stage"] = doctor(
                f"https://{name}/production", ca, unsigned
            )
            results["http-wrong-endpoint-public-api"] = doctor(
                f"https://{_name(pub.id)}/prod", ca, unsigned
            )
            # AWS_IAM method, and no credentials in the environment: the probe cannot sign.
            results["creds-missing-iam"] = doctor(f"https://{_name(iam.id)}/prod", ca)
            other_ca = trustme.CA()
            bundle = work / "notgw-ca.pem"
            other_ca.cert_pem.write_to_path(str(bundle))
            with https_stub("127.0.0.4", other_ca.issue_cert(_name(NOT_GW_API))):
                results["http-not-api-gateway"] = doctor(
                    f"https://{_name(NOT_GW_API)}/prod", str(bundle), unsigned
                )
            with connect_503(PROXY):
                results["env-proxy-connect-503"] = doctor(
                    url, ca, unsigned, env={"HTTPS_PROXY": f"http://{PROXY}"}
                )
            tunnel_names = {name: "127.0.0.2", _name(proxy_only.id): "127.0.0.2"}
            with connect_tunnel(TUNNEL, tunnel_names) as seen:
                via = {"HTTPS_PROXY": f"http://{TUNNEL}"}
                results["proxy-tunnels"] = doctor(url, ca, unsigned, env=via)
                results["proxy-only-path"] = doctor(
                    f"https://{_name(proxy_only.id)}/prod", ca, unsigned, env=via
                )
                assert any(_name(proxy_only.id) in line for line in seen), seen
            for key, other in (
                ("http-implicit-deny", implicit),
                ("http-authorizer-deny", authorizer),
                ("http-backend-rejected", rejecting),
            ):
                results[key] = doctor(f"https://{_name(other.id)}/prod", ca, unsigned)
            # Signed: the AWS_IAM API with credentials in the environment, as botocore reads them.
            iam_url = f"https://{_name(iam.id)}/prod"
            good = gw.credentials
            keys = {"AWS_ACCESS_KEY_ID": good.access_key_id}
            results["signed-healthy"] = doctor(
                iam_url, ca, env={**keys, "AWS_SECRET_ACCESS_KEY": good.secret_access_key}
            )
            results["http-signature-mismatch"] = doctor(
                iam_url, ca, env={**keys, "AWS_SECRET_ACCESS_KEY": "not-" + good.secret_access_key}
            )
            results["http-invalid-token"] = doctor(
                iam_url,
                ca,
                env={
                    "AWS_ACCESS_KEY_ID": "AKIAZZZZZZZZZZZZZZZZ",
                    "AWS_SECRET_ACCESS_KEY": good.secret_access_key,
                },
            )
            results["http-expired-token"] = doctor(
                iam_url,
                ca,
                env={
                    "AWS_ACCESS_KEY_ID": expired.access_key_id,
                    "AWS_SECRET_ACCESS_KEY": expired.secret_access_key,
                    "AWS_SESSION_TOKEN": str(expired.session_token),
                },
            )
            skew[0] = timedelta(minutes=30)  # this host's clock is half an hour behind
            try:
                results["http-clock-skew"] = doctor(
                    iam_url, ca, env={**keys, "AWS_SECRET_ACCESS_KEY": good.secret_access_key}
                )
            finally:
                skew[0] = timedelta(0)
            # The caller's own Authorization header, cut short: sent as given, unsigned.
            scope = f"{good.access_key_id}/20261203/{REGION}/execute-api/aws4_request"
            results["http-incomplete-signature"] = doctor(
                iam_url, ca, "-H", f"Authorization: AWS4-HMAC-SHA256 Credential={scope}"
            )
            run_control_plane(results, plane, ca, moto.url)
        finally:
            dnsmasq.terminate()
            dnsmasq.wait(5)
    return results


def main() -> None:
    guard()
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "addr", "add", f"{VPC_RESOLVER}/32", "dev", "lo")
    work = Path(tempfile.mkdtemp(prefix="privateapi-netns-"))
    resolv = work / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\n")
    # Private mount namespace (--propagation private): the host's file is untouched.
    sh("mount", "--bind", str(resolv), "/etc/resolv.conf")
    print(json.dumps(run_all(work)))


if __name__ == "__main__":
    main()
