"""Call a private API through an endpoint IP (or an NLB) with the right SNI and header.

The cross-account pattern: the consumer reaches the provider's VPC endpoint through a
TCP-passthrough Network Load Balancer or directly by an endpoint ENI address. TLS ends at
API Gateway, which only has certificates for execute-api names, so the TLS server name
(SNI) and the certificate check must use the API's execute-api name, not the IP or the
NLB's name; the ``x-apigw-api-id`` header routes the request to the API.

``connect_to`` does exactly that: the TCP connection goes to the address, while the URL,
``Host``, SNI and certificate name stay the API's. This script first shows the mistake
(connecting to the address as the URL host: certificate name mismatch), then the fix.
Runs against the local private API Gateway, whose endpoint listens on 127.0.0.2.

Run: ``python examples/endpoint_ip_nlb.py``.
"""

from __future__ import annotations

import ssl
import sys

import httpx

from privateapi import Client, InvokeTarget
from privateapi.testing import LocalGateway, Route


def main() -> int:
    with LocalGateway(region="us-east-1") as gw:
        endpoint = gw.endpoint()
        api = gw.add_api(routes=[Route.static("GET", "/health", json={"status": "ok"})])
        address = endpoint.connect_to  # "127.0.0.2:PORT": stands for the NLB / ENI address

        # The mistake: the address as the URL host sends it as the TLS name too.
        try:
            httpx.get(
                f"https://{address}/prod/health",
                headers={"x-apigw-api-id": api.id},
                verify=gw.ssl_context(),
            )
            print("unexpected: the address was accepted as a TLS name")
            return 1
        except httpx.ConnectError as exc:
            reason = exc.__context__ if isinstance(exc.__context__, ssl.SSLError) else exc
            print(f"to https://{address}/ as the URL: TLS fails: {reason}")

        # The fix: the API's name for URL, SNI and certificate; the address for TCP only.
        target = InvokeTarget.private_dns(api.id, "us-east-1", "prod").with_connect_to(address)
        with Client(
            target,
            headers={"x-apigw-api-id": api.id},  # routes even when Host is not the API's
            sign=False,  # the API uses authorization NONE
            verify=gw.ssl_context(),
        ) as client:
            response = client.get("/health")
        print(
            f"connect to {address}, SNI {target.server_name}, x-apigw-api-id {api.id}:"
            f" {response.status_code} {response.json()}"
        )
        return 0 if response.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
