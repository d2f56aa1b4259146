"""How to reach the lab: invoke targets wired to it, the styles that work now, its description."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from privateapi._styles import Style
from privateapi._targets import InvokeTarget
from privateapi.testing._errors import LabConfigError

if TYPE_CHECKING:
    from privateapi.testing._registry import EndpointRecord, Registry

__all__ = ["STYLES", "describe", "target", "urls"]

#: The access styles a lab target can take (custom domains need a domain).
STYLES: tuple[Style, ...] = tuple(s for s in Style if s.is_private)


def _lab_style(style: Style | str) -> Style:
    try:
        chosen = Style(style)
    except ValueError:
        chosen = None
    if chosen is None or chosen not in STYLES:
        raise LabConfigError("style", style, ", ".join(STYLES))
    return chosen


def target(
    reg: Registry,
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
    or the endpoint's address for the endpoint-DNS styles; ``ipv6`` picks the IPv6
    listener (AAAA) of a dualstack endpoint. The style's spec says which facts it needs
    (an endpoint id, an endpoint DNS name): only those are looked up.
    """
    chosen = _lab_style(style)
    with reg.lock:
        if chosen is Style.CUSTOM_DOMAIN:
            return _domain_target(reg, vpce_id, domain, base_path, ipv6)
        if api_id is None:
            first = next(iter(reg.apis()), None)
            if first is None:
                raise LabConfigError("api_id", None, "an API: the gateway has none yet")
            api_id = first.id
        api = reg.api(api_id)
        facts: dict[str, Any] = {"account_id": reg.account_id}
        endpoint: EndpointRecord | None = None
        if "vpce_id" in chosen.requires:
            vid = vpce_id or (api.endpoints[0] if api.endpoints else None)
            if vid is None:
                raise LabConfigError(
                    "vpce_id", None, f"an endpoint associated with {api.id} (associate() first)"
                )
            facts["vpce_id"] = vid
        if "vpce_dns" in chosen.requires:
            endpoint = reg.endpoint(vpce_id)
            facts["vpce_dns"] = _endpoint_name(reg, endpoint, zone)
        base = InvokeTarget.private_dns(
            api_id=api.id, region=reg.region, stage=stage or api.stages[0]
        )
        made = base.restyle(chosen, **facts)
        # The endpoint-DNS styles name the endpoint itself; the others go where DNS says.
        connect = (
            endpoint.connect_to(ipv6=ipv6)
            if endpoint is not None
            else _resolve_connect(reg, made.host, ipv6)
        )
        return made.with_connect_to(connect)


def _endpoint_name(reg: Registry, ep: EndpointRecord, zone: str | None) -> str:
    """The endpoint's regional DNS name, or its zonal one for ``zone`` when it has one."""
    name = ep.regional_name(reg.region, reg.dns_suffix)
    if zone is None:
        return name
    zonal = ep.zonal_names(reg.region, reg.dns_suffix)
    return next((n for n in zonal if n.split(".")[0].endswith("-" + zone)), name)


def _domain_target(
    reg: Registry,
    vpce_id: str | None,
    domain: str | None,
    base_path: str | None,
    ipv6: bool,
) -> InvokeTarget:
    d = reg.domain(domain)
    bp = base_path if base_path is not None else next(iter(d.mappings), "")
    mapped = d.mappings.get(bp.strip("/"))
    common: dict[str, Any] = {
        "base_path": bp or None,
        "region": reg.region,
        "api_id": mapped[0] if mapped else None,
        "stage": mapped[1] if mapped else None,
        "account_id": reg.account_id,
        "domain_name_id": d.domain_name_id,
    }
    if vpce_id:
        ep = reg.endpoint(vpce_id)
        return InvokeTarget.custom_domain(
            d.name,
            vpce_dns=ep.regional_name(reg.region, reg.dns_suffix),
            connect_to=ep.connect_to(ipv6=ipv6),
            **common,
        )
    return InvokeTarget.custom_domain(
        d.name, connect_to=_resolve_connect(reg, d.name, ipv6), **common
    )


def _resolve_connect(reg: Registry, name: str, ipv6: bool) -> str:
    """Where the lab's DNS sends a client for ``name``, or why it sends it nowhere."""
    order = ("AAAA", "A") if ipv6 else ("A", "AAAA")
    rcode = "NXDOMAIN"
    for rdtype in order:
        rcode, answers, _ = reg.view.lookup(name.lower() + ".", rdtype)
        if answers and answers[-1][1] == rdtype:
            ep = reg.owner_of(answers[-1][0])
            if ep is not None:
                return ep.connect_to(ipv6=rdtype == "AAAA")
    shown = rcode if rcode != "NOERROR" else "NODATA"
    raise LabConfigError(
        "target",
        name,
        f"a name the lab's DNS resolves (it answers {shown}:"
        " private DNS off, endpoint not associated, or no access association)",
    )


