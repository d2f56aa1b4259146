"""End to end: the doctor with its default *system* resolver in a throwaway namespace.

Everything runs inside ``unshare -nm --propagation private`` (test-lab.md §4, SAFETY
RULE): a fresh network namespace with only ``lo`` and a private mount namespace, so
dnsmasq on 127.0.0.1:53, the bind-mounted resolv.conf and hosts, port 443, the stub
servers and the iptables rules never touch the host. Needs root, ``unshare``, ``dnsmasq``
(dnsmasq-base) and ``iptables``; without them the tests are skipped with the reason (never
passed). The worlds and their expected causes are the table in ``netns_scenarios.py``; one
test per world, plus one that every cause the doctor's checks can emit is produced by a
world (or is listed, with why, as not produced here).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import netns_scenarios
import pytest
from netns_scenarios import NOT_PRODUCED, SCENARIOS, Scenario

from privateapi.doctor import iter_checks

HERE = Path(__file__).resolve().parent
#: The whole table runs one doctor after another (about 2 s each, a few time out by design).
RUN_TIMEOUT_S = 600


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
        timeout=RUN_TIMEOUT_S,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


def _check(report: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["id"] == check_id)


def _params() -> list[Any]:
    out = []
    for s in SCENARIOS:
        marks = (
            [pytest.mark.xfail(strict=True, reason=f"needs doctor2: {s.doctor2}")]
            if s.doctor2
            else []
        )
        out.append(pytest.param(s, id=s.name, marks=marks))
    return out


@pytest.mark.netns
@pytest.mark.parametrize("scenario", _params())
def test_world(scenario: Scenario, reports: dict[str, Any]) -> None:
    """The doctor's verdict and causes in this world are the table's."""
    rep = reports[scenario.name]
    assert "stderr" not in rep, f"the doctor's stdout was not JSON: {rep.get('stderr')}"
    got = {(c["id"], c.get("cause")): c["status"] for c in rep["checks"]}
    failing = sorted(k for k, v in got.items() if v == "fail")
    for pair in scenario.fails:
        assert got.get(pair) == "fail", f"expected {pair} failing; failing: {failing}"
    for pair in scenario.warns:
        assert got.get(pair) in ("warn", "fail"), f"expected {pair} at least a warning: {got}"
    if scenario.verdict is not None:
        assert rep["verdict"] == scenario.verdict, failing
        assert rep["exit_code"] == (0 if scenario.verdict == "pass" else 1)


def test_every_emittable_cause_has_a_world() -> None:
    """Each cause a doctor check declares is expected by some world, or listed with why not.

    Plain data (no namespace needed): the table in ``netns_scenarios.py`` against
    ``iter_checks()``. The not-produced list must be exact, so a new cause, or a world that
    now covers a listed one, fails here until the list is updated.
    """
    emittable = {cause for check in iter_checks() for cause in check.causes}
    produced = set().union(*(s.causes for s in SCENARIOS))
    assert not set(NOT_PRODUCED) & produced, "listed as not produced, but a world expects it"
    uncovered = emittable - produced - set(NOT_PRODUCED)
    assert not uncovered, (
        f"causes no netns world produces (and not listed why): {sorted(uncovered)}"
    )
    stale = set(NOT_PRODUCED) - emittable
    assert not stale, f"listed as not produced but no check emits them any more: {sorted(stale)}"


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


def test_control_plane_healthy_world_has_nothing_to_say(reports: dict[str, Any]) -> None:
    """moto, the gateway and IMDS-less AWS checks agree: every AWS check passes or informs."""
    rep = reports["aws-healthy"]
    aws = {c["id"]: c["status"] for c in rep["checks"] if c["id"].startswith(("aws.", "policy."))}
    assert aws, "no AWS check ran"
    assert set(aws.values()) <= {"pass", "info"}, aws
    assert rep["verdict"] == "pass"


def test_a_signed_probe_is_accepted_by_the_gateway(reports: dict[str, Any]) -> None:
    """With the gateway's credentials in the environment the probe signs, and passes."""
    probe = _check(reports["signed-healthy"], "http.probe")
    assert probe["status"] == "pass"
    assert "(signed;" in probe["summary"]


def test_table_names_are_unique() -> None:
    """One world per name (the runner keys its reports by name)."""
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names)), names
    assert netns_scenarios.REGION == "us-east-1"
