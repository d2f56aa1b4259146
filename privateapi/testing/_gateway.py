"""``LocalGateway``: a VPC endpoint for execute-api plus the private APIs behind it, on loopback.

A thin front: the state is the :class:`~._registry.Registry`'s, every fault is the
:class:`~._faults.FaultBook`'s, the decisions are the :class:`~._pipeline.Pipeline`'s,
the sockets are the HTTP and DNS servers'. This class wires them together and keeps
the public API.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from privateapi._styles import Style
from privateapi.testing import _reach
from privateapi.testing._errors import LabConfigError
from privateapi.testing._faults import (
    BLACKHOLE_MODES,
    DNS_MODES,
    TLS_MODES,
    BlackholeMode,
    Fault,
    FaultBook,
    FaultHandle,
    FaultScope,
    TlsMode,
)
from privateapi.testing._integrate import Integrator
from privateapi.testing._limits import TokenBucket
from privateapi.testing._pipeline import Pipeline, RequestRecord
from privateapi.testing._policies import Evaluator, Unauthorized
from privateapi.testing._registry import (
    DEFAULT,
    DEFAULT_POLICY,
    ApiInfo,
    CustomDomainInfo,
    EndpointRecord,
    Registry,
    VpcEndpointInfo,
    allow_endpoints_policy,
)
from privateapi.testing._sigv4 import GatewayCredentials
from privateapi.testing._tls import CertificateStore, make_workdir

if TYPE_CHECKING:
    import ssl
    import tempfile

    import dns.resolver

    from privateapi._client import AsyncClient, Client
    from privateapi._credentials import CredentialsLike
    from privateapi._targets import InvokeTarget
    from privateapi.testing._dns import DnsQuery, DnsServer
    from privateapi.testing._http import Server
    from privateapi.testing._routes import Route

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
        dns_port: the DNS server's port, UDP and TCP (0: ephemeral).
        dns_host: the DNS server's address.
        first_address: the first endpoint address (then .3, .4, ...).
        allow_non_loopback: allow non-loopback addresses. Only for a throwaway network
            namespace (``unshare -n``); never in the root namespace.
        default_endpoint: create one endpoint (private DNS on) at start.
        clock: returns "now" for signature checks (tests of clock skew and expiry).
        integration_timeout: seconds before an ASGI integration gets 504 ``Endpoint request
            timed out`` (API Gateway's limit is 29 s).
        max_connections: client connections served at once (default: a quarter of the
            file-descriptor limit, at most 1,024); when full, the oldest connection with
            no request in flight is closed for a new one.
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
        max_connections: int | None = None,
    ) -> None:
        if max_connections is not None and (
            not isinstance(max_connections, int)
            or isinstance(max_connections, bool)
            or max_connections < 1
        ):
            raise LabConfigError("max_connections", max_connections, "a positive integer")
        self._max_connections = max_connections
        for name, value in (("port", port), ("dns_port", dns_port)):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 65536:
                raise LabConfigError(name, value, "a port number from 0 to 65535")
        if (
            not isinstance(integration_timeout, int | float)
            or isinstance(integration_timeout, bool)
            or not 0 < integration_timeout <= 3600
        ):
            raise LabConfigError("integration_timeout", integration_timeout, "seconds, 0 to 3600")
        self._registry = Registry(
            region,
            account_id,
            vpc_id=vpc_id,
            first_address=first_address,
            allow_non_loopback=allow_non_loopback,
        )
        reg = self._registry
        self.region = reg.region
        self.account_id = reg.account_id
        self.partition = reg.partition
        self.dns_suffix = reg.dns_suffix
        self.vpc_id = reg.vpc_id
        self.integration_timeout = float(integration_timeout)
        self._port = port
        self._dns_port = dns_port
        self._dns_host = reg.check_address(dns_host)
        self._want_default_endpoint = default_endpoint
        self._clock = clock or (lambda: datetime.now(UTC))
        self._stopping = threading.Event()
        self._faults = FaultBook(on_change=self._sync_listeners)
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._workdir_lock = threading.Lock()
        self._certs = CertificateStore(
            reg.region, reg.dns_suffix, self._work_path, reg.domain_certificates
        )
        self._tls_contexts: dict[str, ssl.SSLContext] = {}
        self._integrator = Integrator(self.integration_timeout)
        self._pipeline = Pipeline(
            reg,
            self._faults,
            Evaluator(reg.region, reg.account_id, reg.partition.name),
            self._integrator,
            clock=self._clock,
            stop=self._stopping,
            tls_context=self._tls_context,
        )
        self._listen_lock = threading.Lock()
        self._paused: set[str] = set()
        self._server: Server | None = None
        self._dns: DnsServer | None = None
        self._started = False
        self._closed = False
        self.startup_seconds: float | None = None
        # Random per gateway: anyone on the machine can reach loopback, so AWS's published
        # example keys would make an AWS_IAM API callable by every local user.
        self.add_credentials(
            arn=f"arn:{self.partition.name}:iam::{self.account_id}:user/privateapi-lab"
        )

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> LocalGateway:
        """Bind the DNS server and listeners (fast: the CA is created on first handshake)."""
        if self._closed:
            raise RuntimeError("this LocalGateway was closed; create a new one")
        if self._started:
            return self
        from privateapi.testing._dns import DnsServer
        from privateapi.testing._http import Server

        t0 = time.perf_counter()
        self._started = True
        try:
            self._dns = DnsServer(
                lambda: self._registry.view,
                fault=self._faults.dns,
                host=self._dns_host,
                port=self._dns_port,
            )
            self._server = Server(self._pipeline, max_connections=self._max_connections)
            for ep in self._registry.endpoints():
                self._bind(ep)
            if self._want_default_endpoint and not self._registry.endpoints():
                self.add_vpc_endpoint()
            self._sync_listeners()
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
        self._stopping.set()
        if self._server is not None:
            self._server.close()
        if self._dns is not None:
            self._dns.close()
        self._integrator.close()
        with self._workdir_lock:
            if self._workdir is not None:
                self._workdir.cleanup()

    def _work_path(self) -> Path:
        # Created on first use (the CA bundle): a gateway never asked for it leaves nothing.
        with self._workdir_lock:
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

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running" if self._started else "not started"
        reg = self._registry
        return (
            f"<LocalGateway {reg.region} account {reg.account_id}: {len(reg.endpoints())}"
            f" endpoint(s), {len(reg.apis())} API(s), {state}>"
        )

    # -- listeners ------------------------------------------------------------------------------

    def _bind(self, ep: EndpointRecord) -> None:
        """Listen on an endpoint's address(es); the ports go into its record."""
        assert self._server is not None
        wanted = ep.want_port or self._port

        def listen(address: str, preferred: int) -> int:
            assert self._server is not None
            try:
                return self._server.listen(ep.id, address, preferred)[1]
            except OSError:
                if wanted or not preferred:
                    raise
                return self._server.listen(ep.id, address, 0)[1]

        port = listen(ep.address, wanted or self._first_port())
        ipv6_port = 0
        if ep.ipv6_address is not None:
            ipv6_port = listen(ep.ipv6_address, wanted or port)
        self._registry.update_endpoint(ep.id, port=port, ipv6_port=ipv6_port)

    def _first_port(self) -> int:
        # Reuse the first endpoint's ephemeral port on every address when it is free.
        for ep in self._registry.endpoints():
            if ep.port:
                return ep.port
        return 0

    def _sync_listeners(self) -> None:
        """Pause the listeners of ``blackhole`` ``drop`` endpoints, resume the others."""
        server = self._server
        if server is None:
            return
        with self._listen_lock:
            for ep in self._registry.endpoints():
                if not ep.port:
                    continue
                drop = self._faults.blackhole(ep.id) == "drop"
                if drop and ep.id not in self._paused:
                    server.pause(ep.id)
                    self._paused.add(ep.id)
                elif not drop and ep.id in self._paused:
                    server.resume(ep.id)
                    self._paused.discard(ep.id)

    def _tls_context(self, listener: str) -> ssl.SSLContext:
        ctx = self._tls_contexts.get(listener)
        if ctx is None:
            faults = self._faults
            ctx = self._certs.server_context(lambda: faults.tls_mode(listener))
            self._tls_contexts[listener] = ctx
        return ctx

    # -- properties -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port of the first endpoint (the port every endpoint uses when it was free)."""
        for ep in self._registry.endpoints():
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
        """The default credentials the verifier accepts (an IAM user of ``account_id``).

        Random per gateway (never AWS's published example keys).
        """
        for creds in self._registry.credentials.values():
            return creds
        raise LabConfigError("credentials", None, "credentials: add_credentials() first")

    @property
    def all_credentials(self) -> tuple[GatewayCredentials, ...]:
        """Every registered credential."""
        return tuple(self._registry.credentials.values())

    @property
    def endpoints(self) -> tuple[VpcEndpointInfo, ...]:
        """Every VPC endpoint, in creation order."""
        reg = self._registry
        return tuple(reg.endpoint_info(ep) for ep in reg.endpoints())

    @property
    def apis(self) -> tuple[ApiInfo, ...]:
        """Every API, in creation order."""
        reg = self._registry
        return tuple(reg.api_info(a) for a in reg.apis())

    @property
    def custom_domains(self) -> tuple[CustomDomainInfo, ...]:
        """Every private custom domain name."""
        reg = self._registry
        return tuple(reg.domain_info(d) for d in reg.domains())

    @property
    def request_log(self) -> tuple[RequestRecord, ...]:
        """The requests answered so far, oldest first (the last 10,000)."""
        return self._pipeline.log.snapshot()

    @property
    def dns_queries(self) -> tuple[DnsQuery, ...]:
        """The DNS queries received so far, oldest first (the last 10,000).

        Each is a :class:`~privateapi.testing.DnsQuery`.
        """
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
        """``None``, ``"timeout"`` (drop queries) or ``"servfail"``; settable while running.

        The same as a ``Fault.dns(...)`` fault (:meth:`add_fault`).
        """
        return self._faults.dns()

    @dns_fault.setter
    def dns_fault(self, value: str | None) -> None:
        if value is not None and value not in DNS_MODES:
            raise LabConfigError("dns_fault", value, "None, 'timeout' or 'servfail'")
        if self._dns is None:
            raise RuntimeError("start the gateway first")
        self._faults.remove_where("dns")
        if value is not None:
            self._faults.add(Fault.dns(value))  # type: ignore[arg-type]

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
        return self._registry.add_credentials(
            access_key_id,
            secret_access_key,
            session_token=session_token,
            arn=arn,
            expires=expires,
            policy=policy,
        )

    def clear_credentials(self) -> None:
        """Forget every credential (the built-in random pair included)."""
        self._registry.clear_credentials()

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
        ip_address_type: str | None = None,
        ipv6_address: str | None = None,
    ) -> VpcEndpointInfo:
        """Add an interface endpoint for execute-api with its own loopback address.

        ``policy`` is the endpoint policy (``None``: AWS's default full access);
        ``inspect_authorization`` models a reported quirk (unverified): with a custom
        endpoint policy, a non-SigV4 ``Authorization`` header gets 403
        ``IncompleteSignatureException`` instead of being treated as anonymous;
        ``zones`` the Availability Zones (one zonal DNS name each); ``private_dns`` whether
        it claims ``*.execute-api.{region}...`` in its VPC (the lab resolver serves
        ``vpc_id`` of the gateway). ``ip_address_type`` ``"dualstack"`` adds an IPv6
        listener (``ipv6_address``, default ``::1``) and AAAA records; ``"ipv6"`` listens
        on IPv6 only; the default follows ``address`` (IPv4 unless it is IPv6).
        """
        ep = self._registry.add_endpoint(
            vpce_id,
            vpc_id=vpc_id,
            private_dns=private_dns,
            zones=zones,
            policy=policy,
            address=address,
            port=port,
            inspect_authorization=inspect_authorization,
            ip_address_type=ip_address_type,
            ipv6_address=ipv6_address,
        )
        if self._server is not None:
            try:
                self._bind(ep)
            except BaseException:
                self._server.close_listener(ep.id)
                self._registry.remove_endpoint(ep.id)
                raise
            self._sync_listeners()
        return self.endpoint(ep.id)

    def endpoint(self, vpce_id: str | None = None) -> VpcEndpointInfo:
        """The current state of an endpoint (the first one by default)."""
        return self._registry.endpoint_info(self._registry.endpoint(vpce_id))

    def set_private_dns(self, vpce_id: str, enabled: bool) -> None:
        """Turn an endpoint's private DNS on or off (takes effect at once)."""
        if not isinstance(enabled, bool):
            raise LabConfigError("enabled", enabled, "True or False")
        self._registry.update_endpoint(vpce_id, private_dns=enabled)

    def set_endpoint_policy(self, vpce_id: str, policy: Mapping[str, Any] | str | None) -> None:
        """Replace an endpoint's policy (``None``: the default full access)."""
        self._registry.update_endpoint(vpce_id, policy=policy)

    def set_tls_mode(self, mode: TlsMode | str, vpce_id: str | None = None) -> None:
        """Present a ``wrong-name``, ``expired`` or ``untrusted`` certificate (or ``normal``).

        Applies to one endpoint, or to all when ``vpce_id`` is ``None``. The same as a
        ``Fault.tls(mode)`` fault scoped to the endpoint.
        """
        if mode not in TLS_MODES:
            raise LabConfigError("tls_mode", mode, "one of " + ", ".join(TLS_MODES))
        if vpce_id is not None:
            self._registry.endpoint(vpce_id)
        self._faults.remove_where("tls", vpce_id)
        wider = vpce_id is not None and self._faults.tls_mode(vpce_id) != "normal"
        if mode != "normal" or wider:
            self._faults.add(Fault.tls(mode), FaultScope(vpce_id=vpce_id))  # type: ignore[arg-type]

    def blackhole(
        self,
        vpce_id: str | None = None,
        enabled: bool = True,
        *,
        mode: BlackholeMode | str = "stall",
    ) -> None:
        """Make an endpoint's address stop answering, like a security group that DROPs.

        No firewall rule is touched, in any namespace. Two simulations:

        * ``mode="stall"`` (default): connections are accepted and then never get a byte,
          so clients time out in the TLS handshake;
        * ``mode="drop"``: the listening socket stops accepting and its accept queue is
          kept full, so the kernel drops new SYNs and clients time out in the TCP
          handshake, as behind a security group (``privateapi doctor``: ``tcp.timeout``).

        Connections already open get no more answers in both. ``enabled=False`` removes
        the blackholes set for that endpoint (for every endpoint when ``vpce_id`` is
        ``None``). The same as a ``Fault.blackhole(mode)`` fault.
        """
        if mode not in BLACKHOLE_MODES:
            raise LabConfigError("blackhole.mode", mode, "'stall' or 'drop'")
        if vpce_id is not None:
            self._registry.endpoint(vpce_id)
        self._faults.remove_where("blackhole", vpce_id)
        if enabled:
            self._faults.add(Fault.blackhole(mode), FaultScope(vpce_id=vpce_id))  # type: ignore[arg-type]

    # -- APIs -----------------------------------------------------------------------------------

    def add_api(
        self,
        api_id: str | None = None,
        *,
        stages: Sequence[str] = ("prod",),
        routes: Iterable[Route] | None = None,
        policy: Mapping[str, Any] | str | None = DEFAULT,
        authorization: Any = "NONE",
        endpoints: Sequence[str] = (),
        endpoint_type: str = "PRIVATE",
        throttle: tuple[float, int] | None = None,
        disable_execute_api_endpoint: bool = False,
        security_policy: str = "TLS_1_2",
        endpoint_access_mode: str | None = None,
    ) -> ApiInfo:
        """Add a REST API.

        Args:
            api_id: 10 letters/digits (random when not given).
            stages: deployed stages; routes serve every stage.
            routes: the routes (default: ``ANY /`` and ``ANY /{proxy+}`` answering an echo).
            policy: the resource policy; default :data:`DEFAULT_POLICY` (allow all);
                ``None`` means no policy, and a private API without one rejects every call.
                At most 8,192 characters (API Gateway's limit), checked here.
            authorization: ``"NONE"``, ``"AWS_IAM"`` or a Lambda-authorizer callable taking
                the REQUEST event and returning ``{"principalId", "policyDocument", "context"}``.
            endpoints: VPC endpoint ids to associate (creates the ``{api}-{vpce}`` aliases).
            endpoint_type: ``"PRIVATE"``, or ``"REGIONAL"``/``"EDGE"`` for a public API (which
                answers 403 ``Forbidden`` through the endpoint, like AWS).
            throttle: ``(rate per second, burst)`` for the whole API.
            disable_execute_api_endpoint: answer 403 ``Forbidden`` to execute-api names.
            security_policy: ``TLS_1_2`` (default), ``TLS_1_0`` or an enhanced
                ``SecurityPolicy_...`` policy, which has an endpoint access mode.
            endpoint_access_mode: with an enhanced policy, ``"BASIC"`` (default) or
                ``"STRICT"``: the TLS server name must equal the ``Host`` naming the API,
                so the endpoint-DNS styles (``Host``/``x-apigw-api-id``) are refused.
        """
        api = self._registry.add_api(
            api_id,
            stages=stages,
            routes=routes,
            policy=policy,
            authorization=authorization,
            endpoints=endpoints,
            endpoint_type=endpoint_type,
            throttle=throttle,
            disable_execute_api_endpoint=disable_execute_api_endpoint,
            security_policy=security_policy,
            endpoint_access_mode=endpoint_access_mode,
        )
        return self._registry.api_info(api)

    def api(self, api_id: str) -> ApiInfo:
        """The current state of an API."""
        return self._registry.api_info(self._registry.api(api_id))

    def add_route(self, api_id: str, route: Route) -> None:
        """Add a route to an API while running."""
        self._registry.add_route(api_id, route)

    def set_policy(self, api_id: str, policy: Mapping[str, Any] | str | None) -> None:
        """Replace an API's resource policy (``None``: no policy → every call denied).

        Unlike AWS, no redeployment is needed: the change applies to the next request.
        At most 8,192 characters (API Gateway's limit), checked here.
        """
        self._registry.update_api(api_id, policy=policy)

    def set_authorization(self, api_id: str, authorization: Any) -> None:
        """Change an API's authorization (``"NONE"``, ``"AWS_IAM"`` or an authorizer)."""
        self._registry.update_api(api_id, authorization=authorization)

    def set_endpoint_access_mode(
        self,
        mode: str | None,
        *,
        api_id: str | None = None,
        domain: str | None = None,
        security_policy: str | None = None,
    ) -> None:
        """Set an API's (or a custom domain's) security policy and endpoint access mode.

        ``mode`` ``"STRICT"`` or ``"BASIC"`` needs an enhanced ``SecurityPolicy_...``
        policy (given here, or already set); ``None`` with a classic policy removes it.
        """
        changes: dict[str, Any] = {"endpoint_access_mode": mode}
        if security_policy is not None:
            changes["security_policy"] = security_policy
        if (api_id is None) == (domain is None):
            raise LabConfigError("api_id", api_id, "exactly one of api_id= or domain=")
        if api_id is not None:
            self._registry.update_api(api_id, **changes)
        else:
            self._registry.update_domain(str(domain), **changes)

    def associate(self, api_id: str, vpce_id: str) -> None:
        """Add a VPC endpoint to the API's ``vpcEndpointIds`` (its alias starts resolving)."""
        self._registry.associate(api_id, vpce_id)

    def disassociate(self, api_id: str, vpce_id: str) -> None:
        """Remove a VPC endpoint from the API's ``vpcEndpointIds`` (its alias → NXDOMAIN)."""
        self._registry.disassociate(api_id, vpce_id)

    def set_throttle(
        self, rate: float | None, burst: int = 1, *, api_id: str | None = None
    ) -> None:
        """Throttle the whole gateway (``api_id=None``) or one API; ``rate=None`` removes it."""
        bucket = TokenBucket(rate, burst) if rate is not None else None
        if api_id is None:
            self._pipeline.set_global_throttle(bucket)
        else:
            self._registry.update_api(api_id, throttle=bucket)

    # -- custom domains -------------------------------------------------------------------------

    def add_custom_domain(
        self,
        name: str,
        *,
        mappings: Mapping[str, str | tuple[str, str]],
        endpoints: Sequence[str] = (),
        policy: Mapping[str, Any] | str | None = DEFAULT,
        certificate: tuple[bytes, bytes] | None = None,
        domain_name_id: str | None = None,
        security_policy: str = "TLS_1_2",
        endpoint_access_mode: str | None = None,
    ) -> CustomDomainInfo:
        """Add a private custom domain name.

        Args:
            name: the domain (``api.example.internal``); no wildcards (AWS refuses them).
            mappings: base path → ``"api_id/stage"`` or ``(api_id, stage)``; ``""`` maps the root.
            endpoints: VPC endpoints with a ready domain name access association (the lab's
                DNS answers the name with the first one's address, like the consumer's
                private hosted zone alias); see :meth:`associate_domain` for pending ones.
            policy: the domain's ``execute-api`` policy (default allow all; ``None`` denies).
            certificate: ``(certificate chain PEM, private key PEM)``; default: one issued by
                the lab CA for ``name``.
            domain_name_id: the ``domainNameId`` (random when not given).
            security_policy: as for :meth:`add_api`.
            endpoint_access_mode: as for :meth:`add_api`, for calls through this domain.
        """
        d = self._registry.add_domain(
            name,
            mappings=mappings,
            endpoints=endpoints,
            policy=policy,
            certificate=certificate,
            domain_name_id=domain_name_id,
            security_policy=security_policy,
            endpoint_access_mode=endpoint_access_mode,
        )
        return self._registry.domain_info(d)

    def associate_domain(self, name: str, vpce_id: str, *, state: str = "ready") -> None:
        """Create (or update) a domain name access association for an endpoint.

        ``state="pending"`` models the ~15 minutes before AWS makes it usable: the name
        resolves to the endpoint, calls through it are refused like those without one.
        """
        self._registry.associate_domain(name, vpce_id, state)

    def disassociate_domain(self, name: str, vpce_id: str) -> None:
        """Delete an endpoint's domain name access association (calls are then refused)."""
        self._registry.disassociate_domain(name, vpce_id)

    def set_domain_policy(self, name: str, policy: Mapping[str, Any] | str | None) -> None:
        """Replace a custom domain's own policy (``None``: every call through it denied)."""
        self._registry.update_domain(name, policy=policy)

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
        ``remove()`` it, also usable as a context manager. ``blackhole`` and ``tls``
        faults apply to endpoints (``vpce_id`` or all), a ``dns`` fault to the resolver.

        Example:
            >>> with gw.add_fault(Fault.latency(0.5), path="/slow"):    # doctest: +SKIP
            ...     client.get("/slow")
        """
        if not isinstance(fault, Fault):
            raise LabConfigError("fault", fault, "a Fault (Fault.latency(...), Fault.reset(), ...)")
        if vpce_id is not None:
            self._registry.endpoint(vpce_id)
        scope = FaultScope(api_id=api_id, method=method, path=path, vpce_id=vpce_id)
        return self._faults.add(fault, scope)

    @property
    def faults(self) -> tuple[FaultHandle, ...]:
        """Every active fault (TLS modes, blackholes and the DNS fault included)."""
        return self._faults.active

    def clear_faults(self) -> None:
        """Remove every fault (blackholes included) and reset the TLS and DNS modes."""
        self._faults.clear()

    # -- targets and clients --------------------------------------------------------------------

    def target(
        self,
        api_id: str | None = None,
        style: Style | str = Style.PRIVATE_DNS,
        *,
        vpce_id: str | None = None,
        stage: str | None = None,
        domain: str | None = None,
        base_path: str | None = None,
        zone: str | None = None,
        ipv6: bool = False,
    ) -> InvokeTarget:
        """An :class:`~privateapi.InvokeTarget` for an API, wired to the lab.

        ``connect_to`` is the address the lab's DNS gives for the URL host (so a name that
        would not resolve in the VPC is refused here, never looked up on the real network),
        or the endpoint's address for the endpoint-DNS styles; ``ipv6=True`` takes the
        IPv6 listener (AAAA records) of a dualstack endpoint.
        """
        return _reach.target(
            self._registry,
            api_id,
            style,
            vpce_id=vpce_id,
            stage=stage,
            domain=domain,
            base_path=base_path,
            zone=zone,
            ipv6=ipv6,
        )

    def urls(self, api_id: str, path: str = "") -> dict[str, dict[str, Any]]:
        """Every style that works right now for an API: URL, headers and connect address."""
        return _reach.urls(self._registry, api_id, path)

    def describe(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """How to reach the lab, as JSON-ready data (what ``privateapi lab`` prints).

        Secrets and session tokens are ``<redacted>`` unless ``show_secrets``.
        """
        return _reach.describe(
            self._registry,
            resolver=self.resolver,
            ca_bundle=self.ca_bundle,
            port=self.port,
            show_secrets=show_secrets,
        )

    def client(
        self,
        api_id: str | None = None,
        style: Style | str = Style.PRIVATE_DNS,
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
        style: Style | str = Style.PRIVATE_DNS,
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
