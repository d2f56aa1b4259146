"""Recognising invoke targets from URLs and headers."""

from __future__ import annotations

import pytest

from privateapi import InvalidInputError, InvokeTarget, Style, parse_url, split_url

API = "a1b2c3d4e5"
VPCE = "vpce-0123456789abcdef0"
VPCE_DNS = "vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com"
API_HOST = f"{API}.execute-api.us-east-1.amazonaws.com"


def test_private_dns_with_path_and_query() -> None:
    """The first path segment is the stage; the rest is returned by split_url."""
    target, rest = split_url(f"https://{API_HOST}/prod/pets/1?limit=2")
    assert target == InvokeTarget.private_dns(API, "us-east-1", "prod")
    assert rest == "/pets/1?limit=2"


def test_alias() -> None:
    """The documented alias example parses to the alias style."""
    t = parse_url(
        "https://01234567ab-vpce-01234567abcdef012.execute-api.us-west-2.amazonaws.com/test/pets"
    )
    assert (t.style, t.api_id, t.vpce_id, t.stage) == (
        Style.VPCE_ALIAS,
        "01234567ab",
        "vpce-01234567abcdef012",
        "test",
    )


def test_host_header_style_regional_and_zonal() -> None:
    """The endpoint name plus Host naming an API is the host_header style."""
    t = parse_url(f"https://{VPCE_DNS}/prod", {"Host": API_HOST})
    assert t == InvokeTarget.host_header(API, "us-east-1", "prod", vpce_dns=VPCE_DNS)
    zonal = VPCE_DNS.replace("-ab12cd34.", "-ab12cd34-us-east-1c.")
    assert parse_url(f"https://{zonal}/prod", [("host", API_HOST + ":443")]).vpce_dns == zonal


def test_api_id_header_style() -> None:
    """The endpoint name plus x-apigw-api-id is the api_id_header style."""
    t = parse_url(f"https://{VPCE_DNS}/prod/x", {"X-Apigw-Api-Id": API.upper()})
    assert t == InvokeTarget.api_id_header(API, "us-east-1", "prod", vpce_dns=VPCE_DNS)


def test_both_headers_naming_the_same_api_is_host_style() -> None:
    """Host and x-apigw-api-id agreeing is accepted; disagreeing is refused (precedence unknown)."""
    assert (
        parse_url(f"https://{VPCE_DNS}/prod", {"Host": API_HOST, "x-apigw-api-id": API}).style
        == Style.HOST_HEADER
    )
    with pytest.raises(InvalidInputError, match="x-apigw-api-id"):
        parse_url(f"https://{VPCE_DNS}/prod", {"Host": API_HOST, "x-apigw-api-id": "zzzzzzzzzz"})


def test_endpoint_url_without_header_is_refused() -> None:
    """Without Host or x-apigw-api-id the endpoint answers 403: the error says which header."""
    with pytest.raises(InvalidInputError, match="x-apigw-api-id"):
        parse_url(f"https://{VPCE_DNS}/prod")


def test_custom_domain_through_endpoint() -> None:
    """A non-API Host on the endpoint name is a private custom domain."""
    t, rest = split_url(f"https://{VPCE_DNS}/v1/orders", {"Host": "private.example.com"})
    assert (t.style, t.domain, t.base_path, t.vpce_dns, rest) == (
        Style.CUSTOM_DOMAIN,
        "private.example.com",
        "v1",
        VPCE_DNS,
        "/orders",
    )


def test_custom_domain_direct_with_explicit_base_path() -> None:
    """base_path='' says the mapping is at the root; a given base path must match."""
    t, rest = split_url("https://private.example.com/orders/1", base_path="")
    assert t.base_path is None and rest == "/orders/1"
    t2, rest2 = split_url("https://private.example.com/v1/orders", base_path="v1")
    assert t2.base_path == "v1" and rest2 == "/orders"
    with pytest.raises(InvalidInputError, match="base_path"):
        split_url("https://private.example.com/v2/orders", base_path="v1")


