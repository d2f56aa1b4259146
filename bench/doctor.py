"""Benchmark the doctor: speed on a healthy world, and k unreachable addresses in about one T.

1. Speed. A local private API Gateway on loopback serves a healthy API. The doctor's
   wall time (``privateapi doctor ...`` as a subprocess, and :func:`privateapi.doctor.run`
   in-process) is compared with a minimal stdlib probe of the same path (a DNS query
   over a UDP socket, TCP, ``ssl`` TLS with the API's SNI, one GET with
   ``http.client``), run the same two ways. Goal: doctor/probe <= 2x.
2. Blackholes. A name resolves (through an in-process DNS server on 127.0.0.1) to k
   loopback addresses whose listeners never accept: their accept queues are full, so
   Linux drops the SYNs and every connect waits for its timeout, like a security group
   that DROPs. The doctor connects to all k at once, so the run should take about T
   (plus DNS and thread start-up), never k*T.

Loopback only (127.0.0.0/8), no firewall rules, bounded: at most a few seconds each.
The subprocesses get an environment without proxies, with metadata (IMDS) disabled
and the lab's credentials, so nothing is looked up outside loopback.

Usage: .venv/bin/python bench/doctor.py [--only speed|blackhole] [--runs N]
       [--timeout T] [--k 1,4,16,64]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import dns.flags
import dns.message
import dns.rdatatype
import dns.rrset

from privateapi import InvokeTarget
from privateapi.doctor import DoctorOptions, run

API_ID, REGION = "a1b2c3d4e5", "us-east-1"
HOST = f"{API_ID}.execute-api.{REGION}.amazonaws.com."


# -- 1. speed on a healthy world -----------------------------------------------------------------

#: The minimal stdlib probe: DNS over a UDP socket, TCP, TLS with SNI, one GET with http.client.
#: Run as ``python -c PROBE RESOLVER_IP RESOLVER_PORT HOST PORT CAFILE PATH``.
PROBE = r"""
import http.client, random, socket, ssl, struct, sys
rip, rport, host, port, cafile, path = sys.argv[1:7]
rport, port = int(rport), int(port)
qid = random.getrandbits(16)
qname = b"".join(bytes([len(p)]) + p.encode() for p in host.rstrip(".").split(".")) + b"\0"
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3)
u.sendto(struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + b"\0\1\0\1", (rip, rport))
wire = u.recv(4096); u.close()
an = struct.unpack(">H", wire[6:8])[0]; i = 12 + len(qname) + 4; address = None
for _ in range(an):
    while wire[i] != 0 and wire[i] < 0xC0: i += wire[i] + 1
    i += 2 if wire[i] >= 0xC0 else 1
    rtype, _, _, rdlen = struct.unpack(">HHIH", wire[i:i + 10]); i += 10
    if rtype == 1: address = socket.inet_ntoa(wire[i:i + 4]); break
    i += rdlen
raw = socket.create_connection((address, port), timeout=3)
tls = ssl.create_default_context(cafile=cafile).wrap_socket(raw, server_hostname=host)
conn = http.client.HTTPSConnection(host, port, timeout=3); conn.sock = tls
conn.request("GET", path); resp = conn.getresponse(); resp.read()
print(resp.status)
"""


def _clean_env(gw: Any) -> dict[str, str]:
    """No proxies, no metadata, no shared config: nothing but loopback is ever asked."""
    # PYTHONPATH is kept so that an older checkout can be measured the same way.
    names = ("PATH", "LANG", "LC_ALL", "HOME", "PYTHONPATH")
    keep = {k: v for k, v in os.environ.items() if k in names}
    creds = gw.credentials
    keep.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_ACCESS_KEY_ID=creds.access_key_id,
        AWS_SECRET_ACCESS_KEY=creds.secret_access_key,
        NO_COLOR="1",
    )
    return keep


def _timed(fn: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    """(first run, later runs) in seconds."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times[0], times[1:] or times


def _sub(cmd: list[str], env: dict[str, str], expect: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)
    if expect not in done.stdout:
        raise SystemExit(
            f"unexpected output from {cmd[:3]}: {done.stdout[-500:]}{done.stderr[-500:]}"
        )


def speed(runs: int) -> int:
    """Print the doctor's wall time against the stdlib probe's, as subprocesses and in-process."""
    from privateapi.testing import LocalGateway, Route

    with LocalGateway(region=REGION) as gw:
        ep = gw.endpoint()
        api = gw.add_api(routes=[Route.static("GET", "/", json={"ok": True})], endpoints=[ep.id])
        target = gw.target(api.id, "private_dns").with_connect_to(None)
        rip, rport = gw.resolver
        env = _clean_env(gw)
        cafile = str(gw.ca_bundle)
        exe = os.path.join(os.path.dirname(sys.executable), "privateapi")
        doctor_cmd = [
            exe,
            "doctor",
            target.base_url + "/",
            "--no-aws",
            "--no-system-resolver",
            "--resolver",
            f"{rip}:{rport}",
            "--port",
            str(gw.port),
            "--ca-bundle",
            cafile,
            "--timeout",
            "2",
            "--no-color",
        ]
        probe_args = [rip, str(rport), target.host, str(gw.port), cafile, f"/{target.stage}/"]
        probe_cmd = [sys.executable, "-c", PROBE, *probe_args]
        creds = gw.credentials
        options = DoctorOptions(
            resolver=gw.resolver,
            use_system_resolver=False,
            ca_bundle=cafile,
            credentials=(creds.access_key_id, creds.secret_access_key),
            no_aws=True,
            imds=False,
            timeout=2,
            hosts_file="/dev/null",
            environ={},
        )

        def in_doctor() -> None:
            report = run(target.with_connect_to(f"{target.host}:{gw.port}"), options)
            if report.verdict != "pass":
                raise SystemExit(f"the healthy world did not pass: {report.failed}")

        def in_probe() -> None:
            saved = sys.argv
            sys.argv = ["probe", *probe_args]
            try:
                with open(os.devnull, "w") as null, _redirect(null):
                    exec(PROBE, {"__name__": "probe"})  # noqa: S102 - our own constant
            finally:
                sys.argv = saved

        rows = [
            (
                "subprocess",
                lambda: _sub(doctor_cmd, env, "PASS"),
                lambda: _sub(probe_cmd, env, "200"),
            ),
            ("in-process", in_doctor, in_probe),
        ]
        print(f"healthy world, {runs} runs each (median of runs after the first)")
        print(
            f"{'how':<11} {'doctor (s)':>10} {'probe (s)':>10} {'ratio':>6}"
            "   first run: doctor / probe"
        )
        worst = 0.0
        for how, doc, probe in rows:
            d_first, d_rest = _timed(doc, runs)
            p_first, p_rest = _timed(probe, runs)
            d, p = statistics.median(d_rest), statistics.median(p_rest)
            worst = max(worst, d / p)
            print(f"{how:<11} {d:>10.3f} {p:>10.3f} {d / p:>5.1f}x   {d_first:.3f} / {p_first:.3f}")
    print(f"goal doctor/probe <= 2x: {'met' if worst <= 2 else 'NOT met'} (worst {worst:.1f}x)")
    return 0


