"""The recommended resource policy for a private API.

AWS's pattern (API Gateway Developer Guide, "apigateway-resource-policies-examples"): an
Allow for ``execute-api:Invoke`` plus a Deny for calls that come through none of the
given VPC endpoints / VPCs. The Deny is what restricts same-account IAM callers, whose
identity policies would otherwise let them in (Table A).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from privateapi._errors import InvalidInputError
from privateapi.policy._model import VERSION_2012, ApiContext

__all__ = ["generate"]

_VPCE = re.compile(r"^vpce-[0-9a-f]{8}(?:[0-9a-f]{9})?$")
_VPC = re.compile(r"^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$")
_STAGE = re.compile(r"^[a-zA-Z0-9_\-]{1,128}$")
_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
_PRINCIPAL = re.compile(r"^(?:\d{12}|arn:aws[a-z-]*:(?:iam|sts)::\d{12}:\S+)$")


def generate(
    vpce: Sequence[str] | str = (),
    vpc: Sequence[str] | str = (),
    *,
    principals: Sequence[str] | str = (),
    stages: Sequence[str] | str = (),
    methods: Sequence[str] | str = (),
    api: ApiContext | None = None,
) -> dict[str, Any]:
    """Build the recommended private API resource policy.

    The Allow covers ``execute-api:Invoke`` on the chosen stages and methods (all by
    default) for ``principals`` (everyone by default: ``"*"``, which methods without
    ``AWS_IAM`` need). The Deny refuses every call that arrives through none of the given
    endpoints or VPCs: with both, a call passes when either matches.

    Args:
        vpce: VPC endpoint ids (``vpce-0123456789abcdef0``).
        vpc: VPC ids (``vpc-0123456789abcdef0``).
        principals: IAM ARNs or account ids to allow instead of everyone.
        stages: stages to allow (default all).
        methods: HTTP methods to allow (default all).
        api: the API; with it the policy uses full ARNs, without it the
            ``execute-api:/...`` short form that AWS expands on save.

    Returns:
        The policy as plain JSON data.

    Raises:
        InvalidInputError: no endpoint or VPC given, or a malformed id, stage, method or
            principal.

    Example:
        >>> doc = generate(["vpce-1a2b3c4d"])
        >>> [s["Sid"] for s in doc["Statement"]]
        ['AllowInvokeFromVpc', 'DenyOutsideVpc']
        >>> doc["Statement"][1]["Condition"]
        {'StringNotEquals': {'aws:SourceVpce': 'vpce-1a2b3c4d'}}
    """
    # One id given as a plain string is one id, not a sequence of characters.
    vpce, vpc, principals, stages, methods = (
        _unique(v) for v in (vpce, vpc, principals, stages, methods)
    )
    if not vpce and not vpc:
        raise InvalidInputError(
            "vpce", "", "at least one VPC endpoint id or VPC id to restrict the API to"
        )
    for field, values, form, expected in (
        ("vpce", vpce, _VPCE, "'vpce-' and 8 or 17 hex digits"),
        ("vpc", vpc, _VPC, "'vpc-' and 8 or 17 hex digits"),
        ("principal", principals, _PRINCIPAL, "a 12-digit account id or an IAM/STS ARN"),
        ("stage", stages, _STAGE, "1-128 letters, digits, '-' or '_'"),
    ):
        for value in values:
            if not form.match(value):
                raise InvalidInputError(field, value, expected)
    verbs = []
    for value in methods:
        verb = value.upper()
        if verb not in _METHODS and verb != "*":
            raise InvalidInputError("method", value, "one of " + ", ".join(_METHODS) + " or *")
        verbs.append(verb)

    def arn(path: str) -> str:
        return api.arn(path) if api is not None else f"execute-api:/{path}"

    resources = [
        arn(f"{stage}/{verb}/*")
        for stage in (_unique(stages) or ["*"])
        for verb in (_unique(verbs) or ["*"])
    ]
    if resources == [arn("*/*/*")]:
        resources = [arn("*")]
    principal: Any = "*" if not principals else {"AWS": _one(_unique(principals))}
    condition: dict[str, Any] = {}
    if vpce:
        condition["aws:SourceVpce"] = _one(vpce)
    if vpc:
        condition["aws:SourceVpc"] = _one(vpc)
    # Keys under one operator AND, so the Deny fires only when every listed key differs:
    # a call from any of the endpoints or VPCs escapes it.
    return {
        "Version": VERSION_2012,
        "Statement": [
            {
                "Sid": "AllowInvokeFromVpc",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "execute-api:Invoke",
                "Resource": _one(resources),
            },
            {
                "Sid": "DenyOutsideVpc",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": arn("*"),
                "Condition": {"StringNotEquals": condition},
            },
        ],
    }


def _unique(values: Sequence[str] | str) -> list[str]:
    return [values] if isinstance(values, str) else list(dict.fromkeys(values))


def _one(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values
