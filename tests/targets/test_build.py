"""Building invoke targets: URLs, headers, SNI, connect address and ARNs per style."""

from __future__ import annotations

import pytest

from privateapi import InvalidInputError, InvokeTarget, Style, available_styles
from privateapi._targets import vpce_hostname_pattern

API = "a1b2c3d4e5"
VPCE = "vpce-0123456789abcdef0"
VPCE_DNS = "vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com"
ZONAL = "vpce-0123456789abcdef0-ab12cd34-us-east-1a.execute-api.us-east-1.vpce.amazonaws.com"


def test_private_dns_url_headers_and_names() -> None:
    """The private DNS name needs no header and uses the API name everywhere."""
    t = InvokeTarget.private_dns(API, "us-east-1", "prod")
    assert t.base_url == f"https://{API}.execute-api.us-east-1.amazonaws.com/prod"
    assert dict(t.headers) == {}
    assert t.server_name == t.host == t.signing_host == t.connect_host
    assert t.connect_port == 443
    assert t.is_private


def test_vpce_alias_url() -> None:
    """The alias joins API id and endpoint id in one label."""
    t = InvokeTarget.vpce_alias(API, "us-west-2", "test", vpce_id=VPCE)
    assert t.base_url == f"https://{API}-{VPCE}.execute-api.us-west-2.amazonaws.com/test"
    assert dict(t.headers) == {}


def test_host_header_signs_the_host_it_sends() -> None:
    """Endpoint name in the URL and SNI, the API name in Host and in the signature."""
    t = InvokeTarget.host_header(API, "us-east-1", "prod", vpce_dns=VPCE_DNS)
    assert t.base_url == f"https://{VPCE_DNS}/prod"
    assert dict(t.headers) == {"Host": f"{API}.execute-api.us-east-1.amazonaws.com"}
    assert t.server_name == VPCE_DNS
    assert t.signing_host == f"{API}.execute-api.us-east-1.amazonaws.com"
    assert t.vpce_id == VPCE


def test_api_id_header_keeps_endpoint_host() -> None:
    """x-apigw-api-id leaves Host as the endpoint's name."""
    t = InvokeTarget.api_id_header(API, "us-east-1", "prod", vpce_dns=ZONAL)
    assert dict(t.headers) == {"x-apigw-api-id": API}
    assert t.signing_host == ZONAL
    assert t.vpce_id == VPCE


def test_custom_domain_direct_and_through_endpoint() -> None:
    """A custom domain has no stage in the URL; through the endpoint it moves to Host."""
    direct = InvokeTarget.custom_domain("Private.Example.com", base_path="v1")
    assert direct.base_url == "https://private.example.com/v1"
    assert dict(direct.headers) == {}
    via = InvokeTarget.custom_domain("private.example.com", vpce_dns=VPCE_DNS)
    assert via.base_url == f"https://{VPCE_DNS}"
    assert dict(via.headers) == {"Host": "private.example.com"}
    assert via.region == "us-east-1"


def test_custom_domain_keeps_domain_name_id_from_arn() -> None:
    """The ARN identifies the domain; its id is taken from it."""
    arn = "arn:aws:apigateway:us-west-2:111122223333:/domainnames/private.example.com+abcd1234"
    t = InvokeTarget.custom_domain("private.example.com", domain_arn=arn)
    assert t.domain_name_id == "abcd1234"
    assert t.region == "us-west-2"
    with pytest.raises(InvalidInputError, match="domain_arn"):
        InvokeTarget.custom_domain("other.example.com", domain_arn=arn)
    with pytest.raises(InvalidInputError, match="domain_name_id"):
        InvokeTarget.custom_domain("private.example.com", domain_arn=arn, domain_name_id="zzzz")


def test_connect_to_changes_only_the_tcp_destination() -> None:
    """connect_to moves the TCP connection; URL, Host and SNI stay the style's."""
    t = InvokeTarget.private_dns(API, "us-east-1", "prod", connect_to="10.0.1.5:8443")
    assert (t.connect_host, t.connect_port) == ("10.0.1.5", 8443)
    assert t.server_name == f"{API}.execute-api.us-east-1.amazonaws.com"
    assert t.base_url.startswith(f"https://{API}.")
    v6 = t.with_connect_to("[::1]:9443")
    assert (v6.connect_host, v6.connect_port) == ("::1", 9443)
    assert t.with_connect_to("nlb-1.elb.us-east-1.amazonaws.com").connect_port == 443
    assert t.with_connect_to(None).connect_host == t.host


@pytest.mark.parametrize(
    "value", ["", "host:0", "host:99999", "a b", "[::1", "[::1]x", "http://x", "host:", "-bad-"]
)
def test_connect_to_rejects_malformed(value: str) -> None:
    """A malformed connect_to names the field."""
    with pytest.raises(InvalidInputError, match="connect_to"):
        InvokeTarget.private_dns(API, "us-east-1", "prod", connect_to=value)


