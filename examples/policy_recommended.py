"""Generate the recommended resource policy, check it, and explain its decisions.

The recommended private API policy allows ``execute-api:Invoke`` and explicitly denies every
call that does not come through the given VPC endpoints (or VPCs). This script generates
it, lints it, and evaluates it locally, as API Gateway would, for a call through an allowed
endpoint and through another one, naming the deciding statement. It then lints a policy
with a classic mistake. No AWS and no network are involved.

To put the policy on a real API and redeploy: ``privateapi policy apply --api-id API
--generate --vpce VPCE --stage STAGE``.

Run: ``python examples/policy_recommended.py``.
"""

from __future__ import annotations

import json
import sys

from privateapi.policy import ApiContext, Request, evaluate, generate, lint

ALLOWED = "vpce-0123456789abcdef0"
OTHER = "vpce-0fedcba9876543210"
API = ApiContext(region="us-east-1", account="123456789012", api_id="a1b2c3d4e5")


def main() -> int:
    policy = generate([ALLOWED], api=API)
    print("Recommended policy:")
    print(json.dumps(policy, indent=2))

    warnings = lint(policy, api=API)
    print(f"\nlint: {len(warnings)} warning(s)")

    arn = API.arn("prod/GET/pets")
    outcomes = {}
    for vpce in (ALLOWED, OTHER):
        decision = evaluate(policy, Request.for_private_api(arn, vpce=vpce), api=API)
        deciding = ", ".join(str(ref) for ref in decision.deciding) or "no statement matched"
        print(f"GET /pets through {vpce}: {decision.outcome} (deciding: {deciding})")
        outcomes[vpce] = decision.outcome

    risky = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ],
    }
    print("\nA policy that filters on aws:SourceIp:")
    found = lint(risky, api=API)
    for warning in found:
        print(f"  warning: {warning}")

    ok = (
        not warnings
        and outcomes == {ALLOWED: "allow", OTHER: "explicit_deny"}
        and any(w.code == "source-ip" for w in found)
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
