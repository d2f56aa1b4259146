"""Property tests: parse(build(x)) == x for every style and partition."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from privateapi import InvokeTarget, parse_url, split_url
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
