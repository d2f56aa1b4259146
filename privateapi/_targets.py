"""Invoke targets: where and how a private REST API is reached.

A private API is reached through an ``execute-api`` interface VPC endpoint, in one
of several *access styles* (see ``docs/styles.md``):

============== ================================================== ===========================
style          URL host                                           extra header
============== ================================================== ===========================
private_dns    ``{api}.execute-api.{region}.{suffix}``            --
vpce_alias     ``{api}-{vpce}.execute-api.{region}.{suffix}``     --
host_header    ``vpce-...-xxxxxxxx.execute-api.{region}.vpce...`` ``Host: {api}.execute-api...``
api_id_header  ``vpce-...-xxxxxxxx.execute-api.{region}.vpce...`` ``x-apigw-api-id: {api}``
custom_domain  the private custom domain (or the endpoint name)   ``Host: {domain}`` via endpoint
============== ================================================== ===========================

Orthogonally, ``connect_to`` opens the TCP connection somewhere else (an endpoint
ENI address, an NLB) while the URL, ``Host`` and the TLS server name stay those of
the style, like ``curl --resolve``.

:class:`InvokeTarget` is immutable and validated on construction; :func:`parse_url`
recognises every style from a URL and its headers.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from privateapi._errors import InvalidInputError
from privateapi._partitions import Partition, partition_for_region

__all__ = [
    "InvokeTarget",
    "Style",
    "StyleOption",
    "alias_hostname",
    "api_hostname",
    "available_styles",
    "parse_resolver",
    "parse_url",
    "split_url",
    "validate_account_id",
    "validate_api_id",
    "validate_region",
    "validate_stage",
    "validate_vpce_id",
    "vpce_hostname_pattern",
]


class Style(StrEnum):
    """How a request names the private API it is for."""

    PRIVATE_DNS = "private_dns"
    VPCE_ALIAS = "vpce_alias"
    HOST_HEADER = "host_header"
    API_ID_HEADER = "api_id_header"
    CUSTOM_DOMAIN = "custom_domain"
    #: A public Regional endpoint URL (recognised by the parser so the doctor can warn).
    REGIONAL = "regional"
    #: A public edge-optimised (CloudFront) URL (recognised by the parser only).
    EDGE = "edge"


PRIVATE_STYLES = (
    Style.PRIVATE_DNS,
    Style.VPCE_ALIAS,
    Style.HOST_HEADER,
    Style.API_ID_HEADER,
    Style.CUSTOM_DOMAIN,
)

_API_ID = re.compile(r"[A-Za-z0-9]{10}")
_VPCE_ID = re.compile(r"vpce-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_STAGE = re.compile(r"[A-Za-z0-9_-]{1,128}")
_ACCOUNT = re.compile(r"\d{12}")
_BASE_PATH = re.compile(r"[A-Za-z0-9._~-]{1,256}")
_DOMAIN_NAME_ID = re.compile(r"[A-Za-z0-9]{1,64}")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_METHOD = re.compile(r"\*|[A-Z]{1,16}")
# The first label of an endpoint DNS name: vpce-{id}-{8 random chars}[-{zone}]. The zone
# is an Availability Zone name such as us-east-2c (zonal names exist per AZ).
_VPCE_LABEL = re.compile(
    r"(?P<vpce>vpce-(?:[0-9a-f]{8}|[0-9a-f]{17}))-(?P<rand>[a-z0-9]{8})"
    r"(?:-(?P<zone>[a-z]{2,4}(?:-[a-z]+)+-\d+[a-z]))?"
)

_API_ID_EXPECTED = "10 letters or digits, e.g. 'a1b2c3d4e5'"
_VPCE_EXPECTED = "'vpce-' followed by 17 (or 8) hex digits, e.g. 'vpce-0123456789abcdef0'"
_VPCE_DNS_EXPECTED = (
    "the endpoint's DNS name 'vpce-<id>-<8 chars>[-<zone>].execute-api.<region>.vpce.<suffix>'"
    " as listed in DnsEntries by 'aws ec2 describe-vpc-endpoints'"
)


def validate_api_id(value: object) -> str:
    """Validate a REST API id and return it in lower case (AWS ids are lower case)."""
    if not isinstance(value, str) or not _API_ID.fullmatch(value):
        raise InvalidInputError("api_id", value, _API_ID_EXPECTED)
    return value.lower()


def validate_vpce_id(value: object) -> str:
    """Validate a VPC endpoint id (``vpce-`` + 17 or 8 hex digits), lower-cased."""
    if isinstance(value, str) and _VPCE_ID.fullmatch(value.lower()):
        return value.lower()
    raise InvalidInputError("vpce_id", value, _VPCE_EXPECTED)


def validate_stage(value: object) -> str:
    """Validate a stage name (letters, digits, ``-``, ``_``; 1 to 128 characters)."""
    if not isinstance(value, str) or not _STAGE.fullmatch(value):
        raise InvalidInputError("stage", value, "1 to 128 letters, digits, '-' or '_', e.g. 'prod'")
    return value


def validate_region(value: object) -> str:
    """Validate a region against botocore's partition data and return it."""
    if not isinstance(value, str):
        raise InvalidInputError("region", value, "an AWS region such as 'us-east-1'")
    partition_for_region(value)
    return value


