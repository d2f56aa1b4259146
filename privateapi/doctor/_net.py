"""Address judgement: is an answer inside the VPC's own address space?

"Private" means RFC 1918 and 100.64.0.0/10 (plus the VPC's own CIDRs when known);
IPv6 unique-local ``fc00::/7`` counts as well, because AWS dual-stack endpoints in a
VPC answer from the VPC's IPv6 range, which the caller passes as a VPC CIDR when it
is global. ``ipaddress.is_private`` is deliberately not used: it counts the
documentation, benchmarking and other reserved ranges as private, which would call a
``192.0.2.10`` answer "inside the VPC".

Loopback counts as private too: the local gateway and the test lab serve the
endpoints from ``127.0.0.0/8``, and a loopback answer can never be AWS's public front
door.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

__all__ = ["PRIVATE_NETWORKS", "is_ip_literal", "is_vpc_private"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

PRIVATE_NETWORKS: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
    ipaddress.ip_network("100.64.0.0/10"),
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("fc00::/7"),
    ipaddress.ip_network("::1/128"),
)


def is_vpc_private(address: str, vpc_cidrs: Iterable[str] = ()) -> bool:
    """Whether ``address`` lies in private space or one of ``vpc_cidrs``.

    Example:
        >>> is_vpc_private("10.0.1.5"), is_vpc_private("100.64.0.9")
        (True, True)
        >>> is_vpc_private("192.0.2.10")   # documentation range: public, not private
        False
        >>> is_vpc_private("203.0.113.7", ["203.0.113.0/24"])
        True
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    networks: list[IPNetwork] = list(PRIVATE_NETWORKS)
    networks.extend(ipaddress.ip_network(c, strict=False) for c in vpc_cidrs)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


def is_ip_literal(host: str) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 address rather than a name."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True