@contextmanager
def _redirect(stream: Any) -> Iterator[None]:
    saved = sys.stdout
    sys.stdout = stream
    try:
        yield
    finally:
        sys.stdout = saved


# -- 2. k blackholed addresses ---------------------------------------------------------------------


class TinyDNS:
    """Answers A for HOST with the given addresses; everything else NXDOMAIN."""

    def __init__(self, addresses: list[str]) -> None:
        self.addresses = addresses
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                wire, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            q = dns.message.from_wire(wire)
            r = dns.message.make_response(q)
            r.flags |= dns.flags.AA
            name = q.question[0].name.to_text().lower()
            if name == HOST.lower() and q.question[0].rdtype == dns.rdatatype.A:
                r.answer.append(dns.rrset.from_text_list(name, 60, "IN", "A", self.addresses))
            try:
                self.sock.sendto(r.to_wire(), peer)
            except OSError:
                return

    def close(self) -> None:
        self.sock.close()


@contextmanager
def blackholed(addresses: list[str]) -> Iterator[int]:
    """Listeners with full accept queues on each address; yields their common port."""
    socks: list[socket.socket] = []
    port = 0
    try:
        for addr in addresses:
            s = socket.socket()
            s.bind((addr, port))
            port = s.getsockname()[1]
            s.listen(0)
            socks.append(s)
            for _ in range(3):  # fill the queue; later SYNs are dropped
                c = socket.socket()
                c.setblocking(False)
                c.connect_ex((addr, port))
                socks.append(c)
        yield port
    finally:
        for s in socks:
            s.close()


def one(k: int, timeout: float) -> tuple[float, int]:
    """Run the doctor against k blackholed addresses; (wall seconds, timeouts reported)."""
    addresses = [f"127.0.{10 + i // 250}.{1 + i % 250}" for i in range(k)]
    dns_srv = TinyDNS(addresses)
    try:
        with blackholed(addresses) as port:
            options = DoctorOptions(
                resolver=("127.0.0.1", dns_srv.port),
                use_system_resolver=False,
                timeout=timeout,
                no_aws=True,
                imds=False,
                sign=False,
                hosts_file="/dev/null",
                environ={},
            )
            t0 = time.monotonic()
            target = InvokeTarget.private_dns(API_ID, REGION, "prod")
            # Connect to the API's own name (resolved by TinyDNS) on the blackholed port.
            target = target.with_connect_to(f"{target.host}:{port}")
            report = run(target, options)
            wall = time.monotonic() - t0
    finally:
        dns_srv.close()
    tcp = report.result("tcp.connect")
    conns = tcp.evidence.get("connections", []) if tcp else []
    return wall, sum(1 for c in conns if c["outcome"] == "timeout")


def main(argv: list[str] | None = None) -> int:
    """Run the speed comparison, then print k, T, wall time and wall/T for each k."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=("speed", "blackhole"))
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--timeout", type=float, default=1.0)
    p.add_argument("--k", default="1,4,16,64")
    args = p.parse_args(argv)
    if not 1 <= args.runs <= 20:
        p.error("keep it bounded: 1 <= runs <= 20")
    if args.only != "blackhole":
        speed(args.runs)
        if args.only == "speed":
            return 0
        print()
    return blackhole(args)


def blackhole(args: argparse.Namespace) -> int:
    """Print k, T, wall time and wall/T for each k."""
    p = argparse.ArgumentParser()
    ks = [int(x) for x in args.k.split(",")]
    if max(ks) > 200 or args.timeout > 5:
        p.error("keep it bounded: k <= 200, timeout <= 5")
    print(f"{'k':>4} {'T (s)':>6} {'wall (s)':>9} {'wall/T':>7} {'timeouts':>9}")
    worst = 0.0
    for k in ks:
        wall, timeouts = one(k, args.timeout)
        ratio = wall / args.timeout
        worst = max(worst, ratio)
        print(f"{k:>4} {args.timeout:>6.2f} {wall:>9.2f} {ratio:>7.2f} {timeouts:>5}/{k}")
        if timeouts != k:
            print(
                f"  ! only {timeouts} of {k} addresses were reported as timeouts", file=sys.stderr
            )
            return 1
    print(f"worst wall/T = {worst:.2f} (sequential connects would give k)")
    return 0 if worst < 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
