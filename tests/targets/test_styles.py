"""The style registry: one spec per access style, and what the rest of the code asks it."""

from __future__ import annotations

import pytest

from privateapi import InvalidInputError, InvokeTarget, Style, available_styles, infer_style
from privateapi._styles import FACTS, SPECS, STYLE_FACTS, StyleSpec, spec_of

API = "a1b2c3d4e5"
VPCE = "vpce-0123456789abcdef0"
VPCE_DNS = "vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com"
PRIVATE = [s for s in Style if s.is_private]


def test_every_style_has_exactly_one_spec() -> None:
    """The registry covers Style, in Style's order, each spec naming its own style."""
    assert list(SPECS) == list(Style)
    for style, spec in SPECS.items():
        assert isinstance(spec, StyleSpec)
        assert spec.style is style
        assert style.spec is spec is spec_of(style.value)


def test_spec_facts_are_target_fields() -> None:
    """Every fact a spec names is an InvokeTarget field (a typo would never be checked)."""
    fields = set(InvokeTarget.__dataclass_fields__) - {"style", "_connect"}
    assert set(FACTS) == fields
    for spec in SPECS.values():
        assert set(spec.requires) <= fields, spec.style
        assert set(spec.optional) <= fields, spec.style
        assert set(spec.require_hints) <= set(spec.requires), spec.style
        assert spec.implied_by is None or spec.implied_by in fields, spec.style
    assert fields >= STYLE_FACTS


def test_private_and_public_styles() -> None:
    """Five styles reach a private API; the Regional and edge forms are parsed only to warn."""
    assert PRIVATE == [
        Style.PRIVATE_DNS,
        Style.VPCE_ALIAS,
        Style.HOST_HEADER,
        Style.API_ID_HEADER,
        Style.CUSTOM_DOMAIN,
    ]
    assert {s for s in Style if not s.is_private} == {Style.REGIONAL, Style.EDGE}
    assert Style.VPCE_ALIAS.requires == ("api_id", "region", "stage", "vpce_id")
    assert Style.CUSTOM_DOMAIN.requires == ("domain",)


def test_spec_of_refuses_unknown_styles() -> None:
    """A wrong style name is an InvalidInputError listing the styles."""
    with pytest.raises(InvalidInputError, match="private_dns, vpce_alias") as info:
        spec_of("nope")
    assert info.value.field == "style"


@pytest.mark.parametrize(
    ("facts", "style"),
    [
        ({}, Style.PRIVATE_DNS),
        ({"vpce_id": VPCE}, Style.VPCE_ALIAS),
        ({"vpce_dns": VPCE_DNS}, Style.API_ID_HEADER),
        ({"vpce_id": VPCE, "vpce_dns": VPCE_DNS}, Style.API_ID_HEADER),
        ({"domain": "a.example.com", "vpce_dns": VPCE_DNS}, Style.CUSTOM_DOMAIN),
        ({"domain": "a.example.com", "vpce_id": VPCE}, Style.CUSTOM_DOMAIN),
        ({"vpce_id": None, "domain": None}, Style.PRIVATE_DNS),
        ({"api_id": API, "region": "us-east-1", "stage": "prod"}, Style.PRIVATE_DNS),
    ],
)
def test_infer_style(facts: dict[str, str | None], style: Style) -> None:
    """The most specific fact picks the style; no fact picks private DNS."""
    assert infer_style(**facts) is style


def test_infer_style_refuses_unknown_facts() -> None:
    """A misspelt fact is an error, not silently ignored."""
    with pytest.raises(InvalidInputError, match="vpce_dns") as info:
        infer_style(vpce_dsn=VPCE_DNS)
    assert info.value.field == "vpce_dsn"


def test_target_answers_from_its_spec() -> None:
    """host, headers, server name and privacy come from the style's spec."""
    t = InvokeTarget.host_header(API, "us-east-1", "prod", vpce_dns=VPCE_DNS)
    assert t.spec is SPECS[Style.HOST_HEADER]
    assert t.host == t.spec.host(t) == VPCE_DNS
    assert dict(t.headers) == t.spec.headers(t)
    assert t.server_name == t.spec.server_name(t)
    assert t.is_private is t.spec.private is True


def test_refused_facts_name_the_styles_that_have_them() -> None:
    """A custom domain's facts on another style say which styles take them."""
    with pytest.raises(InvalidInputError, match="only custom_domain") as info:
        InvokeTarget(Style.VPCE_ALIAS, api_id=API, region="us-east-1", stage="p", vpce_id=VPCE,
                     base_path="v1")  # fmt: skip
    assert info.value.field == "base_path"
    with pytest.raises(InvalidInputError, match="domain_name_id"):
        InvokeTarget(Style.PRIVATE_DNS, api_id=API, region="us-east-1", stage="p",
                     domain_name_id="abcd1234")  # fmt: skip


