"""Run *inside* a fresh network + mount namespace (``unshare -nm``): never in the root one.

The probe handler with the doctor's default *system* resolver, as in a VPC: dnsmasq on
127.0.0.1:53 bind-mounted as resolv.conf, the local gateway on 127.0.0.2:443, then an
iptables DROP on 443 (a security group). Prints one JSON object ``{scenario: result}``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REGION = "us-east-1"


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True)


def guard() -> None:
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    names = [ln.split(":")[1].strip().split("@")[0] for ln in links.splitlines() if ln.strip()]
    routes = subprocess.run(["ip", "route"], capture_output=True, text=True, check=True).stdout
    if names != ["lo"] or routes.strip():
        sys.exit(f"refusing to run outside a fresh network namespace (links {names})")


class Ctx:
    invoked_function_arn = f"arn:aws:lambda:{REGION}:111122223333:function:privateapi-fleet-probe"

    def get_remaining_time_in_millis(self) -> int:
        return 120_000


def main() -> None:
    guard()
    sh("ip", "link", "set", "lo", "up")
    from privateapi.fleet.handler import handler
    from privateapi.testing import LocalGateway

    work = Path(tempfile.mkdtemp(prefix="privateapi-fleet-netns-"))
    resolv = work / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\n")
    sh("mount", "--bind", str(resolv), "/etc/resolv.conf")
    out = {}
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
            ]
        )
        try:
            time.sleep(0.3)
            event = {
                "targets": [
                    {
                        "url": f"https://{name}/prod",
                        "ca_bundle": str(gw.ca_bundle),
                        "sign": False,
                        "timeout": 1,
                    }
                ],
                "where": False,
                "limit": "ssm",
            }
            out["healthy"] = handler(event, Ctx())
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
            out["sg-drop"] = handler(event, Ctx())
        finally:
            dnsmasq.terminate()
            dnsmasq.wait(5)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