def test_url_encodes_path_and_query_strictly() -> None:
    """Spaces become %20 (never +), existing escapes survive, repeated keys are kept."""
    t = InvokeTarget.private_dns(API, "us-east-1", "prod")
    url = t.url("/a b/c%2Fd", [("tag", "x,y"), ("tag", "z"), ("q", "a+b c")])
    assert url.endswith("/prod/a%20b/c%2Fd?tag=x%2Cy&tag=z&q=a%2Bb%20c")
    assert t.url("") == t.base_url
    assert t.url("pets", {"n": ["1", "2"]}).endswith("/prod/pets?n=1&n=2")
    with pytest.raises(InvalidInputError, match="path"):
        t.url("/pets?x=1")


def test_non_default_port_is_in_url_and_signing_host() -> None:
    """A non-443 port is part of the URL and of the Host that is signed."""
    t = InvokeTarget(Style.PRIVATE_DNS, api_id=API, region="us-east-1", stage="prod", port=8443)
    assert t.base_url == f"https://{API}.execute-api.us-east-1.amazonaws.com:8443/prod"
    assert t.signing_host.endswith(":8443")
    with pytest.raises(InvalidInputError, match="port"):
        InvokeTarget(Style.PRIVATE_DNS, api_id=API, region="us-east-1", stage="prod", port=0)


def test_arn_per_partition_and_account() -> None:
    """ARNs carry the partition, the account (or *), the verb and the path."""
    gov = InvokeTarget.private_dns(API, "us-gov-west-1", "prod", account_id="123456789012")
    assert gov.arn("delete", "/items/1") == (
        f"arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:{API}/prod/DELETE/items/1"
    )
    assert gov.arn() == f"arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:{API}/prod/*/"
    with pytest.raises(InvalidInputError, match="method"):
        gov.arn("GE T")
    with pytest.raises(InvalidInputError, match="api_id"):
        InvokeTarget.custom_domain("a.example.com").arn()


@pytest.mark.parametrize(
    ("region", "suffix"),
    [
        ("us-east-1", "amazonaws.com"),
        ("cn-northwest-1", "amazonaws.com.cn"),
        ("us-gov-east-1", "amazonaws.com"),
        ("us-iso-east-1", "c2s.ic.gov"),
        ("us-isob-east-1", "sc2s.sgov.gov"),
        ("eu-isoe-west-1", "cloud.adc-e.uk"),
        ("us-isof-south-1", "csp.hci.ic.gov"),
        ("eusc-de-east-1", "amazonaws.eu"),
    ],
)
def test_partition_suffixes_come_from_botocore(region: str, suffix: str) -> None:
    """Every partition's names use its own DNS suffix."""
    t = InvokeTarget.private_dns(API, region, "prod")
    assert t.host == f"{API}.execute-api.{region}.{suffix}"
    vpce_name = f"vpce-0123456789abcdef0-ab12cd34.execute-api.{region}.vpce.{suffix}"
    assert vpce_hostname_pattern(region).fullmatch(vpce_name)


def test_partition_data_matches_botocore_loader() -> None:
    """Our direct read of partitions.json agrees with botocore's own loader."""
    from botocore.loaders import Loader

    from privateapi._partitions import partitions

    data = Loader().load_data("partitions")
    assert [p.name for p in partitions()] == [p["outputs"]["name"] for p in data["partitions"]]
    assert [p.dns_suffix for p in partitions()] == [
        p["outputs"]["dnsSuffix"] for p in data["partitions"]
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"api_id": "abc"}, "api_id"),
        ({"api_id": "a1b2c3d4e5!"}, "api_id"),
        ({"region": "moon-1"}, "region"),
        ({"region": ""}, "region"),
        ({"stage": ""}, "stage"),
        ({"stage": "pr od"}, "stage"),
        ({"stage": "x" * 129}, "stage"),
        ({"account_id": "1234"}, "account_id"),
    ],
)
def test_validation_names_field_value_and_expected(kwargs: dict[str, str], field: str) -> None:
    """Each malformed value raises InvalidInputError (a ValueError) naming the field."""
    args = {"api_id": API, "region": "us-east-1", "stage": "prod", **kwargs}
    with pytest.raises(InvalidInputError) as info:
        InvokeTarget.private_dns(
            args["api_id"], args["region"], args["stage"], account_id=args.get("account_id")
        )
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
    assert "expected" in str(info.value)


def test_api_id_normalised_to_lower_case() -> None:
    """API ids are matched case-insensitively and kept in lower case."""
    assert InvokeTarget.private_dns("A1B2C3D4E5", "us-east-1", "prod").api_id == API


@pytest.mark.parametrize(
    "vpce", ["vpce-123", "vpc-0123456789abcdef0", "vpce-0123456789abcdefg", "vpce-0123456789ab"]
)
def test_bad_vpce_ids(vpce: str) -> None:
    """Endpoint ids are vpce- plus 8 or 17 hex digits."""
    with pytest.raises(InvalidInputError, match="vpce_id"):
        InvokeTarget.vpce_alias(API, "us-east-1", "prod", vpce_id=vpce)


