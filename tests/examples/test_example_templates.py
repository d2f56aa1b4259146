"""The deployable templates in ``examples/``: cfn-lint clean, terraform-formatted, right policy.

None of this deploys anything: cfn-lint and ``terraform fmt`` read files, and the resource
policies are checked with ``privateapi.policy``. ``terraform init`` is never run (it would
download the provider), so the Terraform file is checked for format only.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from privateapi.policy import Request, authorize

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "examples" / "templates"
TERRAFORM = ROOT / "examples" / "terraform"
CFN_FILES = sorted(TEMPLATES.glob("*.yaml"))

REGION, ACCOUNT, API_ID = "us-east-1", "123456789012", "a1b2c3d4e5"
OWN_VPCE, OTHER_VPCE = "vpce-0123456789abcdef0", "vpce-0fedcba9876543210"
ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/prod/GET/ping"
# Templates whose RestApi carries the recommended policy, and the logical id its
# aws:SourceVpce refers to (a resource or a parameter).
POLICY_TEMPLATES = {"private-api.yaml": "ExecuteApiEndpoint", "private-api-alias.yaml": "VpceId"}


def _cfn_lint() -> str:
    here = Path(sys.executable).parent / "cfn-lint"
    found = str(here) if here.exists() else shutil.which("cfn-lint")
    if not found:
        pytest.skip("NOT RUN: cfn-lint is not installed (pip install -e '.[test]')")
    return found


def _lint(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_cfn_lint(), *map(str, paths)], capture_output=True, text=True, timeout=300, check=False
    )


def _load(path: Path) -> dict[str, Any]:
    """A CloudFormation YAML template as data, short-form tags as their long forms."""
    yaml = pytest.importorskip("yaml", reason="NOT RUN: PyYAML is not installed")

    class Loader(yaml.SafeLoader):
        pass

    def intrinsic(loader: Any, suffix: str, node: Any) -> dict[str, Any]:
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if suffix == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    Loader.add_multi_constructor("!", intrinsic)
    data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)
    return data


def _resolve(value: Any, refs: dict[str, str]) -> Any:
    """Replace ``{"Ref": name}`` by ``refs[name]`` throughout (what CloudFormation does)."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return refs[value["Ref"]]
        return {k: _resolve(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, refs) for v in value]
    return value


