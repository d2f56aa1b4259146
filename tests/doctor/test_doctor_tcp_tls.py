"""TCP and TLS checks against real loopback servers: the lab, stuck listeners, trustme."""

from __future__ import annotations

import datetime

import pytest
import trustme
from _dnsstub import DnsStub
from doctor_lab import (
    API_HOST,
    API_ID,
    REGION,
    Lab,
    TLSServer,
    at_port,
    free_port,
    offline,
    stuck_listeners,
)

from privateapi._targets import InvokeTarget
from privateapi.doctor import Status, run
from privateapi.doctor._tls import describe_certificate, name_matches


def _pointing(fake_dns: DnsStub, *addresses: str) -> InvokeTarget:
    fake_dns.records[API_HOST + "."] = {"A": list(addresses)}
    return InvokeTarget.private_dns(API_ID, REGION, "prod")


def test_k_blackholed_addresses_all_time_out_concurrently(fake_dns: DnsStub) -> None:
    """k addresses that drop SYNs: every one is reported as a timeout, in one run.

    The structure is asserted (all k reported, each as a timeout); wall time is for
    bench/doctor.py.
    """
    addrs = [f"127.0.0.{20 + i}" for i in range(4)]
    with stuck_listeners(addrs) as port:
        t = _pointing(fake_dns, *addrs)
        rep = run(
            at_port(t, port), offline(resolver=fake_dns.address, timeout=0.5, checks=("tcp",))
        )
    tcp = rep.result("tcp.connect")
    assert tcp is not None
    assert tcp.status is Status.FAIL and tcp.cause == "tcp.timeout"
    conns = tcp.evidence["connections"]
    assert sorted(c["address"] for c in conns) == addrs
    assert {c["outcome"] for c in conns} == {"timeout"}
    assert "security group" in tcp.summary


def test_refused(fake_dns: DnsStub) -> None:
    """Nothing listening: refused, which means the address is not the endpoint."""
    port = free_port("127.0.0.31")
    t = _pointing(fake_dns, "127.0.0.31")
    rep = run(at_port(t, port), offline(resolver=fake_dns.address, checks=("tls",)))
    tcp = rep.result("tcp.connect")
    assert tcp is not None and tcp.status is Status.FAIL and tcp.cause == "tcp.refused"
    tls = rep.result("tls.handshake")
    assert tls is not None and tls.status is Status.SKIP


def test_partly_reachable_warns(lab: Lab, fake_dns: DnsStub) -> None:
    """One endpoint address answers, another refuses: a warning naming the bad one."""
    ep = lab.gw.endpoint()
    t = _pointing(fake_dns, ep.address, "127.0.0.32")
    rep = run(at_port(t, lab.gw.port), offline(resolver=fake_dns.address, checks=("tcp",)))
    tcp = rep.result("tcp.connect")
    assert tcp is not None and tcp.status is Status.WARN and tcp.cause == "tcp.refused"
    assert tcp.data["reachable"] == [ep.address]
    assert "127.0.0.32 refused" in tcp.summary


def test_gateway_tls_passes_with_lab_ca(lab: Lab) -> None:
    """SNI = the API name; the lab CA verifies it; subject/SANs/issuer/expiry recorded."""
    rep = run(lab.target(), lab.options(checks=("tls",)))
    tls = rep.result("tls.handshake")
    assert tls is not None and tls.status is Status.PASS, tls.summary
    ev = tls.evidence
    assert ev["sni"] == lab.target().host
    assert ev["verified"] is True
    assert ev["tls_version"].startswith("TLSv1.")
    assert name_matches(ev["sni"], ev["sans"])
    assert ev["days_left"] > 30


def test_env_ca_bundle_is_honoured(lab: Lab) -> None:
    """AWS_CA_BUNDLE (or SSL_CERT_FILE) is used when --ca-bundle is not given."""
    opts = lab.options(ca_bundle=None, environ={"AWS_CA_BUNDLE": str(lab.gw.ca_bundle)})
    rep = run(lab.target(), opts)
    tls = rep.result("tls.handshake")
    assert tls is not None and tls.status is Status.PASS
    opts = lab.options(ca_bundle=None, environ={"SSL_CERT_FILE": str(lab.gw.ca_bundle)})
    assert opts.trust_file() == str(lab.gw.ca_bundle)


def test_untrusted_with_system_store(lab: Lab) -> None:
    """The lab CA is not in the system store: untrusted, with the certificate described."""
    rep = run(lab.target(), lab.options(ca_bundle=None, checks=("tls",)))
    tls = rep.result("tls.handshake")
    assert tls is not None and tls.cause == "tls.untrusted"
    assert "issuer" in tls.evidence and tls.evidence["sans"]


