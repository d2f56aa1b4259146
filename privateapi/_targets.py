"""Invoke targets: where and how a private REST API is reached.

A private API is reached through an ``execute-api`` interface VPC endpoint, in one
of several *access styles* (see ``docs/styles.md``). What differs between styles (the
facts each needs, its URL host, headers, TLS server name, how it is recognised in a
URL) lives in one spec per style in ``privateapi._styles``; this module asks the spec.

Orthogonally, ``connect_to`` opens the TCP connection somewhere else (an endpoint
ENI address, an NLB) while the URL, ``Host`` and the TLS server name stay those of
the style, like ``curl --resolve``.

:class:`InvokeTarget` is immutable and validated on construction; :func:`parse_url`
recognises every style from a URL and its headers; :meth:`InvokeTarget.restyle` turns
one style into another; :func:`available_styles` lists what given facts allow.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast
from urllib.parse import SplitResult, quote, urlencode, urlsplit

from privateapi._errors import InvalidInputError
from privateapi._names import (
    EXEC_HOST,
    alias_hostname,
    api_hostname,
    format_host_port,
    parse_host_port,
    parse_resolver,
    parse_vpce_dns,
    region_of_vpce_dns,
    validate_account_id,
    validate_api_id,
    validate_port,
    validate_region,
    validate_stage,
    validate_vpce_id,
    vpce_hostname_pattern,
)
from privateapi._partitions import Partition, partition_for_region
from privateapi._styles import (
    FACTS,
    SPECS,
    STYLE_FACTS,
    HostKind,
    Parsed,
    Style,
    StyleSpec,
    UrlFacts,
    infer_style,
    need,
    spec_of,
)

__all__ = [
    "InvokeTarget",
    "Style",
    "StyleOption",
    "alias_hostname",
    "api_hostname",
    "available_styles",
    "format_host_port",
    "infer_style",
    "parse_host_port",
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

#: The styles that reach a private API, in the registry's order.
PRIVATE_STYLES = tuple(s for s in SPECS if s.is_private)

_METHOD = re.compile(r"\*|[A-Z]{1,16}")
_F = TypeVar("_F", bound=Callable[..., Any])


def _facts_by_keyword(*facts: str) -> Callable[[_F], _F]:
    """Refuse extra positional arguments to a constructor, pointing at the keyword facts.

    ``vpce_alias`` once took ``(api_id, vpce_id, region, stage)``; such a call must fail
    saying what changed, not build a target from shifted values.
    """

    def decorate(fn: _F) -> _F:
        positional = fn.__code__.co_argcount - 1  # without cls
        names = fn.__code__.co_varnames[1 : positional + 1]

        @functools.wraps(fn)
        def checked(cls: type[InvokeTarget], *args: Any, **kwargs: Any) -> InvokeTarget:
            if len(args) > positional:
                shown = ", ".join(f"{f}=..." for f in facts)
                raise TypeError(
                    f"InvokeTarget.{fn.__name__}() takes {', '.join(names)} by position and"
                    f" {shown} by keyword ({len(args)} positional arguments given), e.g."
                    f" InvokeTarget.{fn.__name__}({', '.join(names)}, {shown})"
                )
            result: InvokeTarget = fn(cls, *args, **kwargs)
            return result

        return cast(_F, checked)

    return decorate


@dataclass(frozen=True)
class InvokeTarget:
    """Where and how to reach one private API (immutable, validated).

    Build one with a constructor per access style (:meth:`private_dns`,
    :meth:`vpce_alias`, :meth:`host_header`, :meth:`api_id_header`,
    :meth:`custom_domain`), recognise one with :func:`parse_url`, or turn one into
    another style with :meth:`restyle`. Every constructor takes the API's
    ``(api_id, region, stage)`` by position (a custom domain: its ``domain``) and the
    style's own facts by keyword.

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
        style = Style(self.style)
        object.__setattr__(self, "style", style)
        spec = SPECS[style]
        self._validate_common()
        self._require(spec)
        self._check_vpce_dns()
        self._refuse_foreign_facts(spec)
        for name, value in spec.validate(self).items():
            object.__setattr__(self, name, value)

    def _validate_common(self) -> None:
        set_ = object.__setattr__
        set_(self, "port", validate_port(self.port))
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
            set_(self, "_connect", parse_host_port(self.connect_to, field="connect_to"))

    def _require(self, spec: StyleSpec) -> None:
        for name in spec.requires:
            if getattr(self, name) is None:
                hint = spec.require_hints.get(name, "a value: the {style} style needs it")
                raise InvalidInputError(name, None, hint.format(style=spec.style))

    def _check_vpce_dns(self) -> None:
        """Normalise the endpoint name; the region and endpoint id follow from it."""
        if self.vpce_dns is None:
            return
        region = self.region
        if region is None:
            region = validate_region(region_of_vpce_dns(self.vpce_dns))
            object.__setattr__(self, "region", region)
        parsed = parse_vpce_dns(self.vpce_dns, region)
        object.__setattr__(self, "vpce_dns", parsed.name)
        if self.vpce_id is not None and self.vpce_id != parsed.vpce_id:
            raise InvalidInputError(
                "vpce_dns",
                self.vpce_dns,
                f"the DNS name of endpoint {self.vpce_id} (it names {parsed.vpce_id})",
            )
        object.__setattr__(self, "vpce_id", parsed.vpce_id)

    def _refuse_foreign_facts(self, spec: StyleSpec) -> None:
        own = {*spec.requires, *spec.optional}
        for name in sorted(STYLE_FACTS - own):
            value = getattr(self, name)
            if value is not None:
                users = [s.value for s, sp in SPECS.items() if name in (*sp.requires, *sp.optional)]
                raise InvalidInputError(
                    name,
                    value,
                    f"none: the {spec.style} style has no {name} (only {', '.join(users)})",
                )

    # -- constructors ---------------------------------------------------------------------------

    @classmethod
    @_facts_by_keyword("account_id", "connect_to")
    def private_dns(
        cls,
        api_id: str,
        region: str,
        stage: str,
        *,
        account_id: str | None = None,
        connect_to: str | None = None,
    ) -> InvokeTarget:
        """The API's own name, resolved by the endpoint's private DNS inside the VPC.

        Example:
            >>> t = InvokeTarget.private_dns("a1b2c3d4e5", "us-east-1", "prod")
            >>> t.base_url
            'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod'
            >>> dict(t.headers)
            {}
        """
        return cls(
            Style.PRIVATE_DNS,
            api_id=api_id,
            region=region,
            stage=stage,
            account_id=account_id,
            connect_to=connect_to,
        )

    @classmethod
    @_facts_by_keyword("vpce_id")
    def vpce_alias(
        cls,
        api_id: str,
        region: str,
        stage: str,
        *,
        vpce_id: str,
        account_id: str | None = None,
        connect_to: str | None = None,
    ) -> InvokeTarget:
        """The Route 53 alias ``{api}-{vpce}``: exists once the endpoint is associated.

        The endpoint id is a keyword, like the endpoint name of the header styles:
        ``InvokeTarget.vpce_alias("a1b2c3d4e5", "us-east-1", "prod", vpce_id="vpce-...")``.

        Example:
            >>> t = InvokeTarget.vpce_alias(
            ...     "a1b2c3d4e5", "us-east-1", "prod", vpce_id="vpce-0123456789abcdef0"
            ... )
            >>> t.base_url
            'https://a1b2c3d4e5-vpce-0123456789abcdef0.execute-api.us-east-1.amazonaws.com/prod'
        """
        return cls(
            Style.VPCE_ALIAS,
            api_id=api_id,
            region=region,
            stage=stage,
            vpce_id=vpce_id,
            account_id=account_id,
            connect_to=connect_to,
        )

    @classmethod
    @_facts_by_keyword("vpce_dns")
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

        Example:
            >>> vpce = "vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com"
            >>> t = InvokeTarget.host_header("a1b2c3d4e5", "us-east-1", "prod", vpce_dns=vpce)
            >>> t.base_url
            'https://vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com/prod'
            >>> dict(t.headers)
            {'Host': 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com'}
            >>> t.signing_host  # SigV4 signs the Host that is sent
            'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com'
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
    @_facts_by_keyword("vpce_dns")
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
        """The endpoint's DNS name in the URL and ``x-apigw-api-id: {api}``.

        Example:
            >>> vpce = "vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com"
            >>> t = InvokeTarget.api_id_header("a1b2c3d4e5", "us-east-1", "prod", vpce_dns=vpce)
            >>> t.base_url
            'https://vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com/prod'
            >>> dict(t.headers)
            {'x-apigw-api-id': 'a1b2c3d4e5'}
        """
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
    @_facts_by_keyword("base_path", "vpce_dns")
    def custom_domain(
        cls,
        domain: str,
        *,
        api_id: str | None = None,
        region: str | None = None,
        stage: str | None = None,
        base_path: str | None = None,
        vpce_dns: str | None = None,
        domain_name_id: str | None = None,
        domain_arn: str | None = None,
        account_id: str | None = None,
        connect_to: str | None = None,
    ) -> InvokeTarget:
        """A private custom domain name, directly or through the endpoint with ``Host``.

        ``api_id`` and ``stage`` (the API the base path maps to) are optional and only
        needed for :meth:`arn`. The ``domainNameId``/ARN identify the domain, since
        names are not unique across accounts; the region is read from the ARN or the
        endpoint name when not given.

        Example:
            >>> InvokeTarget.custom_domain("api.example.com", base_path="v1").base_url
            'https://api.example.com/v1'
            >>> vpce = "vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com"
            >>> t = InvokeTarget.custom_domain("api.example.com", base_path="v1", vpce_dns=vpce)
            >>> t.base_url
            'https://vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com/v1'
            >>> dict(t.headers)
            {'Host': 'api.example.com'}
        """
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

    def restyle(self, style: Style | str, **facts: Any) -> InvokeTarget:
        """The same call through another access style, with missing facts given by keyword.

        The target's facts carry over (API, stage, endpoint, account, ``connect_to``,
        port); a custom domain's name, base path and ids only within ``custom_domain``,
        since they mean nothing to the other styles. A keyword overrides a carried fact,
        and ``None`` drops it.

        Example:
            >>> t = InvokeTarget.private_dns("a1b2c3d4e5", "us-east-1", "prod")
            >>> t.restyle("vpce_alias", vpce_id="vpce-0123456789abcdef0").host
            'a1b2c3d4e5-vpce-0123456789abcdef0.execute-api.us-east-1.amazonaws.com'

        Raises:
            InvalidInputError: not a style, not a fact, a malformed value, or a fact the
                style needs and the target lacks (the error names the first; the message
                lists them all).
        """
        spec = spec_of(style)
        unknown = sorted(set(facts) - set(FACTS))
        if unknown:
            raise InvalidInputError(
                unknown[0], facts[unknown[0]], "a fact of a target: " + ", ".join(FACTS)
            )
        carried = set(FACTS) if spec.style is self.style else set(FACTS) - STYLE_FACTS
        merged = {n: getattr(self, n) for n in FACTS if n in carried}
        merged.update(facts)
        missing = [n for n in spec.requires if merged.get(n) is None]
        if missing:
            hints = "".join(
                "; " + spec.require_hints[n].format(style=spec.style)
                for n in missing
                if n in spec.require_hints
            )
            raise InvalidInputError(
                missing[0],
                None,
                f"a value: the {spec.style} style needs {', '.join(missing)}, which this"
                f" {self.style} target lacks{hints}; pass it to restyle() by keyword",
            )
        return type(self)(spec.style, **{n: v for n, v in merged.items() if v is not None})

    # -- derived values -------------------------------------------------------------------------

    @property
    def spec(self) -> StyleSpec:
        """The spec of the target's style."""
        return SPECS[self.style]

    @property
    def partition(self) -> Partition:
        """The AWS partition of the target's region."""
        if self.region is None:
            raise InvalidInputError("region", None, "a region to know the partition")
        return partition_for_region(self.region)

    @property
    def is_private(self) -> bool:
        """False for public Regional/edge URLs (which never serve a private API)."""
        return self.spec.private

    @property
    def host(self) -> str:
        """The URL host, which is also the TLS server name (SNI) in every style."""
        return self.spec.host(self)

    @property
    def server_name(self) -> str:
        """The TLS server name (SNI) that must be sent and verified."""
        return self.spec.server_name(self)

    @property
    def base_url(self) -> str:
        """``https://host[:port]/{stage}`` (or ``/{base_path}`` for a custom domain)."""
        netloc = format_host_port(self.host, self.port, default_port=443)
        prefix = self.spec.path_prefix(self)
        return f"https://{netloc}/{prefix}" if prefix else f"https://{netloc}"

    @property
    def headers(self) -> Mapping[str, str]:
        """The extra headers the style needs (``Host`` or ``x-apigw-api-id``)."""
        return self.spec.headers(self)

    @property
    def signing_host(self) -> str:
        """The ``Host`` value actually sent, which is the one a SigV4 signature must cover."""
        override = self.headers.get("Host")
        if override is not None:
            return override
        return format_host_port(self.host, self.port, default_port=443)

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
        for name in FACTS:
            value = getattr(self, name)
            if value is not None and name not in ("connect_to", "port"):
                data[name] = value
        if self.region is not None:
            data["partition"] = self.partition.name
        return data

    def _need(self, name: str, why: str = "") -> str:
        return need(self, name, why)


# -- parsing: the URL taken apart, then each style's spec asked in turn -------------------------


def _header(headers: Mapping[str, str] | Sequence[tuple[str, str]] | None, name: str) -> str | None:
    if not headers:
        return None
    items = headers.items() if isinstance(headers, Mapping) else headers
    found = [v for k, v in items if k.lower() == name]
    if len(found) > 1:
        raise InvalidInputError(f"{name} header", found, "one value")
    return found[0].strip() if found else None


def _split(url: object) -> tuple[SplitResult, str, int]:
    """The URL's parts, its host (lower-case, no final dot) and port; refuses non-invoke URLs."""
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
    return parts, parts.hostname.lower().rstrip("."), port or 443


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _classify(url: str, host: str, host_header: str | None) -> dict[str, Any]:
    """What kind of host a URL names, with the region, label and endpoint name it carries.

    The errors every style shares are raised here: a DNS suffix of another partition,
    a ``Host`` header naming another name than an execute-api URL host.
    """
    m = EXEC_HOST.fullmatch(host)
    if m is None:
        if host.endswith(".cloudfront.net"):
            return {"kind": HostKind.CLOUDFRONT}
        if re.fullmatch(r"(?:[^.]+\.)*execute-api\.[a-z0-9-]+\..+", host):
            return {"kind": HostKind.BARE_EXECUTE_API}
        return {"kind": HostKind.OTHER, "is_ip": _is_ip(host)}
    label, region, is_vpce = m.group("label"), m.group("region"), bool(m.group("vpce"))
    partition = partition_for_region(region)
    suffix = m.group("suffix")
    found: dict[str, Any] = {"region": region, "label": label}
    if m.group("service") == "execute-api-fips" or (
        not is_vpce and suffix == partition.dualstack_dns_suffix
    ):
        return {**found, "kind": HostKind.PUBLIC_EXECUTE_API}
    if suffix != partition.dns_suffix:
        raise InvalidInputError(
            "url",
            url,
            f"the DNS suffix of region {region}: {partition.dns_suffix!r} (partition"
            f" {partition.name}), not {suffix!r}",
        )
    if is_vpce:
        return {**found, "kind": HostKind.ENDPOINT, "vpce": parse_vpce_dns(host, region)}
    if host_header is not None and host_header != host:
        raise InvalidInputError(
            "Host header", host_header, f"the URL host {host} (or no Host header)"
        )
    return {**found, "kind": HostKind.EXECUTE_API}


def _read_url(
    url: str,
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None,
    base_path: str | None,
) -> UrlFacts:
    parts, host, port = _split(url)
    segments = parts.path.split("/")
    query = f"?{parts.query}" if parts.query else ""
    host_header = _header(headers, "host")
    if host_header is not None:
        host_header = host_header.lower().rstrip(".").removesuffix(":443")
    return UrlFacts(
        url=url,
        host=host,
        port=port,
        first=segments[1] if len(segments) > 1 else "",
        rest=("/" + "/".join(segments[2:]) if len(segments) > 2 else "") + query,
        path=parts.path + query,
        host_header=host_header,
        api_header=_header(headers, "x-apigw-api-id"),
        base_path=base_path,
        **_classify(url, host, host_header),
    )


def _unclaimed(u: UrlFacts) -> InvalidInputError:
    """Why no style recognised the URL."""
    if u.kind is HostKind.EXECUTE_API:
        return InvalidInputError(
            "url",
            u.url,
            "an execute-api host whose first label is an API id ('a1b2c3d4e5') or an alias"
            " ('a1b2c3d4e5-vpce-0123456789abcdef0')",
        )
    if u.kind is HostKind.BARE_EXECUTE_API:
        return InvalidInputError(
            "url",
            u.url,
            "an API or endpoint name: the bare execute-api name is not covered by API"
            " Gateway's certificate; use '{api}.execute-api...' or the endpoint DNS name",
        )
    if u.kind is HostKind.ENDPOINT:
        return InvalidInputError(
            "headers",
            None,
            f"a 'Host: <api>.execute-api.{u.region}...' or 'x-apigw-api-id: <api>' header with"
            " the endpoint DNS name URL (without one, API Gateway answers 403 Forbidden)",
        )
    if u.api_header is not None:
        return InvalidInputError(
            "url",
            u.url,
            "with x-apigw-api-id, the endpoint's DNS name as URL host (the region and TLS name"
            " come from it); to go through an IP or NLB use the endpoint DNS name in the URL"
            " and connect_to for the address",
        )
    return InvalidInputError(
        "url",
        u.url,
        "a name, not an IP address: an IP URL sends no usable TLS server name; use the"
        " API's name in the URL and connect_to for the address",
    )


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
    u = _read_url(url, headers, base_path)
    parsed: Parsed | None = None
    for spec in SPECS.values():
        parsed = spec.parse(u)
        if parsed is not None:
            return InvokeTarget(parsed.style, **parsed.facts), parsed.rest
    raise _unclaimed(u)


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


def _known_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """The facts validated, with the endpoint id read from the endpoint's DNS name."""
    facts = {n: v for n, v in facts.items() if v is not None}
    facts["api_id"] = validate_api_id(facts.get("api_id"))
    facts["region"] = validate_region(facts.get("region"))
    facts["stage"] = validate_stage(facts.get("stage"))
    if "vpce_id" in facts:
        facts["vpce_id"] = validate_vpce_id(facts["vpce_id"])
    if "vpce_dns" in facts:
        name = parse_vpce_dns(facts["vpce_dns"], facts["region"])
        if facts.get("vpce_id", name.vpce_id) != name.vpce_id:
            raise InvalidInputError(
                "vpce_dns",
                facts["vpce_dns"],
                f"the DNS name of endpoint {facts['vpce_id']} (it names {name.vpce_id})",
            )
        facts["vpce_id"] = name.vpce_id
    return facts


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
    facts = _known_facts(
        {
            "api_id": api_id,
            "region": region,
            "stage": stage,
            "vpce_id": vpce_id,
            "vpce_dns": vpce_dns,
            "domain": domain,
            "base_path": base_path,
            "connect_to": connect_to,
            "account_id": account_id,
        }
    )
    options = []
    for spec in SPECS.values():
        for offer in spec.offers(facts):
            target = None if offer.facts is None else InvokeTarget(offer.style, **offer.facts)
            options.append(StyleOption(offer.style, target, offer.missing, offer.note))
    return options
