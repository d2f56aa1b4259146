"""``privateapi demo``: every scenario diagnosed as expected, quickly, on loopback."""

from __future__ import annotations

import json
import time

import pytest

from privateapi.testing import run_demo
from privateapi_cli.main import main


def test_demo_cases_are_diagnosed_as_expected() -> None:
    """Healthy passes; policy deny, unassociated endpoint and wrong TLS name fail as named."""
    t0 = time.monotonic()
    cases = run_demo(timeout=1.0)
    assert time.monotonic() - t0 < 30
    by = {c.name: c for c in cases}
    assert set(by) == {
        "healthy",
        "policy-deny",
        "endpoint-not-associated",
        "wrong-tls-name",
        "what-would-work",
    }
    assert all(c.as_expected for c in cases), [(c.name, c.report.verdict) for c in cases]
    assert by["healthy"].report.verdict == "pass"
    assert by["endpoint-not-associated"].to_dict()["expected_cause"] == "dns.nxdomain"
    wanted = by["what-would-work"]
    assert [a.style for a in wanted.report.working] == ["vpce_alias"]
    assert wanted.to_dict()["expected_working"] == "vpce_alias"


def test_demo_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """The command prints real reports (or one JSON document) and exits 0."""
    assert main(["demo", "--no-color", "--ascii", "--timeout", "1"]) == 0
    out = capsys.readouterr().out
    assert "demo: 5/5 scenarios diagnosed as expected" in out
    assert "x FAIL  dns.lookup" in out
    assert "the {api}-{vpce} alias works: use InvokeTarget.vpce_alias(" in out
    assert main(["demo", "--json", "--timeout", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["as_expected"] for c in doc["cases"]] == [True] * 5


def test_demo_unexpected_outcome_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """If a scenario's diagnosis is not the expected one, the demo says so and exits 1."""
    import privateapi.testing._demo as demo
    from privateapi.doctor import Report

    real = demo.run

    def wrong(target: object, options: object) -> Report:
        rep = real(target, options)  # type: ignore[arg-type]
        return Report(target=rep.target, results=rep.results, verdict="pass")

    monkeypatch.setattr(demo, "run", wrong)
    assert main(["demo", "--no-color", "--timeout", "1"]) == 1
    assert "NOT as expected" in capsys.readouterr().out