def test_nlb_or_ip_with_api_host_becomes_connect_to() -> None:
    """An NLB/IP URL carrying the API's Host is the private name with connect_to."""
    t = parse_url("https://10.0.1.5:8443/prod", {"Host": API_HOST})
    assert t.style == Style.PRIVATE_DNS and t.connect_host == "10.0.1.5" and t.connect_port == 8443
    t2 = parse_url(
        "https://my-nlb-1.elb.us-east-1.amazonaws.com/prod", {"Host": "private.example.com"}
    )
    assert (
        t2.style == Style.CUSTOM_DOMAIN
        and t2.connect_host == "my-nlb-1.elb.us-east-1.amazonaws.com"
    )
    v6 = parse_url("https://[fd00::5]/prod", {"Host": API_HOST})
    assert v6.connect_host == "fd00::5"


def test_public_urls_are_recognised_as_public() -> None:
    """FIPS, dualstack, Regional custom-domain targets and CloudFront are public styles."""
    assert (
        parse_url(f"https://{API}.execute-api-fips.us-east-1.amazonaws.com/prod").style
        == Style.REGIONAL
    )
    assert parse_url(f"https://{API}.execute-api.us-east-1.api.aws/prod").style == Style.REGIONAL
    regional = parse_url("https://d-abcdefghij.execute-api.us-east-1.amazonaws.com/")
    assert regional.style == Style.REGIONAL and not regional.is_private
    edge = parse_url("https://d111111abcdef8.cloudfront.net/prod")
    assert edge.style == Style.EDGE and not edge.is_private


def test_china_partition() -> None:
    """amazonaws.com.cn names parse with their region."""
    t = parse_url(f"https://{API}.execute-api.cn-northwest-1.amazonaws.com.cn/prod")
    assert t.partition.name == "aws-cn"


@pytest.mark.parametrize(
    ("url", "headers", "field"),
    [
        ("", None, "url"),
        ("not a url", None, "url"),
        ("http://" + API_HOST + "/prod", None, "url"),
        ("https://user:pw@" + API_HOST + "/prod", None, "url"),
        ("https://" + API_HOST + "/prod#frag", None, "url"),
        ("https://" + API_HOST + ":99999/prod", None, "url"),
        ("https://" + API_HOST, None, "stage"),
        ("https://" + API_HOST + "/pr%20od", None, "stage"),
        (f"https://{API}.execute-api.moon-1.amazonaws.com/prod", None, "region"),
        (f"https://{API}.execute-api.us-east-1.amazonaws.com.cn/prod", None, "url"),
        ("https://abc.execute-api.us-east-1.amazonaws.com/prod", None, "url"),
        ("https://execute-api.us-east-1.amazonaws.com/prod", {"x-apigw-api-id": API}, "url"),
        ("https://10.0.0.1/prod", None, "url"),
        ("https://10.0.0.1/prod", {"x-apigw-api-id": API}, "url"),
        (
            "https://vpce-bad.execute-api.us-east-1.vpce.amazonaws.com/prod",
            {"x-apigw-api-id": API},
            "vpce_dns",
        ),
        (f"https://{VPCE_DNS}/prod", {"x-apigw-api-id": "short"}, "api_id"),
        (f"https://{API_HOST}/prod", {"Host": "other.example.com"}, "Host header"),
        (f"https://{API_HOST}/prod", {"x-apigw-api-id": "zzzzzzzzzz"}, "x-apigw-api-id header"),
        (f"https://{API_HOST}/prod", [("Host", API_HOST), ("host", API_HOST)], "host header"),
        (
            f"https://{VPCE_DNS}/prod",
            {"Host": f"{API}.execute-api.us-west-2.amazonaws.com"},
            "Host header",
        ),
    ],
)
def test_malformed_urls_name_the_field(url: str, headers: object, field: str) -> None:
    """Every rejection is an InvalidInputError naming the field."""
    with pytest.raises(InvalidInputError) as info:
        parse_url(url, headers)  # type: ignore[arg-type]
    assert info.value.field == field
