"""The facts checks hand on to later checks, as typed keys.

A check's ``Result.data`` is keyed by these; a reader asks ``ctx.fact(TCP_REACHABLE)``
and gets the declared type back, so a misspelt fact is an undefined name (mypy and
ruff catch it) instead of a silent ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = [
    "API_POLICY",
    "API_TYPES",
    "DNS_ADDRESSES",
    "DNS_OUTCOME",
    "DNS_RESOLVER",
    "HOSTS_PINNED",
    "IDENTITY_ACCOUNT",
    "IDENTITY_ARN",
    "PLATFORM",
    "PLATFORM_LOCAL_IPV4",
    "PLATFORM_REGION",
    "PLATFORM_SGS",
    "PLATFORM_VPC_CIDRS",
    "PLATFORM_VPC_ID",
    "PROBE_CAUSE",
    "PROBE_OUTCOME",
    "PROBE_SIGNED",
    "PROBE_STATUS",
    "PROBE_VIA_PROXY",
    "TCP_LOCAL_ADDRESS",
    "TCP_REACHABLE",
    "VPCE_ID",
    "VPCE_VPC_ID",
    "VPC_DNS_ADDRESSES",
    "Fact",
    "facts",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Fact(Generic[T]):
    """One fact: the check that states it and its key in that check's ``data``."""

    check_id: str
    key: str

    def of(self, value: T) -> tuple[str, T]:
        """A ``(key, value)`` pair for a result's ``data`` (``facts(F.of(v), ...)``)."""
        return self.key, value


def facts(*pairs: tuple[str, Any]) -> dict[str, Any]:
    """A result's ``data`` from :meth:`Fact.of` pairs."""
    return dict(pairs)


PLATFORM: Fact[str] = Fact("env.platform", "platform")
PLATFORM_REGION: Fact[str] = Fact("env.platform", "region")
PLATFORM_VPC_ID: Fact[str] = Fact("env.platform", "vpc_id")
PLATFORM_VPC_CIDRS: Fact[list[str]] = Fact("env.platform", "vpc_cidrs")
PLATFORM_LOCAL_IPV4: Fact[str] = Fact("env.platform", "local_ipv4")
PLATFORM_SGS: Fact[list[str]] = Fact("env.platform", "security_group_ids")
HOSTS_PINNED: Fact[dict[str, str]] = Fact("env.hosts", "pinned")
DNS_ADDRESSES: Fact[list[str]] = Fact("dns.lookup", "addresses")
DNS_RESOLVER: Fact[str] = Fact("dns.lookup", "resolver")
DNS_OUTCOME: Fact[str] = Fact("dns.lookup", "outcome")
VPC_DNS_ADDRESSES: Fact[list[str]] = Fact("dns.vpc", "addresses")
TCP_REACHABLE: Fact[list[str]] = Fact("tcp.connect", "reachable")
TCP_LOCAL_ADDRESS: Fact[str | None] = Fact("tcp.connect", "local_address")
PROBE_STATUS: Fact[int | None] = Fact("http.probe", "status")
PROBE_CAUSE: Fact[str | None] = Fact("http.probe", "cause")
PROBE_OUTCOME: Fact[str] = Fact("http.probe", "outcome")
PROBE_SIGNED: Fact[bool] = Fact("http.probe", "signed")
PROBE_VIA_PROXY: Fact[bool] = Fact("http.probe", "via_proxy")
IDENTITY_ARN: Fact[str] = Fact("aws.identity", "arn")
IDENTITY_ACCOUNT: Fact[str] = Fact("aws.identity", "account")
API_POLICY: Fact[str | None] = Fact("aws.api", "policy")
API_TYPES: Fact[list[str] | None] = Fact("aws.api", "types")
VPCE_ID: Fact[str] = Fact("aws.vpce", "vpce_id")
VPCE_VPC_ID: Fact[str] = Fact("aws.vpce", "vpc_id")
