"""TLS: the certificate is chosen by SNI like API Gateway does; bad modes fail real handshakes."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import httpx
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtensionOID
from lab_helpers import raw_client

from privateapi.testing import LabConfigError, LocalGateway

REGION = "us-east-1"


@pytest.fixture(scope="module")
def lab() -> Iterator[LocalGateway]:
    with LocalGateway(REGION) as gw:
        gw.add_api("a1b2c3d4e5", endpoints=[gw.endpoint().id])
        gw.add_custom_domain(
            "api.example.internal", mappings={"": "a1b2c3d4e5/prod"}, endpoints=[gw.endpoint().id]
        )
        yield gw


def peer_cert(gw: LocalGateway, sni: str | None) -> x509.Certificate:
    ep = gw.endpoint()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((ep.address, ep.port), timeout=3) as s,
        ctx.wrap_socket(s, server_hostname=sni) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def sans(cert: x509.Certificate) -> list[str]:
    ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    return list(ext.get_values_for_type(x509.DNSName))  # type: ignore[attr-defined]


def handshake(gw: LocalGateway, sni: str, ctx: ssl.SSLContext | None = None) -> dict[str, object]:
    ep = gw.endpoint()
    ctx = ctx or gw.ssl_context()
    with (
        socket.create_connection((ep.address, ep.port), timeout=3) as s,
        ctx.wrap_socket(s, server_hostname=sni) as tls,
    ):
        return dict(tls.getpeercert() or {})


@pytest.mark.parametrize(
    ("sni", "expected"),
    [
        ("a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", "*.execute-api.us-east-1.amazonaws.com"),
        (
            "a1b2c3d4e5-vpce-0123456789abcdef0.execute-api.us-east-1.amazonaws.com",
            "*.execute-api.us-east-1.amazonaws.com",
        ),
        (
            "vpce-0123456789abcdef0-abcd1234.execute-api.us-east-1.vpce.amazonaws.com",
            "*.execute-api.us-east-1.vpce.amazonaws.com",
        ),
        ("api.example.internal", "api.example.internal"),
        ("nlb-123.elb.us-east-1.amazonaws.com", "*.execute-api.us-east-1.amazonaws.com"),
        (None, "*.execute-api.us-east-1.amazonaws.com"),
    ],
)
def test_certificate_chosen_by_sni(lab: LocalGateway, sni: str | None, expected: str) -> None:
    cert = peer_cert(lab, sni)
    assert sans(cert) == [expected]
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    assert cn[0].value == expected


def test_valid_names_verify(lab: LocalGateway) -> None:
    for name in (
        "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        lab.endpoint().dns_name,
        *lab.endpoint().zonal_dns_names,
        "api.example.internal",
    ):
        assert handshake(lab, name)["subjectAltName"]


def test_unknown_sni_gets_default_certificate_and_fails_verification(lab: LocalGateway) -> None:
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        handshake(lab, "nlb-123.elb.us-east-1.amazonaws.com")
    assert info.value.verify_code == 62  # hostname mismatch
    with pytest.raises(ssl.SSLCertVerificationError):  # the bare name is not covered either
        handshake(lab, "execute-api.us-east-1.amazonaws.com")


def test_untrusted_without_the_lab_ca(lab: LocalGateway) -> None:
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        handshake(
            lab,
            "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            ssl.create_default_context(cafile=None, cadata=None, capath="/nonexistent"),
        )
    assert info.value.verify_code == 20  # unable to get local issuer certificate


@pytest.mark.parametrize(("mode", "code"), [("wrong-name", 62), ("expired", 10), ("untrusted", 20)])
def test_bad_certificate_modes(mode: str, code: int) -> None:
    with LocalGateway(REGION) as gw:
        api = gw.add_api()
        name = f"{api.id}.execute-api.us-east-1.amazonaws.com"
        assert handshake(gw, name)
        gw.set_tls_mode(mode)
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            handshake(gw, name)
        assert info.value.verify_code == code
        # an httpx client sees a ConnectError with the same reason
        with raw_client(gw, gw.target(api.id)) as c, pytest.raises(httpx.ConnectError):
            c.get("/x")
        gw.set_tls_mode("normal", gw.endpoint().id)
        assert handshake(gw, name)
        with pytest.raises(LabConfigError):
            gw.set_tls_mode("sloppy")


def test_sni_and_host_recorded(lab: LocalGateway) -> None:
    t = lab.target("a1b2c3d4e5", "host_header")
    with raw_client(lab, t) as c:
        assert c.get("/ping").status_code == 200
    rec = lab.request_log[-1]
    assert rec.sni == lab.endpoint().dns_name  # SNI = URL host
    assert rec.host == "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"  # Host routes


def test_ca_bundle_is_pem(lab: LocalGateway) -> None:
    text = lab.ca_bundle.read_text()
    assert text.startswith("-----BEGIN CERTIFICATE-----")
    assert lab.ca is not None


def test_supplied_domain_certificate() -> None:
    import trustme

    other_ca = trustme.CA()
    leaf = other_ca.issue_cert("own.example.internal")
    with LocalGateway(REGION) as gw:
        api = gw.add_api()
        gw.add_custom_domain(
            "own.example.internal",
            mappings={"": f"{api.id}/prod"},
            endpoints=[gw.endpoint().id],
            certificate=(
                b"".join(p.bytes() for p in leaf.cert_chain_pems),
                leaf.private_key_pem.bytes(),
            ),
        )
        ctx = ssl.create_default_context()
        other_ca.configure_trust(ctx)
        assert handshake(gw, "own.example.internal", ctx)
