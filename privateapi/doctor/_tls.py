"""TLS check: handshake with the style's SNI, verify, and describe the certificate.

The verifying handshake decides. When it fails, a second handshake with verification
off is made *only to describe* the certificate the server presented (subject, SANs,
issuer, validity) so the report can say which name it was for; that connection is
closed at once and nothing is ever sent over it.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from privateapi._errors import cause_of_exception, mark_phase
from privateapi._styles import spec_of
from privateapi.doctor import _facts as fx
from privateapi.doctor._context import Context, fail, passed, warn
from privateapi.doctor._model import Result

__all__ = ["check_handshake", "describe_certificate", "describe_verified", "name_matches"]

EXPIRY_WARN_DAYS = 30


def name_matches(name: str, patterns: list[str]) -> bool:
    """RFC 6125 matching of ``name`` against certificate DNS names (one-label wildcards)."""
    name = name.lower().rstrip(".")
    for raw in patterns:
        pat = raw.lower().rstrip(".")
        if pat == name:
            return True
        if pat.startswith("*."):
            head, _, rest = name.partition(".")
            if head and rest == pat[2:]:
                return True
    return False


def describe_certificate(der: bytes) -> dict[str, Any]:
    """Subject, SANs, issuer, validity and serial of a DER certificate.

    Needs ``cryptography`` (Python's ``ssl`` returns nothing about an unverified peer
    certificate); without it only a note is returned, and nothing is judged from it.
    """
    try:
        from cryptography import x509
    except ImportError:  # pragma: no cover - cryptography is installed with the doctor
        return {"certificate": "not described: install 'cryptography' to see it"}

    cert = x509.load_der_x509_certificate(der)
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        sans = [str(v) for v in ext.value.get_values_for_type(x509.DNSName)]
        sans += [str(v) for v in ext.value.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        sans = []
    not_after = cert.not_valid_after_utc
    days_left = (not_after - datetime.now(UTC)).total_seconds() / 86400
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "sans": sans,
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": not_after.isoformat(),
        "days_left": round(days_left, 1),
        "serial": f"{cert.serial_number:x}",
    }


#: ``ssl.getpeercert()`` attribute names -> RFC 4514 short names (cryptography's table).
_RFC4514_NAMES = {
    "commonName": "CN",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "streetAddress": "STREET",
    "domainComponent": "DC",
    "userId": "UID",
}


def _rfc4514_value(value: str) -> str:
    # RFC 4514 §2.4, as cryptography's Name.rfc4514_string() escapes.
    for ch in ("\\", '"', "+", ",", ";", "<", ">"):
        value = value.replace(ch, "\\" + ch)
    value = value.replace("\0", "\\00")
    if value[:1] in ("#", " "):
        value = "\\" + value
    if value.endswith(" "):
        value = value[:-1] + "\\ "
    return value


def _rfc4514(name: Any) -> str | None:
    rdns = []
    for rdn in reversed(name or ()):
        parts = []
        for attr, value in rdn:
            short = _RFC4514_NAMES.get(attr)
            if short is None:
                return None  # an attribute only cryptography can name (by OID)
            parts.append(f"{short}={_rfc4514_value(str(value))}")
        rdns.append("+".join(parts))
    return ",".join(rdns)


def describe_verified(peer: Mapping[str, Any]) -> dict[str, Any] | None:
    """:func:`describe_certificate`'s fields from a *verified* peer's ``getpeercert()``.

    The standard library decodes a verified certificate already, so a passing handshake
    needs no ``cryptography`` import (30-80 ms of a short run). ``None`` when the
    certificate has a name attribute only ``cryptography`` can spell.
    """
    subject, issuer = _rfc4514(peer.get("subject")), _rfc4514(peer.get("issuer"))
    if subject is None or issuer is None or "notAfter" not in peer or "notBefore" not in peer:
        return None
    sans = [str(v) for k, v in peer.get("subjectAltName", ()) if k == "DNS"]
    sans += [
        str(ipaddress.ip_address(str(v).strip()))
        for k, v in peer.get("subjectAltName", ())
        if k == "IP Address"
    ]
    not_before = datetime.fromtimestamp(ssl.cert_time_to_seconds(peer["notBefore"]), UTC)
    not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(peer["notAfter"]), UTC)
    days_left = (not_after - datetime.now(UTC)).total_seconds() / 86400
    return {
        "subject": subject,
        "issuer": issuer,
        "sans": sans,
        "not_before": not_before.isoformat(),
        "not_after": not_after.isoformat(),
        "days_left": round(days_left, 1),
        "serial": f"{int(str(peer.get('serialNumber', '0')), 16):x}",
    }


def _context(cafile: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _handshake(
    address: str, port: int, sni: str, ctx: ssl.SSLContext, timeout: float
) -> tuple[bytes, str, str]:
    der, version, cipher, _ = _handshake_peer(address, port, sni, ctx, timeout)
    return der, version, cipher


def _handshake_peer(
    address: str, port: int, sni: str, ctx: ssl.SSLContext, timeout: float
) -> tuple[bytes, str, str, dict[str, Any]]:
    """The handshake, with the decoded peer certificate (empty unless verified)."""
    try:
        raw = socket.create_connection((address, port), timeout=timeout)
    except OSError as exc:
        mark_phase(exc, "connect")  # the shared classifier then says tcp.*, not tls.*
        raise
    with raw, ctx.wrap_socket(raw, server_hostname=sni) as tls:
        der = tls.getpeercert(binary_form=True) or b""
        peer = tls.getpeercert() or {}
        cipher = tls.cipher()
        return der, tls.version() or "?", cipher[0] if cipher else "?", dict(peer)


def _capture(address: str, port: int, sni: str, timeout: float) -> dict[str, Any]:
    # Verification is off here on purpose, to *describe* what the server presents
    # after the verifying handshake already failed; nothing is sent on this socket.
    nc = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    nc.check_hostname = False
    nc.verify_mode = ssl.CERT_NONE
    try:
        der, version, cipher = _handshake(address, port, sni, nc, timeout)
    except (OSError, ssl.SSLError) as exc:
        return {"capture_error": f"{type(exc).__name__}: {exc}"}
    out = describe_certificate(der) if der else {}
    out.update({"tls_version": version, "cipher": cipher})
    return out


_BARE_REGIONAL = re.compile(r"execute-api(?:-fips)?\.([a-z0-9-]+)\.[a-z0-9.-]+")


def _mismatch_why(ctx: Context, sni: str, cert: dict[str, Any]) -> tuple[str, str]:
    """Why the certificate does not name the URL's host, and the fix, in the caller's terms."""
    names = cert.get("sans") or [cert.get("subject", "?")]
    shown = ", ".join(names[:4])
    request = ctx.request
    routing = request.routing_name
    api = request.header("x-apigw-api-id") or (
        ctx.recognised.api_id if ctx.recognised is not None else None
    )
    if request.header("host") is not None and routing != sni:
        return (
            f"the TLS server name is the URL's host {sni}, which the certificate ({shown})"
            f" does not cover; the Host header ({routing}) changes routing, never SNI",
            f"Keep {routing} as the URL's host and connect to {sni} underneath (the"
            " connect-to option, like curl --connect-to), so SNI and Host both name the API;"
            " or, for an NLB/VPC link in front, use a TLS server name its certificate covers"
            " (or the endpoint's DNS name with x-apigw-api-id).",
        )
    if _BARE_REGIONAL.fullmatch(sni):
        region = _BARE_REGIONAL.fullmatch(sni).group(1)  # type: ignore[union-attr]
        own = f"{api}.execute-api.{region}.amazonaws.com" if api else "{api-id}.execute-api..."
        return (
            f"the bare regional name {sni} is not covered by API Gateway's certificate"
            f" ({shown}): a wildcard covers exactly one label",
            f"Call https://{own}{request.path} (private DNS), or the VPC endpoint's DNS name"
            f" with 'x-apigw-api-id: {api or 'API_ID'}'.",
        )
    if ctx.recognised is not None:
        default_cert = any(n.startswith("*.execute-api.") for n in names)
        return spec_of(ctx.recognised.style).tls_mismatch(
            shown, sni, default_certificate=default_cert
        )
    return (
        f"the certificate presented ({shown}) does not cover the URL's host {sni}",
        f"Call a name the certificate covers, or connect to {sni}'s address with the API's"
        " own name in the URL (the connect-to option).",
    )


def _verify_failed(
    ctx: Context, exc: ssl.SSLCertVerificationError, address: str, evidence: dict[str, Any]
) -> Result:
    """The failure for a certificate that did not verify, with the certificate described."""
    sni = ctx.server_name
    evidence["verify_error"] = f"{exc.verify_code} {exc.verify_message}"
    cert = _capture(address, ctx.connect_port, sni, ctx.options.timeout)
    evidence.update(cert)
    cause = cause_of_exception(exc, "tls")  # the verify-code map the client uses too
    if cause == "tls.name-mismatch":
        why, fix = _mismatch_why(ctx, sni, cert)
        return fail("tls.name-mismatch", why, evidence, hint=fix)
    if cause == "tls.expired":
        return fail(
            "tls.expired",
            f"the certificate for {sni} is outside its validity"
            f" ({cert.get('not_before', '?')} – {cert.get('not_after', '?')})",
            evidence,
        )
    return fail(
        "tls.untrusted",
        f"the certificate chain is not trusted by {evidence['trust']}:"
        f" {exc.verify_message} (issuer {cert.get('issuer', '?')})",
        evidence,
        hint="Trust the issuing CA (the CA bundle option, AWS_CA_BUNDLE) - a TLS-inspecting"
        " proxy or load balancer in the path presents its own chain.",
    )


def check_handshake(ctx: Context) -> Result:
    """Handshake with the SNI the style needs and verify the certificate."""
    address = ctx.fact_or(fx.TCP_REACHABLE, [ctx.connect_host])[0]
    port = ctx.connect_port
    sni = ctx.server_name
    cafile = ctx.options.trust_file()
    timeout = ctx.options.timeout
    evidence: dict[str, Any] = {
        "address": address,
        "port": port,
        "sni": sni,
        "trust": cafile or "system store",
    }
    try:
        trust = _context(cafile)
    except (OSError, ssl.SSLError) as exc:
        return fail(
            "tls.untrusted",
            f"cannot load the CA bundle {cafile}: {exc}",
            evidence,
            hint="Give the CA bundle option (ca_bundle) a readable PEM file, or fix"
            " AWS_CA_BUNDLE/SSL_CERT_FILE.",
        )
    try:
        der, version, cipher, peer = _handshake_peer(address, port, sni, trust, timeout)
    except ssl.SSLCertVerificationError as exc:
        return _verify_failed(ctx, exc, address, evidence)
    except (ssl.SSLError, OSError) as exc:
        evidence["error"] = f"{type(exc).__name__}: {exc}"
        return fail(
            cause_of_exception(exc, "tls"),
            f"TLS handshake with {address}:{port} (SNI {sni}) failed: {exc}",
            evidence,
        )
    cert = describe_verified(peer) or describe_certificate(der)
    evidence.update(cert)
    evidence.update({"tls_version": version, "cipher": cipher, "verified": True})
    summary = f"{version}, certificate for {sni} verified (issuer {cert.get('issuer', '?')})"
    if cert.get("days_left", EXPIRY_WARN_DAYS) < EXPIRY_WARN_DAYS:
        return warn(
            "tls.expired",
            f"{summary}, but it expires in {cert['days_left']:.0f} days ({cert['not_after']})",
            evidence,
            hint="Rotate the certificate before it expires (for a custom domain, renew the ACM"
            " certificate; AWS-managed execute-api certificates rotate on their own).",
        )
    return passed(summary, evidence)
