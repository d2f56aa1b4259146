"""What the lab holds: VPC endpoints, APIs, custom domains and credentials.

Every record is frozen: a change replaces the record (copy on write) under the
registry's lock, so the request pipeline reads one consistent record per request
without locking, and the DNS view is rebuilt from the records after each change.
Validation of what callers put in lives here too, so each bad value is refused with a
:class:`LabConfigError` when it is put, never when a request meets it.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import secrets
import socket
import string
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

from privateapi._partitions import partition_for_region
from privateapi._targets import (
    alias_hostname,
    api_hostname,
    validate_account_id,
    validate_api_id,
    validate_region,
    validate_stage,
    validate_vpce_id,
)
from privateapi.testing._dns import DnsView
from privateapi.testing._errors import LabConfigError
from privateapi.testing._limits import MAX_RESOURCE_POLICY_CHARS, TokenBucket
from privateapi.testing._routes import Route
from privateapi.testing._sigv4 import GatewayCredentials

if TYPE_CHECKING:
    from privateapi.policy import Policy

__all__ = [
    "DEFAULT",
    "DEFAULT_POLICY",
    "ApiInfo",
    "ApiRecord",
    "AssociationState",
    "CustomDomainInfo",
    "DomainRecord",
    "EndpointAccessMode",
    "EndpointRecord",
    "IpAddressType",
    "Registry",
    "VpcEndpointInfo",
    "allow_endpoints_policy",
]

IpAddressType = Literal["ipv4", "dualstack", "ipv6"]
EndpointAccessMode = Literal["BASIC", "STRICT"]
AssociationState = Literal["pending", "ready"]
EndpointType = Literal["PRIVATE", "REGIONAL", "EDGE"]

_IP_TYPES: tuple[str, ...] = get_args(IpAddressType)
_ACCESS_MODES: tuple[str, ...] = get_args(EndpointAccessMode)
_ASSOCIATION_STATES: tuple[str, ...] = get_args(AssociationState)
_ENDPOINT_TYPES: tuple[str, ...] = get_args(EndpointType)
# The classic policies, and the enhanced ones (SecurityPolicy_TLS13_1_3_2025_09, ...): AWS
# lists them by name; the lab accepts the naming pattern. unverified: the exact list.
_SECURITY_POLICY = re.compile(r"TLS_1_0|TLS_1_2|SecurityPolicy_[A-Za-z0-9_]{1,64}")
_ALNUM = string.ascii_lowercase + string.digits


class _Default:
    """The "not given" marker of arguments whose ``None`` means something (no policy)."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()

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


# -- public snapshots ------------------------------------------------------------------------------


def _hostport(address: str, port: int) -> str:
    from privateapi._names import format_host_port

    return format_host_port(address, port)


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
    #: ``ipv4``, ``dualstack`` or ``ipv6`` (which records its DNS names have: A, both, AAAA)
    ip_address_type: str = "ipv4"
    #: a dualstack endpoint's IPv6 listener (``address`` is the IPv4 one)
    ipv6_address: str | None = None
    ipv6_port: int | None = None

    @property
    def connect_to(self) -> str:
        """``address:port`` for :class:`~privateapi.InvokeTarget`'s ``connect_to``."""
        return _hostport(self.address, self.port)

    @property
    def ipv6_connect_to(self) -> str | None:
        """``[address]:port`` of the IPv6 listener of a dualstack endpoint."""
        if self.ipv6_address is None or self.ipv6_port is None:
            return None
        return _hostport(self.ipv6_address, self.ipv6_port)


@dataclass(frozen=True, slots=True)
class ApiInfo:
    """A private API of the lab (a snapshot)."""

    id: str
    stages: tuple[str, ...]
    endpoints: tuple[str, ...]
    endpoint_type: str
    hostname: str
    arn_prefix: str
    security_policy: str = "TLS_1_2"
    #: ``None`` (the classic policies have no access mode), ``BASIC`` or ``STRICT``
    endpoint_access_mode: str | None = None


@dataclass(frozen=True, slots=True)
class CustomDomainInfo:
    """A private custom domain name of the lab (a snapshot)."""

    name: str
    domain_name_id: str
    arn: str
    mappings: Mapping[str, tuple[str, str]]
    #: endpoints with a domain name access association (pending or ready)
    endpoints: tuple[str, ...]
    #: endpoint id → ``pending`` or ``ready``
    associations: Mapping[str, str] = field(default_factory=dict)
    security_policy: str = "TLS_1_2"
    endpoint_access_mode: str | None = None


