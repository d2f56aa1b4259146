"""Benchmark: with k unreachable addresses and timeout T, the doctor ends in about one T.

A name resolves (through an in-process DNS server on 127.0.0.1) to k loopback
addresses whose listeners never accept: their accept queues are full, so Linux drops
the SYNs and every connect waits for its timeout, like a security group that DROPs.
The doctor connects to all k at once, so the run should take about T (plus DNS and
thread start-up), never k·T.

Loopback only (127.0.0.0/8), no firewall rules, bounded: at most a few seconds.

Usage: .venv/bin/python bench/doctor.py [--timeout T] [--k 1,4,16,64]
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import dns.flags
import dns.message
import dns.rdatatype
import dns.rrset

from privateapi import InvokeTarget
from privateapi.doctor import DoctorOptions, run

API_ID, REGION = "a1b2c3d4e5", "us-east-1"
HOST = f"{API_ID}.execute-api.{REGION}.amazonaws.com."


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
    """Print k, T, wall time and wall/T for each k."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--timeout", type=float, default=1.0)
    p.add_argument("--k", default="1,4,16,64")
    args = p.parse_args(argv)
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
