"""The compact result: always within the limit, always valid JSON, verdicts and causes kept."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privateapi._causes import CAUSES
from privateapi.fleet._compact import (
    MAX_TARGETS,
    SFN_LIMIT,
    SSM_LIMIT,
    compact_report,
    fit,
    limit_for,
)
from privateapi.fleet._probe import parse_doctor_report

CODES = sorted(CAUSES)
CHECK_IDS = [
    "env.platform",
    "env.proxy",
    "dns.lookup",
    "dns.vpc",
    "tcp.connect",
    "tls.handshake",
    "http.probe",
    "aws.api",
    "aws.vpce",
    "aws.vpc",
    "policy.evaluate",
    "env.hosts",
    "env.credentials",
    "aws.identity",
    "aws.stage",
    "aws.extra",
]

# Long strings by repetition: large values at a small cost of generated entropy.
long_text = st.builds(lambda t, n: t * n, st.text(max_size=20), st.integers(0, 150))
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), long_text)
evidence = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=30), st.dictionaries(st.text(max_size=30), inner, max_size=30)
    ),
    max_leaves=20,
)


@st.composite
def doctor_report(draw: Any) -> dict[str, Any]:
    ids = draw(st.lists(st.sampled_from(CHECK_IDS), min_size=1, max_size=16, unique=True))
    checks = []
    for cid in ids:
        status = draw(st.sampled_from(["pass", "fail", "warn", "skip", "info"]))
        checks.append(
            {
                "id": cid,
                "status": status,
                "cause": draw(st.sampled_from(CODES)) if status in ("fail", "warn") else None,
                "summary": draw(long_text),
                "hint": draw(st.one_of(st.none(), long_text)),
                "evidence": draw(st.dictionaries(st.text(max_size=10), evidence, max_size=4)),
                "doc": "reference/causes.md#x",
                "duration_ms": 1.0,
                "extra_field_from_a_newer_doctor": True,
            }
        )
    verdict = (
        "fail"
        if any(c["status"] == "fail" for c in checks)
        else draw(st.sampled_from(["pass", "fail"]))
    )
    url = (
        "https://"
        + draw(st.text(alphabet="abcdefghij0123456789.-", min_size=1, max_size=10))
        + "x" * draw(st.integers(0, 140))
    )
    return {
        "version": 1,
        "target": {"url": url, "style": "private_dns", "host": "h"},
        "verdict": verdict,
        "checks": checks,
        "not_checked": ["http.probe"],
        "new_top_level": {"x": 1},
    }


def _result(reports: list[dict[str, Any]]) -> dict[str, Any]:
    entries = [compact_report(parse_doctor_report(r), str(r["target"]["url"])) for r in reports]
    return {
        "kind": "privateapi.fleet/result",
        "version": 1,
        "verdict": "fail",
        "where": {"account": "111122223333", "region": "us-east-1", "note": "w" * 500},
        "reports": entries,
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.data_too_large, HealthCheck.too_slow],
)
@given(
    st.lists(doctor_report(), min_size=1, max_size=MAX_TARGETS),
    st.sampled_from([SSM_LIMIT, SFN_LIMIT, 4096]),
)
def test_fit_is_valid_json_within_the_limit_and_keeps_verdicts_and_causes(
    reports: list[dict[str, Any]], limit: int
) -> None:
    """Property: any real-shaped result fits, parses, and keeps every verdict and cause."""
    result = _result(reports)
    text = fit(result, limit)
    assert len(text) <= limit
    doc = json.loads(text)
    if limit >= SSM_LIMIT:  # the guarantee holds for the engines' limits
        assert [r["verdict"] for r in doc["reports"]] == [r["verdict"] for r in result["reports"]]
        assert [r["causes"] for r in doc["reports"]] == [r["causes"] for r in result["reports"]]
        assert "omitted" not in doc
    assert doc["size_limit"] == limit
    assert text.isascii()


def test_evidence_goes_first_causes_stay() -> None:
    """A huge evidence blob: trimmed (the level says so), the cause and summary kept."""
    report = {
        "verdict": "fail",
        "target": {"url": "https://x"},
        "checks": [
            {
                "id": "tcp.connect",
                "status": "fail",
                "cause": "tcp.timeout",
                "summary": "no answer",
                "evidence": {"blob": "x" * 100_000},
            },
            {
                "id": "dns.lookup",
                "status": "pass",
                "summary": "ok",
                "evidence": {"a": ["1"] * 5000},
            },
        ],
    }
    result = _result([report])
    doc = json.loads(fit(result, SSM_LIMIT))
    assert doc["trimmed"] >= 1
    rep = doc["reports"][0]
    assert rep["causes"] == ["tcp.timeout"]
    tcp = next(c for c in rep["checks"] if c["id"] == "tcp.connect")
    assert tcp["summary"] == "no answer"
    assert len(json.dumps(tcp.get("evidence", {}))) < 1000
    assert json.loads(fit(result, SFN_LIMIT))["trimmed"] == 0  # 100 kB fits 256 KiB untouched


def test_absurd_input_still_valid_and_says_it_is_incomplete() -> None:
    """Thousands of targets (no probe sends that many): valid JSON, within the limit, counted."""
    entry = {"target": {"label": "https://" + "a" * 300}, "verdict": "fail", "causes": CODES}
    result = {
        "kind": "privateapi.fleet/result",
        "verdict": "fail",
        "where": {},
        "reports": [entry] * 3000,
    }
    text = fit(result, SSM_LIMIT)
    doc = json.loads(text)
    assert len(text) <= SSM_LIMIT
    assert doc["omitted"] > 0
    assert doc["omitted"] + len(doc["reports"]) == 3000
    assert doc["verdict"] == "fail"


def test_limit_words() -> None:
    """ssm / sfn / a number; anything else is refused with what is expected."""
    import pytest

    from privateapi import InvalidInputError

    assert limit_for("ssm") == SSM_LIMIT
    assert limit_for(None) == limit_for("sfn") == SFN_LIMIT
    assert limit_for(5000) == 5000
    for bad in (True, 10, "big", 10**9):
        with pytest.raises(InvalidInputError, match="limit"):
            limit_for(bad)
