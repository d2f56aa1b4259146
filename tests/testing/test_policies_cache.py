"""The gateway's decision cache: bounded, keyed on what a policy reads, never stale."""

from __future__ import annotations

from privateapi.policy import parse_policy
from privateapi.testing._policies import Evaluator

ARN = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/x"


def ctx(second: int) -> dict[str, str]:
    return {
        "aws:SourceVpce": "vpce-0123456789abcdef0",
        "aws:CurrentTime": f"2030-01-01T00:00:{second:02d}Z",
        "aws:EpochTime": str(1893456000 + second),
    }


def test_time_keys_do_not_grow_the_cache_of_a_policy_that_ignores_them() -> None:
    ev = Evaluator("us-east-1", "123456789012", "aws")
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": "execute-api:/*",
                    "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
                }
            ],
        }
    )
    outcomes = {
        ev.decide(policy, ARN, "anonymous", ctx(s), "a1b2c3d4e5", kind="resource")
        for s in range(50)
    }
    assert outcomes == {"allow"}
    assert len(ev._cache) == 1


def test_a_policy_reading_the_time_is_decided_per_time() -> None:
    ev = Evaluator("us-east-1", "123456789012", "aws")
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": "execute-api:/*",
                    "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:30Z"}},
                }
            ],
        }
    )
    got = [
        ev.decide(policy, ARN, "anonymous", ctx(s), "a1b2c3d4e5", kind="resource")
        for s in (10, 40, 10)
    ]
    assert got == ["allow", "implicit_deny", "allow"]


def test_policy_variables_read_every_key() -> None:
    ev = Evaluator("us-east-1", "123456789012", "aws")
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": ARN.rsplit("/", 3)[0] + "/${aws:SourceVpce}/*",
                }
            ],
        }
    )
    assert ev._relevant(policy) is None
    ev.decide(policy, ARN, "anonymous", ctx(1), "a1b2c3d4e5", kind="resource")
    ev.decide(policy, ARN, "anonymous", ctx(2), "a1b2c3d4e5", kind="resource")
    assert len(ev._cache) == 2
