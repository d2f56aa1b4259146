"""Cost per signed request: privateapi.SigV4Auth vs the peer signers, side by side.

Only the sign call is timed; a fresh request object per iteration is built before
the timer starts. Static credentials, GC off, median of several runs. Peers that
are not installed are skipped with a note.

    .venv/bin/python bench/signing.py [--iterations N] [--runs R]

"cold" rows use a distinct query per request, so the canonical-path/query caches
never hit; "warm" rows repeat one URL, as a client calling one endpoint does.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

API = "https://abcde12345.execute-api.us-east-1.amazonaws.com"
GET_URL = f"{API}/prod/items?limit=10&name=hello%20world&b=2&a=1"
POST_URL = f"{API}/prod/items"
POST_BODY = (b'{"items": [' + b",".join(b'"item-%04d"' % i for i in range(85)) + b"]}")[:1024]
POST_BODY = POST_BODY + b" " * (1024 - len(POST_BODY))
KEY, SECRET, REGION, SERVICE = (
    "AKIDEXAMPLE",
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "us-east-1",
    "execute-api",
)

Maker = Callable[[int], Any]  # i -> fresh request object
Signer = Callable[[Any], Any]


def _url(kind: str, i: int, cold: bool) -> str:
    base = GET_URL if kind == "GET" else POST_URL
    if cold:
        base += ("&" if "?" in base else "?") + f"n={i}"
    return base


def time_signer(make: Maker, signer: Signer, iterations: int, runs: int) -> float:
    """Median over runs of the mean µs per sign call."""
    medians = []
    for _ in range(runs):
        reqs = [make(i) for i in range(iterations)]
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            for r in reqs:
                signer(r)
            t1 = time.perf_counter()
        finally:
            gc.enable()
        medians.append((t1 - t0) / iterations * 1e6)
    return statistics.median(medians)


def candidates(kind: str, cold: bool) -> dict[str, tuple[Maker, Signer]]:
    import httpx

    headers = {"Content-Type": "application/json"} if kind == "POST" else {}
    body = POST_BODY if kind == "POST" else None
    out: dict[str, tuple[Maker, Signer]] = {}

    def httpx_req(i: int) -> httpx.Request:
        return httpx.Request(kind, _url(kind, i, cold), headers=headers, content=body)

    from privateapi._auth import SigV4Auth

    ours = SigV4Auth((KEY, SECRET), region=REGION)
    out["privateapi SigV4Auth.sign_request (httpx.Request)"] = (httpx_req, ours.sign_request)

    def flow(r: httpx.Request) -> None:
        next(ours.sync_auth_flow(r))

    out["privateapi SigV4Auth auth flow (httpx.Request)"] = (httpx_req, flow)

    from botocore.auth import SigV4Auth as BotoSigV4
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCreds

    bcreds = BotoCreds(KEY, SECRET)

    def aws_req(i: int) -> AWSRequest:
        return AWSRequest(method=kind, url=_url(kind, i, cold), data=body, headers=dict(headers))

    out["botocore SigV4Auth (AWSRequest)"] = (aws_req, BotoSigV4(bcreds, SERVICE, REGION).add_auth)
    try:
        from botocore.crt.auth import CrtSigV4Auth

        out["botocore CrtSigV4Auth (AWSRequest)"] = (
            aws_req,
            CrtSigV4Auth(bcreds, SERVICE, REGION).add_auth,
        )
    except ImportError:
        print("note: awscrt not installed, CRT signer skipped", file=sys.stderr)
    try:
        import requests
        from requests_aws4auth import AWS4Auth as RequestsAws4Auth

        ra4 = RequestsAws4Auth(KEY, SECRET, REGION, SERVICE)

        def prep(i: int) -> requests.PreparedRequest:
            return requests.Request(kind, _url(kind, i, cold), headers=headers, data=body).prepare()

        out["requests-aws4auth (PreparedRequest)"] = (prep, ra4)
    except ImportError:
        print("note: requests-aws4auth not installed, skipped", file=sys.stderr)
    try:
        from httpx_auth import AWS4Auth as HttpxAws4Auth

        ha4 = HttpxAws4Auth(access_id=KEY, secret_key=SECRET, region=REGION, service=SERVICE)

        def ha_sign(r: httpx.Request) -> None:
            next(ha4.auth_flow(r))

        out["httpx-auth AWS4Auth (httpx.Request)"] = (httpx_req, ha_sign)
    except ImportError:
        print("note: httpx-auth not installed, skipped", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}; {args.iterations} iterations x {args.runs} runs")
    for kind in ("GET", "POST"):
        for cold in (False, True):
            label = f"{kind} 1 KiB JSON" if kind == "POST" else "GET with query"
            print(f"\n{label} ({'cold: distinct URL per request' if cold else 'warm: one URL'})")
            results: dict[str, float] = {}
            for name, (make, signer) in candidates(kind, cold).items():
                for i in range(200):  # warm-up
                    signer(make(i))
                results[name] = time_signer(make, signer, args.iterations, args.runs)
            base = results["botocore SigV4Auth (AWSRequest)"]
            ours = results["privateapi SigV4Auth.sign_request (httpx.Request)"]
            print(f"  {'signer':52} {'µs':>7} {'vs botocore':>12} {'ours / it':>10}")
            for name, us in sorted(results.items(), key=lambda kv: kv[1]):
                print(f"  {name:52} {us:7.1f} {us / base:11.2f}x {ours / us:9.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