# -- records ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    """An interface endpoint for execute-api, as the pipeline reads it."""

    id: str
    vpc_id: str
    rand: str
    zones: tuple[str, ...]
    private_dns: bool
    policy: Policy | None
    inspect_authorization: bool
    ip_address_type: IpAddressType
    #: the IPv4 address (``ipv4``/``dualstack``) or the IPv6 one (``ipv6``)
    address: str
    port: int = 0
    ipv6_address: str | None = None
    ipv6_port: int = 0
    #: the port asked for (0: the lab's port, or any)
    want_port: int = 0

    def regional_name(self, region: str, suffix: str) -> str:
        return f"{self.id}-{self.rand}.execute-api.{region}.vpce.{suffix}"

    def zonal_names(self, region: str, suffix: str) -> tuple[str, ...]:
        return tuple(
            f"{self.id}-{self.rand}-{z}.execute-api.{region}.vpce.{suffix}" for z in self.zones
        )

    def records(self) -> dict[str, tuple[str, ...]]:
        """The address records its DNS names carry (A, AAAA or both)."""
        out: dict[str, tuple[str, ...]] = {}
        for address in (self.address, self.ipv6_address):
            if address is not None:
                out["AAAA" if ":" in address else "A"] = (address,)
        return out

    def connect_to(self, *, ipv6: bool = False) -> str:
        """Where a client connects (the IPv6 listener when asked and there is one)."""
        if ipv6 and self.ipv6_address is not None:
            return _hostport(self.ipv6_address, self.ipv6_port)
        return _hostport(self.address, self.port)


@dataclass(frozen=True, slots=True)
class ApiRecord:
    """A REST API: stages, routes, policy, authorization, associations, limits."""

    id: str
    stages: tuple[str, ...]
    routes: tuple[Route, ...]
    policy: Policy | None
    authorization: Any
    endpoints: tuple[str, ...]
    endpoint_type: EndpointType
    throttle: TokenBucket | None
    disable_execute_api_endpoint: bool
    security_policy: str
    endpoint_access_mode: EndpointAccessMode | None
    #: (method, path) → bucket, shared by every version of the record
    route_buckets: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)

    @property
    def strict(self) -> bool:
        """Whether the ``STRICT`` endpoint access mode applies."""
        return self.endpoint_access_mode == "STRICT"


@dataclass(frozen=True, slots=True)
class DomainRecord:
    """A private custom domain name with its mappings, policy and access associations."""

    name: str
    domain_name_id: str
    mappings: Mapping[str, tuple[str, str]]
    policy: Policy | None
    associations: Mapping[str, AssociationState]
    security_policy: str
    endpoint_access_mode: EndpointAccessMode | None

    @property
    def strict(self) -> bool:
        """Whether the ``STRICT`` endpoint access mode applies."""
        return self.endpoint_access_mode == "STRICT"


# -- validation helpers ----------------------------------------------------------------------------


def _policy_text(policy: Mapping[str, Any] | str) -> str:
    """The policy as AWS receives it: the text given, or the JSON a caller would send."""
    if isinstance(policy, str):
        return policy
    return json.dumps(dict(policy))


def parse_policy_arg(
    policy: Mapping[str, Any] | str | None, where: str, *, max_chars: int | None = None
) -> Policy | None:
    """A policy argument parsed (``None`` stays ``None``), with AWS's size limit if any."""
    if policy is None:
        return None
    if not isinstance(policy, Mapping | str):
        raise LabConfigError(where, policy, "a policy document (a mapping or JSON text)")
    from privateapi.policy import parse_policy

    if max_chars is not None:
        try:
            size = len(_policy_text(policy))
        except (TypeError, ValueError, RecursionError):
            raise LabConfigError(where, "<policy>", "a JSON-serialisable policy") from None
        # unverified: whether AWS counts whitespace and the short-form ARNs before expansion;
        # the text as sent is counted (a mapping as json.dumps sends it).
        if size > max_chars:
            raise LabConfigError(
                where,
                f"<{size} characters>",
                f"a resource policy of at most {max_chars:,} characters (API Gateway's limit)",
            )
    doc = dict(policy) if isinstance(policy, MappingProxyType) else policy
    try:
        return parse_policy(doc)
    except LabConfigError:
        raise
    except RecursionError:
        raise LabConfigError(where, "<policy>", "a policy document nested less deeply") from None
    except ValueError as exc:
        raise LabConfigError(where, "<policy>", f"a valid policy document ({exc})") from None


