"""Fan out 100 signed requests concurrently with the async client.

One :class:`privateapi.AsyncClient` (one connection pool, one signer whose key is derived
once per day) serves every request; ``asyncio.gather`` runs them concurrently, and a
semaphore bounds how many are in flight, the way a real service protects its dependency.
Runs against the local private API Gateway.

Run: ``python examples/async_fanout.py`` (exit 0 when all 100 answers are 200 and correct).
"""

from __future__ import annotations

import asyncio
import sys
import time

from privateapi import AsyncClient
from privateapi.testing import LabRequest, LocalGateway, Route

REQUESTS = 100
IN_FLIGHT = 20


def order(request: LabRequest) -> dict[str, object]:
    """The integration: echoes the order id from the path."""
    return {"order": int(request.path_parameters["id"])}


async def fetch_all(client: AsyncClient) -> list[int]:
    limit = asyncio.Semaphore(IN_FLIGHT)

    async def one(n: int) -> int:
        async with limit:
            response = await client.get(f"/orders/{n}")
            response.raise_for_status()
            return int(response.json()["order"])

    return await asyncio.gather(*(one(n) for n in range(REQUESTS)))


async def run(gw: LocalGateway, api_id: str) -> int:
    async with AsyncClient(
        gw.target(api_id, "private_dns"),
        credentials=gw.credentials.as_tuple(),
        verify=gw.ssl_context(),
    ) as client:
        started = time.perf_counter()
        results = await fetch_all(client)
        elapsed = time.perf_counter() - started
    print(f"{len(results)} signed requests, {IN_FLIGHT} in flight, in {elapsed:.2f} s")
    return 0 if results == list(range(REQUESTS)) else 1


def main() -> int:
    with LocalGateway() as gw:
        api = gw.add_api(
            routes=[Route.handler("GET", "/orders/{id}", order)], authorization="AWS_IAM"
        )
        return asyncio.run(run(gw, api.id))


if __name__ == "__main__":
    sys.exit(main())
