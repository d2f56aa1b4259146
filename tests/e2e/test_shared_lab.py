"""The doctor's acceptance lab (``../shared/lab``) as a tier of ``make test``, per scenario.

The lab builds each scenario's world in its own throwaway namespace (``unshare --net --mount
--pid``; its README's Safety section) with an API Gateway stand-in that is not our code, runs
``privateapi doctor --json`` inside it and judges verdict and cause. Here it runs once per
session against *this* checkout's doctor (the venv's console script beside
``sys.executable``), and each scenario named in ``scenarios.toml`` becomes one test: PASS when
the lab says PASS, FAIL with the lab's own detail otherwise. The lab's summary line is printed
at the end of the run.

Without ``../shared/lab`` (a user's fresh clone), without ``unshare``, or without root (or
unprivileged user namespaces, the lab's ``--map-root-user`` path) the tests are skipped as NOT
RUN with the reason, never passed. ``make lab`` runs only this tier.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import shared_data

pytestmark = [pytest.mark.lab, pytest.mark.slow]

LAB = shared_data.SHARED / "lab"
RUN = LAB / "run"
SCENARIOS = LAB / "scenarios.toml"
#: The whole lab at its default -j 4 takes about a minute; a doctor run is capped at 30 s by
#: the lab itself, so this bounds a wedged run, not a slow machine.
RUN_TIMEOUT_S = 1200.0


def _scenario_names() -> list[str]:
    if not SCENARIOS.is_file():
        return []
    with SCENARIOS.open("rb") as f:
        data = tomllib.load(f)
    return [s["name"] for s in data.get("scenario", [])]


def _userns_available() -> bool:
    try:
        return int(Path("/proc/sys/user/max_user_namespaces").read_text()) > 0
    except (OSError, ValueError):
        return False


def not_run_reason() -> str | None:
    """Why this machine cannot run the lab, or ``None`` when it can."""
    if not RUN.is_file() or not SCENARIOS.is_file():
        return (
            f"NOT RUN: {LAB} not found (the shared acceptance lab, read from ../shared beside"
            " the checkout and never copied into the repository)"
        )
    if not shutil.which("unshare"):
        return "NOT RUN: the acceptance lab needs unshare (util-linux)"
    if os.geteuid() != 0 and not _userns_available():
        return "NOT RUN: the acceptance lab needs root or unprivileged user namespaces"
    return None


def doctor_command() -> str:
    """This checkout's ``privateapi doctor``: the console script of the running venv."""
    script = Path(sys.executable).parent / "privateapi"
    return f"{shlex.quote(str(script))} doctor"


@pytest.fixture(scope="session")
def lab_summary(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[str, Any]:
    """Run the whole lab once; its ``summary.json``."""
    reason = not_run_reason()
    if reason:
        pytest.skip(reason)
    # The lab refuses to clear a directory it did not make: give it a fresh one.
    out = tmp_path_factory.mktemp("shared-lab") / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["DOCTOR"] = doctor_command()
    proc = subprocess.run(
        [str(RUN), "--out", str(out)],
        cwd=LAB,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    summary_file = out / "summary.json"
    if not summary_file.is_file():
        pytest.fail(
            f"the lab wrote no summary (rc={proc.returncode}): {proc.stdout[-2000:]}"
            f" {proc.stderr[-2000:]}",
            pytrace=False,
        )
    summary: dict[str, Any] = json.loads(summary_file.read_text())
    last = proc.stdout.strip().splitlines()[-1:] or ["(no summary line)"]
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        # Printed at the end so the lab's own tally stands beside pytest's.
        request.config.add_cleanup(lambda: reporter.write_line(f"shared lab: {last[0]}"))
    return summary


NAMES = _scenario_names()


@pytest.mark.parametrize("name", NAMES or ["(no scenarios.toml)"])
def test_lab_scenario(name: str, lab_summary: dict[str, Any]) -> None:
    """The lab judges the doctor correct in this scenario."""
    rows = {row["scenario"]: row for row in lab_summary["scenarios"]}
    assert name in rows, f"the lab's summary has no result for {name!r}"
    row = rows[name]
    expected = row["expected"]["verdict"] + (
        f"/{row['expected']['cause']}" if row["expected"].get("cause") else ""
    )
    if row["result"] != "PASS":
        pytest.fail(f"lab {row['result']} [{expected}]: {row['detail']}", pytrace=False)
