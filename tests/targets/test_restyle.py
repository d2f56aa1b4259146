"""InvokeTarget.restyle: the same call through another access style."""

from __future__ import annotations

import pytest

from privateapi import InvalidInputError, InvokeTarget, Style, parse_url

API = "a1b2c3d4e5"
VPCE = "vpce-0123456789abcdef0"
VPCE_DNS = "vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com"
OTHER_DNS = "vpce-11111111111111111-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com"
DNS_NAME = InvokeTarget.private_dns(API, "us-east-1", "prod")


def test_private_dns_to_each_style() -> None:
    """Given the fact each style needs, the result is what its constructor builds."""
    assert DNS_NAME.restyle(Style.VPCE_ALIAS, vpce_id=VPCE) == InvokeTarget.vpce_alias(
        API, "us-east-1", "prod", vpce_id=VPCE
    )
    assert DNS_NAME.restyle("host_header", vpce_dns=VPCE_DNS) == InvokeTarget.host_header(
        API, "us-east-1", "prod", vpce_dns=VPCE_DNS
    )
    via_header = DNS_NAME.restyle(Style.API_ID_HEADER, vpce_dns=VPCE_DNS)
    assert dict(via_header.headers) == {"x-apigw-api-id": API}
    assert via_header.restyle(Style.PRIVATE_DNS) == DNS_NAME.restyle(
        Style.PRIVATE_DNS, vpce_dns=VPCE_DNS
    )
    custom = DNS_NAME.restyle(Style.CUSTOM_DOMAIN, domain="api.example.com", base_path="v1")
    assert custom.base_url == "https://api.example.com/v1"
    assert (custom.api_id, custom.stage) == (API, "prod")  # still the same API, for arn()


def test_missing_fact_is_named() -> None:
    """A fact the new style needs and the target lacks: InvalidInputError naming it."""
    with pytest.raises(InvalidInputError, match="random suffix") as info:
        DNS_NAME.restyle(Style.HOST_HEADER)
    assert info.value.field == "vpce_dns"
    assert info.value.value is None
    assert "restyle() by keyword" in str(info.value)
    with pytest.raises(InvalidInputError) as info:
        DNS_NAME.restyle(Style.VPCE_ALIAS)
    assert info.value.field == "vpce_id"


def test_every_missing_fact_is_listed() -> None:
    """From a bare custom domain to the header style: all three missing facts are named."""
    custom = InvokeTarget.custom_domain("api.example.com", region="us-east-1")
    with pytest.raises(InvalidInputError) as info:
        custom.restyle(Style.HOST_HEADER)
    assert info.value.field == "api_id"
    assert "api_id, stage, vpce_dns" in str(info.value)


def test_endpoint_facts_carry_over() -> None:
    """The endpoint, account, connect address and port travel with the call."""
    t = InvokeTarget(
        Style.HOST_HEADER,
        api_id=API,
        region="us-east-1",
        stage="prod",
        vpce_dns=VPCE_DNS,
        account_id="123456789012",
        connect_to="10.0.0.5",
        port=8443,
    )
    alias = t.restyle(Style.VPCE_ALIAS)
    assert alias.vpce_id == VPCE
    assert (alias.account_id, alias.connect_to, alias.port) == ("123456789012", "10.0.0.5", 8443)
    assert alias.base_url.endswith(".amazonaws.com:8443/prod")


def test_conflicting_endpoint_is_refused_and_none_drops_a_fact() -> None:
    """An endpoint name of another endpoint than the target's is refused; None clears it."""
    alias = InvokeTarget.vpce_alias(API, "us-east-1", "prod", vpce_id=VPCE)
    with pytest.raises(InvalidInputError, match="it names"):
        alias.restyle(Style.API_ID_HEADER, vpce_dns=OTHER_DNS)
    moved = alias.restyle(Style.API_ID_HEADER, vpce_dns=OTHER_DNS, vpce_id=None)
    assert moved.vpce_id == "vpce-11111111111111111"
    assert (
        DNS_NAME.restyle(Style.PRIVATE_DNS, connect_to="10.0.0.9").restyle(
            Style.PRIVATE_DNS, connect_to=None
        )
        == DNS_NAME
    )


def test_custom_domain_facts_stay_with_custom_domains() -> None:
    """Leaving custom_domain drops its name and base path; restyling within it keeps them."""
    custom = InvokeTarget.custom_domain(
        "api.example.com", base_path="v1", region="us-east-1", api_id=API, stage="prod"
    )
    assert custom.restyle(Style.PRIVATE_DNS) == DNS_NAME
    through = custom.restyle(Style.CUSTOM_DOMAIN, vpce_dns=VPCE_DNS)
    assert (through.host, dict(through.headers)) == (VPCE_DNS, {"Host": "api.example.com"})
    assert through.base_path == "v1"


def test_public_url_restyled_to_the_private_form() -> None:
    """A public Regional URL's API and stage give its private names (the host is dropped)."""
    public = parse_url(f"https://{API}.execute-api-fips.us-east-1.amazonaws.com/prod/x")
    assert public.style is Style.REGIONAL
    assert public.restyle(Style.PRIVATE_DNS) == DNS_NAME


def test_bad_style_fact_or_value() -> None:
    """Unknown styles and facts, and malformed values, name the field."""
    with pytest.raises(InvalidInputError) as info:
        DNS_NAME.restyle("nope")
    assert info.value.field == "style"
    with pytest.raises(InvalidInputError) as info:
        DNS_NAME.restyle(Style.VPCE_ALIAS, vpce="vpce-0123456789abcdef0")
    assert info.value.field == "vpce"
    with pytest.raises(InvalidInputError) as info:
        DNS_NAME.restyle(Style.VPCE_ALIAS, vpce_id="vpce-nope")
    assert info.value.field == "vpce_id"


def test_old_positional_order_points_at_the_keyword() -> None:
    """vpce_alias(api, vpce, region, stage), the old order, says to pass vpce_id= by keyword."""
    with pytest.raises(TypeError, match=r"vpce_id=\.\.\. by keyword"):
        InvokeTarget.vpce_alias(API, VPCE, "us-east-1", "prod")  # type: ignore[call-arg]
    with pytest.raises(InvalidInputError, match="vpce_id=") as info:
        InvokeTarget.vpce_alias(API, VPCE, "prod", vpce_id=VPCE)
    assert info.value.field == "region"
    with pytest.raises(TypeError, match="vpce_dns"):
        InvokeTarget.host_header(API, VPCE_DNS, "us-east-1", "prod")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="domain by position"):
        InvokeTarget.custom_domain("a.example.com", "v1")  # type: ignore[call-arg]
