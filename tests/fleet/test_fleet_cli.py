"""``privateapi fleet``: parsing and rendering, dry runs, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DATA, FakeAws

from privateapi_cli.main import main

URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"


@pytest.mark.parametrize("kind", ["probe", "coordinator", "ssm"])
def test_template_prints_one_json_document(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fleet", "template", kind, "--dry-run"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["AWSTemplateFormatVersion"] == "2010-09-09"
    assert "Dry run" in out.err


def test_template_stackset_and_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fleet", "template", "stackset"]) == 2
    assert "--ou" in capsys.readouterr().err
    out = tmp_path / "ss.json"
    args = [
        "fleet",
        "template",
        "stackset",
        "--ou",
        "ou-ab12-cdef3456",
        "--regions",
        "us-east-1",
        "--code-bucket",
        "b",
        "--code-key",
        "k.zip",
        "-o",
        str(out),
    ]
    assert main(args) == 0
    assert (
        json.loads(out.read_text())["Resources"]["ProbeStackSet"]["Properties"]["PermissionModel"]
        == "SERVICE_MANAGED"
    )
    assert main(["fleet", "template", "ssm", "--document-only"]) == 0
    assert json.loads(capsys.readouterr().out)["schemaVersion"] == "2.2"


def test_report_from_files_exit_codes_and_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = json.loads((DATA / "resultwriter_succeeded_0.json").read_text())
    f = tmp_path / "run.json"
    f.write_text(json.dumps(files))
    html = tmp_path / "r.html"
    assert main(["fleet", "report", str(f), "--html", str(html)]) == 1
    out = capsys.readouterr().out
    assert "1 fail" in out and "tcp.timeout" in out and "Where the fleet differs" in out
    assert html.read_text().startswith("<!DOCTYPE html>")
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(e["Output"] for e in files[:2]))
    assert main(["fleet", "report", str(good), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    empty = tmp_path / "e.json"
    empty.write_text("{}")
    assert main(["fleet", "report", str(empty)]) == 2
    assert main(["fleet", "report", str(tmp_path / "missing.json")]) == 2


def test_run_and_report_dry_runs_make_no_call(
    fake_aws: FakeAws, capsys: pytest.CaptureFixture[str]
) -> None:
    aws = ["--endpoint-url", fake_aws.url, "--region", "us-east-1", "--dry-run"]
    sm = "arn:aws:states:us-east-1:111122223333:stateMachine:privateapi-fleet"
    assert main(["fleet", "run", URL, "--state-machine", sm, "--stack-set", "s", *aws]) == 0
    assert "StartExecution" in capsys.readouterr().out
    assert (
        main(["fleet", "run", URL, "--ssm-tag", "Team=web", "--artifact-url", "s3://b/p.zip", *aws])
        == 0
    )
    assert "SendCommand" in capsys.readouterr().out
    assert (
        main(
            [
                "fleet",
                "run",
                URL,
                "--invoke",
                "--probe",
                "arn:aws:lambda:us-east-1:222233334444:function:p",
                *aws,
                "--json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["calls"][0]["operation"] == "Invoke"
    assert main(["fleet", "report", "s3://bucket/runs/", *aws]) == 0
    assert "ListObjectsV2" in capsys.readouterr().out
    assert main(["fleet", "package", "--dry-run"]) == 0
    assert "pip download" in capsys.readouterr().out.replace("-m pip", "pip")
    assert fake_aws.requests == []
    assert main(["fleet", "run", URL, "--ssm-tag", "Team=web", *aws]) == 2
    assert main(["fleet", "run", URL, "--state-machine", sm, *aws]) == 2
    assert main(["fleet", "run", "not-a-url", "--state-machine", sm, "--probe", "x", *aws]) == 2


def test_compact_turns_doctor_reports_into_one_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the SSM document runs: doctor --json files → one result under 24,000 characters."""
    report = {
        "version": 1,
        "verdict": "fail",
        "target": {"url": URL},
        "checks": [
            {
                "id": "env.platform",
                "status": "info",
                "evidence": {"platform": "ec2", "instance_id": "i-1", "region": "us-east-1"},
            },
            {
                "id": "tcp.connect",
                "status": "fail",
                "cause": "tcp.timeout",
                "evidence": {"big": "x" * 60_000},
            },
        ],
    }
    a = tmp_path / "report-1.json"
    a.write_text(json.dumps(report))
    broken = tmp_path / "report-2.json"
    broken.write_text("Traceback (most recent call last)")
    assert main(["fleet", "compact", str(a), str(broken), "--label", "team=web"]) == 0
    out = capsys.readouterr().out
    assert len(out) <= 24_000
    doc = json.loads(out)
    assert doc["where"] == {
        "platform": "ec2",
        "instance_id": "i-1",
        "region": "us-east-1",
        "team": "web",
    }
    assert [r["verdict"] for r in doc["reports"]] == ["fail", "error"]
    assert doc["reports"][0]["causes"] == ["tcp.timeout"]
    assert main(["fleet", "compact", str(a), "--limit", "huge"]) == 2
    assert main(["fleet", "compact", str(a), "--label", "nolabel"]) == 2
    assert main(["fleet", "compact", str(tmp_path / "none.json")]) == 2
    assert main(["fleet"]) == 2