def test_library_notes_never_name_cli_flags() -> None:
    """The CLI maps facts to its flags; the library's notes speak of facts."""
    options = available_styles(api_id=API, region="us-east-1", stage="prod")
    assert {o.style for o in options if o.target is None} == {
        Style.VPCE_ALIAS,
        Style.HOST_HEADER,
        Style.API_ID_HEADER,
        Style.CUSTOM_DOMAIN,
    }
    flags = ["--" + fact.replace("_", "-") for fact in FACTS]  # privateapi's own flags
    texts = [o.note for o in options]
    for spec in SPECS.values():
        texts += [spec.note, spec.missing_note, *spec.require_hints.values()]
    assert not [(t, f) for t in texts for f in flags if f in t]


def test_available_styles_asks_every_private_spec() -> None:
    """Every private style is offered (built or missing); public forms never are."""
    options = available_styles(api_id=API, region="us-east-1", stage="prod")
    assert [o.style for o in options] == PRIVATE
    missing = {o.style: o.missing for o in options}
    assert missing[Style.PRIVATE_DNS] == ()
    assert missing[Style.VPCE_ALIAS] == ("vpce_id",)
    assert missing[Style.API_ID_HEADER] == ("vpce_dns",)


@pytest.mark.parametrize("style", PRIVATE)
def test_doctor_meanings_per_private_style(style: Style) -> None:
    """Each private style explains NXDOMAIN its own way; the public forms share one text."""
    why, fix = style.spec.nxdomain("x.example.com")
    assert why and fix
    public_why, _ = Style.REGIONAL.spec.nxdomain("x.example.com")
    assert why != public_why
    mismatch = style.spec.tls_mismatch("*.example.net", "x.example.com", default_certificate=False)
    assert all(mismatch)


def test_doctor_facts_per_style() -> None:
    """Which styles need private DNS on the endpoint, and which need an association."""
    assert [s for s in Style if s.spec.needs_private_dns] == [Style.PRIVATE_DNS]
    assert [s for s in Style if s.spec.needs_association] == [Style.VPCE_ALIAS]
    default = Style.CUSTOM_DOMAIN.spec.tls_mismatch(
        "*.execute-api.x", "a.b", default_certificate=True
    )
    assert "default certificate" in default[0]
    assert (
        "default certificate"
        not in Style.CUSTOM_DOMAIN.spec.tls_mismatch(
            "other.example.com", "a.b", default_certificate=False
        )[0]
    )


def test_a_spec_parses_nothing_unless_it_says_how() -> None:
    """A style that can only be built (no URL form of its own) claims no URL."""
    from privateapi._styles import HostKind, UrlFacts

    class BuildOnly(StyleSpec):
        style = Style.PRIVATE_DNS

    url = UrlFacts(
        "https://x.example", "x.example", 443, HostKind.OTHER, "", "", "", None, None, None
    )
    assert BuildOnly().parse(url) is None


def test_custom_domain_ids_are_checked() -> None:
    """A malformed domainNameId or domain ARN names its field; an explicit region is kept."""
    arn = "arn:aws:apigateway:us-west-2:111122223333:/domainnames/private.example.com+abcd1234"
    with pytest.raises(InvalidInputError) as info:
        InvokeTarget.custom_domain("private.example.com", domain_name_id="not an id")
    assert info.value.field == "domain_name_id"
    with pytest.raises(InvalidInputError) as info:
        InvokeTarget.custom_domain("private.example.com", domain_arn="arn:aws:nope")
    assert info.value.field == "domain_arn"
    t = InvokeTarget.custom_domain("private.example.com", domain_arn=arn, region="us-west-2")
    assert (t.region, t.domain_name_id) == ("us-west-2", "abcd1234")
    direct = available_styles(api_id=API, region="us-east-1", stage="prod", domain="a.example.com")
    assert [o.target.base_url for o in direct if o.target and o.style is Style.CUSTOM_DOMAIN] == [
        "https://a.example.com"
    ]


def test_names_helpers() -> None:
    """The name helpers refuse what is not theirs, without guessing."""
    from privateapi._names import api_of_host, region_of_vpce_dns, validate_region

    assert api_of_host(f"{API}.execute-api.us-east-1.amazonaws.com") == (API, "us-east-1")
    assert api_of_host(VPCE_DNS) is None
    assert api_of_host("abc.execute-api.us-east-1.amazonaws.com") is None
    assert api_of_host(f"{API}.execute-api.moon-1.amazonaws.com") is None
    assert api_of_host(f"{API}.execute-api.us-east-1.amazonaws.com.cn") is None
    assert region_of_vpce_dns(VPCE_DNS.upper() + ".") == "us-east-1"
    with pytest.raises(InvalidInputError, match="vpce_dns"):
        region_of_vpce_dns("vpce.example.com")
    with pytest.raises(InvalidInputError, match="region"):
        validate_region(5)
    with pytest.raises(InvalidInputError, match="vpce_dns"):
        InvokeTarget.custom_domain("a.example.com", vpce_dns="nope.example.com")
