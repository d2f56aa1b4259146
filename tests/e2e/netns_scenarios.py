"""Run *inside* a fresh network + mount namespace (``unshare -nm``): never in the root one.

Sets up the namespace's loopback, a dnsmasq on 127.0.0.1:53 bind-mounted as the system
resolver, the local gateway on 127.0.0.2:443, and runs ``privateapi doctor`` with its
**default system resolver** as a subprocess per scenario. Prints one JSON object:
``{scenario: report}``. The test in ``test_doctor_netns.py`` starts this with ``unshare``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REGION = "us-east-1"
UNKNOWN_API = "zzzzz99999"


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True)


def guard() -> None:
    """Refuse to run unless this is a fresh namespace: only ``lo``, no routes."""
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    names = [ln.split(":")[1].strip().split("@")[0] for ln in links.splitlines() if ln.strip()]
    routes = subprocess.run(["ip", "route"], capture_output=True, text=True, check=True).stdout
    if names != ["lo"] or routes.strip():
        sys.exit(f"refusing to run outside a fresh network namespace (links {names})")


def doctor(url: str, ca: str, *extra: str) -> dict[str, Any]:
    env = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true", "NO_COLOR": "1"}
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
            "--no-sign",
            "--json",
            "--timeout",
            "1",
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    report: dict[str, Any] = json.loads(out.stdout)
    report["exit_code"] = out.returncode
    return report


def main() -> None:
    guard()
    sh("ip", "link", "set", "lo", "up")
    from privateapi.testing import LocalGateway

    work = Path(tempfile.mkdtemp(prefix="privateapi-netns-"))
    resolv = work / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\n")
    # Private mount namespace (--propagation private): the host's file is untouched.
    sh("mount", "--bind", str(resolv), "/etc/resolv.conf")
    results: dict[str, Any] = {}
    with LocalGateway(region=REGION, port=443, first_address="127.0.0.2") as gw:
        api = gw.add_api()
        name = f"{api.id}.execute-api.{REGION}.amazonaws.com"
        dnsmasq = subprocess.Popen(
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
                f"--host-record={name},127.0.0.2",
                "--address=/#/",
                "--local-ttl=1",
            ],
        )
        try:
            time.sleep(0.3)
            ca = str(gw.ca_bundle)
            url = f"https://{name}/prod"
            results["healthy"] = doctor(url, ca)
            results["nxdomain"] = doctor(
                f"https://{UNKNOWN_API}.execute-api.{REGION}.amazonaws.com/prod", ca
            )
            # A hosts-file entry pinning the name elsewhere (bind-mounted in this mount
            # namespace only): getaddrinfo follows it, the VPC resolver does not.
            hosts = work / "hosts"
            hosts.write_text(f"127.0.0.1 localhost\n127.0.0.3 {name}\n")
            sh("mount", "--bind", str(hosts), "/etc/hosts")
            results["hosts-pinned"] = doctor(url, ca)
            sh("umount", "/etc/hosts")
            # The security group: DROP 443 to the endpoint, inside this namespace only.
            sh(
                "iptables",
                "-A",
                "INPUT",
                "-i",
                "lo",
                "-d",
                "127.0.0.2",
                "-p",
                "tcp",
                "--dport",
                "443",
                "-j",
                "DROP",
            )
            results["sg-drop"] = doctor(url, ca)
        finally:
            dnsmasq.terminate()
            dnsmasq.wait(5)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
