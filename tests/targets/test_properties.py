"""Property tests: parse(build(x)) == x for every style and partition."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from privateapi import InvokeTarget, Style, parse_url, split_url
from privateapi._partitions import partitions

_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
api_ids = st.text(_ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=10, max_size=10)
stages = st.text(_ALNUM + "ABCXYZ_-", min_size=1, max_size=128)
vpce_ids = st.one_of(
    st.text("0123456789abcdef", min_size=17, max_size=17),
    st.text("0123456789abcdef", min_size=8, max_size=8),
).map(lambda h: f"vpce-{h}")
randoms = st.text(_ALNUM, min_size=8, max_size=8)
regions = st.sampled_from(sorted({r for p in partitions() for r in p.regions}))
paths = st.lists(st.text(_ALNUM + "-._~", min_size=1, max_size=8), max_size=4).map(
    lambda segs: "".join("/" + s for s in segs)
)


def _vpce_dns(vpce: str, rand: str, region: str, zonal: bool) -> str:
    from privateapi import partition_for_region

    zone = f"-{region}a" if zonal else ""
    return (
        f"{vpce}-{rand}{zone}.execute-api.{region}.vpce.{partition_for_region(region).dns_suffix}"
    )


@given(api_ids, regions, stages)
def test_private_dns_roundtrip(api: str, region: str, stage: str) -> None:
    t = InvokeTarget.private_dns(api, region, stage)
    assert parse_url(t.base_url, t.headers) == t


@given(api_ids, vpce_ids, regions, stages)
def test_alias_roundtrip(api: str, vpce: str, region: str, stage: str) -> None:
    t = InvokeTarget.vpce_alias(api, region, stage, vpce_id=vpce)
    assert parse_url(t.base_url, t.headers) == t


@given(api_ids, vpce_ids, randoms, regions, stages, st.booleans(), st.booleans())
def test_endpoint_styles_roundtrip(
    api: str, vpce: str, rand: str, region: str, stage: str, zonal: bool, use_host: bool
) -> None:
    dns = _vpce_dns(vpce, rand, region, zonal)
    ctor = InvokeTarget.host_header if use_host else InvokeTarget.api_id_header
    t = ctor(api, region, stage, vpce_dns=dns)
    assert parse_url(t.base_url, t.headers) == t


@given(
    st.lists(st.text(_ALNUM, min_size=1, max_size=10), min_size=2, max_size=4),
    st.text(_ALNUM, min_size=1, max_size=8),
)
def test_custom_domain_roundtrip(labels: list[str], base: str) -> None:
    domain = ".".join(labels) + ".example"
    t = InvokeTarget.custom_domain(domain, base_path=base)
    assert parse_url(t.base_url, t.headers) == t


@given(api_ids, regions, stages, paths)
def test_split_returns_the_resource_path(api: str, region: str, stage: str, path: str) -> None:
    t = InvokeTarget.private_dns(api, region, stage)
    parsed, rest = split_url(t.url(path), t.headers)
    assert parsed == t
    assert rest == path


# -- every style's spec: build from random facts, parse the URL back ----------------------------

ports = st.one_of(st.just(443), st.integers(1, 65535))
labels = st.text(_ALNUM, min_size=1, max_size=10)
domains = st.lists(labels, min_size=1, max_size=3).map(lambda ls: ".".join(ls) + ".example")


def _suffix(region: str) -> str:
    from privateapi import partition_for_region

    return partition_for_region(region).dns_suffix


_api_facts = st.fixed_dictionaries({"api_id": api_ids, "region": regions, "stage": stages})
_endpoint_name = st.builds(
    lambda facts, vpce, rand, zonal: {
        **facts,
        "vpce_dns": _vpce_dns(vpce, rand, facts["region"], zonal),
    },
    _api_facts,
    vpce_ids,
    randoms,
    st.booleans(),
)
_custom = st.one_of(
    st.fixed_dictionaries({"domain": domains, "base_path": st.one_of(st.none(), labels)}),
    st.builds(
        lambda d, bp, dns: {"domain": d, "base_path": bp, "vpce_dns": dns["vpce_dns"]},
        domains,
        st.one_of(st.none(), labels),
        _endpoint_name,
    ),
)


def _fips(facts: dict[str, str]) -> dict[str, str]:
    region = facts["region"]
    host = f"{facts['api_id'].lower()}.execute-api-fips.{region}.{_suffix(region)}"
    return {**facts, "domain": host}


def _regional_domain(label: str, region: str) -> dict[str, str]:
    return {"region": region, "domain": f"d-{label}.execute-api.{region}.{_suffix(region)}"}


_regional = st.one_of(
    st.builds(_fips, _api_facts),
    st.builds(_regional_domain, st.text(_ALNUM, min_size=10, max_size=10), regions),
)
#: How to draw the facts of a target of each style (a new style adds its line here).
FACTS_BY_STYLE = {
    Style.PRIVATE_DNS: _api_facts,
    Style.VPCE_ALIAS: st.builds(lambda f, v: {**f, "vpce_id": v}, _api_facts, vpce_ids),
    Style.HOST_HEADER: _endpoint_name,
    Style.API_ID_HEADER: _endpoint_name,
    Style.CUSTOM_DOMAIN: _custom,
    Style.REGIONAL: _regional,
    Style.EDGE: st.fixed_dictionaries(
        {"domain": labels.map(lambda x: f"{x}.cloudfront.net"), "stage": stages}
    ),
}


def test_every_style_has_a_fact_strategy() -> None:
    """The round-trip below covers every style the registry knows."""
    assert set(FACTS_BY_STYLE) == set(Style)


@given(st.data(), ports, paths)
def test_every_style_roundtrips_build_then_parse(data: st.DataObject, port: int, path: str) -> None:
    """For random facts in every partition, parsing a style's URL and headers gives it back."""
    style = data.draw(st.sampled_from(list(Style)))
    facts = data.draw(FACTS_BY_STYLE[style])
    t = InvokeTarget(style, **facts, port=port)
    parsed, rest = split_url(t.url(path), t.headers, base_path=t.base_path or "")
    assert parsed == t
    assert rest == path
    assert parsed.spec.style is style


@given(_endpoint_name, vpce_ids, domains, labels, paths)
def test_restyle_lands_on_what_the_parser_reads(
    facts: dict[str, str], vpce: str, domain: str, base: str, path: str
) -> None:
    """A private DNS target restyled to every private style is recognised as that style."""
    start = InvokeTarget.private_dns(facts["api_id"], facts["region"], facts["stage"])
    extra = {
        Style.PRIVATE_DNS: {},
        Style.VPCE_ALIAS: {"vpce_id": vpce},
        Style.HOST_HEADER: {"vpce_dns": facts["vpce_dns"]},
        Style.API_ID_HEADER: {"vpce_dns": facts["vpce_dns"]},
        Style.CUSTOM_DOMAIN: {"domain": domain, "base_path": base},
    }
    assert set(extra) == {s for s in Style if s.is_private}
    for style, given_facts in extra.items():
        t = start.restyle(style, **given_facts)
        parsed, rest = split_url(t.url(path), t.headers)
        assert (parsed.style, parsed.url(path), dict(parsed.headers)) == (
            style,
            t.url(path),
            dict(t.headers),
        )
        assert rest == path
