"""Many results → the matrix, counts per cause, the VPCs that differ, HTML."""

from __future__ import annotations

import json
from typing import Any

from privateapi.fleet import summarize, to_html
from privateapi.fleet._aggregate import results_in

URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"


def result(
    i: int, *, ou: str, verdict: str = "pass", causes: tuple[str, ...] = (), az: str = "us-east-1a"
) -> dict[str, Any]:
    return {
        "kind": "privateapi.fleet/result",
        "version": 1,
        "verdict": verdict,
        "where": {
            "account": f"{100000000000 + i}",
            "region": "us-east-1",
            "vpc_id": f"vpc-{i:017x}",
            "availability_zone": az,
            "ou": ou,
            "subnet_id": f"subnet-{i}",
        },
        "reports": [{"target": {"label": URL}, "verdict": verdict, "causes": list(causes)}],
    }


def fleet() -> list[dict[str, Any]]:
    healthy = [
        result(i, ou="ou-good-00000001", az="us-east-1a" if i % 2 else "us-east-1b")
        for i in range(40)
    ]
    broken = [
        result(100 + i, ou="ou-bad0-00000002", verdict="fail", causes=("tcp.timeout",))
        for i in range(17)
    ]
    return healthy + broken


def test_counts_matrix_and_the_odd_ones_out() -> None:
    """17 VPCs fail with tcp.timeout, all in one OU: said in one sentence with the fix."""
    s = summarize(fleet())
    assert len(s.rows) == 57 and len(s.places) == 57
    assert s.verdict_counts == {"fail": 17, "pass": 40}
    assert s.cause_counts == {"tcp.timeout": 17}
    assert s.exit_code == 1 and not s.ok
    (d,) = s.deviations
    assert d.outcome == "tcp.timeout" and len(d.vpcs) == 17 and d.majority_count == 40
    # us-east-1a is shared by the 17 but not distinguishing: half the majority is there too.
    assert d.shared == {"ou": "ou-bad0-00000002"}
    assert d.sentence.startswith(
        f"17 VPCs fail with tcp.timeout for {URL} (the other 40: pass): all ou ou-bad0-00000002"
    )
    assert "security group" in d.sentence  # the cause's hint
    doc = s.to_dict()
    assert doc["counts"]["causes"] == {"tcp.timeout": 17}
    assert {m["outcomes"][URL] for m in doc["matrix"]} == {"pass", "tcp.timeout"}
    json.dumps(doc)


def test_all_pass_exit_zero_and_no_deviation() -> None:
    s = summarize([result(i, ou="ou-a") for i in range(3)])
    assert s.ok and s.exit_code == 0 and s.deviations == ()


def test_a_minority_that_passes_is_also_named() -> None:
    """Most fail the same way; the two that pass differ (they share an AZ)."""
    rows = [
        result(i, ou="o", verdict="fail", causes=("dns.nxdomain",), az="us-east-1b")
        for i in range(5)
    ]
    rows += [result(50 + i, ou="o", az="us-east-1c") for i in range(2)]
    (d,) = summarize(rows).deviations
    assert d.outcome == "pass" and d.shared == {"availability_zone": "us-east-1c"}
    assert d.hint is None


def test_engine_shapes_are_all_read() -> None:
    """A bare doctor report, a Lambda Task result, a ResultWriter entry, a list, junk."""
    doctor = {
        "verdict": "fail",
        "target": {"url": URL},
        "checks": [
            {
                "id": "env.platform",
                "status": "info",
                "evidence": {"platform": "ec2", "region": "us-east-1", "vpc_id": "vpc-1"},
            },
            {"id": "dns.lookup", "status": "fail", "cause": "dns.nxdomain"},
        ],
    }
    task = {"StatusCode": 200, "Payload": result(1, ou="x")}
    entry = {
        "ExecutionArn": "arn:aws:states:...",
        "Status": "SUCCEEDED",
        "Output": json.dumps(result(2, ou="x")),
    }
    skipped: list[str] = []
    found = list(
        results_in(
            [
                doctor,
                task,
                entry,
                7,
                {"what": 1},
                {"ExecutionArn": "a", "Status": "SUCCEEDED", "Output": "{"},
            ],
            "in",
            skipped,
        )
    )
    assert len(found) == 3
    assert found[0]["where"]["vpc_id"] == "vpc-1"
    assert found[0]["reports"][0]["causes"] == ["dns.nxdomain"]
    assert len(skipped) == 3


def test_html_is_static_self_contained_and_escaped() -> None:
    """No script, no external resource; text from the fleet is escaped."""
    rows = fleet()
    rows[0]["reports"][0]["target"]["label"] = "<script>alert(1)</script>"
    page = to_html(summarize(rows))
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "http://" not in page and "src=" not in page and "<link" not in page
    assert page.count('class="fail"') == 17
    assert "Where the fleet differs" in page