def check_authorization(value: Any, where: str = "authorization") -> None:
    """``"NONE"``, ``"AWS_IAM"``, ``None`` (inherit) or an authorizer callable."""
    if value is None or callable(value) or value in ("NONE", "AWS_IAM"):
        return
    raise LabConfigError(where, value, "'NONE', 'AWS_IAM' or an authorizer callable")


def check_security(
    security_policy: object, endpoint_access_mode: object, where: str
) -> tuple[str, EndpointAccessMode | None]:
    """A security policy and endpoint access mode AWS would accept together."""
    if not isinstance(security_policy, str) or not _SECURITY_POLICY.fullmatch(security_policy):
        raise LabConfigError(
            f"{where}.security_policy",
            security_policy,
            "TLS_1_0, TLS_1_2 or an enhanced policy named SecurityPolicy_...",
        )
    enhanced = security_policy.startswith("SecurityPolicy_")
    if endpoint_access_mode is None:
        # unverified: the mode an enhanced policy gets when none is given (BASIC assumed).
        return security_policy, "BASIC" if enhanced else None
    if not isinstance(endpoint_access_mode, str) or endpoint_access_mode not in _ACCESS_MODES:
        raise LabConfigError(
            f"{where}.endpoint_access_mode", endpoint_access_mode, "BASIC or STRICT"
        )
    if not enhanced:
        # The access mode comes with the enhanced policies (reference §1.3, [SECPOL]).
        raise LabConfigError(
            f"{where}.endpoint_access_mode",
            endpoint_access_mode,
            "none with a classic security policy (set security_policy='SecurityPolicy_...')",
        )
    return security_policy, cast("EndpointAccessMode", endpoint_access_mode)


