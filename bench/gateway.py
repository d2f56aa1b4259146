"""Local gateway throughput at 1 and at 100 concurrent keep-alive connections.

The gateway runs in its own process (as under ``privateapi lab``); the load comes from
this one: asyncio TLS connections, each sending the same SigV4-signed GET again and
again (the signature stays valid for 5 minutes, and the gateway verifies it on every
request: routing, signature, resource policy and a static integration). Prints
requests per second, latency percentiles and the error count (any answer other than
200, or a failed connection) for each concurrency, plus the start-up time of a
``LocalGateway``. Loopback only, about 10 seconds, no assertions.

Run: ``.venv/bin/python bench/gateway.py [seconds per run]`` (default 4, at most 8).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from privateapi._auth import SigV4Auth
from privateapi.testing import LocalGateway, Route


def serve() -> None:
    """The gateway process: print how to reach it, serve until stdin closes."""
    with LocalGateway() as gw:
        api = gw.add_api(
            routes=[Route.static("GET", "/ping", json={"ok": True})], authorization="AWS_IAM"
        )
        target = gw.target(api.id)
        request = httpx.Request("GET", target.url("/ping"))
        SigV4Auth(gw.credentials.as_tuple(), region=gw.region).sign_request(request)
        head = f"GET {request.url.raw_path.decode()} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in request.headers.items()
        )
        info = {
            "host": target.connect_host,
            "port": target.connect_port,
            "sni": target.host,
            "ca": str(gw.ca_bundle),
            "request": head + "\r\n",
        }
        print(json.dumps(info), flush=True)
        sys.stdin.read()


@dataclass
class Run:
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)


async def _client(info: dict[str, Any], ctx: ssl.SSLContext, deadline: float, run: Run) -> None:
    request = info["request"].encode()
    try:
        reader, writer = await asyncio.open_connection(
            info["host"], info["port"], ssl=ctx, server_hostname=info["sni"]
        )
    except OSError:
        run.errors += 1
        return
    try:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200 "):
                run.ok += 1
                run.latencies.append(time.perf_counter() - t0)
            else:
                run.errors += 1
    except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
        run.errors += 1
    finally:
        writer.close()


async def _load(info: dict[str, Any], connections: int, seconds: float) -> tuple[Run, float]:
    ctx = ssl.create_default_context(cafile=info["ca"])
    run = Run()
    # warm up: connect and handshake outside the timed window
    await asyncio.gather(
        *(_client(info, ctx, time.perf_counter() + 0.2, Run()) for _ in range(connections))
    )
    t0 = time.perf_counter()
    deadline = t0 + seconds
    await asyncio.gather(*(_client(info, ctx, deadline, run) for _ in range(connections)))
    return run, time.perf_counter() - t0


def startup_ms() -> tuple[float, float]:
    """Min and max start-up (bind DNS + listener, start threads) over 5 gateways."""
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        gw = LocalGateway().start()
        times.append(time.perf_counter() - t0)
        gw.close()
    return min(times) * 1000, max(times) * 1000


def main(seconds: float = 4.0) -> None:
    seconds = min(seconds, 8.0)
    low, high = startup_ms()
    print(f"gateway start-up: {low:.1f} ms (min of 5), {high:.1f} ms (max)")
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        print(
            "signed GETs on keep-alive TLS connections (gateway in its own process,"
            f" {seconds:g} s per run):"
        )
        for connections in (1, 100):
            run, elapsed = asyncio.run(_load(info, connections, seconds))
            lat = sorted(run.latencies) or [0.0]
            p50 = statistics.median(lat) * 1000
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
            print(
                f"  {connections:3d} connection{'s' if connections > 1 else ' '}:"
                f" {run.ok / elapsed:7.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
                f"  {run.errors} errors"
            )
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=10)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        main(float(sys.argv[1]) if len(sys.argv) > 1 else 4.0)