def validate_account_id(value: object) -> str:
    """Validate a 12-digit AWS account id."""
    if not isinstance(value, str) or not _ACCOUNT.fullmatch(value):
        raise InvalidInputError("account_id", value, "12 digits, e.g. '123456789012'")
    return value


def _validate_domain(value: object, field_name: str = "domain") -> str:
    if isinstance(value, str):
        name = value.lower().rstrip(".")
        labels = name.split(".")
        if (
            len(name) <= 253
            and len(labels) >= 2
            and all(_LABEL.fullmatch(label) for label in labels)
            and not labels[-1].isdigit()
        ):
            return name
    raise InvalidInputError(
        field_name, value, "a DNS name such as 'api.example.com' (no wildcard, no scheme)"
    )


def _validate_connect_to(value: object) -> tuple[str, int | None]:
    """Split ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address."""
    expected = "a host or IP address with an optional port: 'host', 'host:port', '[::1]:443'"
    if not isinstance(value, str) or not value or any(c in value for c in "/?#@ "):
        raise InvalidInputError("connect_to", value, expected)
    host, port_text = value, ""
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            raise InvalidInputError("connect_to", value, expected)
        host, rest = value[1:end], value[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise InvalidInputError("connect_to", value, expected)
            port_text = rest[1:]
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    # else: no colon (a name or IPv4), or several (a bare IPv6 address)
    port: int | None = None
    if port_text or value.endswith(":"):
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InvalidInputError("connect_to", value, expected)
        port = int(port_text)
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        host = _validate_domain(host, "connect_to") if "." in host else host.lower()
        if not _LABEL.fullmatch(host) and "." not in host:
            raise InvalidInputError("connect_to", value, expected) from None
    return host, port


def parse_resolver(value: object) -> tuple[str, int]:
    """Parse a DNS resolver address: ``IP``, ``IP:PORT`` or ``[IPv6]:PORT`` (port 53 by default).

    Raises:
        InvalidInputError: not an IP address with an optional port.
    """
    expected = "IP[:PORT], e.g. '10.0.0.2' or '127.0.0.1:5353'"
    try:
        host, port = _validate_connect_to(value)
        ipaddress.ip_address(host)
    except (InvalidInputError, ValueError):
        raise InvalidInputError("resolver", value, expected) from None
    return host, port or 53


def _validate_port(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536:
        return value
    raise InvalidInputError("port", value, "a TCP port from 1 to 65535")


def api_hostname(api_id: str, region: str) -> str:
    """The private DNS name of an API: ``{api}.execute-api.{region}.{suffix}``."""
    return (
        f"{validate_api_id(api_id)}.execute-api.{region}.{partition_for_region(region).dns_suffix}"
    )


def alias_hostname(api_id: str, vpce_id: str, region: str) -> str:
    """The Route 53 alias of an API for one endpoint: ``{api}-{vpce}.execute-api...``."""
    suffix = partition_for_region(region).dns_suffix
    return f"{validate_api_id(api_id)}-{validate_vpce_id(vpce_id)}.execute-api.{region}.{suffix}"


def vpce_hostname_pattern(region: str) -> re.Pattern[str]:
    """A pattern matching the execute-api endpoint DNS names (regional and zonal) of a region."""
    suffix = re.escape(partition_for_region(region).dns_suffix)
    return re.compile(
        rf"(?P<label>{_VPCE_LABEL.pattern})\.execute-api\.{re.escape(region)}\.vpce\.{suffix}"
    )


@dataclass(frozen=True, slots=True)
class _VpceName:
    name: str
    vpce_id: str
    zone: str | None


def _parse_vpce_dns(value: object, region: str) -> _VpceName:
    if isinstance(value, str):
        name = value.lower().rstrip(".")
        m = vpce_hostname_pattern(region).fullmatch(name)
        if m:
            return _VpceName(name=name, vpce_id=m.group("vpce"), zone=m.group("zone"))
    raise InvalidInputError("vpce_dns", value, _VPCE_DNS_EXPECTED + f" in region {region}")


_DOMAIN_ARN = re.compile(
    r"arn:(?P<partition>[a-z-]+):(?:apigateway|execute-api):(?P<region>[a-z0-9-]+):"
    r"(?P<account>\d{12}):/domainnames/(?P<name>[^+/]+)\+(?P<id>[A-Za-z0-9]+)"
)


@dataclass(frozen=True)
class InvokeTarget:
    """Where and how to reach one private API (immutable, validated).

    Build one with a constructor per access style (:meth:`private_dns`,
    :meth:`vpce_alias`, :meth:`host_header`, :meth:`api_id_header`,
    :meth:`custom_domain`) or recognise one with :func:`parse_url`.

    Example:
        >>> from privateapi import InvokeTarget
        >>> t = InvokeTarget.api_id_header(
        ...     "a1b2c3d4e5", "us-east-1", "prod",
        ...     vpce_dns="vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com")
        >>> t.url("/pets", {"limit": "10"})
        'https://vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com/prod/pets?limit=10'
        >>> dict(t.headers)
        {'x-apigw-api-id': 'a1b2c3d4e5'}
        >>> t.arn("GET", "/pets")
        'arn:aws:execute-api:us-east-1:*:a1b2c3d4e5/prod/GET/pets'
    """

    style: Style
    api_id: str | None = None
    region: str | None = None
    stage: str | None = None
    vpce_id: str | None = None
    #: The endpoint's DNS name (regional or zonal); it has a random suffix, so it
    #: can never be derived from the endpoint id.
    vpce_dns: str | None = None
    #: The private custom domain name (custom_domain), or the public host (regional/edge).
    domain: str | None = None
    base_path: str | None = None
    domain_name_id: str | None = None
    domain_arn: str | None = None
    account_id: str | None = None
    #: Where to open the TCP connection instead of the URL host: ``host`` or ``host:port``.
    connect_to: str | None = None
    port: int = 443
    _connect: tuple[str, int | None] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        style = Style(self.style)
        set_(self, "style", style)
        set_(self, "port", _validate_port(self.port))
        if self.api_id is not None:
            set_(self, "api_id", validate_api_id(self.api_id))
        if self.stage is not None:
            set_(self, "stage", validate_stage(self.stage))
        if self.region is not None:
            set_(self, "region", validate_region(self.region))
        if self.vpce_id is not None:
            set_(self, "vpce_id", validate_vpce_id(self.vpce_id))
        if self.account_id is not None:
            validate_account_id(self.account_id)
        if self.connect_to is not None:
            set_(self, "_connect", _validate_connect_to(self.connect_to))
        if style in (Style.PRIVATE_DNS, Style.VPCE_ALIAS, Style.HOST_HEADER, Style.API_ID_HEADER):
            for name in ("api_id", "region", "stage"):
                if getattr(self, name) is None:
                    raise InvalidInputError(name, None, f"a value: the {style} style needs it")
        if style is Style.VPCE_ALIAS and self.vpce_id is None:
            raise InvalidInputError("vpce_id", None, "a value: the vpce_alias style needs it")
        if style in (Style.HOST_HEADER, Style.API_ID_HEADER) and self.vpce_dns is None:
            raise InvalidInputError(
                "vpce_dns",
                None,
                _VPCE_DNS_EXPECTED + f": the {style} style needs it and it cannot be derived"
                " from the endpoint id (it has a random suffix)",
            )
        if self.vpce_dns is not None:
            region = self.region
            if region is None:
                region = _region_of_vpce_dns(self.vpce_dns)
                set_(self, "region", region)
            parsed = _parse_vpce_dns(self.vpce_dns, region)
            set_(self, "vpce_dns", parsed.name)
            if self.vpce_id is not None and self.vpce_id != parsed.vpce_id:
                raise InvalidInputError(
                    "vpce_dns",
                    self.vpce_dns,
                    f"the DNS name of endpoint {self.vpce_id} (it names {parsed.vpce_id})",
                )
            set_(self, "vpce_id", parsed.vpce_id)
        if style is Style.CUSTOM_DOMAIN:
            if self.domain is None:
                raise InvalidInputError("domain", None, "a value: the custom_domain style needs it")
            set_(self, "domain", _validate_domain(self.domain))
            if self.base_path is not None:
                bp = self.base_path.strip("/") if isinstance(self.base_path, str) else None
                if bp is None or (bp and not _BASE_PATH.fullmatch(bp)):
                    raise InvalidInputError(
                        "base_path",
                        self.base_path,
                        "one path segment of letters, digits, '.', '_', '~' or '-' (private"
                        " custom domains map a single level)",
                    )
                set_(self, "base_path", bp or None)
            self._check_domain_ids()
        elif style in (Style.REGIONAL, Style.EDGE):
            if self.domain is None:
                raise InvalidInputError("domain", None, f"the URL host of the {style} API")
        elif self.domain is not None or self.base_path is not None:
            raise InvalidInputError(
                "domain", self.domain, f"no custom domain for the {style} style"
            )

    def _check_domain_ids(self) -> None:
        if self.domain_name_id is not None and not (
            isinstance(self.domain_name_id, str) and _DOMAIN_NAME_ID.fullmatch(self.domain_name_id)
        ):
            raise InvalidInputError(
                "domain_name_id", self.domain_name_id, "the domainNameId, e.g. 'abcd1234'"
            )
        if self.domain_arn is None:
            return
        m = _DOMAIN_ARN.fullmatch(self.domain_arn) if isinstance(self.domain_arn, str) else None
        if m is None:
            raise InvalidInputError(
                "domain_arn",
                self.domain_arn,
                "arn:<partition>:apigateway:<region>:<account>:/domainnames/<name>+<id>",
            )
        if m.group("name").lower() != self.domain:
            raise InvalidInputError(
                "domain_arn", self.domain_arn, f"an ARN of the domain name {self.domain}"
            )
        if self.domain_name_id is None:
            object.__setattr__(self, "domain_name_id", m.group("id"))
        elif self.domain_name_id != m.group("id"):
            raise InvalidInputError(
                "domain_name_id",
                self.domain_name_id,
                f"the id in domain_arn ({m.group('id')})",
            )

    # -- constructors ---------------------------------------------------------------------------

    @classmethod
    def private_dns(
        cls,
        api_id: str,
        region: str,
        stage: str,
        *,
        account_id: str | None = None,
        connect_to: str | None = None,
    ) -> InvokeTarget:
        """The API's own name, resolved by the endpoint's private DNS inside the VPC."""
        return cls(
            Style.PRIVATE_DNS,
            api_id=api_id,
            region=region,
            stage=stage,
            account_id=account_id,
            connect_to=connect_to,
        )

    @classmethod
    def vpce_alias(
        cls,
        api_id: str,
        vpce_id: str,
        region: str,
        stage: str,
        *,
        account_id: str | None = None,
        connect_to: str | None = None,
    ) -> InvokeTarget:
        """The Route 53 alias ``{api}-{vpce}``: exists once the endpoint is associated."""
        return cls(
            Style.VPCE_ALIAS,
            api_id=api_id,
            vpce_id=vpce_id,
            region=region,
            stage=stage,
            account_id=account_id,
            connect_to=connect_to,
        )

    @classmethod
    def host_header(
        cls,
        api_id: str,
        region: str,
        stage: str,
        *,
        vpce_dns: str,
        account_id: str | None = None,
        connect_to: str | None = None,
    ) -> InvokeTarget:
        """The endpoint's DNS name in the URL, the API's name in ``Host``.

        Not allowed when the endpoint access mode is ``STRICT`` (SNI and Host differ).
        """
        return cls(
            Style.HOST_HEADER,
            api_id=api_id,
            region=region,
            stage=stage,
            vpce_dns=vpce_dns,
            account_id=account_id,
            connect_to=connect_to,
        )

    @classmethod
    def api_id_header(
        cls,
        api_id: str,
        region: str,
        stage: str,
        *,
        vpce_dns: str,
        account_id: str | None = None,
        connect_to: str | None = None,
    ) -> InvokeTarget:
        """The endpoint's DNS name in the URL and ``x-apigw-api-id: {api}``."""
        return cls(
            Style.API_ID_HEADER,
            api_id=api_id,
            region=region,
            stage=stage,
            vpce_dns=vpce_dns,
            account_id=account_id,
            connect_to=connect_to,
        )

    @classmethod
    def custom_domain(
        cls,
        domain: str,
        *,
        base_path: str | None = None,
        vpce_dns: str | None = None,
        region: str | None = None,
        domain_name_id: str | None = None,
        domain_arn: str | None = None,
        api_id: str | None = None,
        stage: str | None = None,
        account_id: str | None = None,
        connect_to: str | None = None,
    ) -> InvokeTarget:
        """A private custom domain name, directly or through the endpoint with ``Host``.

        ``api_id`` and ``stage`` (the API the base path maps to) are optional and only
        needed for :meth:`arn`. The ``domainNameId``/ARN identify the domain, since
        names are not unique across accounts.
        """
        if region is None and domain_arn is not None:
            m = _DOMAIN_ARN.fullmatch(domain_arn)
            region = m.group("region") if m else None
        return cls(
            Style.CUSTOM_DOMAIN,
            domain=domain,
            base_path=base_path,
            vpce_dns=vpce_dns,
            region=region,
            domain_name_id=domain_name_id,
            domain_arn=domain_arn,
            api_id=api_id,
            stage=stage,
            account_id=account_id,
            connect_to=connect_to,
        )

    # -- derived values -------------------------------------------------------------------------

    @property
    def partition(self) -> Partition:
        """The AWS partition of the target's region."""
        if self.region is None:
            raise InvalidInputError("region", None, "a region to know the partition")
        return partition_for_region(self.region)

    @property
    def is_private(self) -> bool:
        """False for public Regional/edge URLs (which never serve a private API)."""
        return self.style in PRIVATE_STYLES

    @property
    def host(self) -> str:
        """The URL host, which is also the TLS server name (SNI) in every style."""
        style = self.style
        if style is Style.PRIVATE_DNS:
            return api_hostname(self._need("api_id"), self._need("region"))
        if style is Style.VPCE_ALIAS:
            return alias_hostname(self._need("api_id"), self._need("vpce_id"), self._need("region"))
        if self.vpce_dns is not None:
            return self.vpce_dns
        return self._need("domain")

    @property
    def server_name(self) -> str:
        """The TLS server name (SNI) that must be sent and verified."""
        return self.host

    @property
    def base_url(self) -> str:
        """``https://host[:port]/{stage}`` (or ``/{base_path}`` for a custom domain)."""
        netloc = self.host if self.port == 443 else f"{self.host}:{self.port}"
        if self.style is Style.CUSTOM_DOMAIN:
            prefix = self.base_path
        elif self.style in (Style.REGIONAL, Style.EDGE):
            prefix = self.stage
        else:
            prefix = self._need("stage")
        return f"https://{netloc}/{prefix}" if prefix else f"https://{netloc}"

    @property
    def headers(self) -> Mapping[str, str]:
        """The extra headers the style needs (``Host`` or ``x-apigw-api-id``)."""
        if self.style is Style.HOST_HEADER:
            return {"Host": api_hostname(self._need("api_id"), self._need("region"))}
        if self.style is Style.API_ID_HEADER:
            return {"x-apigw-api-id": self._need("api_id")}
        if self.style is Style.CUSTOM_DOMAIN and self.vpce_dns is not None:
            return {"Host": self._need("domain")}
        return {}

    @property
    def signing_host(self) -> str:
        """The ``Host`` value actually sent, which is the one a SigV4 signature must cover."""
        override = self.headers.get("Host")
        if override is not None:
            return override
        return self.host if self.port == 443 else f"{self.host}:{self.port}"

    @property
    def connect_host(self) -> str:
        """The host or address the TCP connection is opened to."""
        return self._connect[0] if self._connect else self.host

    @property
    def connect_port(self) -> int:
        """The TCP port the connection is opened to."""
        if self._connect and self._connect[1] is not None:
            return self._connect[1]
        return self.port

    def url(
        self,
        path: str = "",
        params: Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]] | None = None,
    ) -> str:
        """The full URL for a resource path (relative to the stage or base path).

        Characters that cannot appear in a path are percent-encoded; existing
        ``%XX`` escapes are kept. Query values are encoded strictly (space as
        ``%20``, never ``+``).
        """
        if not isinstance(path, str) or any(c in path for c in "?#"):
            raise InvalidInputError(
                "path", path, "a resource path without '?' or '#' (pass the query as params)"
            )
        url = self.base_url
        if path:
            url += "/" + quote(path.lstrip("/"), safe="/%:@!$&'()*+,;=-._~")
        if params:
            items = params.items() if isinstance(params, Mapping) else params
            url += "?" + urlencode(list(items), doseq=True, quote_via=quote, safe="-._~")
        return url

    def arn(self, method: str = "*", path: str = "") -> str:
        """The execute-api resource ARN a resource policy sees for ``method`` on ``path``.

        Example:
            >>> InvokeTarget.private_dns("a1b2c3d4e5", "cn-north-1", "prod").arn("post", "/orders")
            'arn:aws-cn:execute-api:cn-north-1:*:a1b2c3d4e5/prod/POST/orders'
        """
        verb = method.upper() if isinstance(method, str) else method
        if not isinstance(verb, str) or not _METHOD.fullmatch(verb):
            raise InvalidInputError("method", method, "an HTTP method such as 'GET', or '*'")
        api_id = self._need("api_id", "for the resource ARN")
        stage = self._need("stage", "for the resource ARN")
        account = self.account_id or "*"
        resource = path.lstrip("/") if isinstance(path, str) else ""
        return (
            f"arn:{self.partition.name}:execute-api:{self.region}:{account}:"
            f"{api_id}/{stage}/{verb}/{resource}"
        )

    def with_connect_to(self, connect_to: str | None) -> InvokeTarget:
        """A copy that opens its TCP connection to ``connect_to`` (``None`` to clear it)."""
        return replace(self, connect_to=connect_to)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (what ``privateapi url --json`` prints)."""
        data: dict[str, Any] = {
            "style": str(self.style),
            "url": self.base_url,
            "headers": dict(self.headers),
            "server_name": self.server_name,
            "signing_host": self.signing_host,
            "connect_to": (
                {"host": self.connect_host, "port": self.connect_port} if self.connect_to else None
            ),
            "private": self.is_private,
        }
        for name in (
            "api_id",
            "region",
            "stage",
            "vpce_id",
            "vpce_dns",
            "domain",
            "base_path",
            "domain_name_id",
            "domain_arn",
            "account_id",
        ):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.region is not None:
            data["partition"] = self.partition.name
        return data

    def _need(self, name: str, why: str = "") -> str:
        value = getattr(self, name)
        if value is None:
            raise InvalidInputError(
                name,
                None,
                f"a value{(' ' + why) if why else ''} (the {self.style} target has none)",
            )
        return str(value)


def _region_of_vpce_dns(name: object) -> str:
    if isinstance(name, str):
        m = re.fullmatch(r"[^.]+\.execute-api\.([a-z0-9-]+)\.vpce\..+", name.lower().rstrip("."))
        if m:
            return m.group(1)
    raise InvalidInputError("vpce_dns", name, _VPCE_DNS_EXPECTED)


# -- parsing --------------------------------------------------------------------------------------

_EXEC_HOST = re.compile(
    r"(?P<label>[^.]+)\.(?P<service>execute-api(?:-fips)?)\.(?P<region>[a-z0-9-]+)\."
    r"(?P<vpce>vpce\.)?(?P<suffix>.+)"
)
_ALIAS_LABEL = re.compile(r"(?P<api>[a-z0-9]{10})-(?P<vpce>vpce-(?:[0-9a-f]{8}|[0-9a-f]{17}))")
_REGIONAL_DOMAIN_LABEL = re.compile(r"d-[a-z0-9]{10}")


def _header(headers: Mapping[str, str] | Sequence[tuple[str, str]] | None, name: str) -> str | None:
    if not headers:
        return None
    items = headers.items() if isinstance(headers, Mapping) else headers
    found = [v for k, v in items if k.lower() == name]
    if len(found) > 1:
        raise InvalidInputError(f"{name} header", found, "one value")
    return found[0].strip() if found else None


def _strip_default_port(host: str) -> str:
    return host[:-4] if host.endswith(":443") else host


def _api_of_host(host: str) -> tuple[str, str] | None:
    """(api_id, region) if ``host`` is an API's private DNS name in any partition."""
    m = _EXEC_HOST.fullmatch(host)
    if not m or m.group("vpce") or m.group("service") != "execute-api":
        return None
    if not re.fullmatch(r"[a-z0-9]{10}", m.group("label")):
        return None
    region = m.group("region")
    try:
        partition = partition_for_region(region)
    except InvalidInputError:
        return None
    if m.group("suffix") != partition.dns_suffix:
        return None
    return m.group("label"), region


