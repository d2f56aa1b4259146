"""The judgement rule: private = RFC 1918 + 100.64.0.0/10 (+ VPC CIDRs), never is_private."""

from __future__ import annotations

import pytest

from privateapi.doctor._net import is_ip_literal, is_vpc_private


@pytest.mark.parametrize(
    "address",
    [
        "10.0.1.5",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.3.4",
        "100.64.0.1",
        "100.127.255.254",
        "127.0.0.2",
        "fd00::5",
        "::1",
        "::ffff:10.1.2.3",
    ],
)
def test_private(address: str) -> None:
    """RFC 1918, CGNAT (VPC secondary ranges), loopback (the lab) and ULA are private."""
    assert is_vpc_private(address)


@pytest.mark.parametrize(
    "address",
    [
        "192.0.2.10",  # TEST-NET-1: ipaddress calls it private; it is not the VPC
        "198.51.100.7",  # TEST-NET-2
        "203.0.113.9",  # TEST-NET-3
        "198.18.0.1",  # benchmarking
        "172.32.0.1",  # just outside 172.16/12
        "100.128.0.1",  # just outside 100.64/10
        "52.94.1.1",  # AWS public
        "2600:1f18::1",
        "2001:db8::1",  # documentation v6
    ],
)
def test_public(address: str) -> None:
    """Documentation and benchmarking ranges count as public (unlike ipaddress.is_private)."""
    assert not is_vpc_private(address)


def test_vpc_cidrs_extend_private_space() -> None:
    """A VPC using public space (BYOIP) makes those answers private."""
    assert is_vpc_private("203.0.113.7", ["203.0.113.0/24"])
    assert is_vpc_private("2600:1f18::1", ["2600:1f18::/56"])
    assert not is_vpc_private("203.0.114.7", ["203.0.113.0/24"])


def test_ip_literal() -> None:
    """Names vs address literals."""
    assert is_ip_literal("127.0.0.2")
    assert is_ip_literal("[::1]")
    assert not is_ip_literal("example.com")