@pytest.mark.parametrize(
    ("mode", "cause"),
    [
        ("wrong-name", "tls.name-mismatch"),
        ("expired", "tls.expired"),
        ("untrusted", "tls.untrusted"),
    ],
)
def test_gateway_tls_faults(lab: Lab, mode: str, cause: str) -> None:
    """The lab presents a wrong-name / expired / untrusted certificate: each diagnosed."""
    lab.gw.set_tls_mode(mode)
    rep = run(lab.target(), lab.options(checks=("http",)))
    tls = rep.result("tls.handshake")
    assert tls is not None and tls.status is Status.FAIL and tls.cause == cause, tls.summary
    assert "verify_error" in tls.evidence
    assert "not_after" in tls.evidence  # described by the non-verifying second handshake
    probe = rep.result("http.probe")
    assert probe is not None and probe.status is Status.SKIP
    assert rep.verdict == "fail"


@pytest.mark.parametrize(
    ("style", "phrase"),
    [("private_dns", "not the execute-api endpoint"), ("api_id_header", "endpoint DNS name")],
)
def test_name_mismatch_explained_per_style(lab: Lab, style: str, phrase: str) -> None:
    """A mismatch is explained in terms of the style."""
    lab.gw.set_tls_mode("wrong-name")
    rep = run(lab.target(style), lab.options(checks=("tls",)))
    tls = rep.result("tls.handshake")
    assert tls is not None and tls.cause == "tls.name-mismatch"
    assert phrase in tls.summary


def test_blackholed_endpoint_stalls_tls(lab: Lab) -> None:
    """The lab's blackhole accepts TCP and never answers: the handshake times out."""
    lab.gw.blackhole()
    rep = run(lab.target(), lab.options(timeout=0.5, checks=("tls",)))
    tls = rep.result("tls.handshake")
    assert tls is not None and tls.cause == "tls.handshake-failed"


def test_expiring_soon_warns(fake_dns: DnsStub, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A certificate valid for 10 more days: a warning, and the verdict can still pass."""
    ca = trustme.CA()
    now = datetime.datetime.now(datetime.UTC)
    leaf = ca.issue_cert(
        API_HOST,
        not_before=now - datetime.timedelta(days=1),
        not_after=now + datetime.timedelta(days=10),
    )
    srv = TLSServer("127.0.0.41", leaf)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    try:
        t = _pointing(fake_dns, "127.0.0.41")
        rep = run(
            at_port(t, srv.port),
            offline(resolver=fake_dns.address, ca_bundle=str(bundle), checks=("tls",)),
        )
    finally:
        srv.close()
    tls = rep.result("tls.handshake")
    assert tls is not None and tls.status is Status.WARN and tls.cause == "tls.expired"
    assert "expires in" in tls.summary
    assert tls.ok


def test_bad_ca_bundle(lab: Lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An unreadable CA bundle is reported, not a crash."""
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    rep = run(lab.target(), lab.options(ca_bundle=str(bad), checks=("tls",)))
    tls = rep.result("tls.handshake")
    assert tls is not None and tls.cause == "tls.untrusted"
    assert "cannot load" in tls.summary


def test_custom_domain_default_certificate_explained(fake_dns: DnsStub, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A custom domain answered with the default *.execute-api certificate: no association."""
    ca = trustme.CA()
    leaf = ca.issue_cert(f"*.execute-api.{REGION}.amazonaws.com")
    srv = TLSServer("127.0.0.42", leaf)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    fake_dns.records["api.example.internal."] = {"A": ["127.0.0.42"]}
    try:
        t = InvokeTarget.custom_domain("api.example.internal", region=REGION)
        rep = run(
            at_port(t, srv.port),
            offline(resolver=fake_dns.address, ca_bundle=str(bundle), checks=("tls",)),
        )
    finally:
        srv.close()
    tls = rep.result("tls.handshake")
    assert tls is not None and tls.cause == "tls.name-mismatch"
    assert "default certificate" in tls.summary
    assert "access association" in (tls.hint or "")


def test_name_matching_and_description() -> None:
    """RFC 6125 one-label wildcards; SANs parsed from DER."""
    assert name_matches(
        "abc.execute-api.us-east-1.amazonaws.com", ["*.execute-api.us-east-1.amazonaws.com"]
    )
    assert not name_matches(
        "a.b.execute-api.us-east-1.amazonaws.com", ["*.execute-api.us-east-1.amazonaws.com"]
    )
    assert not name_matches(
        "execute-api.us-east-1.amazonaws.com", ["*.execute-api.us-east-1.amazonaws.com"]
    )
    assert name_matches("x.example.", ["X.example"])
    ca = trustme.CA()
    leaf = ca.issue_cert("x.example", "127.0.0.1")
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    der = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes()).public_bytes(Encoding.DER)
    d = describe_certificate(der)
    assert d["sans"] == ["x.example", "127.0.0.1"]
