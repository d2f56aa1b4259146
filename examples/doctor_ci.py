"""Use ``privateapi doctor --json`` as a CI gate.

A deployment pipeline step runs the doctor against the API it just deployed and fails the
build when the doctor's verdict is ``fail``, printing each failing check's cause code and
fix. The JSON document is stable (``version`` 1): ``verdict``, and ``checks`` with ``id``,
``status``, ``summary``, ``cause``, ``evidence`` and ``hint``.

Here the step runs twice against the local private API Gateway: once against a healthy
API (the gate passes) and once against an API whose resource policy denies this endpoint
(the gate fails with ``http.explicit-deny``). ``--resolver``, ``--ca-bundle`` and
``--connect-to`` point the doctor at the lab instead of the VPC; from inside a real VPC,
``privateapi doctor URL --json`` is enough.

Run: ``python examples/doctor_ci.py`` (exit 0 when the gate decides both cases right).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from privateapi.testing import LocalGateway, Route, allow_endpoints_policy


def doctor(gw: LocalGateway, api_id: str) -> tuple[int, dict[str, Any]]:
    """Run the doctor as a CI step would: a subprocess, one JSON document on stdout."""
    target = gw.target(api_id, "private_dns")
    host, port = gw.resolver
    command = [
        sys.executable, "-m", "privateapi_cli", "doctor", target.base_url,
        "--path", "/health", "--json", "--no-aws", "--no-sign", "--timeout", "3",
        "--resolver", f"{host}:{port}", "--ca-bundle", str(gw.ca_bundle),
        "--connect-to", str(target.connect_to),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, json.loads(done.stdout)


def gate(name: str, code: int, report: dict[str, Any]) -> bool:
    """The CI decision: pass on verdict "pass", else print what to fix. True = passed."""
    if report["verdict"] == "pass":
        print(f"[{name}] doctor verdict pass (exit {code}): deploy may proceed")
        return True
    print(f"[{name}] doctor verdict {report['verdict']} (exit {code}): failing the build")
    for check in report["checks"]:
        if check["status"] == "fail":
            print(f"  {check['id']}: {check['summary']}")
            print(f"    cause {check['cause']}; fix: {check['hint']}")
    return False


def main() -> int:
    with LocalGateway() as gw:
        route = Route.static("GET", "/health", json={"status": "ok"})
        healthy = gw.add_api(routes=[route])
        other = gw.add_vpc_endpoint(private_dns=False)
        denied = gw.add_api(routes=[route], policy=allow_endpoints_policy(other.id))

        code, report = doctor(gw, healthy.id)
        healthy_passed = gate("healthy", code, report) and code == 0

        code, report = doctor(gw, denied.id)
        denied_passed = gate("denied", code, report)
        causes = {c["cause"] for c in report["checks"] if c["status"] == "fail"}
        denied_caught = not denied_passed and code == 1 and "http.explicit-deny" in causes

    return 0 if healthy_passed and denied_caught else 1


if __name__ == "__main__":
    sys.exit(main())
