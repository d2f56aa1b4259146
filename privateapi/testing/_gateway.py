"""``LocalGateway``: a VPC endpoint for execute-api plus the private APIs behind it, on loopback."""

from __future__ import annotations

import ipaddress
import secrets
import string
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote

from privateapi._partitions import partition_for_region
from privateapi._targets import (
    InvokeTarget,
    alias_hostname,
    api_hostname,
    format_host_port,
    validate_account_id,
    validate_api_id,
    validate_region,
    validate_stage,
    validate_vpce_id,
)
from privateapi.testing import _errors as E  # noqa: N812 - E.forbidden() reads like the table
from privateapi.testing._dns import DnsServer, DnsView
from privateapi.testing._errors import Answer, LabConfigError, new_apigw_id, new_request_id
from privateapi.testing._faults import Fault, FaultHandle
from privateapi.testing._limits import TokenBucket
from privateapi.testing._routes import LabRequest, LabResponse, Route, find_route
from privateapi.testing._routing import match_host, split_stage
from privateapi.testing._server import Connection, Exchange, Server
from privateapi.testing._sigv4 import GatewayCredentials, Verified, is_sigv4, verify
from privateapi.testing._tls import TLS_MODES, CertificateStore, make_workdir

if TYPE_CHECKING:
    import ssl

    import dns.resolver

    from privateapi._client import AsyncClient, Client
    from privateapi._credentials import CredentialsLike
    from privateapi.policy import Policy
    from privateapi.testing._routes import AsgiApp, Handler

__all__ = [
    "DEFAULT_POLICY",
    "ApiInfo",
    "CustomDomainInfo",
    "LocalGateway",
    "RequestRecord",
    "Unauthorized",
    "VpcEndpointInfo",
    "allow_endpoints_policy",
]

#: The resource policy :meth:`LocalGateway.add_api` attaches unless told otherwise: allow
#: ``execute-api:Invoke`` on the whole API to everybody (the console's simplest example).
DEFAULT_POLICY: Mapping[str, Any] = MappingProxyType(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
            }
        ],
    }
)


# Host classification is a pure function of (Host, suffix, domain names) and runs twice
# per request (fault scoping, routing): a test suite or benchmark sends few distinct hosts.
_match_host = lru_cache(maxsize=256)(match_host)


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


_DEFAULT: Any = _Default()
_ALNUM = string.ascii_lowercase + string.digits


def allow_endpoints_policy(*vpce_ids: str) -> dict[str, Any]:
    """AWS's recommended resource policy: allow everyone, deny unless from these endpoints.

    Example:
        >>> allow_endpoints_policy("vpce-0123456789abcdef0")["Statement"][1]["Effect"]
        'Deny'
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
            },
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": list(vpce_ids)}},
            },
        ],
    }


class Unauthorized(Exception):  # noqa: N818 - named after API Gateway's answer
    """Raise from a Lambda-authorizer callable to answer 401 ``Unauthorized``."""


# -- public snapshots ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VpcEndpointInfo:
    """A VPC endpoint of the lab (a snapshot; ask the gateway again after changes)."""

    id: str
    vpc_id: str
    address: str
    port: int
    dns_name: str
    zonal_dns_names: tuple[str, ...]
    zones: tuple[str, ...]
    private_dns: bool
    #: the private DNS names (while private DNS is on)
    private_dns_names: tuple[str, ...]

    @property
    def connect_to(self) -> str:
        """``address:port`` for :class:`~privateapi.InvokeTarget`'s ``connect_to``."""
        return f"{self.address}:{self.port}"


@dataclass(frozen=True, slots=True)
class ApiInfo:
    """A private API of the lab (a snapshot)."""

    id: str
    stages: tuple[str, ...]
    endpoints: tuple[str, ...]
    endpoint_type: str
    hostname: str
    arn_prefix: str


