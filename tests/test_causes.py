"""The cause vocabulary: complete, stable, documented."""

from __future__ import annotations

import re

import pytest

from privateapi import CAUSES, cause, iter_causes

# The codes the doctor issue fixed; they must never disappear or be renamed.
REQUIRED = """
dns.nxdomain dns.nodata dns.public-address dns.resolver-unreachable dns.hosts-override
dns.resolver-mismatch tcp.timeout tcp.refused tls.name-mismatch tls.untrusted tls.expired
tls.handshake-failed http.wrong-endpoint http.explicit-deny http.implicit-deny
http.authorizer-deny http.missing-token http.incomplete-signature http.signature-mismatch
http.clock-skew http.invalid-token http.expired-token http.unauthorized http.throttled
http.quota-exceeded http.payload-too-large http.backend-error http.not-api-gateway env.proxy
creds.missing aws.private-dns-disabled aws.vpce-unavailable aws.vpce-not-associated
aws.sg-blocks-443 aws.single-az aws.vpc-dns-attributes aws.api-not-private aws.stage-missing
aws.endpoint-policy-denies policy.denies policy.not-deployed
""".split()  # noqa: SIM905 - reads as the list in the issue


def test_every_required_code_exists() -> None:
    """No code of the published list is missing."""
    assert sorted(set(REQUIRED) - set(CAUSES)) == []


def test_codes_are_well_formed_and_unique() -> None:
    """group.name in lower case; every text filled in."""
    codes = [c.code for c in iter_causes()]
    assert len(codes) == len(set(codes))
    for c in iter_causes():
        assert re.fullmatch(r"[a-z]+\.[a-z0-9-]+", c.code), c.code
        assert c.title and c.meaning.endswith(".") and c.hint
        assert c.anchor == c.code.replace(".", "-")
        assert c.doc_url.endswith("#" + c.anchor)
        assert c.group == c.code.split(".")[0]


def test_unknown_code_is_a_key_error() -> None:
    """Looking up a code that does not exist fails loudly."""
    with pytest.raises(KeyError, match=r"nope\.nope"):
        cause("nope.nope")


def test_outcome_words_and_permanence_live_with_the_causes() -> None:
    """The doctor's outcome words and the client's never-retried set come from _causes."""
    from privateapi import _client
    from privateapi._causes import OUTCOMES, PERMANENT_CAUSES, outcome_of
    from privateapi.doctor import _http

    assert _http.OUTCOMES is OUTCOMES
    assert _http.outcome_of is outcome_of
    assert _client.PERMANENT_CAUSES is PERMANENT_CAUSES
    assert OUTCOMES[None] == "allowed"
    for c in iter_causes():
        if c.outcome is not None:
            assert OUTCOMES[c.code] == c.outcome == outcome_of(c.code)
            assert c.group == "http", c.code  # outcome words describe HTTP answers only
        else:
            assert c.code not in OUTCOMES
            assert outcome_of(c.code) == c.code
        assert (c.code in PERMANENT_CAUSES) is c.permanent
    assert outcome_of(None) == "allowed"
    assert outcome_of("http.explicit-deny") == "explicit deny"
    # a wrong name or certificate cannot be fixed by trying again; a timeout may be
    assert {"dns.nxdomain", "tls.name-mismatch", "tls.untrusted", "tls.expired"} <= (
        PERMANENT_CAUSES
    )
    assert not {"tcp.timeout", "tcp.refused", "tcp.unreachable", "http.timeout"} & (
        PERMANENT_CAUSES
    )


def test_codes_added_for_timeouts_routes_sizes_and_redirects() -> None:
    """The codes the client's new errors carry exist (and never replace an old one)."""
    for code in (
        "tcp.unreachable",
        "http.timeout",
        "http.response-too-large",
        "http.redirect-refused",
    ):
        assert cause(code).code == code
    assert set(REQUIRED) <= set(CAUSES)