@functools.cache
def ipv6_loopback_available() -> bool:
    """Whether this host can listen on ``::1`` (no IPv6 in some containers)."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


# -- the registry ----------------------------------------------------------------------------------


class Registry:
    """Endpoints, APIs, domains and credentials of one gateway, and their DNS view."""

    def __init__(
        self,
        region: str,
        account_id: str,
        *,
        vpc_id: str,
        first_address: str,
        allow_non_loopback: bool,
    ) -> None:
        self.region = validate_region(region)
        self.account_id = validate_account_id(account_id)
        self.partition = partition_for_region(self.region)
        self.dns_suffix = self.partition.dns_suffix
        if not isinstance(vpc_id, str) or not vpc_id:
            raise LabConfigError("vpc_id", vpc_id, "a VPC id such as 'vpc-0a1b2c3d4e5f67890'")
        self.vpc_id = vpc_id
        self._allow_non_loopback = allow_non_loopback
        self._next_address = ipaddress.ip_address(self.check_address(first_address))
        self.lock = threading.RLock()
        self._endpoints: dict[str, EndpointRecord] = {}
        self._apis: dict[str, ApiRecord] = {}
        self._domains: dict[str, DomainRecord] = {}
        self._credentials: dict[str, GatewayCredentials] = {}
        self._identity_policies: dict[str, Policy] = {}
        self.domain_certificates: dict[str, tuple[bytes, bytes] | None] = {}
        self._view = DnsView()
        self._owners: Mapping[str, str] = {}

    # -- reading (no lock: the dicts are replaced, never mutated in place by readers) ----------

    def endpoint_record(self, vpce_id: str) -> EndpointRecord | None:
        return self._endpoints.get(vpce_id)

    def find_api(self, api_id: str) -> ApiRecord | None:
        """The API with this id (API Gateway's ids are case-insensitive on the wire)."""
        api = self._apis.get(api_id)
        if api is None:
            low = api_id.lower()
            api = next((a for a in list(self._apis.values()) if a.id.lower() == low), None)
        return api

    def domain_record(self, name: str) -> DomainRecord | None:
        return self._domains.get(name)

    @property
    def domain_names(self) -> frozenset[str]:
        return frozenset(self._domains)

    @property
    def credentials(self) -> Mapping[str, GatewayCredentials]:
        return self._credentials

    def identity_policy(self, access_key_id: str) -> Policy | None:
        return self._identity_policies.get(access_key_id)

    @property
    def view(self) -> DnsView:
        """What the lab's resolver answers now."""
        return self._view

    def owner_of(self, name: str) -> EndpointRecord | None:
        """The endpoint whose address a DNS name's records carry (``None``: not ours)."""
        vid = self._owners.get(name.lower().rstrip(".") + ".")
        return None if vid is None else self._endpoints.get(vid)

    def endpoints(self) -> tuple[EndpointRecord, ...]:
        return tuple(self._endpoints.values())

    def apis(self) -> tuple[ApiRecord, ...]:
        return tuple(self._apis.values())

    def domains(self) -> tuple[DomainRecord, ...]:
        return tuple(self._domains.values())

    def endpoint(self, vpce_id: str | None) -> EndpointRecord:
        """An endpoint by id (the first one when ``None``), or a clear error."""
        with self.lock:
            if vpce_id is None:
                for ep in self._endpoints.values():
                    return ep
                raise LabConfigError("vpce_id", None, "an endpoint: the gateway has none yet")
            found = self._endpoints.get(vpce_id)
            if found is None:
                raise LabConfigError(
                    "vpce_id", vpce_id, "one of " + (", ".join(self._endpoints) or "(none yet)")
                )
            return found

    def api(self, api_id: str) -> ApiRecord:
        """An API by id, or a clear error."""
        api = self._apis.get(api_id) if isinstance(api_id, str) else None
        if api is None:
            raise LabConfigError(
                "api_id", api_id, "one of " + (", ".join(self._apis) or "(no APIs yet)")
            )
        return api

    def domain(self, name: str | None) -> DomainRecord:
        """A custom domain by name (the first one when ``None``), or a clear error."""
        if name is None:
            for d in self._domains.values():
                return d
        elif isinstance(name, str) and (found := self._domains.get(name.lower())) is not None:
            return found
        raise LabConfigError("domain", name, "a custom domain added with add_custom_domain()")

    # -- addresses ---------------------------------------------------------------------------

    def check_address(self, address: object) -> str:
        """A loopback address (or any, when allowed), normalised."""
        try:
            ip = ipaddress.ip_address(address)  # type: ignore[arg-type]
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

    def _used_ipv4(self) -> set[str]:
        return {ep.address for ep in self._endpoints.values() if ":" not in ep.address}

    def _allocate_address(self) -> str:
        used = self._used_ipv4()
        while str(self._next_address) in used:
            self._next_address += 1
        address = str(self._next_address)
        self._next_address += 1
        return self.check_address(address)

    # -- endpoints ---------------------------------------------------------------------------

    def add_endpoint(
        self,
        vpce_id: str | None,
        *,
        vpc_id: str | None,
        private_dns: bool,
        zones: Sequence[str] | None,
        policy: Mapping[str, Any] | str | None,
        address: str | None,
        port: int,
        inspect_authorization: bool,
        ip_address_type: str | None,
        ipv6_address: str | None,
    ) -> EndpointRecord:
        """Validate and add an endpoint (not yet listening)."""
        if not isinstance(private_dns, bool):
            raise LabConfigError("private_dns", private_dns, "true or false")
        if not isinstance(inspect_authorization, bool):
            raise LabConfigError("inspect_authorization", inspect_authorization, "true or false")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port < 65536:
            raise LabConfigError("port", port, "a port number from 0 to 65535")
        if zones is not None and (
            isinstance(zones, str) or not all(isinstance(z, str) and z for z in zones)
        ):
            raise LabConfigError("zones", zones, "a list of Availability Zone names")
        if vpc_id is not None and (not isinstance(vpc_id, str) or not vpc_id):
            raise LabConfigError("vpc_id", vpc_id, "a VPC id")
        parsed = parse_policy_arg(policy, "endpoint.policy")
        with self.lock:
            vid = validate_vpce_id(vpce_id) if vpce_id else "vpce-" + secrets.token_hex(9)[:17]
            if vid in self._endpoints:
                raise LabConfigError("vpce_id", vid, "an id not used by another endpoint")
            vpc = vpc_id or self.vpc_id
            if private_dns:
                self._check_private_dns_free(vpc, vid)
            ip_type, primary, v6 = self._addresses(address, ip_address_type, ipv6_address)
            ep = EndpointRecord(
                id=vid,
                vpc_id=vpc,
                rand=_random(8),
                zones=tuple(zones) if zones is not None else (f"{self.region}a", f"{self.region}b"),
                private_dns=private_dns,
                policy=parsed,
                inspect_authorization=inspect_authorization,
                ip_address_type=ip_type,
                address=primary,
                ipv6_address=v6,
                want_port=port,
            )
            self._endpoints[vid] = ep
            self._rebuild_dns()
            return ep

    def _addresses(
        self, address: str | None, ip_type: str | None, ipv6_address: str | None
    ) -> tuple[IpAddressType, str, str | None]:
        if ip_type is not None and ip_type not in _IP_TYPES:
            raise LabConfigError("ip_address_type", ip_type, "ipv4, dualstack or ipv6")
        if ipv6_address is not None:
            ipv6_address = self.check_address(ipv6_address)
            if ":" not in ipv6_address:
                raise LabConfigError("ipv6_address", ipv6_address, "an IPv6 address such as '::1'")
        given = self.check_address(address) if address is not None else None
        if ip_type == "ipv6" or (ip_type is None and given is not None and ":" in given):
            primary = ipv6_address or given or "::1"
            if ":" not in primary:
                raise LabConfigError("address", primary, "an IPv6 address for an ipv6 endpoint")
            self._need_ipv6("ipv6")
            return "ipv6", primary, None
        if given is not None and ":" in given:
            raise LabConfigError("address", given, "an IPv4 address (ipv6_address= for IPv6)")
        if given is None:
            # A gateway whose first address is IPv6 allocates IPv6 endpoints (one ::1).
            if ":" in str(self._next_address) and ip_type is None:
                self._need_ipv6("ipv6")
                return "ipv6", str(self._next_address), None
            given = self._allocate_address()
        if given in self._used_ipv4():
            raise LabConfigError("address", given, "an address not used by another endpoint")
        if ip_type == "dualstack":
            self._need_ipv6("dualstack")
            return "dualstack", given, ipv6_address or "::1"
        if ipv6_address is not None:
            raise LabConfigError(
                "ipv6_address",
                ipv6_address,
                "none for an ipv4 endpoint (ip_address_type='dualstack')",
            )
        return "ipv4", given, None

    @staticmethod
    def _need_ipv6(kind: str) -> None:
        if not ipv6_loopback_available():
            raise LabConfigError(
                "ip_address_type", kind, "ipv4: this host cannot listen on the IPv6 loopback ::1"
            )

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

    def remove_endpoint(self, vpce_id: str) -> None:
        """Forget an endpoint that could not be bound."""
        with self.lock:
            self._endpoints.pop(vpce_id, None)
            self._rebuild_dns()

    def update_endpoint(self, vpce_id: str, **changes: Any) -> EndpointRecord:
        """Replace an endpoint's record with ``changes`` applied."""
        with self.lock:
            ep = self.endpoint(vpce_id)
            if changes.get("private_dns") and not ep.private_dns:
                self._check_private_dns_free(ep.vpc_id, ep.id)
            if "policy" in changes:
                changes["policy"] = parse_policy_arg(changes["policy"], "endpoint.policy")
            new = replace(ep, **changes)
            self._endpoints[vpce_id] = new
            self._rebuild_dns()
            return new

    # -- APIs --------------------------------------------------------------------------------

    def add_api(
        self,
        api_id: str | None,
        *,
        stages: Sequence[str],
        routes: Iterable[Route] | None,
        policy: Any,
        authorization: Any,
        endpoints: Sequence[str],
        endpoint_type: str,
        throttle: tuple[float, int] | None,
        disable_execute_api_endpoint: bool,
        security_policy: str,
        endpoint_access_mode: str | None,
    ) -> ApiRecord:
        """Validate and add a REST API."""
        if endpoint_type not in _ENDPOINT_TYPES:
            raise LabConfigError("endpoint_type", endpoint_type, "PRIVATE, REGIONAL or EDGE")
        if isinstance(stages, str):
            raise LabConfigError("stages", stages, "a list of stage names")
        stage_names = tuple(validate_stage(s) for s in stages)
        if not stage_names:
            raise LabConfigError("stages", stages, "at least one stage")
        if not isinstance(disable_execute_api_endpoint, bool):
            raise LabConfigError(
                "disable_execute_api_endpoint", disable_execute_api_endpoint, "true or false"
            )
        check_authorization(authorization)
        route_list = (
            tuple(routes) if routes is not None else (Route("ANY", "/"), Route("ANY", "/{proxy+}"))
        )
        for r in route_list:
            if not isinstance(r, Route):
                raise LabConfigError("routes", r, "Route objects")
            check_authorization(r.authorization, "route.authorization")
        sec, mode = check_security(security_policy, endpoint_access_mode, "api")
        bucket = _bucket(throttle, "throttle")
        parsed = parse_policy_arg(
            DEFAULT_POLICY if policy is DEFAULT else policy,
            "api.policy",
            max_chars=MAX_RESOURCE_POLICY_CHARS,
        )
        with self.lock:
            aid = validate_api_id(api_id) if api_id else _random(10)
            if aid.lower() in (a.lower() for a in self._apis):
                raise LabConfigError("api_id", aid, "an id not used by another API")
            for vid in endpoints:
                self.endpoint(vid)
            api = ApiRecord(
                id=aid,
                stages=stage_names,
                routes=route_list,
                policy=parsed,
                authorization=authorization,
                endpoints=tuple(dict.fromkeys(endpoints)),
                endpoint_type=cast("EndpointType", endpoint_type),
                throttle=bucket,
                disable_execute_api_endpoint=disable_execute_api_endpoint,
                security_policy=sec,
                endpoint_access_mode=mode,
            )
            self._apis[aid] = api
            self._rebuild_dns()
            return api

    def update_api(self, api_id: str, **changes: Any) -> ApiRecord:
        """Replace an API's record with ``changes`` applied (validated here)."""
        with self.lock:
            api = self.api(api_id)
            if "policy" in changes:
                changes["policy"] = parse_policy_arg(
                    changes["policy"], "api.policy", max_chars=MAX_RESOURCE_POLICY_CHARS
                )
            if "authorization" in changes:
                check_authorization(changes["authorization"])
            if "endpoint_access_mode" in changes or "security_policy" in changes:
                sec, mode = check_security(
                    changes.get("security_policy", api.security_policy),
                    changes.get("endpoint_access_mode", api.endpoint_access_mode),
                    "api",
                )
                changes["security_policy"], changes["endpoint_access_mode"] = sec, mode
            new = replace(api, **changes)
            self._apis[api.id] = new
            self._rebuild_dns()
            return new

    def add_route(self, api_id: str, route: Route) -> None:
        if not isinstance(route, Route):
            raise LabConfigError("route", route, "a Route")
        check_authorization(route.authorization, "route.authorization")
        with self.lock:
            api = self.api(api_id)
            self.update_api(api_id, routes=(*api.routes, route))

    def associate(self, api_id: str, vpce_id: str) -> None:
        with self.lock:
            api = self.api(api_id)
            self.endpoint(vpce_id)
            if vpce_id not in api.endpoints:
                self.update_api(api_id, endpoints=(*api.endpoints, vpce_id))

    def disassociate(self, api_id: str, vpce_id: str) -> None:
        with self.lock:
            api = self.api(api_id)
            self.update_api(api_id, endpoints=tuple(v for v in api.endpoints if v != vpce_id))

    # -- custom domains ----------------------------------------------------------------------

    def add_domain(
        self,
        name: str,
        *,
        mappings: Mapping[str, str | tuple[str, str]],
        endpoints: Sequence[str],
        policy: Any,
        certificate: tuple[bytes, bytes] | None,
        domain_name_id: str | None,
        security_policy: str,
        endpoint_access_mode: str | None,
    ) -> DomainRecord:
        """Validate and add a private custom domain name."""
        if not isinstance(name, str):
            raise LabConfigError("custom_domain.name", name, "a domain name")
        domain = name.lower().rstrip(".")
        if "*" in domain or "." not in domain or not re.fullmatch(r"[a-z0-9.-]{1,253}", domain):
            raise LabConfigError("custom_domain.name", name, "a domain name without wildcards")
        if not isinstance(mappings, Mapping):
            raise LabConfigError("custom_domain.mappings", mappings, "a table of base paths")
        if domain_name_id is not None and (
            not isinstance(domain_name_id, str)
            or not re.fullmatch(r"[a-z0-9]{1,32}", domain_name_id)
        ):
            raise LabConfigError(
                "custom_domain.domain_name_id", domain_name_id, "letters and digits"
            )
        sec, mode = check_security(security_policy, endpoint_access_mode, "custom_domain")
        with self.lock:
            if domain in self._domains:
                raise LabConfigError(
                    "custom_domain.name", name, "a name not used by another domain"
                )
            parsed = {
                self._base_path(base): self._mapping(base, value)
                for base, value in mappings.items()
            }
            for vid in endpoints:
                self.endpoint(vid)
            did = domain_name_id or _random(8)
            arn = self.domain_arn(domain, did)
            if policy is DEFAULT:
                # unverified: whether the 8,192-character resource-policy quota also caps a
                # domain's policy (it is not applied to it here).
                # the domain's policy names the domain's own invoke ARN, as in AWS's examples
                policy = {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "execute-api:Invoke",
                            "Resource": arn,
                        }
                    ],
                }
            d = DomainRecord(
                name=domain,
                domain_name_id=did,
                mappings=MappingProxyType(parsed),
                policy=parse_policy_arg(policy, "custom_domain.policy"),
                associations=MappingProxyType(dict.fromkeys(endpoints, "ready")),
                security_policy=sec,
                endpoint_access_mode=mode,
            )
            self._domains[domain] = d
            self.domain_certificates[domain] = certificate
            self._rebuild_dns()
            return d

    @staticmethod
    def _base_path(base: object) -> str:
        if not isinstance(base, str) or not re.fullmatch(r"/?[A-Za-z0-9._~-]*/?", base):
            # Base path mappings are one level deep (reference §1.5).
            raise LabConfigError(
                f"custom_domain.mappings.{base}",
                base,
                "one path segment such as 'v1' ('' for the root)",
            )
        return base.strip("/")

    def _mapping(self, base: str, value: object) -> tuple[str, str]:
        where = f"custom_domain.mappings.{base}"
        if isinstance(value, str):
            parts = value.split("/")
        elif isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
            parts = list(value)
        else:
            parts = []
        if len(parts) != 2:
            raise LabConfigError(where, value, "'api_id/stage' or (api_id, stage)")
        api_id, stage = parts
        try:
            self.api(api_id)
            return api_id, validate_stage(stage)
        except LabConfigError as exc:
            raise LabConfigError(
                where, value, f"'api_id/stage' of an added API ({exc.expected})"
            ) from None
        except ValueError:
            raise LabConfigError(where, value, "'api_id/stage' with a valid stage name") from None

    def associate_domain(self, name: str, vpce_id: str, state: str) -> None:
        if state not in _ASSOCIATION_STATES:
            raise LabConfigError("state", state, "pending or ready")
        with self.lock:
            d = self.domain(name)
            self.endpoint(vpce_id)
            associations = {**d.associations, vpce_id: cast("AssociationState", state)}
            self._domains[d.name] = replace(d, associations=MappingProxyType(associations))
            self._rebuild_dns()

    def disassociate_domain(self, name: str, vpce_id: str) -> None:
        with self.lock:
            d = self.domain(name)
            associations = {k: v for k, v in d.associations.items() if k != vpce_id}
            self._domains[d.name] = replace(d, associations=MappingProxyType(associations))
            self._rebuild_dns()

    def update_domain(self, name: str, **changes: Any) -> DomainRecord:
        with self.lock:
            d = self.domain(name)
            if "policy" in changes:
                changes["policy"] = parse_policy_arg(changes["policy"], "custom_domain.policy")
            if "endpoint_access_mode" in changes or "security_policy" in changes:
                sec, mode = check_security(
                    changes.get("security_policy", d.security_policy),
                    changes.get("endpoint_access_mode", d.endpoint_access_mode),
                    "custom_domain",
                )
                changes["security_policy"], changes["endpoint_access_mode"] = sec, mode
            new = replace(d, **changes)
            self._domains[d.name] = new
            return new

    def domain_arn(self, name: str, domain_name_id: str) -> str:
        """The invoke ARN of a private custom domain (what its policy names)."""
        return (
            f"arn:{self.partition.name}:execute-api:{self.region}:{self.account_id}:"
            f"/domainnames/{name}+{domain_name_id}"
        )

    # -- credentials -------------------------------------------------------------------------

    def add_credentials(
        self,
        access_key_id: str | None,
        secret_access_key: str | None,
        *,
        session_token: str | None,
        arn: str | None,
        expires: datetime | None,
        policy: Mapping[str, Any] | str | None,
    ) -> GatewayCredentials:
        """Register credentials; random keys when not given."""
        for key, value in (
            ("access_key_id", access_key_id),
            ("secret_access_key", secret_access_key),
            ("session_token", session_token),
            ("arn", arn),
        ):
            if value is not None and (not isinstance(value, str) or not value):
                raise LabConfigError(key, value, "a non-empty string")
        if expires is not None and not isinstance(expires, datetime):
            raise LabConfigError("expires", expires, "a datetime")
        prefix = "ASIA" if session_token else "AKIA"
        key = access_key_id or prefix + "".join(
            secrets.choice(string.ascii_uppercase + "234567") for _ in range(16)
        )
        parsed = parse_policy_arg(policy, "credentials.policy")
        with self.lock:
            creds = GatewayCredentials(
                access_key_id=key,
                secret_access_key=secret_access_key or secrets.token_urlsafe(30)[:40],
                session_token=session_token,
                arn=arn
                or f"arn:{self.partition.name}:iam::{self.account_id}"
                f":user/privateapi-lab-{len(self._credentials)}",
                expires=expires,
                policy=policy,
            )
            self._credentials = {**self._credentials, key: creds}
            if parsed is not None:
                self._identity_policies = {**self._identity_policies, key: parsed}
            return creds

    def clear_credentials(self) -> None:
        with self.lock:
            self._credentials = {}
            self._identity_policies = {}

    # -- DNS ---------------------------------------------------------------------------------

    def _rebuild_dns(self) -> None:
        """Recompute the resolver's view from the current endpoints, APIs and domains."""
        region, suffix = self.region, self.dns_suffix
        records: dict[str, dict[str, tuple[str, ...]]] = {}
        wildcards: dict[str, dict[str, tuple[str, ...]]] = {}
        owners: dict[str, str] = {}
        exec_zone = f"execute-api.{region}.{suffix}."
        zones = [exec_zone, f"execute-api.{region}.vpce.{suffix}."]

        def put(name: str, ep: EndpointRecord) -> None:
            # An IPv4 endpoint answers A only (AAAA is NODATA), an IPv6 one AAAA only, a
            # dualstack one both, as the endpoint's "DNS record IP type" says (reference §2).
            records[name] = ep.records()
            owners[name] = ep.id

        for ep in self._endpoints.values():
            put(ep.regional_name(region, suffix) + ".", ep)
            for zonal in ep.zonal_names(region, suffix):
                put(zonal + ".", ep)
            if ep.private_dns and ep.vpc_id == self.vpc_id:
                # The hidden private hosted zone: the bare name has the endpoint's addresses
                # and every API name is a CNAME to it (observed with nslookup; unverified
                # whether AWS uses a CNAME or answers A directly).
                put(exec_zone, ep)
                wildcards[exec_zone] = {"CNAME": (exec_zone,)}
        for api in self._apis.values():
            for vid in api.endpoints:
                ep2 = self._endpoints.get(vid)
                if ep2 is not None:
                    alias = alias_hostname(api.id, vid, region).lower() + "."
                    records[alias] = {"CNAME": (ep2.regional_name(region, suffix) + ".",)}
        for d in self._domains.values():
            zones.append(d.name + ".")
            first = next((v for v in d.associations if v in self._endpoints), None)
            if first is not None:
                # The consumer's private hosted zone: alias A/AAAA records (no CNAME on the wire).
                put(d.name + ".", self._endpoints[first])
        self._view = DnsView(records, wildcards, tuple(zones))
        self._owners = MappingProxyType(owners)

    # -- snapshots ---------------------------------------------------------------------------

    def endpoint_info(self, ep: EndpointRecord) -> VpcEndpointInfo:
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
            ip_address_type=ep.ip_address_type,
            ipv6_address=ep.ipv6_address,
            ipv6_port=ep.ipv6_port if ep.ipv6_address is not None else None,
        )

    def api_info(self, api: ApiRecord) -> ApiInfo:
        return ApiInfo(
            id=api.id,
            stages=api.stages,
            endpoints=api.endpoints,
            endpoint_type=api.endpoint_type,
            hostname=api_hostname(api.id, self.region),
            arn_prefix=f"arn:{self.partition.name}:execute-api:{self.region}:{self.account_id}:{api.id}",
            security_policy=api.security_policy,
            endpoint_access_mode=api.endpoint_access_mode,
        )

    def domain_info(self, d: DomainRecord) -> CustomDomainInfo:
        return CustomDomainInfo(
            name=d.name,
            domain_name_id=d.domain_name_id,
            arn=self.domain_arn(d.name, d.domain_name_id),
            mappings=MappingProxyType(dict(d.mappings)),
            endpoints=tuple(d.associations),
            associations=MappingProxyType(dict(d.associations)),
            security_policy=d.security_policy,
            endpoint_access_mode=d.endpoint_access_mode,
        )


def _bucket(throttle: object, where: str) -> TokenBucket | None:
    if throttle is None:
        return None
    if not isinstance(throttle, tuple | list) or len(throttle) != 2:
        raise LabConfigError(where, throttle, "(rate per second, burst)")
    rate, burst = throttle
    try:
        return TokenBucket(rate, burst)
    except LabConfigError as exc:
        raise LabConfigError(where, throttle, exc.expected) from None