@dataclass(frozen=True, slots=True)
class CustomDomainInfo:
    """A private custom domain name of the lab (a snapshot)."""

    name: str
    domain_name_id: str
    arn: str
    mappings: Mapping[str, tuple[str, str]]
    endpoints: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the gateway answered: what it saw and what it decided."""

    vpce_id: str
    source_ip: str
    sni: str | None
    host: str | None
    method: str
    target: str
    api_id: str | None
    stage: str | None
    status: int | None
    cause: str | None
    principal: str
    request_id: str


# -- internal state -------------------------------------------------------------------------


@dataclass
class _Endpoint:
    id: str
    vpc_id: str
    address: str
    port: int
    rand: str
    zones: tuple[str, ...]
    private_dns: bool
    policy: Policy | None
    tls_mode: str = "normal"
    inspect_authorization: bool = False
    blackholed: bool = False
    blackhole_mode: str = "stall"

    def regional_name(self, region: str, suffix: str) -> str:
        return f"{self.id}-{self.rand}.execute-api.{region}.vpce.{suffix}"

    def zonal_names(self, region: str, suffix: str) -> tuple[str, ...]:
        return tuple(
            f"{self.id}-{self.rand}-{z}.execute-api.{region}.vpce.{suffix}" for z in self.zones
        )


@dataclass
class _Api:
    id: str
    stages: tuple[str, ...]
    routes: list[Route]
    policy: Policy | None
    authorization: Any
    endpoints: list[str]
    endpoint_type: str
    throttle: TokenBucket | None
    disable_execute_api_endpoint: bool
    route_buckets: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)


@dataclass
class _Domain:
    name: str
    domain_name_id: str
    mappings: dict[str, tuple[str, str]]
    policy: Policy | None
    endpoints: list[str]


def _parse(policy: Any, where: str) -> Policy | None:
    if policy is None:
        return None
    from privateapi.policy import parse_policy

    doc = dict(policy) if isinstance(policy, MappingProxyType) else policy
    try:
        return parse_policy(doc)
    except LabConfigError:
        raise
    except ValueError as exc:
        raise LabConfigError(where, "<policy>", f"a valid policy document ({exc})") from None


class LocalGateway:
    """A local stand-in for "an execute-api VPC endpoint plus the private APIs behind it".

    It speaks the real protocols on loopback: a DNS server answering like the VPC
    resolver, TLS with the certificate chosen by SNI, HTTP/1.1 routed by ``Host`` /
    ``x-apigw-api-id`` / alias / custom domain, SigV4 verification, resource and endpoint
    policies, Lambda authorizers, limits and faults, with API Gateway's exact error
    answers. Each VPC endpoint listens on its own loopback address (127.0.0.2, .3, ...).

    Example:
        >>> from privateapi.testing import LocalGateway, Route
        >>> with LocalGateway(region="us-east-1") as gw:                  # doctest: +SKIP
        ...     api = gw.add_api(routes=[Route.static("GET", "/ping", json={"ok": True})])
        ...     with gw.client(api.id) as client:
        ...         client.get("/ping").json()
        {'ok': True}

    Args:
        region: the Region every name is built for.
        account_id: the account owning the APIs (IAM callers from another account get Table B).
        vpc_id: the VPC the lab's DNS resolver serves (private DNS of endpoints in it).
        port: the port every endpoint listens on (0: one ephemeral port, reused on every
            address when free; 443 inside a network namespace).
        dns_port: the DNS server's UDP port (0: ephemeral).
        first_address: the first endpoint address (then .3, .4, ...).
        allow_non_loopback: allow non-loopback addresses. Only for a throwaway network
            namespace (``unshare -n``); never in the root namespace.
        default_endpoint: create one endpoint (private DNS on) at start.
        clock: returns "now" for signature checks (tests of clock skew and expiry).
        integration_timeout: seconds before an ASGI integration gets 504 ``Endpoint request
            timed out`` (API Gateway's limit is 29 s).
    """

    def __init__(
        self,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        *,
        vpc_id: str = "vpc-0a1b2c3d4e5f67890",
        port: int = 0,
        dns_port: int = 0,
        dns_host: str = "127.0.0.1",
        first_address: str = "127.0.0.2",
        allow_non_loopback: bool = False,
        default_endpoint: bool = True,
        clock: Callable[[], datetime] | None = None,
        integration_timeout: float = 29.0,
    ) -> None:
        self.region = validate_region(region)
        self.account_id = validate_account_id(account_id)
        self.partition = partition_for_region(self.region)
        self.dns_suffix = self.partition.dns_suffix
        self.vpc_id = vpc_id
        self._port = port
        self._dns_port = dns_port
        self._allow_non_loopback = allow_non_loopback
        self._dns_host = self._check_address(dns_host)
        self._next_address = ipaddress.ip_address(self._check_address(first_address))
        self._want_default_endpoint = default_endpoint
        self._clock = clock or (lambda: datetime.now(UTC))
        self.integration_timeout = integration_timeout
        self._lock = threading.RLock()
        self._endpoints: dict[str, _Endpoint] = {}
        self._by_address: dict[str, str] = {}
        self._apis: dict[str, _Api] = {}
        self._domains: dict[str, _Domain] = {}
        self._credentials: dict[str, GatewayCredentials] = {}
        self._identity_policies: dict[str, Policy] = {}
        self._faults: list[FaultHandle] = []
        self._faults_lock = threading.Lock()
        self._global_throttle: TokenBucket | None = None
        self._view = DnsView()
        self._log: list[RequestRecord] = []
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._certs = CertificateStore(self.region, self.dns_suffix, self._work_path)
        self._tls_contexts: dict[str, ssl.SSLContext] = {}
        self._encoded: dict[int, tuple[LabResponse, bytes, list[tuple[str, str]]]] = {}
        self._decisions: dict[tuple[Any, ...], tuple[Policy, str]] = {}
        self._server: Server | None = None
        self._dns: DnsServer | None = None
        self._asgi: Any = None
        self._started = False
        self._closed = False
        self.startup_seconds: float | None = None
        self.add_credentials(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            arn=f"arn:{self.partition.name}:iam::{self.account_id}:user/privateapi-lab",
        )

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> LocalGateway:
        """Bind the DNS server and listeners (fast: the CA is created on first handshake)."""
        if self._closed:
            raise RuntimeError("this LocalGateway was closed; create a new one")
        if self._started:
            return self
        t0 = time.perf_counter()
        self._started = True
        try:
            self._dns = DnsServer(lambda: self._view, host=self._dns_host, port=self._dns_port)
            self._server = Server(self)
            with self._lock:
                for ep in self._endpoints.values():
                    self._bind(ep)
            if self._want_default_endpoint and not self._endpoints:
                self.add_vpc_endpoint()
        except BaseException:
            self.close()
            raise
        self.startup_seconds = time.perf_counter() - t0
        return self

    def close(self) -> None:
        """Stop serving and release every socket, thread and file (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._server is not None:
            self._server.close()
        if self._dns is not None:
            self._dns.close()
        if self._asgi is not None:
            self._asgi.close()
        if self._workdir is not None:
            self._workdir.cleanup()

    def _work_path(self) -> Path:
        # Created on first use (the CA bundle): a gateway never asked for it leaves nothing.
        with self._lock:
            if self._workdir is None:
                self._workdir = make_workdir()
            return Path(self._workdir.name)

    def __enter__(self) -> LocalGateway:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> LocalGateway:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        import asyncio

        await asyncio.to_thread(self.close)

    # -- addresses ------------------------------------------------------------------------------

    def _check_address(self, address: str) -> str:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise LabConfigError("address", address, "an IP address such as '127.0.0.2'") from None
        if not ip.is_loopback and not self._allow_non_loopback:
            raise LabConfigError(
                "address",
                address,
                "a loopback address (127.0.0.0/8 or ::1); pass allow_non_loopback=True only"
                " inside a throwaway network namespace (unshare -n)",
            )
        return str(ip)

    def _allocate_address(self) -> str:
        while str(self._next_address) in self._by_address:
            self._next_address += 1
        address = str(self._next_address)
        self._next_address += 1
        return self._check_address(address)

    def _bind(self, ep: _Endpoint) -> None:
        assert self._server is not None
        want = ep.port or self._port or self._first_port()
        try:
            _, port = self._server.listen(ep.id, ep.address, want)
        except OSError:
            if ep.port or self._port:
                raise
            _, port = self._server.listen(ep.id, ep.address, 0)
        ep.port = port
        if ep.blackholed and ep.blackhole_mode == "drop":
            self._server.pause(ep.id)

    def _first_port(self) -> int:
        # Reuse the first endpoint's ephemeral port on every address when it is free.
        for ep in self._endpoints.values():
            if ep.port:
                return ep.port
        return 0

    # -- properties -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port of the first endpoint (the port every endpoint uses when it was free)."""
        for ep in self._endpoints.values():
            return ep.port
        return self._port

    @property
    def resolver(self) -> tuple[str, int]:
        """``(address, port)`` of the lab's DNS server."""
        if self._dns is None:
            raise RuntimeError("start the gateway first")
        return self._dns.address

    @property
    def ca_bundle(self) -> Path:
        """A PEM file with the lab CA's certificate (trust it in clients)."""
        return self._certs.ca_bundle

    @property
    def ca(self) -> Any:
        """The lab's ``trustme.CA`` (issue client-side certificates, build contexts)."""
        return self._certs.ca

    def ssl_context(self) -> ssl.SSLContext:
        """A client SSL context trusting the lab's CA only."""
        return self._certs.client_context()

    @property
    def credentials(self) -> GatewayCredentials:
        """The default credentials the verifier accepts (an IAM user of ``account_id``)."""
        return next(iter(self._credentials.values()))

    @property
    def all_credentials(self) -> tuple[GatewayCredentials, ...]:
        """Every registered credential."""
        return tuple(self._credentials.values())

    @property
    def endpoints(self) -> tuple[VpcEndpointInfo, ...]:
        """Every VPC endpoint, in creation order."""
        with self._lock:
            return tuple(self._info(ep) for ep in self._endpoints.values())

    @property
    def apis(self) -> tuple[ApiInfo, ...]:
        """Every API, in creation order."""
        with self._lock:
            return tuple(self._api_info(a) for a in self._apis.values())

    @property
    def custom_domains(self) -> tuple[CustomDomainInfo, ...]:
        """Every private custom domain name."""
        with self._lock:
            return tuple(self._domain_info(d) for d in self._domains.values())

    @property
    def request_log(self) -> tuple[RequestRecord, ...]:
        """Every request answered so far (oldest first)."""
        with self._lock:
            return tuple(self._log)

    @property
    def dns_queries(self) -> tuple[Any, ...]:
        """Every DNS query received so far (:class:`~privateapi.testing.DnsQuery`)."""
        return () if self._dns is None else self._dns.queries

    def dns_resolver(self) -> dns.resolver.Resolver:
        """A dnspython resolver that asks the lab's DNS server only."""
        import dns.resolver

        r = dns.resolver.Resolver(configure=False)
        host, port = self.resolver
        r.nameservers = [host]
        r.port = port
        r.lifetime = 2.0
        return r

    @property
    def dns_fault(self) -> str | None:
        """``None``, ``"timeout"`` (drop queries) or ``"servfail"``; settable while running."""
        return None if self._dns is None else self._dns.fault

    @dns_fault.setter
    def dns_fault(self, value: str | None) -> None:
        if value not in (None, "timeout", "servfail"):
            raise LabConfigError("dns_fault", value, "None, 'timeout' or 'servfail'")
        if self._dns is None:
            raise RuntimeError("start the gateway first")
        self._dns.fault = value

    # -- credentials ----------------------------------------------------------------------------

    def add_credentials(
        self,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        *,
        session_token: str | None = None,
        arn: str | None = None,
        expires: datetime | None = None,
        policy: Mapping[str, Any] | str | None = None,
    ) -> GatewayCredentials:
        """Register credentials the verifier accepts; random keys when not given.

        ``expires`` in the past gives an expired session (403 ``EXPIRED_TOKEN``);
        ``arn`` in another account makes the caller cross-account (Table B); ``policy``
        is the caller's identity policy (``None``: allows every ``execute-api:Invoke``).
        """
        prefix = "ASIA" if session_token else "AKIA"
        user_prefix = f"arn:{self.partition.name}:iam::{self.account_id}"
        key = access_key_id or prefix + "".join(
            secrets.choice(string.ascii_uppercase + "234567") for _ in range(16)
        )
        creds = GatewayCredentials(
            access_key_id=key,
            secret_access_key=secret_access_key or secrets.token_urlsafe(30)[:40],
            session_token=session_token,
            arn=arn or f"{user_prefix}:user/privateapi-lab-{len(self._credentials)}",
            expires=expires,
            policy=policy,
        )
        parsed = _parse(policy, "credentials.policy")
        with self._lock:
            self._credentials[key] = creds
            if parsed is not None:
                self._identity_policies[key] = parsed
        return creds

    # -- endpoints ------------------------------------------------------------------------------

    def add_vpc_endpoint(
        self,
        vpce_id: str | None = None,
        *,
        vpc_id: str | None = None,
        private_dns: bool = True,
        zones: Sequence[str] | None = None,
        policy: Mapping[str, Any] | str | None = None,
        address: str | None = None,
        port: int = 0,
        inspect_authorization: bool = False,
    ) -> VpcEndpointInfo:
        """Add an interface endpoint for execute-api with its own loopback address.

        ``policy`` is the endpoint policy (``None``: AWS's default full access);
        ``inspect_authorization`` models a reported quirk (unverified): with a custom
        endpoint policy, a non-SigV4 ``Authorization`` header gets 403
        ``IncompleteSignatureException`` instead of being treated as anonymous;
        ``zones`` the Availability Zones (one zonal DNS name each); ``private_dns`` whether
        it claims ``*.execute-api.{region}...`` in its VPC (the lab resolver serves
        ``vpc_id`` of the gateway).
        """
        with self._lock:
            vid = validate_vpce_id(vpce_id) if vpce_id else "vpce-" + secrets.token_hex(9)[:17]
            if vid in self._endpoints:
                raise LabConfigError("vpce_id", vid, "an id not used by another endpoint")
            vpc = vpc_id or self.vpc_id
            if private_dns:
                self._check_private_dns_free(vpc, vid)
            addr = self._check_address(address) if address else self._allocate_address()
            if addr in self._by_address:
                raise LabConfigError("address", addr, "an address not used by another endpoint")
            ep = _Endpoint(
                id=vid,
                vpc_id=vpc,
                address=addr,
                port=port,
                rand="".join(secrets.choice(_ALNUM) for _ in range(8)),
                zones=tuple(zones) if zones is not None else (f"{self.region}a", f"{self.region}b"),
                private_dns=private_dns,
                policy=_parse(policy, "endpoint.policy"),
                inspect_authorization=inspect_authorization,
            )
            if self._server is not None:
                self._bind(ep)
            self._endpoints[vid] = ep
            self._by_address[addr] = vid
            self._rebuild_dns()
            return self._info(ep)

    def _check_private_dns_free(self, vpc: str, vid: str) -> None:
        for other in self._endpoints.values():
            if other.id != vid and other.vpc_id == vpc and other.private_dns:
                # AWS refuses a second execute-api endpoint with private DNS in one VPC
                # (the private hosted zones would conflict).
                raise LabConfigError(
                    "private_dns",
                    True,
                    f"off: endpoint {other.id} already has private DNS in {vpc}",
                )

    def _endpoint(self, vpce_id: str | None) -> _Endpoint:
        with self._lock:
            if vpce_id is None:
                for ep in self._endpoints.values():
                    return ep
                raise LabConfigError("vpce_id", None, "an endpoint: the gateway has none yet")
            found = self._endpoints.get(vpce_id)
            if found is None:
                raise LabConfigError("vpce_id", vpce_id, "one of " + ", ".join(self._endpoints))
            return found

    def endpoint(self, vpce_id: str | None = None) -> VpcEndpointInfo:
        """The current state of an endpoint (the first one by default)."""
        return self._info(self._endpoint(vpce_id))

    def set_private_dns(self, vpce_id: str, enabled: bool) -> None:
        """Turn an endpoint's private DNS on or off (takes effect at once)."""
        with self._lock:
            ep = self._endpoint(vpce_id)
            if enabled:
                self._check_private_dns_free(ep.vpc_id, ep.id)
            ep.private_dns = enabled
            self._rebuild_dns()

    def set_endpoint_policy(self, vpce_id: str, policy: Mapping[str, Any] | str | None) -> None:
        """Replace an endpoint's policy (``None``: the default full access)."""
        parsed = _parse(policy, "endpoint.policy")
        with self._lock:
            self._endpoint(vpce_id).policy = parsed

    def set_tls_mode(self, mode: str, vpce_id: str | None = None) -> None:
        """Present a ``wrong-name``, ``expired`` or ``untrusted`` certificate (or ``normal``).

        Applies to one endpoint, or to all when ``vpce_id`` is ``None``.
        """
        if mode not in TLS_MODES:
            raise LabConfigError("tls_mode", mode, "one of " + ", ".join(TLS_MODES))
        with self._lock:
            targets = [self._endpoint(vpce_id)] if vpce_id else list(self._endpoints.values())
            for ep in targets:
                ep.tls_mode = mode

    def blackhole(
        self, vpce_id: str | None = None, enabled: bool = True, *, mode: str = "stall"
    ) -> None:
        """Make an endpoint's address stop answering, like a security group that DROPs.

        No firewall rule is touched, in any namespace. Two simulations:

        * ``mode="stall"`` (default): connections are accepted and then never get a byte,
          so clients time out in the TLS handshake;
        * ``mode="drop"``: the listening socket stops accepting and its accept queue is
          kept full, so the kernel drops new SYNs and clients time out in the TCP
          handshake, as behind a security group (``privateapi doctor``: ``tcp.timeout``).

        Connections already open get no more answers in both. ``enabled=False`` (or
        removing the fault) restores the endpoint.
        """
        if mode not in ("stall", "drop"):
            raise LabConfigError("blackhole.mode", mode, "'stall' or 'drop'")
        with self._lock:
            targets = [self._endpoint(vpce_id)] if vpce_id else list(self._endpoints.values())
            for ep in targets:
                was_dropping = ep.blackholed and ep.blackhole_mode == "drop"
                ep.blackholed = enabled
                ep.blackhole_mode = mode
                if self._server is None or not ep.port:
                    continue
                if enabled and mode == "drop":
                    self._server.pause(ep.id)
                elif was_dropping:
                    self._server.resume(ep.id)

    # -- APIs -----------------------------------------------------------------------------------

    def add_api(
        self,
        api_id: str | None = None,
        *,
        stages: Sequence[str] = ("prod",),
        routes: Iterable[Route] | None = None,
        policy: Mapping[str, Any] | str | None = _DEFAULT,
        authorization: Any = "NONE",
        endpoints: Sequence[str] = (),
        endpoint_type: str = "PRIVATE",
        throttle: tuple[float, int] | None = None,
        disable_execute_api_endpoint: bool = False,
    ) -> ApiInfo:
        """Add a REST API.

        Args:
            api_id: 10 letters/digits (random when not given).
            stages: deployed stages; routes serve every stage.
            routes: the routes (default: ``ANY /`` and ``ANY /{proxy+}`` answering an echo).
            policy: the resource policy; default :data:`DEFAULT_POLICY` (allow all);
                ``None`` means no policy, and a private API without one rejects every call.
            authorization: ``"NONE"``, ``"AWS_IAM"`` or a Lambda-authorizer callable taking
                the REQUEST event and returning ``{"principalId", "policyDocument", "context"}``.
            endpoints: VPC endpoint ids to associate (creates the ``{api}-{vpce}`` aliases).
            endpoint_type: ``"PRIVATE"``, or ``"REGIONAL"``/``"EDGE"`` for a public API (which
                answers 403 ``Forbidden`` through the endpoint, like AWS).
            throttle: ``(rate per second, burst)`` for the whole API.
            disable_execute_api_endpoint: answer 403 ``Forbidden`` to execute-api names.
        """
        with self._lock:
            aid = (
                validate_api_id(api_id)
                if api_id
                else "".join(secrets.choice(_ALNUM) for _ in range(10))
            )
            if aid.lower() in (a.lower() for a in self._apis):
                raise LabConfigError("api_id", aid, "an id not used by another API")
            if endpoint_type not in ("PRIVATE", "REGIONAL", "EDGE"):
                raise LabConfigError("endpoint_type", endpoint_type, "PRIVATE, REGIONAL or EDGE")
            stage_names = tuple(validate_stage(s) for s in stages)
            if not stage_names:
                raise LabConfigError("stages", stages, "at least one stage")
            self._check_authorization(authorization)
            for vid in endpoints:
                self._endpoint(vid)
            route_list = (
                list(routes)
                if routes is not None
                else [Route("ANY", "/"), Route("ANY", "/{proxy+}")]
            )
            for r in route_list:
                if not isinstance(r, Route):
                    raise LabConfigError("routes", r, "Route objects")
                self._check_authorization(r.authorization)
            api = _Api(
                id=aid,
                stages=stage_names,
                routes=route_list,
                policy=_parse(DEFAULT_POLICY if policy is _DEFAULT else policy, "api.policy"),
                authorization=authorization,
                endpoints=list(dict.fromkeys(endpoints)),
                endpoint_type=endpoint_type,
                throttle=TokenBucket(*throttle) if throttle else None,
                disable_execute_api_endpoint=disable_execute_api_endpoint,
            )
            self._apis[aid] = api
            self._rebuild_dns()
            return self._api_info(api)

    @staticmethod
    def _check_authorization(value: Any) -> None:
        if value is None or callable(value) or value in ("NONE", "AWS_IAM"):
            return
        raise LabConfigError("authorization", value, "'NONE', 'AWS_IAM' or an authorizer callable")

    def _api(self, api_id: str) -> _Api:
        api = self._apis.get(api_id)
        if api is None:
            raise LabConfigError(
                "api_id", api_id, "one of " + (", ".join(self._apis) or "(no APIs yet)")
            )
        return api

    def api(self, api_id: str) -> ApiInfo:
        """The current state of an API."""
        with self._lock:
            return self._api_info(self._api(api_id))

    def add_route(self, api_id: str, route: Route) -> None:
        """Add a route to an API while running."""
        self._check_authorization(route.authorization)
        with self._lock:
            self._api(api_id).routes.append(route)

    def set_policy(self, api_id: str, policy: Mapping[str, Any] | str | None) -> None:
        """Replace an API's resource policy (``None``: no policy → every call denied).

        Unlike AWS, no redeployment is needed: the change applies to the next request.
        """
        parsed = _parse(policy, "api.policy")
        with self._lock:
            self._api(api_id).policy = parsed

    def set_authorization(self, api_id: str, authorization: Any) -> None:
        """Change an API's authorization (``"NONE"``, ``"AWS_IAM"`` or an authorizer)."""
        self._check_authorization(authorization)
        with self._lock:
            self._api(api_id).authorization = authorization

    def associate(self, api_id: str, vpce_id: str) -> None:
        """Add a VPC endpoint to the API's ``vpcEndpointIds`` (its alias starts resolving)."""
        with self._lock:
            api = self._api(api_id)
            self._endpoint(vpce_id)
            if vpce_id not in api.endpoints:
                api.endpoints.append(vpce_id)
            self._rebuild_dns()

    def disassociate(self, api_id: str, vpce_id: str) -> None:
        """Remove a VPC endpoint from the API's ``vpcEndpointIds`` (its alias → NXDOMAIN)."""
        with self._lock:
            api = self._api(api_id)
            if vpce_id in api.endpoints:
                api.endpoints.remove(vpce_id)
            self._rebuild_dns()

    def set_throttle(
        self, rate: float | None, burst: int = 1, *, api_id: str | None = None
    ) -> None:
        """Throttle the whole gateway (``api_id=None``) or one API; ``rate=None`` removes it."""
        bucket = TokenBucket(rate, burst) if rate is not None else None
        with self._lock:
            if api_id is None:
                self._global_throttle = bucket
            else:
                self._api(api_id).throttle = bucket

    # -- custom domains -------------------------------------------------------------------------

    def add_custom_domain(
        self,
        name: str,
        *,
        mappings: Mapping[str, str | tuple[str, str]],
        endpoints: Sequence[str] = (),
        policy: Mapping[str, Any] | str | None = _DEFAULT,
        certificate: tuple[bytes, bytes] | None = None,
        domain_name_id: str | None = None,
    ) -> CustomDomainInfo:
        """Add a private custom domain name.

        Args:
            name: the domain (``api.example.internal``); no wildcards (AWS refuses them).
            mappings: base path → ``"api_id/stage"`` or ``(api_id, stage)``; ``""`` maps the root.
            endpoints: VPC endpoints with a domain name access association (the lab's DNS
                answers the name with the first one's address, like the consumer's private
                hosted zone alias).
            policy: the domain's ``execute-api`` policy (default allow all; ``None`` denies).
            certificate: ``(certificate chain PEM, private key PEM)``; default: one issued by
                the lab CA for ``name``.
        """
        domain = name.lower().rstrip(".")
        if "*" in domain or "." not in domain:
            raise LabConfigError("custom_domain.name", name, "a domain name without wildcards")
        with self._lock:
            parsed: dict[str, tuple[str, str]] = {}
            for base, value in mappings.items():
                api_id, stage = value.split("/", 1) if isinstance(value, str) else value
                self._api(api_id)
                parsed[base.strip("/")] = (api_id, validate_stage(stage))
            for vid in endpoints:
                self._endpoint(vid)
            d = _Domain(
                name=domain,
                domain_name_id=domain_name_id or "".join(secrets.choice(_ALNUM) for _ in range(8)),
                mappings=parsed,
                policy=None,
                endpoints=list(endpoints),
            )
            if policy is _DEFAULT:
                # the domain's policy names the domain's own invoke ARN, as in AWS's examples
                policy = {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "execute-api:Invoke",
                            "Resource": self._domain_arn(d),
                        }
                    ],
                }
            d.policy = _parse(policy, "custom_domain.policy")
            self._domains[domain] = d
            self._certs.domain_certs[domain] = certificate
            self._rebuild_dns()
            return self._domain_info(d)

    def associate_domain(self, name: str, vpce_id: str) -> None:
        """Create a domain name access association for an endpoint."""
        with self._lock:
            d = self._domains[name.lower()]
            self._endpoint(vpce_id)
            if vpce_id not in d.endpoints:
                d.endpoints.append(vpce_id)
            self._rebuild_dns()

    def _domain_arn(self, d: _Domain) -> str:
        return (
            f"arn:{self.partition.name}:execute-api:{self.region}:{self.account_id}:"
            f"/domainnames/{d.name}+{d.domain_name_id}"
        )

    # -- faults ---------------------------------------------------------------------------------

    def add_fault(
        self,
        fault: Fault,
        *,
        api_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        vpce_id: str | None = None,
    ) -> FaultHandle:
        """Inject a fault for matching requests (all when no scope is given).

        ``path`` is a glob on the resource path (``/pets/*``). Returns a handle to
        ``remove()`` it, also usable as a context manager. A ``blackhole`` fault applies to
        endpoints (``vpce_id`` or all).

        Example:
            >>> with gw.add_fault(Fault.latency(0.5), path="/slow"):    # doctest: +SKIP
            ...     client.get("/slow")
        """
        if fault.kind == "blackhole":
            self.blackhole(vpce_id, True, mode=fault.mode)

            def undo() -> None:
                self.blackhole(vpce_id, False, mode=fault.mode)

            with self._faults_lock:
                return FaultHandle(fault, [], self._faults_lock, vpce_id=vpce_id, on_change=undo)
        handle = FaultHandle(
            fault,
            self._faults,
            self._faults_lock,
            api_id=api_id,
            method=method,
            path=path,
            vpce_id=vpce_id,
        )
        with self._faults_lock:
            self._faults.append(handle)
        return handle

    def clear_faults(self) -> None:
        """Remove every fault (blackholes included) and reset the TLS and DNS modes."""
        with self._faults_lock:
            self._faults.clear()
        self.blackhole(None, False)
        with self._lock:
            for ep in self._endpoints.values():
                ep.tls_mode = "normal"
        if self._dns is not None:
            self._dns.fault = None

    def _fault(self, kinds: tuple[str, ...], **scope: Any) -> Fault | None:
        with self._faults_lock:
            candidates = [h for h in self._faults if h.fault.kind in kinds and h.matches(**scope)]
        for handle in candidates:
            if handle.consume():
                return handle.fault
        return None

    # -- targets and clients --------------------------------------------------------------------

    def target(
        self,
        api_id: str | None = None,
        style: str = "private_dns",
        *,
        vpce_id: str | None = None,
        stage: str | None = None,
        domain: str | None = None,
        base_path: str | None = None,
        zone: str | None = None,
    ) -> InvokeTarget:
        """An :class:`~privateapi.InvokeTarget` for an API, wired to the lab.

        ``connect_to`` is the address the lab's DNS gives for the URL host (so a name that
        would not resolve in the VPC is refused here, never looked up on the real network),
        or the endpoint's address for the endpoint-DNS styles.
        """
        with self._lock:
            if style == "custom_domain":
                d = (
                    self._domains.get((domain or "").lower())
                    if domain
                    else next(iter(self._domains.values()), None)
                )
                if d is None:
                    raise LabConfigError(
                        "domain", domain, "a custom domain added with add_custom_domain()"
                    )
                bp = base_path if base_path is not None else next(iter(d.mappings), "")
                ep = self._endpoint(vpce_id or (d.endpoints[0] if d.endpoints else None))
                mapped = d.mappings.get(bp.strip("/"))
                if vpce_id:
                    return InvokeTarget.custom_domain(
                        d.name,
                        base_path=bp or None,
                        vpce_dns=ep.regional_name(self.region, self.dns_suffix),
                        region=self.region,
                        domain_arn=None,
                        api_id=mapped[0] if mapped else None,
                        stage=mapped[1] if mapped else None,
                        account_id=self.account_id,
                        connect_to=self._connect(ep),
                        domain_name_id=d.domain_name_id,
                    )
                return InvokeTarget.custom_domain(
                    d.name,
                    base_path=bp or None,
                    region=self.region,
                    api_id=mapped[0] if mapped else None,
                    stage=mapped[1] if mapped else None,
                    account_id=self.account_id,
                    connect_to=self._resolve_connect(d.name),
                    domain_name_id=d.domain_name_id,
                )
            if api_id is None:
                api_id = next(iter(self._apis), None)
                if api_id is None:
                    raise LabConfigError("api_id", None, "an API: the gateway has none yet")
            api = self._api(api_id)
            stage = stage or api.stages[0]
            if style == "private_dns":
                name = api_hostname(api.id, self.region)
                return InvokeTarget.private_dns(
                    api.id,
                    self.region,
                    stage,
                    account_id=self.account_id,
                    connect_to=self._resolve_connect(name),
                )
            if style == "vpce_alias":
                vid = vpce_id or (api.endpoints[0] if api.endpoints else None)
                if vid is None:
                    raise LabConfigError(
                        "vpce_id", None, f"an endpoint associated with {api.id} (associate() first)"
                    )
                name = alias_hostname(api.id, vid, self.region)
                return InvokeTarget.vpce_alias(
                    api.id,
                    self.region,
                    stage,
                    vpce_id=vid,
                    account_id=self.account_id,
                    connect_to=self._resolve_connect(name),
                )
            if style in ("host_header", "api_id_header"):
                ep = self._endpoint(vpce_id)
                names = ep.zonal_names(self.region, self.dns_suffix)
                vpce_dns = ep.regional_name(self.region, self.dns_suffix)
                if zone is not None:
                    vpce_dns = next(
                        (n for n in names if n.split(".")[0].endswith("-" + zone)), vpce_dns
                    )
                ctor = (
                    InvokeTarget.host_header
                    if style == "host_header"
                    else InvokeTarget.api_id_header
                )
                return ctor(
                    api.id,
                    self.region,
                    stage,
                    vpce_dns=vpce_dns,
                    account_id=self.account_id,
                    connect_to=self._connect(ep),
                )
        raise LabConfigError(
            "style", style, "private_dns, vpce_alias, host_header, api_id_header or custom_domain"
        )

    def _connect(self, ep: _Endpoint) -> str:
        return format_host_port(ep.address, ep.port)

    def _resolve_connect(self, name: str) -> str:
        rcode = "NXDOMAIN"
        for rdtype in ("A", "AAAA"):
            rcode, answers, _ = self._view.lookup(name.lower() + ".", rdtype)
            for _, kind, values in answers:
                if kind == rdtype:
                    vid = self._by_address.get(values[0])
                    if vid is not None:
                        return self._connect(self._endpoints[vid])
        shown = rcode if rcode != "NOERROR" else "NODATA"
        raise LabConfigError(
            "target",
            name,
            f"a name the lab's DNS resolves (it answers {shown}:"
            " private DNS off, endpoint not associated, or no access association)",
        )

    def urls(self, api_id: str, path: str = "") -> dict[str, dict[str, Any]]:
        """Every style that works right now for an API: URL, headers and connect address."""
        out: dict[str, dict[str, Any]] = {}
        for style in ("private_dns", "vpce_alias", "host_header", "api_id_header"):
            try:
                t = self.target(api_id, style)
            except LabConfigError:
                continue
            out[style] = {
                "url": t.url(path),
                "headers": dict(t.headers),
                "connect_to": t.connect_to,
            }
        return out

    def describe(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """How to reach the lab, as JSON-ready data (what ``privateapi lab`` prints).

        Secrets and session tokens are ``<redacted>`` unless ``show_secrets``.
        """
        host, port = self.resolver
        apis = []
        for info in self.apis:
            api = self._apis[info.id]
            auth = api.authorization if isinstance(api.authorization, str) else "CUSTOM"
            urls = self.urls(info.id)
            for u in urls.values():
                connect = u["connect_to"]
                target_host = u["url"].split("/")[2]
                u["curl"] = (
                    f"curl --cacert {self.ca_bundle} --connect-to {target_host}:443:{connect}"
                    + "".join(f" -H '{k}: {v}'" for k, v in u["headers"].items())
                    + f" {u['url']}"
                )
            apis.append(
                {
                    "id": info.id,
                    "stages": list(info.stages),
                    "authorization": auth,
                    "endpoint_type": info.endpoint_type,
                    "endpoints": list(info.endpoints),
                    "urls": urls,
                }
            )
        return {
            "region": self.region,
            "account_id": self.account_id,
            "vpc_id": self.vpc_id,
            "dns": {"address": host, "port": port},
            "ca_bundle": str(self.ca_bundle),
            "port": self.port,
            "endpoints": [
                {
                    "id": e.id,
                    "vpc_id": e.vpc_id,
                    "address": e.address,
                    "port": e.port,
                    "dns_name": e.dns_name,
                    "zonal_dns_names": list(e.zonal_dns_names),
                    "private_dns": e.private_dns,
                }
                for e in self.endpoints
            ],
            "apis": apis,
            "custom_domains": [
                {
                    "name": d.name,
                    "domain_name_id": d.domain_name_id,
                    "arn": d.arn,
                    "mappings": {k: "/".join(v) for k, v in d.mappings.items()},
                    "endpoints": list(d.endpoints),
                }
                for d in self.custom_domains
            ],
            "credentials": [c.to_dict(show_secrets=show_secrets) for c in self.all_credentials],
        }

    def client(
        self,
        api_id: str | None = None,
        style: str = "private_dns",
        *,
        vpce_id: str | None = None,
        stage: str | None = None,
        domain: str | None = None,
        base_path: str | None = None,
        credentials: GatewayCredentials | CredentialsLike | bool | None = True,
        **kwargs: Any,
    ) -> Client:
        """A :class:`privateapi.Client` wired to the lab: CA trust, credentials, connect address.

        ``credentials=True`` signs with :attr:`credentials`; ``False``/``None`` sends unsigned
        requests; or pass one of :meth:`add_credentials`' results. Retries are off unless
        ``retries=`` is given, so tests see each answer as the gateway gave it.
        """
        from privateapi._client import Client

        target = self.target(
            api_id, style, vpce_id=vpce_id, stage=stage, domain=domain, base_path=base_path
        )
        return Client(target, **self._client_kwargs(credentials, kwargs))

    def async_client(
        self,
        api_id: str | None = None,
        style: str = "private_dns",
        *,
        vpce_id: str | None = None,
        stage: str | None = None,
        domain: str | None = None,
        base_path: str | None = None,
        credentials: GatewayCredentials | CredentialsLike | bool | None = True,
        **kwargs: Any,
    ) -> AsyncClient:
        """The :class:`privateapi.AsyncClient` counterpart of :meth:`client`."""
        from privateapi._client import AsyncClient

        target = self.target(
            api_id, style, vpce_id=vpce_id, stage=stage, domain=domain, base_path=base_path
        )
        return AsyncClient(target, **self._client_kwargs(credentials, kwargs))

    def _client_kwargs(
        self,
        credentials: GatewayCredentials | CredentialsLike | bool | None,
        kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        creds = self.credentials if credentials is True else credentials or None
        kwargs.setdefault("verify", self.ssl_context())
        kwargs.setdefault("retries", None)
        if creds is None:
            kwargs.setdefault("sign", False)
        elif isinstance(creds, GatewayCredentials):
            kwargs["credentials"] = creds.as_tuple()
        else:
            # Anything privateapi.Client takes: (key, secret[, token]), ours, botocore's.
            kwargs["credentials"] = creds
        return kwargs

    # -- snapshots ------------------------------------------------------------------------------

    def _info(self, ep: _Endpoint) -> VpcEndpointInfo:
        return VpcEndpointInfo(
            id=ep.id,
            vpc_id=ep.vpc_id,
            address=ep.address,
            port=ep.port,
            dns_name=ep.regional_name(self.region, self.dns_suffix),
            zonal_dns_names=ep.zonal_names(self.region, self.dns_suffix),
            zones=ep.zones,
            private_dns=ep.private_dns,
            private_dns_names=(
                f"execute-api.{self.region}.{self.dns_suffix}",
                f"*.execute-api.{self.region}.{self.dns_suffix}",
            )
            if ep.private_dns and ep.vpc_id == self.vpc_id
            else (),
        )

    def _api_info(self, api: _Api) -> ApiInfo:
        return ApiInfo(
            id=api.id,
            stages=api.stages,
            endpoints=tuple(api.endpoints),
            endpoint_type=api.endpoint_type,
            hostname=api_hostname(api.id, self.region),
            arn_prefix=f"arn:{self.partition.name}:execute-api:{self.region}:{self.account_id}:{api.id}",
        )

    def _domain_info(self, d: _Domain) -> CustomDomainInfo:
        return CustomDomainInfo(
            name=d.name,
            domain_name_id=d.domain_name_id,
            arn=self._domain_arn(d),
            mappings=MappingProxyType(dict(d.mappings)),
            endpoints=tuple(d.endpoints),
        )

    # -- DNS ------------------------------------------------------------------------------------

    def _rebuild_dns(self) -> None:
        """Recompute the resolver's view from the current endpoints, APIs and domains."""
        region, suffix = self.region, self.dns_suffix
        records: dict[str, dict[str, tuple[str, ...]]] = {}
        wildcards: dict[str, dict[str, tuple[str, ...]]] = {}
        exec_zone = f"execute-api.{region}.{suffix}."
        zones = [exec_zone, f"execute-api.{region}.vpce.{suffix}."]

        def a_record(address: str) -> dict[str, tuple[str, ...]]:
            # An IPv4 endpoint answers A only; AAAA is NODATA (an IPv6 one the reverse).
            return {"AAAA" if ":" in address else "A": (address,)}

        for ep in self._endpoints.values():
            records[ep.regional_name(region, suffix) + "."] = a_record(ep.address)
            for zonal in ep.zonal_names(region, suffix):
                records[zonal + "."] = a_record(ep.address)
            if ep.private_dns and ep.vpc_id == self.vpc_id:
                # The hidden private hosted zone: the bare name has the endpoint's addresses
                # and every API name is a CNAME to it (observed with nslookup; unverified
                # whether AWS uses a CNAME or answers A directly).
                records[exec_zone] = a_record(ep.address)
                wildcards[exec_zone] = {"CNAME": (exec_zone,)}
        for api in self._apis.values():
            for vid in api.endpoints:
                ep2 = self._endpoints.get(vid)
                if ep2 is not None:
                    alias = alias_hostname(api.id, vid, region).lower() + "."
                    records[alias] = {"CNAME": (ep2.regional_name(region, suffix) + ".",)}
        for d in self._domains.values():
            zones.append(d.name + ".")
            if d.endpoints and d.endpoints[0] in self._endpoints:
                # The consumer's private hosted zone: an alias A record (no CNAME on the wire).
                records[d.name + "."] = a_record(self._endpoints[d.endpoints[0]].address)
        self._view = DnsView(records, wildcards, tuple(zones))

    # -- the server's callbacks -----------------------------------------------------------------

    def is_blackholed(self, listener_key: str) -> bool:
        ep = self._endpoints.get(listener_key)
        return ep is not None and ep.blackholed

    def tls_context(self, listener_key: str) -> ssl.SSLContext:
        ctx = self._tls_contexts.get(listener_key)
        if ctx is None:
            ep = self._endpoints[listener_key]
            ctx = self._certs.server_context(lambda: ep.tls_mode)
            self._tls_contexts[listener_key] = ctx
        return ctx

    def before_body(self, conn: Connection, exchange: Exchange) -> str | Answer | None:
        ep = self._endpoints[conn.listener_key]
        if ep.blackholed:
            return None  # respond() holds it
        api_id, path = self._peek(exchange)
        fault = self._fault(
            ("reset",), api_id=api_id, method=exchange.method, path=path, vpce_id=ep.id
        )
        if fault is not None and fault.when == "before":
            return "reset"
        if fault is not None:
            exchange.reset_after = True  # answered by a reset once the body was read
        return None

    def _peek(self, exchange: Exchange) -> tuple[str | None, str | None]:
        """A cheap guess of (api id, resource path) for fault scoping."""
        api_id = _header(exchange.headers, "x-apigw-api-id")
        host = _header(exchange.headers, "host") or ""
        m = _match_host(host, self.dns_suffix, frozenset(self._domains))
        if api_id is None and m.api_id:
            api_id = m.api_id
        raw_path = exchange.target.split("?", 1)[0]
        if m.kind == "domain":
            d = self._domains[m.domain or ""]
            base, rest = split_stage(raw_path)
            mapped = d.mappings.get(base or "") or d.mappings.get("")
            if mapped is not None:
                return mapped[0], unquote(rest if base in d.mappings else raw_path)
            return None, unquote(raw_path)
        _, rest = split_stage(raw_path)
        return api_id, unquote(rest)

    def respond(self, conn: Connection, exchange: Exchange) -> Answer | str:
        ep = self._endpoints[conn.listener_key]
        if ep.blackholed:
            return "hold"
        reset_after = exchange.reset_after
        request_id = new_request_id()
        record: dict[str, Any] = {"api_id": None, "stage": None, "principal": "anonymous"}
        try:
            answer = self._handle(ep, conn, exchange, request_id, record)
        except Exception as exc:
            import logging

            logging.getLogger("privateapi.testing").warning("integration failed: %r", exc)
            answer = E.internal_error()
        if reset_after:
            answer = Answer(0, cause="reset")
        self._record(ep, conn, exchange, request_id, record, answer)
        if answer.status == 0:
            return "reset" if answer.cause == "reset" else "hold"
        self._decorate(answer, request_id)
        return answer

    def too_large(self, conn: Connection, exchange: Exchange) -> Answer:
        ep = self._endpoints[conn.listener_key]
        request_id = new_request_id()
        answer = E.payload_too_large()
        record: dict[str, Any] = {"api_id": None, "stage": None, "principal": "anonymous"}
        self._record(ep, conn, exchange, request_id, record, answer)
        self._decorate(answer, request_id)
        return answer

    def _record(
        self,
        ep: _Endpoint,
        conn: Connection,
        exchange: Exchange,
        request_id: str,
        record: dict[str, Any],
        answer: Answer,
    ) -> None:
        with self._lock:
            self._log.append(
                RequestRecord(
                    vpce_id=ep.id,
                    source_ip=conn.peer[0],
                    sni=conn.sni,
                    host=_header(exchange.headers, "host"),
                    method=exchange.method,
                    target=exchange.target,
                    api_id=record["api_id"],
                    stage=record["stage"],
                    status=answer.status or None,
                    cause=answer.cause,
                    principal=record["principal"],
                    request_id=request_id,
                )
            )
            if len(self._log) > 10000:
                del self._log[:5000]

    _date_cache: tuple[int, str] = (0, "")

    def _decorate(self, answer: Answer, request_id: str) -> None:
        now = int(time.time())
        if self._date_cache[0] != now:
            self._date_cache = (now, formatdate(now, usegmt=True))
        extra = [
            ("Date", self._date_cache[1]),
            ("x-amzn-RequestId", request_id),
            ("x-amz-apigw-id", new_apigw_id()),
        ]
        if answer.status < 400:
            extra.append(("X-Amzn-Trace-Id", f"Root=1-{now:08x}-{secrets.token_hex(12)}"))
        # Server: Server is observed on private API answers.
        answer.headers = [*extra, *answer.headers, ("Server", "Server")]

    # -- the pipeline ---------------------------------------------------------------------------

    def _handle(
        self,
        ep: _Endpoint,
        conn: Connection,
        exchange: Exchange,
        request_id: str,
        record: dict[str, Any],
    ) -> Answer:
        headers = exchange.headers
        raw_path, _, raw_query = exchange.target.partition("?")
        authorization = _header(headers, "authorization")
        host = _header(headers, "host") or ""

        # 1. Which API (or domain)? Anything else is "Forbidden".
        header_api = _header(headers, "x-apigw-api-id")
        m = _match_host(host, self.dns_suffix, frozenset(self._domains))
        domain: _Domain | None = None
        api: _Api | None = None
        stage: str | None
        if header_api is not None:
            api = self._find_api(header_api.strip())
            stage, resource = split_stage(raw_path)
        elif m.kind in ("api", "alias"):
            if m.region != self.region:
                return E.forbidden()
            if m.kind == "alias" and m.vpce_id != ep.id:
                # An alias of another endpoint captured by this VPC's wildcard: unverified
                # (open question 6); modelled as not routed.
                return E.forbidden()
            api = self._find_api(m.api_id or "")
            if api is not None and api.disable_execute_api_endpoint:
                return E.forbidden()
            stage, resource = split_stage(raw_path)
        elif m.kind == "domain":
            domain = self._domains[m.domain or ""]
            if ep.id not in domain.endpoints:
                # No access association for this endpoint: unverified (open question 4).
                return E.forbidden()
            base, rest = split_stage(raw_path)
            if base is not None and base in domain.mappings:
                api_id, stage = domain.mappings[base]
                resource = rest
            elif "" in domain.mappings:
                api_id, stage = domain.mappings[""]
                resource = raw_path or "/"
            else:
                return E.forbidden()
            api = self._find_api(api_id)
        else:
            return E.forbidden()
        if api is None or api.endpoint_type != "PRIVATE":
            return E.forbidden()
        record["api_id"], record["stage"] = api.id, stage

        method = exchange.method.upper()
        resource_path = unquote(resource)
        arn = (
            f"arn:{self.partition.name}:execute-api:{self.region}:{self.account_id}:"
            f"{api.id}/{stage or ''}/{method}/{resource_path.lstrip('/')}"
        )
        now = self._clock()
        context: dict[str, Any] = {
            "aws:SourceVpce": ep.id,
            "aws:SourceVpc": ep.vpc_id,
            "aws:VpcSourceIp": conn.peer[0],
            "aws:SecureTransport": "true",
            "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(now.timestamp())),
        }
        user_agent = _header(headers, "user-agent")
        if user_agent is not None:
            context["aws:UserAgent"] = user_agent
        if domain is not None:
            context["execute-api:viaDomainArn"] = self._domain_arn(domain)

        # 2. The VPC endpoint policy, first, with the identity from Authorization.
        verified: Verified | None = None
        if ep.policy is not None:
            principal = "anonymous"
            if is_sigv4(authorization):
                outcome = self._verify(exchange, raw_path, raw_query)
                if isinstance(outcome, Answer):
                    return outcome
                verified = outcome
                principal = verified.credentials.arn
            elif authorization is not None and ep.inspect_authorization:
                # The quirk one blog reports: a custom endpoint policy makes API Gateway parse
                # any Authorization header (AWS's page says non-SigV4 is anonymous). unverified
                return E.incomplete_signature(authorization)
            decision = self._evaluate(
                ep.policy, arn, principal, context, api, kind="endpoint", creds=verified
            )
            if decision != "allow":
                return E.endpoint_policy_denied(
                    principal, arn, explicit=decision == "explicit_deny"
                )

        # 3. Stage and route.
        found = find_route(api.routes, method, resource_path) if stage in api.stages else None
        if found is None:
            if authorization is not None and not is_sigv4(authorization):
                return E.incomplete_signature(authorization)
            return E.missing_token()
        route, params = found

        # 4. Throttling (gateway, API, route; then injected bursts).
        if not self._take_tokens(api, route):
            return E.throttled()
        fault = self._fault(
            ("throttle", "quota"), api_id=api.id, method=method, path=resource_path, vpce_id=ep.id
        )
        if fault is not None:
            return E.throttled() if fault.kind == "throttle" else E.quota_exceeded()

        # 5. Authorization and policies.
        auth = route.authorization if route.authorization is not None else api.authorization
        principal = "anonymous"
        authorizer_context: dict[str, Any] = {}
        if api.policy is None:
            # A private API cannot even be deployed without a policy; every call is denied.
            return E.access_denied(principal, arn, explicit=False)
        if auth == "AWS_IAM":
            if authorization is None:
                return E.missing_token()
            if not is_sigv4(authorization):
                return E.incomplete_signature(authorization)
            if verified is None:
                outcome = self._verify(exchange, raw_path, raw_query)
                if isinstance(outcome, Answer):
                    return outcome
                verified = outcome
            creds = verified.credentials
            principal = creds.arn
            record["principal"] = principal
            from privateapi.policy import combine

            caller = (
                "allow"
                if creds.policy is None
                else self._evaluate(
                    self._identity_policies[creds.access_key_id],
                    arn,
                    principal,
                    context,
                    api,
                    kind="identity",
                    creds=creds,
                )
            )
            rp = self._evaluate(
                api.policy, arn, principal, context, api, kind="resource", creds=creds
            )
            final = combine(caller, rp, same_account=creds.account_id == self.account_id)  # type: ignore[arg-type]
            if final != "allow":
                return E.access_denied(principal, arn, explicit=final == "explicit_deny")
        elif callable(auth):
            rp = self._evaluate(api.policy, arn, principal, context, api, kind="resource")
            if rp == "explicit_deny":
                return E.access_denied(principal, arn, explicit=True)
            result = self._run_authorizer(
                auth,
                exchange,
                api,
                stage or "",
                route,
                resource_path,
                params,
                arn,
                ep,
                conn,
                request_id,
            )
            if isinstance(result, Answer):
                return result
            caller, authorizer_context = result
            from privateapi.policy import combine

            final = combine(caller, rp, same_account=True)  # type: ignore[arg-type]
            if final != "allow":
                return E.authorizer_denied(explicit=final == "explicit_deny")
        else:
            rp = self._evaluate(api.policy, arn, principal, context, api, kind="resource")
            if rp != "allow":
                return E.access_denied(principal, arn, explicit=rp == "explicit_deny")
        if domain is not None:
            dp = (
                "implicit_deny"
                if domain.policy is None
                else self._evaluate(
                    domain.policy,
                    self._domain_arn(domain),
                    principal,
                    context,
                    api,
                    kind="resource",
                )
            )
            if dp != "allow":
                return E.access_denied(
                    principal, self._domain_arn(domain), explicit=dp == "explicit_deny"
                )

        # 6. Faults on the way to the integration.
        scope = {"api_id": api.id, "method": method, "path": resource_path, "vpce_id": ep.id}
        delay = self._fault(("latency",), **scope)
        if delay is not None and self._server is not None:
            self._server._stop.wait(delay.seconds)
        failure = self._fault(("status",), **scope)
        if failure is not None:
            return E.internal_error(failure.status, failure.error_message)

        # 7. The integration. The Authorization header is not forwarded when it is SigV4.
        fwd = tuple(
            (k, v) for k, v in headers if not (k.lower() == "authorization" and is_sigv4(v))
        )
        lab_request = LabRequest(
            method=method,
            path=resource_path,
            query=raw_query,
            headers=fwd,
            body=exchange.body,
            api_id=api.id,
            stage=stage or "",
            path_parameters=params,
            principal=principal,
            source_vpce=ep.id,
            source_vpc=ep.vpc_id,
            source_ip=conn.peer[0],
            request_id=request_id,
            authorizer=authorizer_context,
        )
        return self._integrate(route, lab_request)

    def _find_api(self, api_id: str) -> _Api | None:
        api = self._apis.get(api_id)
        if api is None:
            low = api_id.lower()
            api = next((a for a in self._apis.values() if a.id.lower() == low), None)
        return api

    def _verify(self, exchange: Exchange, raw_path: str, raw_query: str) -> Verified | Answer:
        return verify(
            method=exchange.method,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=exchange.headers,
            body=exchange.body,
            region=self.region,
            credentials=self._credentials,
            now=self._clock(),
        )

    def _evaluate(
        self,
        policy: Policy,
        arn: str,
        principal: str,
        context: Mapping[str, Any],
        api: _Api,
        *,
        kind: str,
        creds: Any = None,
    ) -> str:
        from privateapi.policy import ApiContext, Request, evaluate

        ctx = dict(context)
        if creds is not None and principal != "anonymous":
            ctx["aws:PrincipalArn"] = principal
            ctx["aws:PrincipalAccount"] = (
                creds.account_id if hasattr(creds, "account_id") else creds.credentials.account_id
            )
        # Decisions are pure functions of (policy, kind, request): repeated calls (a test
        # loop, the benchmark) reuse them. The policy object is kept in the entry, so a
        # replaced policy never matches an old entry even if its id() is reused.
        key = (id(policy), kind, arn, principal, tuple(sorted(ctx.items())))
        hit = self._decisions.get(key)
        if hit is not None and hit[0] is policy:
            return hit[1]
        request = Request(resource=arn, principal=principal, context=ctx)
        api_ctx = ApiContext(self.region, self.account_id, api.id, self.partition.name)
        outcome = str(evaluate(policy, request, api=api_ctx, kind=kind).outcome)  # type: ignore[arg-type]
        if len(self._decisions) > 4096:
            self._decisions.clear()
        self._decisions[key] = (policy, outcome)
        return outcome

    def _take_tokens(self, api: _Api, route: Route) -> bool:
        if self._global_throttle is not None and not self._global_throttle.take():
            return False
        if api.throttle is not None and not api.throttle.take():
            return False
        if route.throttle is not None:
            key = (route.method, route.path)
            bucket = api.route_buckets.get(key)
            if bucket is None:
                bucket = api.route_buckets.setdefault(key, TokenBucket(*route.throttle))
            if not bucket.take():
                return False
        return True

    def _run_authorizer(
        self,
        fn: Callable[[dict[str, Any]], Any],
        exchange: Exchange,
        api: _Api,
        stage: str,
        route: Route,
        path: str,
        params: Mapping[str, str],
        arn: str,
        ep: _Endpoint,
        conn: Connection,
        request_id: str,
    ) -> Answer | tuple[str, dict[str, Any]]:
        from urllib.parse import parse_qsl

        query = exchange.target.partition("?")[2]
        event = {
            "type": "REQUEST",
            "methodArn": arn,
            "resource": route.path,
            "path": f"/{stage}{path}",
            "httpMethod": exchange.method.upper(),
            "headers": dict(exchange.headers),
            "queryStringParameters": dict(parse_qsl(query, keep_blank_values=True)),
            "pathParameters": dict(params),
            "stageVariables": {},
            "requestContext": {
                "accountId": self.account_id,
                "apiId": api.id,
                "stage": stage,
                "httpMethod": exchange.method.upper(),
                "requestId": request_id,
                "identity": {"sourceIp": conn.peer[0], "vpceId": ep.id, "vpcId": ep.vpc_id},
            },
        }
        try:
            response = fn(event)
        except Unauthorized:
            return E.unauthorized()
        except Exception:
            return E.authorizer_failure()
        if not isinstance(response, Mapping) or "policyDocument" not in response:
            return E.authorizer_failure()
        try:
            from privateapi.policy import ApiContext, Request, evaluate

            decision = evaluate(
                response["policyDocument"],
                Request(resource=arn),
                api=ApiContext(self.region, self.account_id, api.id, self.partition.name),
                kind="identity",
            )
        except ValueError:
            return E.authorizer_failure()
        ctx = response.get("context") or {}
        ctx = dict(ctx) if isinstance(ctx, Mapping) else {}
        ctx.setdefault("principalId", response.get("principalId"))
        return str(decision.outcome), ctx

    def _integrate(self, route: Route, request: LabRequest) -> Answer:
        integration = route.integration
        if isinstance(integration, LabResponse):
            # static answers are encoded once
            cached = self._encoded.get(id(integration))
            if cached is None or cached[0] is not integration:
                body, hdrs = integration.encoded()
                cached = self._encoded[id(integration)] = (integration, body, hdrs)
            return Answer(integration.status, cached[1], list(cached[2]))
        if route.asgi:
            if self._asgi is None:
                from privateapi.testing._asgi import AsgiRunner

                self._asgi = AsgiRunner()
            try:
                response: Any = self._asgi.call(
                    cast("AsgiApp", integration), request, self.integration_timeout
                )
            except TimeoutError:
                # API Gateway gives up on an integration after 29 s (INTEGRATION_TIMEOUT).
                return E.internal_error(504, "Endpoint request timed out")
        else:
            response = cast("Handler", integration)(request)
        if not isinstance(response, LabResponse):
            if isinstance(response, bytes | str):
                response = LabResponse(200, response)
            elif isinstance(response, tuple) and len(response) == 2:
                response = LabResponse(int(response[0]), json=response[1])
            else:
                response = LabResponse(200, json=response)
        body, hdrs = response.encoded()
        return Answer(response.status, body, hdrs)


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    for k, v in headers:
        if k.lower() == name:
            return v
    return None