def split_url(
    url: str,
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    *,
    base_path: str | None = None,
) -> tuple[InvokeTarget, str]:
    """Recognise the target of an invoke URL and return it with the rest of the URL.

    The second value is the resource path and query after the stage (or base path),
    e.g. ``"/pets?limit=10"``; ``""`` for the stage root.

    For a custom domain the first path segment is taken as the base path; pass
    ``base_path=""`` when the mapping sits at the root, or the known base path.
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidInputError("url", url, "an https:// invoke URL")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidInputError("url", url, f"a well-formed URL ({exc})") from None
    if parts.scheme.lower() != "https":
        raise InvalidInputError(
            "url", url, "an https:// URL (API Gateway serves private APIs over TLS only)"
        )
    if not parts.hostname or parts.username or parts.password:
        raise InvalidInputError("url", url, "an https:// URL with a host and no user info")
    if parts.fragment:
        raise InvalidInputError("url", url, "a URL without a #fragment")
    host = parts.hostname.lower().rstrip(".")
    port = port or 443
    segments = parts.path.split("/")
    first = segments[1] if len(segments) > 1 else ""
    rest = "/" + "/".join(segments[2:]) if len(segments) > 2 else ""
    query = f"?{parts.query}" if parts.query else ""

    host_header = _header(headers, "host")
    api_header = _header(headers, "x-apigw-api-id")
    if host_header is not None:
        host_header = _strip_default_port(host_header.lower().rstrip("."))

    def need_stage() -> str:
        if not first:
            raise InvalidInputError(
                "stage", "", f"the stage as the first path segment of {url!r}, e.g. '/prod'"
            )
        return first

    m = _EXEC_HOST.fullmatch(host)
    if m is not None:
        label, region, is_vpce = m.group("label"), m.group("region"), bool(m.group("vpce"))
        partition = partition_for_region(region)
        suffix = m.group("suffix")
        if m.group("service") == "execute-api-fips" or (
            not is_vpce and suffix == partition.dualstack_dns_suffix
        ):
            api = label if re.fullmatch(r"[a-z0-9]{10}", label) else None
            return InvokeTarget(
                Style.REGIONAL,
                api_id=api,
                region=region,
                stage=first or None,
                domain=host,
                port=port,
            ), rest + query
        if suffix != partition.dns_suffix:
            raise InvalidInputError(
                "url",
                url,
                f"the DNS suffix of region {region}: {partition.dns_suffix!r} (partition"
                f" {partition.name}), not {suffix!r}",
            )
        if is_vpce:
            return _parse_vpce_url(
                url,
                host,
                region,
                port,
                first,
                rest + query,
                host_header,
                api_header,
                base_path,
                need_stage,
            )
        if host_header is not None and host_header != host:
            raise InvalidInputError(
                "Host header", host_header, f"the URL host {host} (or no Host header)"
            )
        alias = _ALIAS_LABEL.fullmatch(label)
        if alias:
            return InvokeTarget(
                Style.VPCE_ALIAS,
                api_id=alias.group("api"),
                vpce_id=alias.group("vpce"),
                region=region,
                stage=need_stage(),
                port=port,
            ), rest + query
        if _REGIONAL_DOMAIN_LABEL.fullmatch(label):
            # d-xxxxxxxxxx.execute-api... is the target of a public Regional custom domain.
            return InvokeTarget(
                Style.REGIONAL, region=region, domain=host, port=port, stage=None
            ), parts.path + query
        if re.fullmatch(r"[a-z0-9]{10}", label):
            if api_header is not None and validate_api_id(api_header) != label:
                raise InvalidInputError(
                    "x-apigw-api-id header", api_header, f"the API id in the URL ({label})"
                )
            return InvokeTarget(
                Style.PRIVATE_DNS, api_id=label, region=region, stage=need_stage(), port=port
            ), rest + query
        raise InvalidInputError(
            "url",
            url,
            "an execute-api host whose first label is an API id ('a1b2c3d4e5') or an alias"
            " ('a1b2c3d4e5-vpce-0123456789abcdef0')",
        )

    if host.endswith(".cloudfront.net"):
        return InvokeTarget(Style.EDGE, domain=host, port=port, stage=first or None), rest + query
    if re.fullmatch(r"(?:[^.]+\.)*execute-api\.[a-z0-9-]+\..+", host):
        raise InvalidInputError(
            "url",
            url,
            "an API or endpoint name: the bare execute-api name is not covered by API Gateway's"
            " certificate; use '{api}.execute-api...' or the endpoint DNS name",
        )

    # Not an AWS name: an IP or load balancer (connect_to) or a private custom domain.
    is_ip = _is_ip(host)
    if host_header is not None:
        api = _api_of_host(host_header)
        if api is not None:
            # An NLB or IP carrying the API's Host: model it as the private DNS name with
            # connect_to, so SNI and certificate checks use the name API Gateway serves.
            return InvokeTarget(
                Style.PRIVATE_DNS,
                api_id=api[0],
                region=api[1],
                stage=need_stage(),
                connect_to=_netloc(host, port),
            ), rest + query
        return _custom(host_header, first, rest + query, base_path, connect_to=_netloc(host, port))
    if api_header is not None:
        raise InvalidInputError(
            "url",
            url,
            "with x-apigw-api-id, the endpoint's DNS name as URL host (the region and TLS name"
            " come from it); to go through an IP or NLB use the endpoint DNS name in the URL"
            " and connect_to for the address",
        )
    if is_ip:
        raise InvalidInputError(
            "url",
            url,
            "a name, not an IP address: an IP URL sends no usable TLS server name; use the"
            " API's name in the URL and connect_to for the address",
        )
    return _custom(host, first, rest + query, base_path, port=port)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _netloc(host: str, port: int) -> str:
    h = f"[{host}]" if ":" in host else host
    return h if port == 443 else f"{h}:{port}"


def _custom(
    domain: str,
    first: str,
    rest: str,
    base_path: str | None,
    *,
    vpce_dns: str | None = None,
    region: str | None = None,
    connect_to: str | None = None,
    port: int = 443,
) -> tuple[InvokeTarget, str]:
    if base_path is None:
        bp: str | None = first or None
        remainder = rest
    else:
        bp = base_path.strip("/") or None
        remainder = (f"/{first}" if first else "") + rest if bp is None else rest
        if bp is not None and first != bp:
            raise InvalidInputError(
                "base_path", base_path, f"the URL's first path segment ({first!r})"
            )
    target = InvokeTarget(
        Style.CUSTOM_DOMAIN,
        domain=domain,
        base_path=bp,
        vpce_dns=vpce_dns,
        region=region,
        connect_to=connect_to,
        port=port,
    )
    return target, remainder


def _parse_vpce_url(
    url: str,
    host: str,
    region: str,
    port: int,
    first: str,
    rest: str,
    host_header: str | None,
    api_header: str | None,
    base_path: str | None,
    need_stage: Any,
) -> tuple[InvokeTarget, str]:
    name = _parse_vpce_dns(host, region)
    if host_header is not None and host_header != name.name:
        api = _api_of_host(host_header)
        if api is not None:
            if api_header is not None and validate_api_id(api_header) != api[0]:
                # Which one API Gateway routes by is not documented (open question): refuse.
                raise InvalidInputError(
                    "x-apigw-api-id header",
                    api_header,
                    f"the API named by the Host header ({api[0]}), or no x-apigw-api-id",
                )
            if api[1] != region:
                raise InvalidInputError(
                    "Host header", host_header, f"an API name in the endpoint's region {region}"
                )
            return InvokeTarget(
                Style.HOST_HEADER,
                api_id=api[0],
                region=region,
                stage=need_stage(),
                vpce_dns=name.name,
                port=port,
            ), rest
        target, remainder = _custom(
            host_header, first, rest, base_path, vpce_dns=name.name, region=region, port=port
        )
        return target, remainder
    if api_header is not None:
        return InvokeTarget(
            Style.API_ID_HEADER,
            api_id=validate_api_id(api_header),
            region=region,
            stage=need_stage(),
            vpce_dns=name.name,
            port=port,
        ), rest
    raise InvalidInputError(
        "headers",
        None,
        f"a 'Host: <api>.execute-api.{region}...' or 'x-apigw-api-id: <api>' header with the"
        " endpoint DNS name URL (without one, API Gateway answers 403 Forbidden)",
    )


def parse_url(
    url: str,
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    *,
    base_path: str | None = None,
) -> InvokeTarget:
    """Recognise the invoke target of a URL (and its ``Host``/``x-apigw-api-id`` headers).

    Every private style is recognised (zonal endpoint names too), as are public
    Regional and edge URLs (``is_private`` is then false). Anything else raises
    :class:`~privateapi.InvalidInputError` naming what was wrong.

    Example:
        >>> from privateapi import parse_url
        >>> t = parse_url("https://a1b2c3d4e5-vpce-0123456789abcdef0.execute-api.us-east-1.amazonaws.com/prod/pets")
        >>> t.style, t.api_id, t.vpce_id, t.stage
        (<Style.VPCE_ALIAS: 'vpce_alias'>, 'a1b2c3d4e5', 'vpce-0123456789abcdef0', 'prod')
    """
    return split_url(url, headers, base_path=base_path)[0]


# -- which styles can be built from what is known ----------------------------------------------


@dataclass(frozen=True, slots=True)
class StyleOption:
    """One access style for ``privateapi url``: its target, or what is missing to build it."""

    style: Style
    target: InvokeTarget | None
    missing: tuple[str, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the target's fields, or ``missing`` and ``note``."""
        if self.target is not None:
            data = self.target.to_dict()
            if self.note:
                data["note"] = self.note
            return data
        return {"style": str(self.style), "missing": list(self.missing), "note": self.note}


