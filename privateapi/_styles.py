"""Access styles as objects: one spec per way of naming a private API on the way in.

Each :class:`StyleSpec` holds everything that differs between styles: the facts a
target of that style needs, its URL host, extra headers, TLS server name and path
prefix, how to recognise it in a URL, how to build it from known facts, and what a
failure means for it (the doctor's explanations). :class:`~privateapi.InvokeTarget`,
:func:`~privateapi.split_url`, :func:`~privateapi.available_styles`, the CLI and the
doctor ask the spec of a target's style instead of branching on the style.

Adding a style: add a :class:`Style` member and a spec subclass here (registered by
``_register``); everything else reads the registry. Reference:
``shared/reference/aws-private-apis.md`` §1.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from privateapi._errors import InvalidInputError
from privateapi._names import (
    ALIAS_LABEL,
    API_ID_LABEL,
    VPCE_DNS_EXPECTED,
    VpceName,
    alias_hostname,
    api_hostname,
    api_of_host,
    format_host_port,
    validate_api_id,
    validate_base_path,
    validate_domain,
    validate_region,
)

if TYPE_CHECKING:
    from privateapi._targets import InvokeTarget

__all__ = [
    "FACTS",
    "SPECS",
    "HostKind",
    "Offer",
    "Parsed",
    "Style",
    "StyleSpec",
    "UrlFacts",
    "infer_style",
    "spec_of",
]


class Style(enum.StrEnum):
    """How a request names the private API it is for (each member has a :class:`StyleSpec`)."""

    PRIVATE_DNS = "private_dns"
    VPCE_ALIAS = "vpce_alias"
    HOST_HEADER = "host_header"
    API_ID_HEADER = "api_id_header"
    CUSTOM_DOMAIN = "custom_domain"
    #: A public Regional endpoint URL (recognised by the parser so the doctor can warn).
    REGIONAL = "regional"
    #: A public edge-optimised (CloudFront) URL (recognised by the parser only).
    EDGE = "edge"

    @property
    def spec(self) -> StyleSpec:
        """The spec of this style: its facts, names, headers and meanings."""
        return SPECS[self]

    @property
    def is_private(self) -> bool:
        """Whether the style reaches a private API (false for the public URL forms)."""
        return SPECS[self].private

    @property
    def requires(self) -> tuple[str, ...]:
        """The facts (:class:`~privateapi.InvokeTarget` fields) a target of this style needs."""
        return SPECS[self].requires


#: Every fact a target can carry, in the order :class:`~privateapi.InvokeTarget` lists them.
FACTS = (
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
    "connect_to",
    "port",
)
#: Facts whose meaning belongs to the styles that list them (a custom domain's name is
#: not a public API's host); other styles refuse them and restyle() does not carry them.
STYLE_FACTS = frozenset({"domain", "base_path", "domain_name_id", "domain_arn"})
#: Facts every style may carry: how to connect, whose account, which endpoint.
COMMON_FACTS = ("account_id", "connect_to", "port")


class HostKind(enum.Enum):
    """What a URL host is, before any style claims it."""

    #: ``{label}.execute-api.{region}.{suffix}``: a name API Gateway serves APIs under.
    EXECUTE_API = "execute-api"
    #: FIPS or dualstack execute-api names: public endpoints only.
    PUBLIC_EXECUTE_API = "public-execute-api"
    #: ``vpce-...execute-api.{region}.vpce.{suffix}``: an endpoint's own DNS name.
    ENDPOINT = "endpoint"
    #: ``execute-api.{region}.{suffix}`` (or a name ending so): no API or endpoint named.
    BARE_EXECUTE_API = "bare-execute-api"
    #: ``*.cloudfront.net``: an edge-optimised API's distribution.
    CLOUDFRONT = "cloudfront"
    #: Any other name, or an IP address.
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class UrlFacts:
    """An invoke URL and its headers taken apart, for the specs' parsers."""

    url: str
    host: str
    port: int
    kind: HostKind
    #: First path segment, the path after it (with the query), the whole path (with the query).
    first: str
    rest: str
    path: str
    #: The ``Host`` header (lower-case, without ``:443``) and ``x-apigw-api-id``, if sent.
    host_header: str | None
    api_header: str | None
    #: What the caller said about a custom domain's base path (``None``: take the URL's).
    base_path: str | None
    #: For execute-api hosts: the region and the first label.
    region: str | None = None
    label: str | None = None
    #: For endpoint hosts: the endpoint's name, split.
    vpce: VpceName | None = None
    is_ip: bool = False

    def stage(self) -> str:
        """The first path segment, which is the stage for the execute-api styles."""
        if not self.first:
            raise InvalidInputError(
                "stage", "", f"the stage as the first path segment of {self.url!r}, e.g. '/prod'"
            )
        return self.first

    @property
    def netloc(self) -> str:
        """``host[:port]`` of the URL (the port left out when 443)."""
        return format_host_port(self.host, self.port, default_port=443)


