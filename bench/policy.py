"""Benchmark: 10,000 evaluations of a 20-statement resource policy, then the scaling.

Run from the repository root: ``.venv/bin/python bench/policy.py [--max N]``. Prints the
time and the evaluations per second; then, for policies of 10, 100, 1k, 10k and 100k
statements, the time to parse, to compile (the first evaluation) and to evaluate, each
also per statement: the per-statement columns stay flat when the cost is linear in the
policy's size. No assertions (the budget for the first part is "well under a second").

From about 10k statements the parse and compile columns grow to two or three times their
small-policy value: CPython's cyclic garbage collector traverses the grown heap now and
then (with ``--no-gc`` the same columns stay flat, about 20 us a statement). Evaluation
stays about 1 us a statement.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

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


def _statement(i: int) -> dict[str, Any]:
    # A mix of the shapes real policies use: per-stage Allows (some naming IAM principals,
    # some with wildcards mid-path), with conditions, and an occasional Deny.
    if i % 10 == 9:
        return {
            "Sid": f"Deny{i}",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": f"execute-api:/stage{i}/*/admin/*",
            "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}},
        }
    return {
        "Sid": f"Allow{i}",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::123456789012:role/app-{i}"} if i % 4 == 0 else "*",
        "Action": ["execute-api:Invoke", "execute-api:InvalidateCache"],
        "Resource": [f"execute-api:/stage{i}/GET/pets/*", f"execute-api:/stage{i}/*/orders/?*"],
        "Condition": {
            "StringEquals": {"aws:SourceVpce": ["vpce-0a1b2c3d", f"vpce-{i:08x}"]},
            "IpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"},
        },
    }


def scaling(largest: int) -> None:
    """Parse, compile and evaluate policies of growing size; print the per-statement cost.

    Times are CPU time of this process (``time.process_time``), so other work on the
    machine disturbs them less than wall-clock time would.
    """
    print()
    print("CPU time per policy size (the 'per st.' columns stay flat when cost is linear):")
    print(
        f"{'statements':>10}  {'parse':>9} {'per st.':>8}  {'compile':>9} {'per st.':>8}"
        f"  {'evaluate':>9} {'per st.':>8}  outcomes"
    )
    clock = time.process_time
    sizes = [n for n in (10, 100, 1_000, 10_000, 100_000) if n <= largest]
    for n in sizes:
        document = {"Version": "2012-10-17", "Statement": [_statement(i) for i in range(n)]}
        start = clock()
        policy = parse_policy(document)
        parsed = clock() - start
        # Requests for stages spread over the policy, through the allowed endpoint or not.
        requests = [
            Request.for_private_api(
                API.arn(f"stage{(k * 7919) % n}/GET/pets/{k}"),
                principal="anonymous",
                vpce="vpce-0a1b2c3d" if k % 3 else "vpce-99999999",
                source_ip="10.0.1.2",
            )
            for k in range(12)
        ]
        start = clock()
        evaluate(policy, requests[0], api=API)
        compiled = clock() - start
        # About 200k statement-evaluations per size: small policies are evaluated often
        # enough to measure, large ones a few times; the median of the runs is shown.
        rounds = max(12, 200_000 // n)
        times = []
        outcomes: dict[str, int] = {}
        for k in range(rounds):
            start = clock()
            decision = evaluate(policy, requests[k % len(requests)], api=API)
            times.append(clock() - start)
            outcomes[decision.outcome] = outcomes.get(decision.outcome, 0) + 1
        each = statistics.median(times)
        print(
            f"{n:>10,}  {_t(parsed):>9} {_t(parsed / n):>8}  {_t(compiled):>9}"
            f" {_t(compiled / n):>8}  {_t(each):>9} {_t(each / n):>8}  "
            + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        )


def _t(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.2f} us"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--max", type=int, default=100_000, help="largest policy, in statements (100000)"
    )
    parser.add_argument(
        "--no-gc", action="store_true", help="turn the cyclic garbage collector off"
    )
    args = parser.parse_args()
    if args.no_gc:
        gc.disable()
    main()
    scaling(args.max)