def available_styles(
    *,
    api_id: str,
    region: str,
    stage: str,
    vpce_id: str | None = None,
    vpce_dns: str | None = None,
    domain: str | None = None,
    base_path: str | None = None,
    connect_to: str | None = None,
    account_id: str | None = None,
) -> list[StyleOption]:
    """Every access style these facts allow, and for the others what is missing.

    Raises:
        InvalidInputError: a given value is malformed (the error names the field).
    """
    api_id = validate_api_id(api_id)
    region = validate_region(region)
    stage = validate_stage(stage)
    if vpce_id is not None:
        vpce_id = validate_vpce_id(vpce_id)
    if vpce_dns is not None:
        name = _parse_vpce_dns(vpce_dns, region)
        if vpce_id is not None and name.vpce_id != vpce_id:
            raise InvalidInputError(
                "vpce_dns",
                vpce_dns,
                f"the DNS name of endpoint {vpce_id} (it names {name.vpce_id})",
            )
        vpce_id = name.vpce_id
    common = {"account_id": account_id, "connect_to": connect_to}
    options = [
        StyleOption(
            Style.PRIVATE_DNS,
            InvokeTarget.private_dns(api_id, region, stage, **common),
            note="needs private DNS on the VPC endpoint and DNS support/hostnames on the VPC",
        )
    ]
    if vpce_id is not None:
        options.append(
            StyleOption(
                Style.VPCE_ALIAS,
                InvokeTarget.vpce_alias(api_id, vpce_id, region, stage, **common),
                note="resolves once the endpoint is associated with the API (and redeployed)",
            )
        )
    else:
        options.append(
            StyleOption(Style.VPCE_ALIAS, None, ("vpce_id",), "pass --vpce-id (or --vpce-dns)")
        )
    vpce_missing_note = (
        "pass --vpce-dns: the endpoint DNS name has a random suffix and cannot be derived from"
        " the endpoint id; find it with 'aws ec2 describe-vpc-endpoints --vpc-endpoint-ids"
        " <vpce-id> --query VpcEndpoints[0].DnsEntries[0].DnsName'"
    )
    for style, ctor, note in (
        (Style.HOST_HEADER, InvokeTarget.host_header, "not allowed in STRICT endpoint access mode"),
        (Style.API_ID_HEADER, InvokeTarget.api_id_header, "works without private DNS"),
    ):
        if vpce_dns is not None:
            options.append(
                StyleOption(
                    style, ctor(api_id, region, stage, vpce_dns=vpce_dns, **common), note=note
                )
            )
        else:
            options.append(StyleOption(style, None, ("vpce_dns",), vpce_missing_note))
    if domain is not None:
        options.append(
            StyleOption(
                Style.CUSTOM_DOMAIN,
                InvokeTarget.custom_domain(
                    domain,
                    base_path=base_path,
                    region=region,
                    api_id=api_id,
                    stage=stage,
                    **common,
                ),
                note="needs a domain name access association for the endpoint",
            )
        )
        if vpce_dns is not None:
            options.append(
                StyleOption(
                    Style.CUSTOM_DOMAIN,
                    InvokeTarget.custom_domain(
                        domain,
                        base_path=base_path,
                        vpce_dns=vpce_dns,
                        region=region,
                        api_id=api_id,
                        stage=stage,
                        **common,
                    ),
                    note="through the endpoint DNS name with Host",
                )
            )
    else:
        options.append(
            StyleOption(
                Style.CUSTOM_DOMAIN, None, ("domain",), "pass --domain for a private custom domain"
            )
        )
    return options
