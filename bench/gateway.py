"""Local gateway throughput: one client at a time, sequential SigV4-signed GETs over TLS.

The gateway runs in this process (its server threads) like in a test suite. Two clients
take turns in short rounds (median shown, so load from other processes hits both alike):
a plain httpx client with :class:`SigV4Auth` and its own address pinning (the original
measurement), and ``gw.client()`` (a ``privateapi.Client``, what test suites use). Prints
requests per second and the start-up time of a ``LocalGateway``. Loopback only, bounded
to about 10 seconds, no assertions.

Run: ``.venv/bin/python bench/gateway.py [seconds]`` (timed seconds in all: default 5, at
most 8).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import httpcore
import httpx

from privateapi._signing import SigV4Auth
from privateapi.testing import LocalGateway, Route


class _Pinned(httpcore.SyncBackend):
    """Connect to the endpoint's loopback address whatever the URL host (curl --connect-to)."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.host, self.port = host, int(port)

    def connect_tcp(  # type: ignore[override]
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: object = None,
    ) -> httpcore.NetworkStream:
        return super().connect_tcp(self.host, self.port, timeout, local_address, socket_options)  # type: ignore[arg-type]


def startup_ms() -> tuple[float, float]:
    """Min and max start-up (bind DNS + listener, start threads) over 5 gateways."""
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        gw = LocalGateway().start()
        times.append(time.perf_counter() - t0)
        gw.close()
    return min(times) * 1000, max(times) * 1000


def main(seconds: float = 5.0) -> None:
    seconds = min(seconds, 8.0)
    low, high = startup_ms()
    with LocalGateway() as gw:
        api = gw.add_api(
            routes=[Route.static("GET", "/ping", json={"ok": True})], authorization="AWS_IAM"
        )
        target = gw.target(api.id)
        ctx = gw.ssl_context()
        transport = httpx.HTTPTransport(verify=ctx)
        transport._pool.close()
        transport._pool = httpcore.ConnectionPool(
            ssl_context=ctx, network_backend=_Pinned(str(target.connect_to))
        )
        auth = SigV4Auth(gw.credentials.as_tuple(), region=gw.region)
        url = target.url("/ping")
        with httpx.Client(transport=transport, auth=auth) as client, gw.client(api.id) as ours:
            t0 = time.perf_counter()
            client.get(url)  # the first request creates the CA and certificates
            first_ms = (time.perf_counter() - t0) * 1000
            clients: dict[str, Callable[[], httpx.Response]] = {
                "httpx.Client + SigV4Auth": lambda: client.get(url),
                "gw.client() (privateapi.Client)": lambda: ours.get("/ping"),
            }
            rates: dict[str, list[float]] = {name: [] for name in clients}
            for send in clients.values():
                for _ in range(50):  # warm up
                    send()
            round_s = 0.25
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                for name, send in clients.items():
                    n = 0
                    t0 = time.perf_counter()
                    while time.perf_counter() - t0 < round_s:
                        r = send()
                        if r.status_code != 200:
                            print(f"unexpected {r.status_code}: {r.text}")
                            return
                        n += 1
                    rates[name].append(n / (time.perf_counter() - t0))
    print(f"gateway start-up: {low:.1f} ms (min of 5), {high:.1f} ms (max)")
    print(f"first request (CA, certificates, TLS handshake): {first_ms:.1f} ms")
    rounds = min(len(v) for v in rates.values())
    print(f"sequential signed GETs, median of {rounds} rounds of {round_s} s per client:")
    for name, values in rates.items():
        vals = sorted(values)
        spread = f"{vals[len(vals) // 10]:.0f}-{vals[(len(vals) * 9) // 10]:.0f}"
        print(f"  {name:34} {statistics.median(vals):6.0f} req/s  (p10-p90 {spread})")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