def test_short_vpce_id_accepted() -> None:
    """The 8-hex form from older examples is accepted."""
    assert (
        InvokeTarget.vpce_alias(API, "us-east-1", "prod", vpce_id="vpce-1a2b3c4d").vpce_id
        == "vpce-1a2b3c4d"
    )


def test_styles_needing_the_endpoint_name_say_so() -> None:
    """The endpoint DNS name cannot be derived from the id: the error says why."""
    with pytest.raises(InvalidInputError, match="random suffix"):
        InvokeTarget(Style.HOST_HEADER, api_id=API, region="us-east-1", stage="prod", vpce_id=VPCE)
    with pytest.raises(InvalidInputError, match="vpce_dns"):
        InvokeTarget.api_id_header(API, "us-east-1", "prod", vpce_dns="vpce-01.example.com")
    with pytest.raises(InvalidInputError, match="it names"):
        InvokeTarget(
            Style.HOST_HEADER,
            api_id=API,
            region="us-east-1",
            stage="prod",
            vpce_id="vpce-11111111111111111",
            vpce_dns=VPCE_DNS,
        )
    with pytest.raises(InvalidInputError, match="region us-west-2"):
        InvokeTarget.api_id_header(API, "us-west-2", "prod", vpce_dns=VPCE_DNS)


def test_style_specific_requirements() -> None:
    """Each style refuses the fields it cannot have and needs the ones it must."""
    with pytest.raises(InvalidInputError, match="vpce_id"):
        InvokeTarget(Style.VPCE_ALIAS, api_id=API, region="us-east-1", stage="prod")
    with pytest.raises(InvalidInputError, match="stage"):
        InvokeTarget(Style.PRIVATE_DNS, api_id=API, region="us-east-1")
    with pytest.raises(InvalidInputError, match="domain"):
        InvokeTarget(Style.PRIVATE_DNS, api_id=API, region="us-east-1", stage="p", domain="a.b.com")
    with pytest.raises(InvalidInputError, match="domain"):
        InvokeTarget(Style.CUSTOM_DOMAIN)
    with pytest.raises(InvalidInputError, match="domain"):
        InvokeTarget.custom_domain("*.example.com")
    with pytest.raises(InvalidInputError, match="base_path"):
        InvokeTarget.custom_domain("a.example.com", base_path="v1/v2")
    with pytest.raises(InvalidInputError, match="domain"):
        InvokeTarget(Style.REGIONAL, region="us-east-1")
    with pytest.raises(ValueError, match="nope"):
        InvokeTarget("nope")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="region"):
        _ = InvokeTarget.custom_domain("a.example.com").partition


def test_to_dict_is_json_ready() -> None:
    """to_dict carries style, URL, headers and server name."""
    d = InvokeTarget.host_header(
        API, "us-east-1", "prod", vpce_dns=VPCE_DNS, connect_to="127.0.0.2:9443"
    ).to_dict()
    assert d["style"] == "host_header"
    assert d["headers"] == {"Host": f"{API}.execute-api.us-east-1.amazonaws.com"}
    assert d["connect_to"] == {"host": "127.0.0.2", "port": 9443}
    assert d["partition"] == "aws"


def test_available_styles_lists_missing_facts() -> None:
    """Without the endpoint DNS name, the header styles say what is missing."""
    options = {
        o.style: o
        for o in available_styles(api_id=API, region="us-east-1", stage="prod", vpce_id=VPCE)
    }
    assert options[Style.PRIVATE_DNS].target is not None
    assert options[Style.VPCE_ALIAS].target is not None
    assert options[Style.HOST_HEADER].target is None
    assert options[Style.HOST_HEADER].missing == ("vpce_dns",)
    assert options[Style.CUSTOM_DOMAIN].missing == ("domain",)
    assert options[Style.HOST_HEADER].to_dict()["missing"] == ["vpce_dns"]


def test_available_styles_with_everything() -> None:
    """All five styles (custom domain twice: direct and through the endpoint) are built."""
    options = available_styles(
        api_id=API,
        region="us-east-1",
        stage="prod",
        vpce_dns=VPCE_DNS,
        domain="api.example.com",
        base_path="v1",
    )
    assert [o.style for o in options] == [
        Style.PRIVATE_DNS,
        Style.VPCE_ALIAS,
        Style.HOST_HEADER,
        Style.API_ID_HEADER,
        Style.CUSTOM_DOMAIN,
        Style.CUSTOM_DOMAIN,
    ]
    assert all(o.target is not None for o in options)
    assert options[1].target is not None and options[1].target.vpce_id == VPCE
    with pytest.raises(InvalidInputError, match="it names"):
        available_styles(
            api_id=API, region="us-east-1", stage="prod", vpce_id="vpce-11111111", vpce_dns=VPCE_DNS
        )