class Parsed(NamedTuple):
    """A style's reading of a URL: the facts of its target and the rest of the URL."""

    style: Style
    facts: dict[str, Any]
    rest: str


class Offer(NamedTuple):
    """One way a style can be built from known facts, or what is missing to build it."""

    style: Style
    facts: dict[str, Any] | None
    missing: tuple[str, ...] = ()
    note: str = ""


def need(target: InvokeTarget, name: str, why: str = "") -> str:
    """A fact of ``target`` that must be present, else a clear error naming it."""
    value = getattr(target, name)
    if value is None:
        raise InvalidInputError(
            name, None, f"a value{(' ' + why) if why else ''} (the {target.style} target has none)"
        )
    return str(value)


class StyleSpec:
    """Everything that differs between access styles. Subclasses override what differs."""

    style: ClassVar[Style]
    #: False for the public URL forms the parser recognises only to warn about them.
    private: ClassVar[bool] = True
    #: For the docs: the URL form, the extra header, what must be set up on the AWS side.
    url_form: ClassVar[str]
    header_form: ClassVar[str] = "–"
    setup: ClassVar[str]
    #: Facts a target of this style must have, then those it is also built from.
    requires: ClassVar[tuple[str, ...]] = ("api_id", "region", "stage")
    optional: ClassVar[tuple[str, ...]] = ()
    #: Why a required fact cannot be done without (appended to the "missing" error).
    require_hints: ClassVar[Mapping[str, str]] = {}
    #: Shown with a target built by available_styles, or with what is missing.
    note: ClassVar[str] = ""
    missing_note: ClassVar[str] = ""
    #: infer_style(): the fact that points at this style, and its weight among the others.
    implied_by: ClassVar[str | None] = None
    infer_rank: ClassVar[int] = 0
    #: The doctor: the endpoint's private DNS (and the VPC's DNS attributes) must be on.
    needs_private_dns: ClassVar[bool] = False
    #: The doctor: the endpoint must be in the API's vpcEndpointIds for the name to exist.
    needs_association: ClassVar[bool] = False

    # -- what a target of this style sends ---------------------------------------------------

    def host(self, target: InvokeTarget) -> str:
        """The URL host."""
        raise NotImplementedError  # pragma: no cover - every spec defines it

    def server_name(self, target: InvokeTarget) -> str:
        """The TLS server name (SNI) to send and verify: the URL host in every style."""
        return self.host(target)

    def headers(self, target: InvokeTarget) -> dict[str, str]:
        """The extra headers the style needs."""
        return {}

    def path_prefix(self, target: InvokeTarget) -> str | None:
        """The first path segment of every URL (the stage)."""
        return need(target, "stage")

    def validate(self, target: InvokeTarget) -> dict[str, Any]:
        """Check the style's own facts (after the common ones): the normalised values."""
        return {}

    # -- reading and building ----------------------------------------------------------------

    def parse(self, url: UrlFacts) -> Parsed | None:
        """This style's target if the URL (and headers) name the API this way, else ``None``."""
        return None

    def facts_for(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """The given facts this style is built from (plus how to connect, whose account)."""
        names = (*self.requires, *self.optional, *COMMON_FACTS)
        return {n: facts[n] for n in names if facts.get(n) is not None}

    def offers(self, facts: Mapping[str, Any]) -> list[Offer]:
        """The targets of this style these facts build (for available_styles)."""
        if not self.private:
            return []
        missing = tuple(n for n in self.requires if facts.get(n) is None)
        if missing:
            return [Offer(self.style, None, missing, self.missing_note)]
        return [Offer(self.style, self.facts_for(facts), (), self.note)]

    # -- what failures mean for this style (the doctor) --------------------------------------

    def nxdomain(self, name: str) -> tuple[str, str]:
        """What "this name does not exist" means for the style: (why, fix)."""
        return ("the public name does not exist", "Check the URL.")

    def tls_mismatch(self, shown: str, sni: str, *, default_certificate: bool) -> tuple[str, str]:
        """What a certificate for other names (``shown``) means for the style: (why, fix)."""
        return (
            f"the server presented {shown} for {sni}: this address terminates TLS with another"
            " certificate, so it is not the execute-api endpoint (typical of an NLB/ALB or proxy"
            " in front, or a connect address (connect_to) pointing elsewhere)",
            "Point DNS (or the connect address) at the execute-api endpoint's ENI addresses;"
            " behind a TCP"
            " load balancer keep the SNI an execute-api name.",
        )


_DOMAIN_NAME_ID = re.compile(r"[A-Za-z0-9]{1,64}")
#: A private custom domain's ARN (management or invoke form, reference §1.5).
DOMAIN_ARN = re.compile(
    r"arn:(?P<partition>[a-z-]+):(?:apigateway|execute-api):(?P<region>[a-z0-9-]+):"
    r"(?P<account>\d{12}):/domainnames/(?P<name>[^+/]+)\+(?P<id>[A-Za-z0-9]+)"
)
# d-xxxxxxxxxx.execute-api...: the target name of a public Regional custom domain.
_REGIONAL_DOMAIN_LABEL = re.compile(r"d-[a-z0-9]{10}")

#: The registry, in the order styles are offered and tried by the URL parser.
SPECS: dict[Style, StyleSpec] = {}
#: The style infer_style() falls back to: AWS's recommended one.
DEFAULT_STYLE = Style.PRIVATE_DNS


def _register(cls: type[StyleSpec]) -> type[StyleSpec]:
    SPECS[cls.style] = cls()
    return cls


def spec_of(style: Style | str) -> StyleSpec:
    """The spec of a style (given as a :class:`Style` or its value).

    Raises:
        InvalidInputError: not a style.
    """
    try:
        return SPECS[Style(style)]
    except ValueError:
        raise InvalidInputError(
            "style", style, "one of " + ", ".join(s.value for s in SPECS)
        ) from None


def infer_style(**facts: object) -> Style:
    """The private style a set of facts points at when no style is named.

    The most specific fact wins: a custom domain name, then the endpoint's DNS name
    (``api_id_header``, the low-risk choice: the endpoint's own certificate and no
    ``Host`` override), then the endpoint id (the ``{api}-{vpce}`` alias); with none of
    them, the private DNS name. The CLI's ``invoke`` and ``doctor`` both use it.

    Example:
        >>> from privateapi import infer_style
        >>> infer_style(vpce_id="vpce-0123456789abcdef0")
        <Style.VPCE_ALIAS: 'vpce_alias'>
    """
    unknown = sorted(set(facts) - set(FACTS))
    if unknown:
        raise InvalidInputError(unknown[0], facts[unknown[0]], "one of " + ", ".join(FACTS))
    pointed = [s for s in SPECS.values() if s.implied_by and facts.get(s.implied_by) is not None]
    return max(pointed, key=lambda s: s.infer_rank).style if pointed else DEFAULT_STYLE


# -- the private styles ------------------------------------------------------------------------


@_register
class PrivateDnsSpec(StyleSpec):
    """The API's own name, resolved by the endpoint's private DNS inside the VPC.

    Reference §1.1.
    """

    style = Style.PRIVATE_DNS
    url_form = "https://{api}.execute-api.{region}.{suffix}/{stage}"
    setup = (
        "the endpoint's private DNS option on, and the VPC's enableDnsSupport and"
        " enableDnsHostnames"
    )
    note = "needs private DNS on the VPC endpoint and DNS support/hostnames on the VPC"
    needs_private_dns = True

    def host(self, target: InvokeTarget) -> str:
        return api_hostname(need(target, "api_id"), need(target, "region"))

    def parse(self, url: UrlFacts) -> Parsed | None:
        if url.kind is HostKind.EXECUTE_API and API_ID_LABEL.fullmatch(url.label or ""):
            if url.api_header is not None and validate_api_id(url.api_header) != url.label:
                raise InvalidInputError(
                    "x-apigw-api-id header", url.api_header, f"the API id in the URL ({url.label})"
                )
            facts = {"api_id": url.label, "region": url.region, "stage": url.stage()}
            return Parsed(self.style, {**facts, "port": url.port}, url.rest)
        api = api_of_host(url.host_header) if url.host_header else None
        if url.kind is HostKind.OTHER and api is not None:
            # An NLB or IP carrying the API's Host: model it as the private DNS name with
            # connect_to, so SNI and certificate checks use the name API Gateway serves.
            facts = {"api_id": api[0], "region": api[1], "stage": url.stage()}
            return Parsed(self.style, {**facts, "connect_to": url.netloc}, url.rest)
        return None

    def nxdomain(self, name: str) -> tuple[str, str]:
        return (
            "the execute-api endpoint's private DNS is off, the VPC's DNS attributes are off,"
            " this VPC has no execute-api endpoint, or this host is outside the VPC (peered"
            " VPCs and on-premises do not see the endpoint's private zone)",
            "Turn on private DNS for the execute-api VPC endpoint and enableDnsSupport/"
            "enableDnsHostnames on the VPC; from outside the VPC use a Route 53 Resolver"
            " inbound endpoint, or the alias / endpoint DNS name styles.",
        )


@_register
class VpceAliasSpec(StyleSpec):
    """The Route 53 alias ``{api}-{vpce}``: exists once the endpoint is associated.

    Reference §1.2.
    """

    style = Style.VPCE_ALIAS
    url_form = "https://{api}-{vpce}.execute-api.{region}.{suffix}/{stage}"
    setup = "the endpoint associated with the API, and the API redeployed since"
    requires = ("api_id", "region", "stage", "vpce_id")
    note = "resolves once the endpoint is associated with the API (and redeployed)"
    missing_note = "needs the endpoint id (vpce_id), or its DNS name (vpce_dns) to read it from"
    implied_by = "vpce_id"
    infer_rank = 1
    needs_association = True

    def host(self, target: InvokeTarget) -> str:
        return alias_hostname(
            need(target, "api_id"), need(target, "vpce_id"), need(target, "region")
        )

    def parse(self, url: UrlFacts) -> Parsed | None:
        alias = ALIAS_LABEL.fullmatch(url.label or "")
        if url.kind is not HostKind.EXECUTE_API or alias is None:
            return None
        facts: dict[str, Any] = {"api_id": alias.group("api"), "vpce_id": alias.group("vpce")}
        facts.update(region=url.region, stage=url.stage(), port=url.port)
        return Parsed(self.style, facts, url.rest)

    def nxdomain(self, name: str) -> tuple[str, str]:
        return (
            "the alias exists only once the endpoint is in the API's vpcEndpointIds; the"
            " endpoint is not associated (or the change has not propagated yet)",
            "Associate the endpoint: aws apigateway update-rest-api --rest-api-id API"
            " --patch-operations op=add,path=/endpointConfiguration/vpcEndpointIds,value=VPCE,"
            " then redeploy and allow a few minutes for DNS.",
        )


class _EndpointNameSpec(StyleSpec):
    """The endpoint's own DNS name in the URL; a header says which API.

    Reference §1.3, §1.4.
    """

    url_form = "https://vpce-{id}-{8 chars}.execute-api.{region}.vpce.{suffix}/{stage}"
    requires = ("api_id", "region", "stage", "vpce_dns")
    require_hints: ClassVar[Mapping[str, str]] = {
        "vpce_dns": VPCE_DNS_EXPECTED
        + ": the {style} style needs it and it cannot be derived from the endpoint id"
        " (it has a random suffix)"
    }
    missing_note = (
        "the endpoint DNS name has a random suffix and cannot be derived from the endpoint id;"
        " find it with 'aws ec2 describe-vpc-endpoints --vpc-endpoint-ids <vpce-id> --query"
        " VpcEndpoints[0].DnsEntries[0].DnsName'"
    )

    def host(self, target: InvokeTarget) -> str:
        return need(target, "vpce_dns")

    def _parsed(self, url: UrlFacts, vpce: VpceName, api_id: str) -> Parsed:
        facts = {"api_id": api_id, "region": url.region, "stage": url.stage()}
        return Parsed(self.style, {**facts, "vpce_dns": vpce.name, "port": url.port}, url.rest)

    def nxdomain(self, name: str) -> tuple[str, str]:
        return (
            "endpoint DNS names are public records; NXDOMAIN means the name is mistyped or"
            " the endpoint was deleted",
            "Copy the name from DnsEntries of 'aws ec2 describe-vpc-endpoints'.",
        )

    def tls_mismatch(self, shown: str, sni: str, *, default_certificate: bool) -> tuple[str, str]:
        return (
            f"the server presented {shown} for the endpoint DNS name {sni}; the address is not"
            " the execute-api endpoint (a load balancer or proxy terminating TLS?)",
            "Connect to the endpoint's ENI addresses directly, or use the {api}-{vpce} alias or"
            " private DNS style.",
        )


@_register
class HostHeaderSpec(_EndpointNameSpec):
    """The endpoint's DNS name in the URL, the API's name in ``Host``.

    Reference §1.3. Not allowed when the endpoint access mode is ``STRICT`` (SNI and
    Host differ).
    """

    style = Style.HOST_HEADER
    header_form = "Host: {api}.execute-api.{region}.{suffix}"
    setup = "the endpoint's own DNS name; endpoint access mode BASIC"
    note = "not allowed in STRICT endpoint access mode"

    def headers(self, target: InvokeTarget) -> dict[str, str]:
        return {"Host": api_hostname(need(target, "api_id"), need(target, "region"))}

    def parse(self, url: UrlFacts) -> Parsed | None:
        if url.kind is not HostKind.ENDPOINT or url.vpce is None:
            return None
        if url.host_header in (None, url.vpce.name):
            return None
        api = api_of_host(url.host_header or "")
        if api is None:
            return None
        if url.api_header is not None and validate_api_id(url.api_header) != api[0]:
            # Which one API Gateway routes by is not documented (open question): refuse.
            raise InvalidInputError(
                "x-apigw-api-id header",
                url.api_header,
                f"the API named by the Host header ({api[0]}), or no x-apigw-api-id",
            )
        if api[1] != url.region:
            raise InvalidInputError(
                "Host header", url.host_header, f"an API name in the endpoint's region {url.region}"
            )
        return self._parsed(url, url.vpce, api[0])


@_register
class ApiIdHeaderSpec(_EndpointNameSpec):
    """The endpoint's DNS name in the URL and ``x-apigw-api-id: {api}``.

    Reference §1.4.
    """

    style = Style.API_ID_HEADER
    header_form = "x-apigw-api-id: {api}"
    setup = "as host_header"
    note = "works without private DNS"
    implied_by = "vpce_dns"
    infer_rank = 2

    def headers(self, target: InvokeTarget) -> dict[str, str]:
        return {"x-apigw-api-id": need(target, "api_id")}

    def parse(self, url: UrlFacts) -> Parsed | None:
        if url.kind is not HostKind.ENDPOINT or url.vpce is None or url.api_header is None:
            return None
        if url.host_header not in (None, url.vpce.name):
            return None
        return self._parsed(url, url.vpce, validate_api_id(url.api_header))


@_register
class CustomDomainSpec(StyleSpec):
    """A private custom domain name, directly or through the endpoint with ``Host``.

    Reference §1.5.
    """

    style = Style.CUSTOM_DOMAIN
    url_form = "https://{domain}/{base-path}"
    header_form = "– (through the endpoint: Host: {domain})"
    setup = (
        "a private custom domain, an access association for your endpoint, a private hosted"
        " zone record"
    )
    requires = ("domain",)
    optional = ("base_path", "region", "api_id", "stage", "domain_name_id", "domain_arn")
    note = "needs a domain name access association for the endpoint"
    missing_note = "needs the name of a private custom domain (domain)"
    implied_by = "domain"
    infer_rank = 3

    def host(self, target: InvokeTarget) -> str:
        return target.vpce_dns if target.vpce_dns is not None else need(target, "domain")

    def headers(self, target: InvokeTarget) -> dict[str, str]:
        return {"Host": need(target, "domain")} if target.vpce_dns is not None else {}

    def path_prefix(self, target: InvokeTarget) -> str | None:
        return target.base_path

    def validate(self, target: InvokeTarget) -> dict[str, Any]:
        domain = validate_domain(target.domain)
        found: dict[str, Any] = {"domain": domain}
        if target.base_path is not None:
            found["base_path"] = validate_base_path(target.base_path)
        name_id = target.domain_name_id
        if name_id is not None and not (
            isinstance(name_id, str) and _DOMAIN_NAME_ID.fullmatch(name_id)
        ):
            raise InvalidInputError("domain_name_id", name_id, "the domainNameId, e.g. 'abcd1234'")
        if target.domain_arn is None:
            return found
        arn = target.domain_arn
        m = DOMAIN_ARN.fullmatch(arn) if isinstance(arn, str) else None
        if m is None:
            raise InvalidInputError(
                "domain_arn",
                arn,
                "arn:<partition>:apigateway:<region>:<account>:/domainnames/<name>+<id>",
            )
        if m.group("name").lower() != domain:
            raise InvalidInputError("domain_arn", arn, f"an ARN of the domain name {domain}")
        if name_id is not None and name_id != m.group("id"):
            raise InvalidInputError(
                "domain_name_id", name_id, f"the id in domain_arn ({m.group('id')})"
            )
        found["domain_name_id"] = m.group("id")
        if target.region is None:
            found["region"] = validate_region(m.group("region"))
        return found

    def offers(self, facts: Mapping[str, Any]) -> list[Offer]:
        if facts.get("domain") is None:
            return [Offer(self.style, None, ("domain",), self.missing_note)]
        direct = self.facts_for(facts)
        found = [Offer(self.style, direct, (), self.note)]
        if facts.get("vpce_dns") is not None:
            via = {**direct, "vpce_dns": facts["vpce_dns"]}
            found.append(Offer(self.style, via, (), "through the endpoint DNS name with Host"))
        return found

    def parse(self, url: UrlFacts) -> Parsed | None:
        claimed = url.host_header is not None and api_of_host(url.host_header) is None
        if url.kind is HostKind.ENDPOINT and url.vpce is not None:
            if not claimed or url.host_header == url.vpce.name:
                return None
            via = {"vpce_dns": url.vpce.name, "region": url.region, "port": url.port}
            return self._custom(url, str(url.host_header), via)
        if url.kind is not HostKind.OTHER:
            return None
        if claimed:
            return self._custom(url, str(url.host_header), {"connect_to": url.netloc})
        if url.host_header is None and url.api_header is None and not url.is_ip:
            return self._custom(url, url.host, {"port": url.port})
        return None

    def _custom(self, url: UrlFacts, domain: str, facts: dict[str, Any]) -> Parsed:
        """The first path segment is the base path unless the caller said otherwise."""
        first, rest = url.first, url.rest
        if url.base_path is None:
            bp: str | None = first or None
            remainder = rest
        else:
            bp = url.base_path.strip("/") or None
            remainder = (f"/{first}" if first else "") + rest if bp is None else rest
            if bp is not None and first != bp:
                raise InvalidInputError(
                    "base_path", url.base_path, f"the URL's first path segment ({first!r})"
                )
        return Parsed(self.style, {"domain": domain, "base_path": bp, **facts}, remainder)

    def nxdomain(self, name: str) -> tuple[str, str]:
        return (
            f"no record for {name} in a private hosted zone associated with this VPC",
            f"Create a Route 53 private hosted zone for {name} associated with this VPC, with"
            " an alias A record to the execute-api endpoint's regional DNS name.",
        )

    def tls_mismatch(self, shown: str, sni: str, *, default_certificate: bool) -> tuple[str, str]:
        if default_certificate:
            return (
                f"API Gateway presented its default certificate ({shown}), not the domain's:"
                " it does not know this name on this endpoint",
                "Create (and wait for) a domain name access association for this VPC endpoint,"
                " and check the custom domain's ACM certificate covers the name.",
            )
        return (
            f"the certificate is for {shown}, not {sni}",
            "Use the custom domain's ACM certificate covering the name, or call the name the"
            " certificate covers.",
        )


# -- public URL forms (recognised so the doctor can warn; never a private API) -----------------


class _PublicSpec(StyleSpec):
    private = False
    requires = ("domain",)
    optional = ("api_id", "region", "stage")
    require_hints: ClassVar[Mapping[str, str]] = {"domain": "the URL host of the {style} API"}
    header_form = "–"
    setup = "none: a public endpoint, never a private API"

    def host(self, target: InvokeTarget) -> str:
        return need(target, "domain")

    def path_prefix(self, target: InvokeTarget) -> str | None:
        return target.stage


@_register
class RegionalSpec(_PublicSpec):
    """A public Regional endpoint (FIPS and dualstack names, ``d-...`` custom domain targets)."""

    style = Style.REGIONAL
    url_form = "https://{api}.execute-api[-fips].{region}.{suffix or dualstack suffix}/{stage}"

    def parse(self, url: UrlFacts) -> Parsed | None:
        if url.kind is HostKind.PUBLIC_EXECUTE_API:
            api = url.label if API_ID_LABEL.fullmatch(url.label or "") else None
            facts: dict[str, Any] = {
                "api_id": api,
                "region": url.region,
                "stage": url.first or None,
            }
            return Parsed(self.style, {**facts, "domain": url.host, "port": url.port}, url.rest)
        if url.kind is HostKind.EXECUTE_API and _REGIONAL_DOMAIN_LABEL.fullmatch(url.label or ""):
            found = {"region": url.region, "domain": url.host, "port": url.port, "stage": None}
            return Parsed(self.style, found, url.path)
        return None


@_register
class EdgeSpec(_PublicSpec):
    """A public edge-optimised API's CloudFront distribution."""

    style = Style.EDGE
    url_form = "https://{distribution}.cloudfront.net/{stage}"

    def parse(self, url: UrlFacts) -> Parsed | None:
        if url.kind is not HostKind.CLOUDFRONT:
            return None
        facts = {"domain": url.host, "port": url.port, "stage": url.first or None}
        return Parsed(self.style, facts, url.rest)
