"""End to end: the doctor with its default *system* resolver in a throwaway namespace.

Everything runs inside ``unshare -nm --propagation private`` (test-lab.md §4, SAFETY
RULE): a fresh network namespace with only ``lo`` and a private mount namespace, so
dnsmasq on 127.0.0.1:53, the bind-mounted resolv.conf, port 443 and the iptables DROP
never touch the host. Needs root, ``unshare``, ``dnsmasq`` (dnsmasq-base) and
``iptables``; without them the tests are skipped with the reason (never passed).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.netns

HERE = Path(__file__).resolve().parent


def _missing() -> list[str]:
    missing = [tool for tool in ("unshare", "dnsmasq", "iptables", "ip") if not shutil.which(tool)]
    if os.geteuid() != 0:
        missing.append("root")
    return missing


@pytest.fixture(scope="module")
def reports() -> dict[str, Any]:
    missing = _missing()
    if missing:
        pytest.skip(
            "NOT RUN: the network-namespace suite needs "
            + ", ".join(missing)
            + " (apt-get install dnsmasq-base iptables; run as root)"
        )
    proc = subprocess.run(
        [
            "unshare",
            "-nm",
            "--propagation",
            "private",
            sys.executable,
            str(HERE / "netns_scenarios.py"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


def _check(report: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["id"] == check_id)


def test_system_resolver_healthy_path_passes(reports: dict[str, Any]) -> None:
    """getaddrinfo → dnsmasq → 127.0.0.2:443 → TLS → 200: verdict pass, exit 0."""
    rep = reports["healthy"]
    lookup = _check(rep, "dns.lookup")
    assert lookup["evidence"]["resolver"] == "system (getaddrinfo)"
    assert lookup["evidence"]["addresses"] == ["127.0.0.2"]
    assert _check(rep, "tcp.connect")["evidence"]["port"] == 443
    assert rep["verdict"] == "pass", [c for c in rep["checks"] if c["status"] == "fail"]
    assert rep["exit_code"] == 0


def test_system_resolver_nxdomain(reports: dict[str, Any]) -> None:
    """An unknown API name: getaddrinfo fails, dns.nxdomain, exit 1."""
    rep = reports["nxdomain"]
    assert _check(rep, "dns.lookup")["cause"] == "dns.nxdomain"
    assert _check(rep, "dns.vpc")["cause"] == "dns.nxdomain"  # resolv.conf's dnsmasq
    assert rep["exit_code"] == 1


def test_security_group_drop_times_out(reports: dict[str, Any]) -> None:
    """iptables DROP on 443 (the security group): tcp.timeout, TLS and probe skipped."""
    rep = reports["sg-drop"]
    tcp = _check(rep, "tcp.connect")
    assert tcp["status"] == "fail" and tcp["cause"] == "tcp.timeout"
    assert _check(rep, "tls.handshake")["status"] == "skip"
    assert rep["not_checked"] == ["tls.handshake", "http.probe"]
    assert rep["exit_code"] == 1


def test_hosts_file_pin_is_seen_and_disagrees(reports: dict[str, Any]) -> None:
    """/etc/hosts pins the name to 127.0.0.3: flagged, and the resolvers disagree."""
    rep = reports["hosts-pinned"]
    assert _check(rep, "env.hosts")["cause"] == "dns.hosts-override"
    assert _check(rep, "dns.lookup")["evidence"]["addresses"] == ["127.0.0.3"]
    assert _check(rep, "dns.vpc")["cause"] == "dns.resolver-mismatch"
    assert _check(rep, "tcp.connect")["cause"] == "tcp.refused"
    assert rep["exit_code"] == 1
