"""Aggregate 10,000 probe results (the goal: under a second) and print the per-report cost.

Builds 10,000 fleet results as the Lambda probe returns them (JSON text, one target
each, with checks), then times what ``privateapi fleet report`` does: parse the JSON,
find the results, build the matrix, count causes, find the VPCs that differ. No network.

    .venv/bin/python bench/fleet.py [--reports N] [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from privateapi.fleet import summarize
from privateapi.fleet._aggregate import results_in

URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"
CAUSES = ("tcp.timeout", "dns.nxdomain", "http.explicit-deny", "tls.name-mismatch")


def make(n: int) -> list[str]:
    texts = []
    for i in range(n):
        bad = i % 10 == 0
        cause = CAUSES[(i // 10) % len(CAUSES)]
        checks = [
            {"id": cid, "status": "pass", "summary": f"{cid} ok"}
            for cid in ("env.platform", "env.proxy", "dns.lookup", "dns.vpc", "tls.handshake")
        ]
        checks.append(
            {
                "id": "tcp.connect",
                "status": "fail" if bad else "pass",
                **({"cause": cause, "hint": "fix it"} if bad else {}),
            }
        )
        texts.append(
            json.dumps(
                {
                    "kind": "privateapi.fleet/result",
                    "version": 1,
                    "verdict": "fail" if bad else "pass",
                    "where": {
                        "platform": "lambda",
                        "account": f"{100000000000 + i // 5}",
                        "region": "us-east-1",
                        "vpc_id": f"vpc-{i:017x}",
                        "subnet_id": f"subnet-{i % 3}",
                        "availability_zone": f"us-east-1{'abc'[i % 3]}",
                        "ou": f"ou-{(i // 100) % 7:04d}-00000000",
                    },
                    "reports": [
                        {
                            "target": {"label": URL},
                            "verdict": "fail" if bad else "pass",
                            "causes": [cause] if bad else [],
                            "checks": checks,
                        }
                    ],
                    "trimmed": 0,
                    "size_limit": 253952,
                }
            )
        )
    return texts


def once(texts: list[str]) -> float:
    t0 = time.perf_counter()
    results = [r for t in texts for r in results_in(json.loads(t))]
    summary = summarize(results)
    summary.to_dict()
    elapsed = time.perf_counter() - t0
    assert len(summary.rows) == len(texts)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    texts = make(args.reports)
    size = sum(len(t) for t in texts)
    times = [once(texts) for _ in range(args.rounds)]
    med = statistics.median(times)
    print(
        f"fleet report: {args.reports:,} results ({size / 1e6:.1f} MB of JSON),"
        f" median of {args.rounds}"
    )
    print(f"  {med:.3f} s total, {med / args.reports * 1e6:.1f} us per report (goal: under 1 s)")
    print(f"  min {min(times):.3f} s, max {max(times):.3f} s")


if __name__ == "__main__":
    main()
