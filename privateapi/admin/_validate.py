"""Every check of the operations' arguments, in one place.

Each raises :class:`~privateapi.InvalidInputError` naming the argument (by its parameter
name), the value and the form expected, before any AWS call or DNS query is made.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from privateapi._aws import validate_endpoint_url, validate_timeout
from privateapi._errors import InvalidInputError

if TYPE_CHECKING:
    import dns.resolver

__all__ = [
    "account_id",
    "api_id",
    "endpoint_url",
    "region",
    "resolver_address",
    "stage",
    "timeout",
    "validate_alias_wait",
    "vpce_ids",
]


def api_id(value: str) -> str:
    """A REST API id (10 lower-case letters and digits; upper case is folded)."""
    from privateapi._targets import validate_api_id

    return validate_api_id(value)


def stage(value: str) -> str:
    """A stage name."""
    from privateapi._targets import validate_stage

    return validate_stage(value)


def region(value: str | None) -> str | None:
    """A region botocore's partitions know, or None for "from the configuration"."""
    if value is None:
        return None
    from privateapi._targets import validate_region

    return validate_region(value)


def account_id(value: str | None) -> str | None:
    """A 12-digit account id, or None."""
    if value is None:
        return None
    from privateapi._targets import validate_account_id

    return validate_account_id(value)


def vpce_ids(values: Iterable[str] | str) -> tuple[str, ...]:
    """One endpoint id or several, validated, duplicates dropped, order kept."""
    from privateapi._targets import validate_vpce_id

    if isinstance(values, str):
        values = [values]
    result: list[str] = []
    for raw in values:
        value = validate_vpce_id(raw)
        if value not in result:
            result.append(value)
    if not result:
        raise InvalidInputError("vpce_ids", [], "at least one VPC endpoint id")
    return tuple(result)


def endpoint_url(value: str | None) -> str | None:
    """An http(s) URL with a host, or None for botocore's endpoint."""
    return None if value is None else validate_endpoint_url(value)


def timeout(value: float, field: str = "timeout") -> float:
    """A positive, finite number of seconds."""
    return validate_timeout(value, field)


def resolver_address(value: object) -> None:
    """``IP[:port]`` of a DNS server; None and a ready :class:`dns.resolver.Resolver` pass."""
    if value is None:
        return
    if isinstance(value, str):
        from privateapi._targets import parse_resolver

        parse_resolver(value)
        return
    import dns.resolver

    if not isinstance(value, dns.resolver.Resolver):
        raise InvalidInputError(
            "resolver", type(value).__name__, "a DNS server IP[:port] or a dns.resolver.Resolver"
        )


def validate_alias_wait(
    *,
    timeout: float = 300.0,
    interval: float = 5.0,
    resolver: str | dns.resolver.Resolver | None = None,
) -> None:
    """Check the arguments of :func:`~privateapi.admin.wait_for_alias` without waiting.

    A front end calls this before associating endpoints, so that a bad ``timeout``,
    ``interval`` or ``resolver`` is refused before anything changes on AWS.

    Raises:
        InvalidInputError: naming the argument that is not valid.

    Example:
        >>> validate_alias_wait(timeout=600, interval=5, resolver="10.0.0.2")
    """
    validate_timeout(timeout, "timeout")
    validate_timeout(interval, "interval")
    resolver_address(resolver)
