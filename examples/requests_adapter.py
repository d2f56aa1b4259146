"""Call a private API with ``requests``, through :mod:`privateapi.requests`.

For code bases built on requests: :func:`privateapi.requests.session` returns a
``requests.Session`` bound to one API that sends the style's headers, connects where the
style needs with the right TLS server name, and signs each request (requests-aws4auth
fed by refreshable credentials). ``raise_for_status`` raises privateapi's typed errors, so
a policy denial is an ``ExplicitDenyError`` with a cause code, not a bare 403.

Needs the ``requests`` extra (``pip install 'privateapi[requests]'``). Runs against the
local private API Gateway.

Run: ``python examples/requests_adapter.py``.
"""

from __future__ import annotations

import sys

from privateapi import ExplicitDenyError
from privateapi.requests import raise_for_status, session
from privateapi.testing import LocalGateway, Route, allow_endpoints_policy


def main() -> int:
    with LocalGateway() as gw:
        mine = gw.endpoint()
        other = gw.add_vpc_endpoint(private_dns=False)  # a second endpoint, not allowed below
        api = gw.add_api(
            routes=[Route.static("POST", "/pets", 201, json={"id": 7})],
            authorization="AWS_IAM",
            policy=allow_endpoints_policy(mine.id),  # allow mine, deny every other endpoint
        )
        target = gw.target(api.id, "api_id_header", vpce_id=mine.id)
        with session(target, credentials=gw.credentials.as_tuple(), verify=gw.ca_bundle) as s:
            created = s.post("/pets", json={"name": "Rex"})
            raise_for_status(created)
            print(f"through {mine.id}: {created.status_code} {created.json()}")

        denied_target = gw.target(api.id, "api_id_header", vpce_id=other.id)
        with session(
            denied_target, credentials=gw.credentials.as_tuple(), verify=gw.ca_bundle
        ) as s:
            answer = s.post("/pets", json={"name": "Rex"})
        try:
            raise_for_status(answer)
        except ExplicitDenyError as exc:
            print(f"through {other.id}: {exc.status_code} {type(exc).__name__} [{exc.cause_code}]")
            print(f"  hint: {exc.hint}")
            return 0
        print("expected the resource policy to deny the second endpoint")
        return 1


if __name__ == "__main__":
    sys.exit(main())
