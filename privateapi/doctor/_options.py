"""The doctor's options (frozen; the CLI maps its flags onto them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from privateapi._targets import parse_resolver

__all__ = ["DoctorOptions", "parse_resolver"]


@dataclass(frozen=True)
class DoctorOptions:
    """How the doctor runs (where to connect and what to send are the target's).

    Attributes:
        resolver: ``(ip, port)`` or ``"IP[:PORT]"`` of the VPC resolver to query
            directly instead of the nameservers in ``/etc/resolv.conf``.
        use_system_resolver: resolve the data path with the system resolver
            (``getaddrinfo``, what the application gets). ``False`` resolves it with
            ``resolver`` instead (tests, the demo, a VPN without split DNS).
        timeout: seconds for each network step.
        ca_bundle: a PEM file of trusted CAs; defaults to ``AWS_CA_BUNDLE``, then
            ``SSL_CERT_FILE``, then the system store.
        sign: sign the live probe when credentials exist.
        profile: the AWS profile for credentials and control-plane calls.
        credentials: explicit credentials (anything ``privateapi._credentials``
            accepts); overrides ``profile``.
        method: the probe's HTTP method when the target is an ``InvokeTarget`` (a
            ``CallerRequest`` carries its own).
        path: overrides the probe's path: below the stage for an ``InvokeTarget``
            (``None`` = the stage root), the URL's whole path and query for a
            ``CallerRequest`` (``None`` = the URL's own).
        no_aws: skip every check that calls AWS APIs.
        endpoint_url: one endpoint URL for every AWS API (moto in tests).
        checks: run only these checks (their prerequisites run too).
        vpc_cidrs: extra CIDRs counted as private (the VPC's own ranges).
        hosts_file: the hosts file to inspect.
        nsswitch_file: the name-service switch file that says whether the hosts file
            comes before DNS.
        imds: query instance metadata (IMDSv2) for region/VPC/subnet.
        imds_endpoint: the metadata endpoint; defaults to
            ``AWS_EC2_METADATA_SERVICE_ENDPOINT`` or ``http://169.254.169.254``.
        policy: a saved resource policy (JSON text) to evaluate instead of fetching it.
        source_vpc: the caller's VPC id, for ``aws:SourceVpc`` when not discovered.
        environ: the environment to read (proxies, Lambda, ECS); ``None`` = ``os.environ``.
        alternatives: try the other ways of making the call ("what would work"):
            ``None`` (default) when the caller's call failed, ``True`` always, ``False`` never.
    """

    resolver: tuple[str, int] | str | None = None
    use_system_resolver: bool = True
    timeout: float = 3.0
    ca_bundle: str | None = None
    sign: bool = True
    profile: str | None = None
    credentials: Any = None
    method: str = "GET"
    path: str | None = None
    no_aws: bool = False
    endpoint_url: str | None = None
    checks: tuple[str, ...] = ()
    vpc_cidrs: tuple[str, ...] = ()
    hosts_file: str = "/etc/hosts"
    nsswitch_file: str = "/etc/nsswitch.conf"
    imds: bool = True
    imds_endpoint: str | None = None
    policy: str | None = None
    source_vpc: str | None = None
    environ: Mapping[str, str] | None = field(default=None, hash=False)
    alternatives: bool | None = None

    @property
    def resolver_address(self) -> tuple[str, int] | None:
        """The resolver as ``(ip, port)`` (a string given to ``resolver`` is parsed on init)."""
        return self.resolver if isinstance(self.resolver, tuple) else None

    def __post_init__(self) -> None:
        import ipaddress
        import math
        import re

        from privateapi._errors import InvalidInputError

        def port_ok(value: object) -> bool:
            return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536

        if not isinstance(self.timeout, int | float) or not (
            self.timeout > 0 and math.isfinite(self.timeout)
        ):
            raise InvalidInputError("timeout", self.timeout, "a positive number of seconds")
        if isinstance(self.resolver, str):
            object.__setattr__(self, "resolver", parse_resolver(self.resolver))
        if self.resolver is not None:
            if not (isinstance(self.resolver, tuple) and len(self.resolver) == 2):
                raise InvalidInputError("resolver", self.resolver, "(ip, port) or 'IP[:PORT]'")
            host, rport = self.resolver
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise InvalidInputError(
                    "resolver", host, "an IP address, e.g. '10.0.0.2'"
                ) from None
            if not port_ok(rport):
                raise InvalidInputError("resolver port", rport, "a UDP port from 1 to 65535")
        if not isinstance(self.method, str) or not re.fullmatch(
            r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", self.method
        ):
            raise InvalidInputError("method", self.method, "an HTTP method such as 'GET'")
        if self.path is not None and (
            not isinstance(self.path, str)
            or not self.path.startswith("/")
            or any(c.isspace() or not c.isprintable() for c in self.path)
        ):
            raise InvalidInputError(
                "path", self.path, "a path below the stage starting with '/', e.g. '/health'"
            )
        for cidr in self.vpc_cidrs:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except (TypeError, ValueError):
                raise InvalidInputError("vpc_cidr", cidr, "a CIDR such as '10.0.0.0/16'") from None
        if self.alternatives is not None and not isinstance(self.alternatives, bool):
            raise InvalidInputError(
                "alternatives", self.alternatives, "True (always), False (never) or None"
            )
        if self.policy is not None:
            from privateapi.policy import parse_policy

            parse_policy(self.policy)  # a PolicySyntaxError names what is wrong

    def env(self) -> Mapping[str, str]:
        """The environment the checks read."""
        return os.environ if self.environ is None else self.environ

    def trust_file(self) -> str | None:
        """The CA bundle to verify against (``None`` = the system store)."""
        if self.ca_bundle:
            return self.ca_bundle
        env = self.env()
        return env.get("AWS_CA_BUNDLE") or env.get("SSL_CERT_FILE") or None
