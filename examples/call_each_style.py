"""Call one private API by every access style with the sync client.

Runs against the local private API Gateway (``privateapi.testing``), which answers like a
VPC endpoint for execute-api: its own DNS, TLS certificates chosen by SNI, SigV4
verification and API Gateway's routing. With a real API, build the target with
``privateapi.InvokeTarget.<style>(...)`` instead of ``gw.target(...)`` and drop
``verify``/``credentials``: the system CA store and botocore's credential chain apply.

Run: ``python examples/call_each_style.py`` (exit 0 when every style answers 200).
"""

from __future__ import annotations

import sys

from privateapi import Client, Style
from privateapi.testing import LabRequest, LocalGateway, Route

STYLES = [style for style in Style if style.is_private]  # the public URL forms reach no private API


def whoami(request: LabRequest) -> dict[str, str]:
    """The integration: says who called, through which endpoint."""
    return {"principal": request.principal, "via": request.source_vpce, "path": request.path}


def main() -> int:
    with LocalGateway(region="us-east-1") as gw:
        endpoint = gw.endpoint()  # the default endpoint: private DNS on
        api = gw.add_api(
            routes=[Route.handler("GET", "/whoami", whoami)],
            authorization="AWS_IAM",  # every call must be SigV4-signed
            endpoints=[endpoint.id],  # associated: gives the {api}-{vpce} alias name
        )
        gw.add_custom_domain(
            "orders.example.internal", mappings={"v1": (api.id, "prod")}, endpoints=[endpoint.id]
        )
        failures = 0
        for style in STYLES:
            if style is Style.CUSTOM_DOMAIN:
                target = gw.target(style=style, domain="orders.example.internal")
            else:
                target = gw.target(api.id, style, vpce_id=endpoint.id)
            with Client(
                target,
                credentials=gw.credentials.as_tuple(),  # the lab's registered key pair
                verify=gw.ssl_context(),  # trust the lab's test CA
                retries=None,
            ) as client:
                response = client.get("/whoami")
            extra = ", ".join(f"{k}: {v}" for k, v in target.headers.items()) or "no extra header"
            print(f"{style:14} {target.base_url}/whoami  ({extra})")
            print(f"{'':14} -> {response.status_code} {response.json()}")
            if response.status_code != 200 or response.json()["via"] != endpoint.id:
                failures += 1
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