def _rest_api_policy(template: dict[str, Any], ref: str) -> dict[str, Any]:
    apis = [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    assert len(apis) == 1
    policy: dict[str, Any] = _resolve(apis[0]["Properties"]["Policy"], {ref: OWN_VPCE})
    return policy


ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"


def _outcome(policy: dict[str, Any], vpce: str, principal: str = "anonymous", **kw: Any) -> str:
    context = {"aws:SourceVpce": vpce, "aws:SourceVpc": "vpc-0a1b2c3d"}
    return str(authorize(policy, Request(ARN, principal, context=context), **kw).outcome)


def _policy_problems(policy: dict[str, Any]) -> list[str]:
    """What is wrong with a template's policy, judged as API Gateway would decide."""
    problems = []
    if _outcome(policy, OWN_VPCE) != "allow":
        problems.append("an anonymous call through the template's endpoint is not allowed")
    if _outcome(policy, OTHER_VPCE) == "allow":
        problems.append("an anonymous call through another endpoint is allowed")
    # Table A: a same-account IAM caller whose own policy allows gets in unless a Deny
    # stops it, so "only this endpoint" needs the Deny, not just a narrow Allow.
    iam = _outcome(policy, OTHER_VPCE, ROLE, auth_type="AWS_IAM", caller="allow", same_account=True)
    if iam == "allow":
        problems.append("a same-account IAM caller through another endpoint is allowed")
    return problems


def test_there_are_templates_for_each_setup() -> None:
    names = {p.name for p in CFN_FILES}
    assert {"private-api.yaml", "cross-account-nlb.yaml", "private-api-alias.yaml"} <= names
    assert (TERRAFORM / "private-api" / "main.tf").is_file()


@pytest.mark.parametrize("path", CFN_FILES, ids=lambda p: p.name)
def test_template_passes_cfn_lint(path: Path) -> None:
    """Any cfn-lint finding fails: errors (exit bit 2), warnings (4) and notes (8) alike."""
    done = _lint([path])
    assert done.returncode == 0, done.stdout + done.stderr


def test_cfn_lint_would_catch_a_broken_template(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = (TEMPLATES / "private-api.yaml").read_text(encoding="utf-8")
    # a misspelt property and a Ref to nothing: both are cfn-lint errors
    broken.write_text(
        text.replace("VpcEndpointType: Interface", "VpcEndpointKind: Interface").replace(
            "RestApiId: !Ref Api\n      DeploymentId",
            "RestApiId: !Ref NoSuchApi\n      DeploymentId",
        ),
        encoding="utf-8",
    )
    done = _lint([broken])
    assert done.returncode & 2, done.stdout
    assert "VpcEndpointKind" in done.stdout
    assert len(re.findall(r"^E\d{4} ", done.stdout, flags=re.MULTILINE)) >= 2  # the Ref too


@pytest.mark.parametrize(("name", "ref"), sorted(POLICY_TEMPLATES.items()))
def test_template_policy_allows_its_endpoint_and_denies_others(name: str, ref: str) -> None:
    policy = _rest_api_policy(_load(TEMPLATES / name), ref)
    assert _policy_problems(policy) == []


def test_the_policy_check_fails_a_policy_without_the_deny() -> None:
    policy = _rest_api_policy(_load(TEMPLATES / "private-api.yaml"), "ExecuteApiEndpoint")
    allow_only = copy.deepcopy(policy)
    allow_only["Statement"] = [s for s in allow_only["Statement"] if s["Effect"] == "Allow"]
    assert "an anonymous call through another endpoint is allowed" in _policy_problems(allow_only)
    # an Allow narrowed to the endpoint is still not enough for IAM callers (Table A)
    narrow = copy.deepcopy(allow_only)
    narrow["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceVpce": OWN_VPCE}}
    assert _policy_problems(narrow) == [
        "a same-account IAM caller through another endpoint is allowed"
    ]


def test_cross_account_template_routes_to_the_private_api() -> None:
    template = _load(TEMPLATES / "cross-account-nlb.yaml")
    resources = template["Resources"]
    group = resources["EndpointTargets"]["Properties"]
    assert (group["TargetType"], group["Protocol"], group["Port"]) == ("ip", "TCP", 443)
    assert {t["Port"] for t in group["Targets"]} == {443}
    integration = resources["ProxyMethod"]["Properties"]["Integration"]
    assert integration["ConnectionType"] == "VPC_LINK"
    assert integration["Uri"]["Fn::Sub"].startswith("https://${PrivateApiId}.execute-api.")
    header = integration["RequestParameters"]["integration.request.header.x-apigw-api-id"]
    assert header == {"Fn::Sub": "'${PrivateApiId}'"}  # quoted: a static value


def _terraform() -> str:
    found = shutil.which("terraform")
    if not found:
        pytest.skip("NOT RUN: terraform is not installed (only `terraform fmt` is used)")
    return found


def _terraform_fmt(directory: Path) -> subprocess.CompletedProcess[str]:
    argv = [_terraform(), "fmt", "-check", "-recursive", "-diff", str(directory)]
    # Terraform's upgrade check ("checkpoint") would call out to the internet: off, and
    # where possible the command runs in a fresh network namespace with nothing but lo.
    if shutil.which("unshare") and (
        subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False).returncode == 0
    ):
        argv = ["unshare", "-rn", *argv]
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, env=env)


def test_terraform_files_are_formatted() -> None:
    done = _terraform_fmt(TERRAFORM)
    assert done.returncode == 0, done.stdout + done.stderr  # stderr: CLI-config warnings


def test_terraform_fmt_would_catch_bad_formatting(tmp_path: Path) -> None:
    text = (TERRAFORM / "private-api" / "main.tf").read_text(encoding="utf-8")
    (tmp_path / "main.tf").write_text(
        text.replace("  vpc_id      = var.vpc_id", "vpc_id=var.vpc_id")
    )
    done = _terraform_fmt(tmp_path)
    assert done.returncode != 0
    assert "vpc_id" in done.stdout  # the diff names the line


def test_terraform_policy_has_the_recommended_shape() -> None:
    # No HCL parser here: check the policy's decisive parts are all present in the file.
    text = (TERRAFORM / "private-api" / "main.tf").read_text(encoding="utf-8")
    for needle in (
        'Effect    = "Allow"',
        'Effect    = "Deny"',
        'Resource  = "execute-api:/*"',
        "StringNotEquals = {",
        '"aws:SourceVpce" = aws_vpc_endpoint.execute_api.id',
        'types = ["PRIVATE"]',
    ):
        assert needle in text, needle
