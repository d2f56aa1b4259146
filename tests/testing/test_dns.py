"""The lab's DNS server, asserted with dnspython like a VPC resolver's answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import pytest

from privateapi.testing import LabConfigError, LocalGateway

REGION = "us-east-1"
SUFFIX = "amazonaws.com"


@pytest.fixture
def lab() -> Iterator[LocalGateway]:
    with LocalGateway(REGION) as gw:
        yield gw


def query(gw: LocalGateway, name: str, rdtype: str = "A") -> dns.message.Message:
    host, port = gw.resolver
    return dns.query.udp(dns.message.make_query(name, rdtype), host, port=port, timeout=2)


def test_private_dns_name_is_a_cname_chain_to_the_endpoint(lab: LocalGateway) -> None:
    api = lab.add_api()
    ep = lab.endpoint()
    answer = lab.dns_resolver().resolve(api.hostname, "A")
    assert [r.to_text() for r in answer] == [ep.address]
    assert answer.canonical_name.to_text() == f"execute-api.{REGION}.{SUFFIX}."
    msg = query(lab, api.hostname)
    assert msg.flags & dns.flags.AA
    assert msg.rcode() == dns.rcode.NOERROR
    # any name under the zone is captured by the wildcard (public APIs too)
    assert lab.dns_resolver().resolve(f"zzzzz99999.execute-api.{REGION}.{SUFFIX}", "A")


def test_nodata_for_aaaa_has_soa(lab: LocalGateway) -> None:
    api = lab.add_api()
    msg = query(lab, api.hostname, "AAAA")
    assert msg.rcode() == dns.rcode.NOERROR
    assert [rr.rdtype for rr in msg.answer] == [dns.rdatatype.CNAME]
    assert msg.authority
    assert msg.authority[0].rdtype == dns.rdatatype.SOA
    with pytest.raises(dns.resolver.NoAnswer):
        lab.dns_resolver().resolve(lab.endpoint().dns_name, "AAAA")


def test_private_dns_off_gives_nxdomain(lab: LocalGateway) -> None:
    api = lab.add_api()
    lab.set_private_dns(lab.endpoint().id, False)
    msg = query(lab, api.hostname)
    assert msg.rcode() == dns.rcode.NXDOMAIN
    assert msg.authority[0].rdtype == dns.rdatatype.SOA
    with pytest.raises(LabConfigError, match="NXDOMAIN"):
        lab.target(api.id, "private_dns")
    assert lab.endpoint().private_dns_names == ()
    lab.set_private_dns(lab.endpoint().id, True)
    assert query(lab, api.hostname).rcode() == dns.rcode.NOERROR


def test_alias_only_after_association(lab: LocalGateway) -> None:
    ep = lab.add_vpc_endpoint(private_dns=False)
    lab.set_private_dns(lab.endpoint().id, False)
    api = lab.add_api()
    alias = f"{api.id}-{ep.id}.execute-api.{REGION}.{SUFFIX}"
    assert query(lab, alias).rcode() == dns.rcode.NXDOMAIN
    lab.associate(api.id, ep.id)
    answer = lab.dns_resolver().resolve(alias, "A")
    assert [r.to_text() for r in answer] == [ep.address]
    assert answer.canonical_name.to_text() == ep.dns_name + "."
    assert [c.name.to_text() for c in answer.chaining_result.cnames] == [alias + "."]
    lab.disassociate(api.id, ep.id)
    assert query(lab, alias).rcode() == dns.rcode.NXDOMAIN


def test_endpoint_regional_and_zonal_names(lab: LocalGateway) -> None:
    ep = lab.add_vpc_endpoint(zones=("us-east-1a", "us-east-1c"), private_dns=False)
    assert ep.dns_name.startswith(ep.id + "-")
    assert ep.dns_name.endswith(f".execute-api.{REGION}.vpce.{SUFFIX}")
    assert [n.split(".")[0][-10:] for n in ep.zonal_dns_names] == ["us-east-1a", "us-east-1c"]
    for name in (ep.dns_name, *ep.zonal_dns_names):
        assert [r.to_text() for r in lab.dns_resolver().resolve(name, "A")] == [ep.address]
    unknown = ep.dns_name.replace(ep.id, "vpce-0fffffffffffffff0")
    assert query(lab, unknown).rcode() == dns.rcode.NXDOMAIN


def test_custom_domain_answers_a_directly(lab: LocalGateway) -> None:
    api = lab.add_api()
    ep = lab.endpoint()
    lab.add_custom_domain(
        "api.example.internal", mappings={"v1": f"{api.id}/prod"}, endpoints=[ep.id]
    )
    msg = query(lab, "api.example.internal")
    assert [rr.rdtype for rr in msg.answer] == [dns.rdatatype.A]  # an alias record, not a CNAME
    assert query(lab, "x.api.example.internal").rcode() == dns.rcode.NXDOMAIN
    nodata = query(lab, "api.example.internal", "TXT")
    assert nodata.rcode() == dns.rcode.NOERROR
    assert not nodata.answer


def test_unrelated_names_and_query_log(lab: LocalGateway) -> None:
    assert query(lab, "example.com").rcode() == dns.rcode.NXDOMAIN
    assert not query(lab, "example.com").authority
    seen = [(q.name, q.rdtype, q.rcode) for q in lab.dns_queries]
    assert ("example.com.", "A", "NXDOMAIN") in seen
    assert lab.dns_queries[0].client == "127.0.0.1"


def test_dns_faults(lab: LocalGateway) -> None:
    api = lab.add_api()
    lab.dns_fault = "servfail"
    assert query(lab, api.hostname).rcode() == dns.rcode.SERVFAIL
    lab.dns_fault = "timeout"
    host, port = lab.resolver
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(dns.message.make_query(api.hostname, "A"), host, port=port, timeout=0.3)
    assert lab.dns_queries[-1].rcode == "DROPPED"
    lab.clear_faults()
    assert lab.dns_fault is None
    with pytest.raises(LabConfigError):
        lab.dns_fault = "bogus"


def test_garbage_gets_no_answer(lab: LocalGateway) -> None:
    host, port = lab.resolver
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        s.sendto(b"\x00\x01garbage", (host, port))
        with pytest.raises(TimeoutError):
            s.recvfrom(512)
    assert query(lab, "example.com").rcode() == dns.rcode.NXDOMAIN  # still serving


def test_cname_loop_is_servfail() -> None:
    from privateapi.testing._dns import DnsView

    view = DnsView({"a.": {"CNAME": ("b.",)}, "b.": {"CNAME": ("a.",)}}, {}, ())
    assert view.lookup("a.", "A")[0] == "SERVFAIL"
    dangling = DnsView({"a.": {"CNAME": ("elsewhere.",)}}, {}, ())
    assert dangling.lookup("a.", "A") == ("NOERROR", [("a.", "CNAME", ("elsewhere.",))], None)


def test_second_private_dns_endpoint_in_same_vpc_refused(lab: LocalGateway) -> None:
    with pytest.raises(LabConfigError, match="already has private DNS"):
        lab.add_vpc_endpoint(private_dns=True)
    other = lab.add_vpc_endpoint(private_dns=True, vpc_id="vpc-0ther")
    # an endpoint in another VPC: its private DNS zone is not visible to this resolver
    assert other.private_dns_names == ()


def test_dns_over_tcp(lab: LocalGateway) -> None:
    api = lab.add_api()
    host, port = lab.resolver
    msg = dns.query.tcp(dns.message.make_query(api.hostname, "A"), host, port=port, timeout=2)
    assert msg.rcode() == dns.rcode.NOERROR
    assert msg.answer[-1][0].to_text() == lab.endpoint().address
    assert (
        dns.query.tcp(
            dns.message.make_query("nope.example.com", "A"), host, port=port, timeout=2
        ).rcode()
        == dns.rcode.NXDOMAIN
    )
    # a connection that sends garbage or goes away does not stop the server
    with socket.create_connection((host, port), timeout=2) as s:
        s.sendall(b"\x00\x05junk!")
    with socket.create_connection((host, port), timeout=2) as s:
        s.sendall(b"\x00")
    assert (
        dns.query.tcp(dns.message.make_query(api.hostname, "A"), host, port=port, timeout=2).rcode()
        == dns.rcode.NOERROR
    )
