"""Run docs/recipes.md's tested shell blocks against ``privateapi lab``, in a fresh namespace.

Started by ``test_recipes.py`` as ``unshare -rnm --propagation private python THIS SPEC``
(SPEC: a JSON file with the lab config path and the blocks). Inside: only ``lo`` exists
(checked first; anything else and this script refuses), ``/etc/hosts`` is a private bind
mount naming the lab's hosts, and the lab serves port 443 like a VPC endpoint, so the
recipes run exactly as written for a VPC, and nothing they do can leave the machine.
Each block runs with ``bash -e`` in the folder holding the lab's ``lab.json``, in an
environment without the caller's AWS settings; the test composes the scripts (the page's
set-up block first). Prints one JSON document: each block's exit code and output.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _refuse_unless_isolated() -> None:
    # if_nameindex asks the kernel for this process's namespace (/sys/class/net may still
    # show the host's when sysfs was not remounted)
    interfaces = sorted(name for _index, name in socket.if_nameindex())
    if interfaces != ["lo"]:
        sys.exit(f"refusing: not in a fresh network namespace (interfaces {interfaces})")


def _start_lab(config: str, out: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    argv = ["privateapi", "lab", "--config", config, "--port", "443", "--json", "--show-secrets"]
    err = out.with_suffix(".err")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(argv, stdout=stdout, stderr=stderr)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"privateapi lab exited {proc.returncode}: {err.read_text()}")
        try:
            return proc, json.loads(out.read_text())
        except ValueError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("privateapi lab printed nothing within 60 s")


def _hosts(lab: dict[str, Any]) -> str:
    lines = ["127.0.0.1 localhost"]
    for ep in lab["endpoints"]:
        names = [ep["dns_name"], *ep["zonal_dns_names"]]
        names += [f"{api['id']}.execute-api.{lab['region']}.amazonaws.com" for api in lab["apis"]]
        lines.append(f"{ep['address']} {' '.join(names)}")
    return "\n".join(lines) + "\n"


def _env(home: str) -> dict[str, str]:
    """A clean environment: no AWS settings, credentials or proxies of the caller's."""
    keep = {"PATH", "LANG", "LC_ALL", "PYTHONPATH", "COVERAGE_PROCESS_START"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        HOME=home,
        AWS_CONFIG_FILE=f"{home}/no-such-config",
        AWS_SHARED_CREDENTIALS_FILE=f"{home}/no-such-credentials",
    )
    return env


def main(spec_path: str) -> int:
    _refuse_unless_isolated()
    spec = json.loads(Path(spec_path).read_text())
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with tempfile.TemporaryDirectory(prefix="recipes-") as tmp:
        proc, lab = _start_lab(spec["config"], Path(tmp) / "lab.json")
        try:
            hosts = Path(tmp) / "hosts"
            hosts.write_text(_hosts(lab))
            subprocess.run(["mount", "--bind", str(hosts), "/etc/hosts"], check=True)
            results = []
            for block in spec["blocks"]:
                try:
                    done = subprocess.run(
                        ["bash", "-e", "-o", "pipefail", "-c", block["script"]],
                        env=_env(tmp),
                        cwd=tmp,  # where lab.json is, as in the recipes
                        capture_output=True,
                        text=True,
                        timeout=90,
                        check=False,
                    )
                    results.append(
                        {
                            "name": block["name"],
                            "rc": done.returncode,
                            "stdout": done.stdout,
                            "stderr": done.stderr,
                        }
                    )
                except subprocess.TimeoutExpired:
                    results.append(
                        {
                            "name": block["name"],
                            "rc": None,
                            "stdout": "",
                            "stderr": "no answer within 90 s",
                        }
                    )
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps({"results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
