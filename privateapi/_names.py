"""Names, ids and addresses: the vocabulary every access style is written in.

Validators for the ids API Gateway uses (REST API id, VPC endpoint id, stage, region,
account), the DNS names derived from them (``{api}.execute-api...``, the
``{api}-{vpce}`` alias, the endpoint's own names), and the one ``host[:port]`` parser
and formatter of the package (``connect_to``, resolver addresses, ``Host`` values).
See ``shared/reference/aws-private-apis.md`` §2 for where each rule comes from.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from privateapi._errors import InvalidInputError
from privateapi._partitions import partition_for_region

__all__ = [
    "VpceName",
    "alias_hostname",
    "api_hostname",
    "api_of_host",
    "format_host_port",
    "parse_host_port",
    "parse_resolver",
    "parse_vpce_dns",
    "region_of_vpce_dns",
    "validate_account_id",
    "validate_api_id",
    "validate_base_path",
    "validate_domain",
    "validate_port",
    "validate_region",
    "validate_stage",
    "validate_vpce_id",
    "vpce_hostname_pattern",
]

_API_ID = re.compile(r"[A-Za-z0-9]{10}")
# Lower-case only: AWS ids are lower case, and a URL host has been lower-cased already.
API_ID_LABEL = re.compile(r"[a-z0-9]{10}")
# The exact vpce id rule is unverified (reference §2): the docs show 17 and 8 hex digits.
_VPCE_ID_TEXT = r"vpce-(?:[0-9a-f]{8}|[0-9a-f]{17})"
_VPCE_ID = re.compile(_VPCE_ID_TEXT)
_STAGE = re.compile(r"[A-Za-z0-9_-]{1,128}")
_ACCOUNT = re.compile(r"\d{12}")
_BASE_PATH = re.compile(r"[A-Za-z0-9._~-]{1,256}")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# The first label of an endpoint DNS name: vpce-{id}-{8 random chars}[-{zone}]. The zone
# is an Availability Zone name such as us-east-2c (zonal names exist per AZ).
_VPCE_LABEL = re.compile(
    rf"(?P<vpce>{_VPCE_ID_TEXT})-(?P<rand>[a-z0-9]{{8}})"
    r"(?:-(?P<zone>[a-z]{2,4}(?:-[a-z]+)+-\d+[a-z]))?"
)
#: ``{label}.execute-api[-fips].{region}.[vpce.]{suffix}``: every execute-api host name.
EXEC_HOST = re.compile(
    r"(?P<label>[^.]+)\.(?P<service>execute-api(?:-fips)?)\.(?P<region>[a-z0-9-]+)\."
    r"(?P<vpce>vpce\.)?(?P<suffix>.+)"
)
#: The first label of a Route 53 alias: ``{api}-{vpce}``.
ALIAS_LABEL = re.compile(rf"(?P<api>[a-z0-9]{{10}})-(?P<vpce>{_VPCE_ID_TEXT})")

API_ID_EXPECTED = "10 letters or digits, e.g. 'a1b2c3d4e5'"
VPCE_EXPECTED = "'vpce-' followed by 17 (or 8) hex digits, e.g. 'vpce-0123456789abcdef0'"
VPCE_DNS_EXPECTED = (
    "the endpoint's DNS name 'vpce-<id>-<8 chars>[-<zone>].execute-api.<region>.vpce.<suffix>'"
    " as listed in DnsEntries by 'aws ec2 describe-vpc-endpoints'"
)
_HOST_PORT_EXPECTED = "a host or IP address with an optional port: 'host', 'host:port', '[::1]:443'"


def validate_api_id(value: object) -> str:
    """Validate a REST API id and return it in lower case (AWS ids are lower case)."""
    if not isinstance(value, str) or not _API_ID.fullmatch(value):
        raise InvalidInputError("api_id", value, API_ID_EXPECTED)
    return value.lower()


def validate_vpce_id(value: object) -> str:
    """Validate a VPC endpoint id (``vpce-`` + 17 or 8 hex digits), lower-cased."""
    if isinstance(value, str) and _VPCE_ID.fullmatch(value.lower()):
        return value.lower()
    raise InvalidInputError("vpce_id", value, VPCE_EXPECTED)


def validate_stage(value: object) -> str:
    """Validate a stage name (letters, digits, ``-``, ``_``; 1 to 128 characters)."""
    if not isinstance(value, str) or not _STAGE.fullmatch(value):
        raise InvalidInputError("stage", value, "1 to 128 letters, digits, '-' or '_', e.g. 'prod'")
    return value


def validate_region(value: object) -> str:
    """Validate a region against botocore's partition data and return it."""
    if isinstance(value, str) and _VPCE_ID.fullmatch(value.lower()):
        # The old vpce_alias(api_id, vpce_id, region, stage) order puts the id here.
        raise InvalidInputError(
            "region",
            value,
            "an AWS region such as 'us-east-1', not a VPC endpoint id: pass the endpoint"
            " by keyword, vpce_id='vpce-...'",
        )
    if not isinstance(value, str):
        raise InvalidInputError("region", value, "an AWS region such as 'us-east-1'")
    partition_for_region(value)
    return value


def validate_account_id(value: object) -> str:
    """Validate a 12-digit AWS account id."""
    if not isinstance(value, str) or not _ACCOUNT.fullmatch(value):
        raise InvalidInputError("account_id", value, "12 digits, e.g. '123456789012'")
    return value


