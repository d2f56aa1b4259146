"""The lab's certificates: a trustme CA, certificates chosen by SNI like API Gateway, bad modes.

API Gateway picks the certificate from the TLS server name (SNI): the API names and
the ``{api}-{vpce}`` aliases are covered by ``*.execute-api.{region}.{suffix}``, the
endpoint names by ``*.execute-api.{region}.vpce.{suffix}`` (unverified: AWS does not
publish that SAN list) and private custom domains by their own certificate. A name it
does not know (an NLB, an IP, no SNI) gets the default ``*.execute-api...`` certificate,
as observed through TCP-passthrough load balancers.

Each endpoint can be told to present a ``wrong-name``, ``expired`` or ``untrusted``
certificate instead (a ``tls`` fault, :mod:`._faults`). Everything is created lazily
(a CA and a certificate take a few milliseconds each), so a gateway that never
handshakes never pays for it.
"""

from __future__ import annotations

import datetime as dt
import ssl
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import trustme

    from privateapi.testing._faults import TlsMode

__all__ = ["SNI_ATTRIBUTE", "CertificateStore", "make_workdir"]

#: The attribute the SNI callback stores the server name under, on the SSL socket.
SNI_ATTRIBUTE = "privateapi_sni"


class CertificateStore:
    """Lazily issued server contexts, keyed by (mode, certificate names)."""

    def __init__(
        self,
        region: str,
        dns_suffix: str,
        workdir: Callable[[], Path],
        domain_certs: Mapping[str, tuple[bytes, bytes] | None],
    ) -> None:
        self.region = region
        self.dns_suffix = dns_suffix
        self._workdir = workdir
        self._lock = threading.Lock()
        self._contexts: dict[tuple[str, tuple[str, ...]], ssl.SSLContext] = {}
        #: custom domain (lower-case) -> (cert chain PEM, key PEM) supplied by the user, if any
        self.domain_certs = domain_certs
        self._bundle: Path | None = None

    # -- the CA ---------------------------------------------------------------------------------

    @property
    def ca(self) -> trustme.CA:
        """The lab's CA (created on first use, then shared by every gateway in the process)."""
        return _shared_ca("privateapi local gateway")

    def _rogue(self) -> trustme.CA:
        return _shared_ca("privateapi untrusted CA")

    @property
    def ca_bundle(self) -> Path:
        """A PEM file holding the CA certificate (written on first use)."""
        ca = self.ca
        with self._lock:
            if self._bundle is None:
                path = self._workdir() / "privateapi-lab-ca.pem"
                ca.cert_pem.write_to_path(str(path))
                self._bundle = path
            return self._bundle

    def client_context(self) -> ssl.SSLContext:
        """A client context trusting only the lab's CA (hostname checking on)."""
        ctx = ssl.create_default_context()
        ctx.load_verify_locations(cafile=str(self.ca_bundle))
        return ctx

    # -- names ----------------------------------------------------------------------------------

    def exec_wildcard(self) -> str:
        return f"*.execute-api.{self.region}.{self.dns_suffix}"

    def vpce_wildcard(self) -> str:
        return f"*.execute-api.{self.region}.vpce.{self.dns_suffix}"

    def names_for(self, server_name: str | None) -> tuple[str, ...]:
        """The certificate names API Gateway would present for this SNI."""
        if server_name:
            name = server_name.lower().rstrip(".")
            if name in self.domain_certs:
                return (name,)
            if name.endswith(f".execute-api.{self.region}.vpce.{self.dns_suffix}"):
                # unverified: the SAN list of the vpce-name certificate (open question 1)
                return (self.vpce_wildcard(),)
        return (self.exec_wildcard(),)

    # -- contexts -------------------------------------------------------------------------------

    def context(self, names: tuple[str, ...], mode: str = "normal") -> ssl.SSLContext:
        """A server context presenting a certificate for ``names`` in ``mode``."""
        key = (mode, names)
        ctx = self._contexts.get(key)
        if ctx is not None:
            return ctx
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        # API Gateway's private endpoints negotiate TLS 1.2+ (the default policy TLS_1_2).
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        supplied = self.domain_certs.get(names[0]) if mode == "normal" else None
        if supplied is not None:
            chain, key_pem = supplied
            cert_path = self._workdir() / f"domain-{len(self._contexts)}.pem"
            cert_path.write_bytes(key_pem + b"\n" + chain)
            ctx.load_cert_chain(str(cert_path))
        else:
            self._issue(names, mode).configure_cert(ctx)
        with self._lock:
            self._contexts.setdefault(key, ctx)
            return self._contexts[key]

    def _issue(self, names: tuple[str, ...], mode: str) -> trustme.LeafCert:
        # Leaf certificates are cached process-wide with the CA: issuing one costs a few
        # milliseconds, and tests start many gateways.
        key = (names, mode)
        with _SHARED_LOCK:
            leaf = _LEAVES.get(key)
        if leaf is not None:
            return leaf
        if mode == "wrong-name":
            leaf = self.ca.issue_cert("wrong-name.invalid", common_name="wrong-name.invalid")
        elif mode == "expired":
            leaf = self.ca.issue_cert(
                *names,
                common_name=names[0],
                not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
                not_after=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
            )
        else:
            ca = self._rogue() if mode == "untrusted" else self.ca
            # The observed certificate has CN=*.execute-api.{region}.amazonaws.com.
            leaf = ca.issue_cert(*names, common_name=names[0])
        with _SHARED_LOCK:
            return _LEAVES.setdefault(key, leaf)

    def server_context(self, mode: Callable[[], TlsMode]) -> ssl.SSLContext:
        """The listening context: picks the certificate per handshake from the SNI.

        ``mode()`` is read at each handshake, so an endpoint's TLS mode can change while
        the gateway runs.
        """
        # A context of its own: sni_callback is per context, and the per-name ones are shared.
        listen = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        listen.minimum_version = ssl.TLSVersion.TLSv1_2
        # It needs *a* certificate loaded, although the callback always swaps in the right
        # one (it also runs when the client sends no SNI).
        self._issue(self.names_for(None), "normal").configure_cert(listen)

        def select(sslobj: Any, server_name: str | None, _ctx: ssl.SSLContext) -> None:
            setattr(sslobj, SNI_ATTRIBUTE, server_name)
            sslobj.context = self.context(self.names_for(server_name), mode())

        listen.sni_callback = select
        return listen


_SHARED_LOCK = threading.Lock()
_CAS: dict[str, trustme.CA] = {}
_LEAVES: dict[tuple[tuple[str, ...], str], trustme.LeafCert] = {}


def _shared_ca(name: str) -> trustme.CA:
    with _SHARED_LOCK:
        ca = _CAS.get(name)
        if ca is None:
            import trustme

            ca = _CAS[name] = trustme.CA(organization_name=name)
        return ca


def make_workdir() -> tempfile.TemporaryDirectory[str]:
    """A private temporary directory for the CA bundle and supplied certificates."""
    return tempfile.TemporaryDirectory(prefix="privateapi-lab-")
