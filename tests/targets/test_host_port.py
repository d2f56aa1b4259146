"""The one host[:port] parser and formatter (connect_to, resolvers, Host values)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privateapi import InvalidInputError
from privateapi._names import format_host_port, parse_host_port, parse_resolver


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.2:8443", ("127.0.0.2", 8443)),
        ("nlb.example", ("nlb.example", None)),
        ("NLB.Example.:444", ("nlb.example", 444)),
        ("localhost", ("localhost", None)),
        ("[::1]:444", ("::1", 444)),
        ("[::1]", ("::1", None)),
        ("::1", ("::1", None)),
        ("fe80::", ("fe80::", None)),
        ("[2001:DB8:0:0::1]:53", ("2001:db8::1", 53)),
        ("10.0.0.2", ("10.0.0.2", None)),
    ],
)
def test_parse(value: str, expected: tuple[str, int | None]) -> None:
    """Names, IPv4, bracketed and bare IPv6, with or without a port; hosts normalised."""
    assert parse_host_port(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "h:99999", "h:0", "h:", "[::1]:", "[::1", "[::1]x", "[]:53", "a b", "http://x", "u@h",
     "-bad-", "10.0.0", 5, None],
)  # fmt: skip
def test_parse_refuses(value: object) -> None:
    """Anything else names the field it was given for."""
    with pytest.raises(InvalidInputError, match="host:port") as info:
        parse_host_port(value, field="connect_to")
    assert info.value.field == "connect_to"
    with pytest.raises(InvalidInputError) as info:
        parse_host_port(value, field="resolver")
    assert info.value.field == "resolver"


def test_format() -> None:
    """IPv6 gets brackets; the port is left out when absent or the default."""
    assert format_host_port("10.0.0.1", 443) == "10.0.0.1:443"
    assert format_host_port("10.0.0.1", 443, default_port=443) == "10.0.0.1"
    assert format_host_port("::1", 53) == "[::1]:53"
    assert format_host_port("::1") == "[::1]"
    assert format_host_port("api.example.com", 8443, default_port=443) == "api.example.com:8443"


def test_resolver() -> None:
    """A resolver is an IP address; port 53 unless given."""
    assert parse_resolver("10.0.0.2") == ("10.0.0.2", 53)
    assert parse_resolver("[::1]:5353") == ("::1", 5353)
    with pytest.raises(InvalidInputError, match="IP"):
        parse_resolver("dns.example.com")


_hosts = st.one_of(
    st.ip_addresses().map(str),
    st.lists(st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12), min_size=2,
             max_size=4).map(lambda labels: ".".join(labels) + ".example"),
)  # fmt: skip


@given(_hosts, st.one_of(st.none(), st.integers(1, 65535)))
def test_format_then_parse_is_identity(host: str, port: int | None) -> None:
    """parse(format(host, port)) gives back the (normalised) host and the port."""
    text = format_host_port(host, port)
    got_host, got_port = parse_host_port(text)
    assert got_port == port
    try:
        assert ipaddress.ip_address(got_host) == ipaddress.ip_address(host)
    except ValueError:
        assert got_host == host
