"""Benchmark: 10,000 evaluations of a 20-statement resource policy.

Run from the repository root: ``.venv/bin/python bench/policy.py``. Prints the time and
the evaluations per second; no assertions (the budget is "well under a second").
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from privateapi.policy import ApiContext, Request, evaluate, parse_policy

EVALUATIONS = 10_000
API = ApiContext("us-east-1", "123456789012", "a1b2c3d4e5")


def _policy() -> dict[str, object]:
    statements: list[dict[str, object]] = []
    for i in range(18):
        statements.append(
            {
                "Sid": f"AllowStage{i}",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{i:012d}:role/app-{i}", "123456789012"]}
                if i % 3 == 0
                else "*",
                "Action": ["execute-api:Invoke", "execute-api:InvalidateCache"],
                "Resource": [f"execute-api:/stage{i}/GET/pets/*", f"execute-api:/stage{i}/POST/*"],
                "Condition": {
                    "StringEquals": {"aws:SourceVpce": [f"vpce-{i:08x}", "vpce-0a1b2c3d"]},
                    "IpAddress": {"aws:VpcSourceIp": ["10.0.0.0/8", "fd00::/8"]},
                    "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
                },
            }
        )
    statements.append(
        {
            "Sid": "DenyOutsideVpc",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {
                "StringNotEquals": {"aws:SourceVpce": ["vpce-0a1b2c3d", "vpce-0000000b"]}
            },
        }
    )
    statements.append(
        {
            "Sid": "DenyAdminPaths",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:*",
            "Resource": "arn:aws:execute-api:*:*:a1b2c3d4e5/*/*/admin/*",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin-*"}},
        }
    )
    return {"Version": "2012-10-17", "Statement": statements}


def main() -> None:
    """Time the evaluations (over a pool of 100 requests) and print the rate."""
    policy = parse_policy(_policy())
    requests = [
        Request.for_private_api(
            API.arn(f"stage{i % 20}/GET/pets/{i}"),
            principal="anonymous" if i % 2 else f"arn:aws:sts::123456789012:assumed-role/app/{i}",
            vpce="vpce-0a1b2c3d" if i % 5 else "vpce-99999999",
            source_ip=f"10.0.{i % 256}.{i % 200}",
            context={"aws:CurrentTime": "2026-11-21T05:00:00Z"},
        )
        for i in range(100)
    ]
    outcomes: dict[str, int] = {}
    cpu = time.process_time()
    start = time.perf_counter()
    for n in range(EVALUATIONS):
        decision = evaluate(policy, requests[n % len(requests)], api=API)
        outcomes[decision.outcome] = outcomes.get(decision.outcome, 0) + 1
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    statements = len(policy.statements)
    print(
        f"{EVALUATIONS} evaluations of a {statements}-statement policy: {elapsed:.3f} s"
        f" (CPU {cpu:.3f} s)"
    )
    print(f"{EVALUATIONS / elapsed:,.0f} evaluations/second")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))

    # The same, building a fresh Request for every call (nothing reused between calls
    # except the compiled policy).
    cpu = time.process_time()
    start = time.perf_counter()
    for n in range(EVALUATIONS):
        template = requests[n % len(requests)]
        fresh = Request(
            template.resource,
            principal=template.principal,
            action=template.action,
            context=dict(template.context),
        )
        evaluate(policy, fresh, api=API)
    fresh_elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    print(
        f"with a new Request per call: {fresh_elapsed:.3f} s (CPU {cpu:.3f} s),"
        f" {EVALUATIONS / fresh_elapsed:,.0f} evaluations/second"
    )


if __name__ == "__main__":
    main()
