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


def _name(api_id: str) -> str:
    return f"{api_id}.execute-api.{REGION}.amazonaws.com"


@dataclass(frozen=True)
class Scenario:
    """One world and what the doctor must report in it.

    ``fails``: (check id, cause) pairs whose check must have status ``fail``; ``warns``:
    pairs whose check must have status ``warn`` or ``fail``. ``verdict`` is the report's
    verdict (``None``: not judged). ``doctor2`` names the rule a world waits for (the doctor
    rewrite in progress): its test is a strict xfail until that lands.
    """

    name: str
    verdict: str | None
    fails: tuple[tuple[str, str], ...] = ()
    warns: tuple[tuple[str, str], ...] = ()
    doctor2: str | None = None

    @property
    def causes(self) -> set[str]:
        """Every cause this world is expected to produce."""
        return {cause for _, cause in (*self.fails, *self.warns)}


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
    # A used-up quota is a warning today (it may be the caller's plan, not the path); whether
    # it should fail is not settled, so the verdict is not judged here.
    Scenario("http-quota", None, warns=(("http.probe", "http.quota-exceeded"),)),
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
)

#: Causes the doctor can emit that no world here produces, each with why (the test checks
#: this list is exact, so a new cause, or a new world covering one, shows up).
_CONTROL_PLANE = (
    "a control-plane check: the namespace has no AWS control plane (the doctor runs with"
    " --no-aws there); produced against moto in tests/doctor/test_doctor_aws.py"
)
_SIGNED = (
    "needs a signed probe answered by the gateway's SigV4 check (credentials in the"
    " namespace): not built yet"
)
NOT_PRODUCED: dict[str, str] = {
    **dict.fromkeys(
        (
            "aws.access-denied",
            "aws.api-not-private",
            "aws.bad-answer",
            "aws.call-failed",
            "aws.credentials-rejected",
            "aws.endpoint-policy-denies",
            "aws.not-found",
            "aws.private-dns-disabled",
            "aws.sg-blocks-443",
            "aws.single-az",
            "aws.stage-missing",
            "aws.throttled",
            "aws.unreachable",
            "aws.vpc-dns-attributes",
            "aws.vpce-not-associated",
            "aws.vpce-not-found",
            "aws.vpce-unavailable",
            "policy.missing",
            "policy.denies",
            "policy.not-deployed",
        ),
        _CONTROL_PLANE,
    ),
    **dict.fromkeys(
        (
            "http.clock-skew",
            "http.signature-mismatch",
            "http.invalid-token",
            "http.expired-token",
            "http.incomplete-signature",
        ),
        _SIGNED,
    ),
    "http.endpoint-policy-deny": "needs a VPC endpoint policy on the local gateway: not built yet",
    "http.backend-rejected": "needs an integration answer read as rejected: not built yet",
    "http.implicit-deny": "not built yet (a policy with no matching Allow)",
    "http.authorizer-deny": "not built yet (a Lambda authorizer answering Deny)",
}


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True)


def guard() -> None:
    """Refuse to run unless this is a fresh namespace: only ``lo``, no routes."""
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    names = [ln.split(":")[1].strip().split("@")[0] for ln in links.splitlines() if ln.strip()]
    routes = subprocess.run(["ip", "route"], capture_output=True, text=True, check=True).stdout
    if names != ["lo"] or routes.strip():
        sys.exit(f"refusing to run outside a fresh network namespace (links {names})")


def doctor(url: str, ca: str, *extra: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    full_env = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true", "NO_COLOR": "1", **(env or {})}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "privateapi_cli",
            "doctor",
            url,
            "--ca-bundle",
            ca,
            "--no-aws",
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


def _dnsmasq(records: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            "dnsmasq",
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--no-poll",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--port=53",
            "--pid-file=",
            "--user=root",
            *(f"--host-record={r}" for r in records),
            "--address=/#/",
            "--local-ttl=1",
        ],
    )


def run_all(work: Path) -> dict[str, Any]:  # noqa: PLR0915  one straight list of worlds
    import trustme

    from privateapi.testing import Fault, LocalGateway

    results: dict[str, Any] = {}
    with LocalGateway(region=REGION, port=443, first_address="127.0.0.2") as gw:
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
        name = _name(api.id)
        dnsmasq = _dnsmasq(
            [
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
        finally:
            dnsmasq.terminate()
            dnsmasq.wait(5)
    return results


def main() -> None:
    guard()
    sh("ip", "link", "set", "lo", "up")
    work = Path(tempfile.mkdtemp(prefix="privateapi-netns-"))
    resolv = work / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\n")
    # Private mount namespace (--propagation private): the host's file is untouched.
    sh("mount", "--bind", str(resolv), "/etc/resolv.conf")
    print(json.dumps(run_all(work)))


if __name__ == "__main__":
    main()