def validate_port(value: object) -> int:
    """Validate a TCP port (1 to 65535)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536:
        return value
    raise InvalidInputError("port", value, "a TCP port from 1 to 65535")


def validate_domain(value: object, field_name: str = "domain") -> str:
    """Validate a DNS name (no wildcard, no scheme) and return it lower-cased, without a dot."""
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


def validate_base_path(value: object) -> str | None:
    """Validate a private custom domain's base path: one segment, or ``None`` for the root."""
    bp = value.strip("/") if isinstance(value, str) else None
    if bp is None or (bp and not _BASE_PATH.fullmatch(bp)):
        raise InvalidInputError(
            "base_path",
            value,
            "one path segment of letters, digits, '.', '_', '~' or '-' (private"
            " custom domains map a single level)",
        )
    return bp or None


# -- host[:port] -----------------------------------------------------------------------------


def _split_host_port(value: str) -> tuple[str, str | None] | None:
    """``(host, port text or None)`` of ``host``, ``host:port``, ``[v6]``, ``[v6]:port``, bare v6.

    ``None`` when the brackets are malformed; the port text is ``None`` when no port
    separator is present (so ``fe80::`` is an address, while ``host:`` lacks a port).
    """
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        return host, rest[1:] if rest else None
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host, port
    return value, None  # no colon (a name or IPv4), or several (a bare IPv6 address)


def _normal_host(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    name = host.lower().rstrip(".")
    if "." in name:
        try:
            return validate_domain(name)
        except InvalidInputError:
            return None
    return name if _LABEL.fullmatch(name) else None


def parse_host_port(value: object, *, field: str = "connect_to") -> tuple[str, int | None]:
    """Split and validate ``host``, ``host:port``, ``[v6]:port``, ``[v6]`` or a bare IPv6.

    The host comes back normalised (names lower-cased, IPv6 without brackets, in
    compressed form), the port as an int, or ``None`` when none is given.

    Raises:
        InvalidInputError: naming ``field``, for anything else (a URL, user info,
            spaces, a port outside 1 to 65535, a malformed name).
    """
    if not isinstance(value, str) or not value or any(c in value for c in "/?#@ "):
        raise InvalidInputError(field, value, _HOST_PORT_EXPECTED)
    split = _split_host_port(value)
    host = _normal_host(split[0]) if split else None
    if split is None or host is None:
        raise InvalidInputError(field, value, _HOST_PORT_EXPECTED)
    port_text = split[1]
    if port_text is None:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InvalidInputError(field, value, _HOST_PORT_EXPECTED)
    return host, int(port_text)


def format_host_port(host: str, port: int | None = None, *, default_port: int | None = None) -> str:
    """``host:port`` (``[v6]:port`` for IPv6); the port is left out when ``None`` or the default.

    The inverse of :func:`parse_host_port`.
    """
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None or port == default_port else f"{shown}:{port}"


def parse_resolver(value: object) -> tuple[str, int]:
    """Parse a DNS resolver address: ``IP``, ``IP:PORT`` or ``[IPv6]:PORT`` (port 53 by default).

    Raises:
        InvalidInputError: not an IP address with an optional port.
    """
    expected = "IP[:PORT], e.g. '10.0.0.2' or '127.0.0.1:5353'"
    try:
        host, port = parse_host_port(value, field="resolver")
        ipaddress.ip_address(host)
    except (InvalidInputError, ValueError):
        raise InvalidInputError("resolver", value, expected) from None
    return host, port or 53


# -- execute-api names -----------------------------------------------------------------------


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
class VpceName:
    """An endpoint DNS name, split: the name, the endpoint id, the zone (zonal names)."""

    name: str
    vpce_id: str
    zone: str | None


def parse_vpce_dns(value: object, region: str) -> VpceName:
    """Recognise an execute-api endpoint DNS name of ``region``."""
    if isinstance(value, str):
        name = value.lower().rstrip(".")
        m = vpce_hostname_pattern(region).fullmatch(name)
        if m:
            return VpceName(name=name, vpce_id=m.group("vpce"), zone=m.group("zone"))
    raise InvalidInputError("vpce_dns", value, VPCE_DNS_EXPECTED + f" in region {region}")


def region_of_vpce_dns(name: object) -> str:
    """The region named in an endpoint DNS name (not yet validated)."""
    if isinstance(name, str):
        m = re.fullmatch(r"[^.]+\.execute-api\.([a-z0-9-]+)\.vpce\..+", name.lower().rstrip("."))
        if m:
            return m.group(1)
    raise InvalidInputError("vpce_dns", name, VPCE_DNS_EXPECTED)


def api_of_host(host: str) -> tuple[str, str] | None:
    """(api_id, region) if ``host`` is an API's private DNS name in any partition."""
    m = EXEC_HOST.fullmatch(host)
    if not m or m.group("vpce") or m.group("service") != "execute-api":
        return None
    if not API_ID_LABEL.fullmatch(m.group("label")):
        return None
    region = m.group("region")
    try:
        partition = partition_for_region(region)
    except InvalidInputError:
        return None
    if m.group("suffix") != partition.dns_suffix:
        return None
    return m.group("label"), region
