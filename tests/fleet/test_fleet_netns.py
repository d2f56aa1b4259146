"""The probe in a throwaway network namespace, with the system resolver (as in a VPC).

Everything runs inside ``unshare -nm --propagation private`` (test-lab.md, SAFETY RULE):
a fresh network namespace with only ``lo``. Needs root, ``unshare``, ``dnsmasq`` and
``iptables``; without them the test is skipped with the reason (never passed).
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


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    missing = [t for t in ("unshare", "dnsmasq", "iptables", "ip") if not shutil.which(t)]
    if os.geteuid() != 0:
        missing.append("root")
    if missing:
        pytest.skip("NOT RUN: the network-namespace fleet test needs " + ", ".join(missing))
    proc = subprocess.run(
        [
            "unshare",
            "-nm",
            "--propagation",
            "private",
            sys.executable,
            str(HERE / "netns_fleet.py"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "AWS_EC2_METADATA_DISABLED": "true",
        },
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


def test_probe_passes_through_the_system_resolver(results: dict[str, Any]) -> None:
    res = results["healthy"]
    assert res["verdict"] == "pass", res["reports"][0]["causes"]
    assert res["reports"][0]["local_address"] == "127.0.0.1"
    assert len(json.dumps(res)) <= 24_000 - 1


def test_security_group_drop_is_tcp_timeout(results: dict[str, Any]) -> None:
    rep = results["sg-drop"]["reports"][0]
    assert rep["verdict"] == "fail"
    assert rep["causes"] == ["tcp.timeout"]
    assert "http.probe" in rep["not_checked"]