def urls(reg: Registry, api_id: str, path: str = "") -> dict[str, dict[str, Any]]:
    """Every style that works right now for an API: URL, headers and connect address."""
    out: dict[str, dict[str, Any]] = {}
    for style in STYLES:
        if style is Style.CUSTOM_DOMAIN:
            continue
        try:
            t = target(reg, api_id, style)
        except LabConfigError:
            continue
        out[str(style)] = {
            "url": t.url(path),
            "headers": dict(t.headers),
            "connect_to": t.connect_to,
        }
    return out


def _endpoint_dict(reg: Registry, ep: EndpointRecord) -> dict[str, Any]:
    info = reg.endpoint_info(ep)
    out: dict[str, Any] = {
        "id": info.id,
        "vpc_id": info.vpc_id,
        "address": info.address,
        "port": info.port,
        "dns_name": info.dns_name,
        "zonal_dns_names": list(info.zonal_dns_names),
        "private_dns": info.private_dns,
        "ip_address_type": info.ip_address_type,
    }
    if info.ipv6_address is not None:
        out["ipv6_address"], out["ipv6_port"] = info.ipv6_address, info.ipv6_port
    return out


def _first_has_token(reg: Registry) -> bool:
    """Whether the lab's first (default) credentials are temporary ones."""
    first = next(iter(reg.credentials.values()), None)
    return bool(first is not None and first.session_token)


def _curl_line(
    u: dict[str, Any],
    target_host: str,
    ca_bundle: Path,
    *,
    region: str,
    signed: bool,
    token: bool,
) -> str:
    """A curl command line for one URL; AWS_IAM APIs get curl's own SigV4 signing.

    An unsigned curl line gets ``Missing Authentication Token`` from an AWS_IAM API, so
    those lines sign with ``--aws-sigv4``. The keys stay shell variables: the line is
    printed and logged, and the credentials line beside it is redacted by default.
    """
    parts = [f"curl --cacert {ca_bundle} --connect-to {target_host}:443:{u['connect_to']}"]
    if signed:
        parts.append(
            f"--aws-sigv4 'aws:amz:{region}:execute-api'"
            ' --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"'
        )
        if token:
            # curl does not add the token itself; an unset variable would send an empty one.
            parts.append('-H "x-amz-security-token: $AWS_SESSION_TOKEN"')
    parts.extend(f"-H '{k}: {v}'" for k, v in u["headers"].items())
    parts.append(u["url"])
    return " ".join(parts)


def describe(
    reg: Registry,
    *,
    resolver: tuple[str, int],
    ca_bundle: Path,
    port: int,
    show_secrets: bool = False,
) -> dict[str, Any]:
    """How to reach the lab, as JSON-ready data (what ``privateapi lab`` prints).

    Secrets and session tokens are ``<redacted>`` unless ``show_secrets``.
    """
    host, dns_port = resolver
    apis = []
    for api in reg.apis():
        auth = api.authorization if isinstance(api.authorization, str) else "CUSTOM"
        found = urls(reg, api.id)
        for u in found.values():
            target_host = u["url"].split("/")[2]
            u["curl"] = _curl_line(
                u,
                target_host,
                ca_bundle,
                region=reg.region,
                signed=auth == "AWS_IAM",
                token=_first_has_token(reg),
            )
        apis.append(
            {
                "id": api.id,
                "stages": list(api.stages),
                "authorization": auth,
                "endpoint_type": api.endpoint_type,
                "endpoints": list(api.endpoints),
                "security_policy": api.security_policy,
                "endpoint_access_mode": api.endpoint_access_mode,
                "urls": found,
            }
        )
    return {
        "region": reg.region,
        "account_id": reg.account_id,
        "vpc_id": reg.vpc_id,
        "dns": {"address": host, "port": dns_port},
        "ca_bundle": str(ca_bundle),
        "port": port,
        "endpoints": [_endpoint_dict(reg, e) for e in reg.endpoints()],
        "apis": apis,
        "custom_domains": [
            {
                "name": d.name,
                "domain_name_id": d.domain_name_id,
                "arn": reg.domain_arn(d.name, d.domain_name_id),
                "mappings": {k: "/".join(v) for k, v in d.mappings.items()},
                "endpoints": list(d.associations),
                "associations": dict(d.associations),
            }
            for d in reg.domains()
        ],
        "credentials": [c.to_dict(show_secrets=show_secrets) for c in reg.credentials.values()],
    }
