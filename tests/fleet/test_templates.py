"""The CloudFormation templates and the SSM document: cfn-lint clean, least privilege, bounded."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from privateapi import InvalidInputError
from privateapi.fleet import (
    coordinator_template,
    probe_template,
    ssm_document,
    ssm_template,
    stackset_template,
    to_json,
)

INVOKE = "arn:aws:execute-api:us-east-1:111122223333:a1b2c3d4e5/*/GET/*"


def _cfn_lint() -> str:
    here = Path(sys.executable).parent / "cfn-lint"
    found = str(here) if here.exists() else shutil.which("cfn-lint")
    if not found:
        pytest.skip("NOT RUN: cfn-lint is not installed (pip install -e '.[test]')")
    return found


TEMPLATES: dict[str, Any] = {
    "probe": probe_template,
    "probe-signed-control-plane": lambda: probe_template(invoke_arns=[INVOKE], control_plane=True),
    "probe-plain": lambda: probe_template(plain_parameters=True),
    "stackset": lambda: stackset_template(
        ["ou-ab12-cdef3456"], ["us-east-1", "eu-west-1"], code_bucket="b", code_key="k.zip"
    ),
    "stackset-delegated": lambda: stackset_template(
        ["r-ab12"],
        ["us-east-1"],
        code_bucket="b",
        code_key="k.zip",
        coordinator_account="111122223333",
        architecture="x86_64",
        delegated_admin=True,
    ),
    "coordinator": lambda: coordinator_template(max_concurrency=10),
    "ssm": ssm_template,
}


def test_every_template_passes_cfn_lint(tmp_path: Path) -> None:
    """cfn-lint (errors and warnings) on every template variant, the state machine included."""
    lint = _cfn_lint()
    files = []
    for name, make in TEMPLATES.items():
        f = tmp_path / f"{name}.json"
        f.write_text(to_json(make()))
        files.append(str(f))
    # The StackSet's body is a template too: lint it as one.
    body = json.loads(
        TEMPLATES["stackset"]()["Resources"]["ProbeStackSet"]["Properties"]["TemplateBody"]
    )
    (tmp_path / "stackset-body.json").write_text(to_json(body))
    files.append(str(tmp_path / "stackset-body.json"))
    proc = subprocess.run([lint, *files], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cfn_lint_would_catch_a_broken_template(tmp_path: Path) -> None:
    """The lint step can fail: a state machine without States is refused."""
    lint = _cfn_lint()
    bad = coordinator_template()
    del bad["Resources"]["StateMachine"]["Properties"]["Definition"]["States"]
    f = tmp_path / "bad.json"
    f.write_text(to_json(bad))
    proc = subprocess.run([lint, str(f)], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode != 0


def _statements(t: dict[str, Any]) -> dict[str, Any]:
    policy = t["Resources"]["Role"]["Properties"]["Policies"][0]["PolicyDocument"]
    return {s["Sid"]: s for s in policy["Statement"]}


def test_probe_role_is_least_privilege_with_optional_statements() -> None:
    base = _statements(probe_template())
    assert set(base) == {"Logs", "VpcNetworkInterfaces", "WhereItRuns"}
    assert "logs:CreateLogGroup" not in json.dumps(base)  # the stack makes the log group
    full = _statements(probe_template(invoke_arns=[INVOKE], control_plane=True))
    assert full["SignedProbe"]["Resource"] == [INVOKE]
    assert full["ControlPlaneApiGateway"]["Action"] == "apigateway:GET"
    assert all(a.startswith("ec2:Describe") for a in full["ControlPlaneEc2"]["Action"])
    fn = probe_template()["Resources"]["Function"]["Properties"]
    assert fn["Handler"] == "privateapi.fleet.handler.handler" and fn["Runtime"] == "python3.12"
    perm = probe_template()["Resources"]["CoordinatorInvoke"]["Properties"]
    assert perm["Principal"] == {"Ref": "CoordinatorAccountId"}


def test_stackset_is_service_managed_with_auto_deployment() -> None:
    p = TEMPLATES["stackset"]()["Resources"]["ProbeStackSet"]["Properties"]
    assert p["PermissionModel"] == "SERVICE_MANAGED"
    assert p["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert p["StackInstancesGroup"][0]["DeploymentTargets"]["OrganizationalUnitIds"] == [
        "ou-ab12-cdef3456"
    ]
    assert json.loads(p["TemplateBody"])["Resources"]["Function"]["Type"] == "AWS::Lambda::Function"


def test_coordinator_is_a_bounded_distributed_map_writing_to_s3() -> None:
    sm = coordinator_template(max_concurrency=7)["Resources"]["StateMachine"]["Properties"]
    state = sm["Definition"]["States"]["ProbeEveryVpc"]
    assert state["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert state["MaxConcurrency"] == 7
    assert state["ResultWriter"]["Parameters"]["Bucket"] == "${ResultsBucket}"
    task = state["ItemProcessor"]["States"]["RunDoctor"]
    assert task["Parameters"]["Payload"]["limit"] == "sfn"
    assert task["OutputPath"] == "$.Payload"


def test_ssm_document_schema_and_injection_guards() -> None:
    """schemaVersion 2.2, download then run; every parameter confined to safe characters."""
    import re

    doc = ssm_document()
    assert doc["schemaVersion"] == "2.2"
    assert [s["action"] for s in doc["mainSteps"]] == ["aws:downloadContent", "aws:runShellScript"]
    script = "\n".join(doc["mainSteps"][1]["inputs"]["runCommand"])
    assert "privateapi_cli doctor --json" in script and "fleet compact --limit ssm" in script
    urls = re.compile(doc["parameters"]["Targets"]["allowedPattern"])
    assert urls.fullmatch(
        "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod https://x/y?a=1"
    )
    for evil in ("https://x/$(id)", "a;rm -rf /", "x`id`", "a'b", 'a"b', "a|b", "a\nb"):
        assert not urls.fullmatch(evil), evil
    args = re.compile(doc["parameters"]["DoctorArgs"]["allowedPattern"])
    assert args.fullmatch("--no-aws --timeout 3") and not args.fullmatch("--x; id")


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: probe_template(invoke_arns=["*"]), "invoke_arn"),
        (lambda: probe_template(function_name="bad name"), "function_name"),
        (
            lambda: stackset_template([], ["us-east-1"], code_bucket="b", code_key="k"),
            "organizational_units",
        ),
        (
            lambda: stackset_template(["ou-bad"], ["us-east-1"], code_bucket="b", code_key="k"),
            "organizational_unit",
        ),
        (lambda: stackset_template(["r-ab12"], [], code_bucket="b", code_key="k"), "regions"),
        (
            lambda: stackset_template(
                ["r-ab12"], ["us-east-1"], code_bucket="b", code_key="k", coordinator_account="1"
            ),
            "coordinator_account",
        ),
        (
            lambda: stackset_template(
                ["r-ab12"], ["us-east-1"], code_bucket="b", code_key="k", architecture="mips"
            ),
            "architecture",
        ),
        (lambda: coordinator_template(max_concurrency=0), "max_concurrency"),
        (lambda: coordinator_template(retention_days=0), "retention_days"),
        (lambda: ssm_document(timeout_seconds=1), "timeout_seconds"),
        (lambda: ssm_template(document_name="x"), "document_name"),
    ],
)
def test_bad_template_input_names_the_field(make: Any, field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        make()
    assert info.value.field == field
