"""The operations commands (vpce, deploy, status, policy apply) against moto on loopback."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _dnsstub import DnsStub
from admin_lab import REGION, VPCE_A, VPCE_B, FakeAws, Moto, vpce_policy

from privateapi_cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- vpce --------------------------------------------------------------------------------------


def test_vpce_associate_json_with_redeploy(moto: Moto, capsys: pytest.CaptureFixture[str]) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    code, out, _ = run(
        capsys,
        "vpce", "associate", "--api-id", api_id, "--vpce-id", VPCE_A, "--vpce-id", VPCE_B,
        "--redeploy", "prod", "--endpoint-url", moto.url, "--json",
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out)  # exactly one JSON document
    assert doc["vpc_endpoint_ids"] == [VPCE_A, VPCE_B]
    assert doc["deployment"]["stage"] == "prod"
    assert doc["endpoints"][1]["alias_url"].startswith(f"https://{api_id}-{VPCE_B}.execute-api.")
    assert moto.api(api_id)["endpointConfiguration"]["vpcEndpointIds"] == [VPCE_A, VPCE_B]


def test_vpce_associate_human_then_disassociate(
    moto: Moto, capsys: pytest.CaptureFixture[str]
) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    code, out, err = run(
        capsys, "vpce", "associate", "--api-id", api_id, "--vpce-id", VPCE_A,
        "--endpoint-url", moto.url,
    )  # fmt: skip
    assert code == 0
    assert f"Associated {VPCE_A} with {api_id}." in out
    assert f"https://{api_id}-{VPCE_A}.execute-api.{REGION}.amazonaws.com/" in out
    assert "note: Redeploy the API" in err
    code, out, err = run(
        capsys, "vpce", "disassociate", "--api-id", api_id, "--vpce-id", VPCE_A,
        "--vpce-id", VPCE_B, "--endpoint-url", moto.url, "--redeploy", "prod",
    )  # fmt: skip
    assert code == 0
    assert f"Disassociated {VPCE_A}, {VPCE_B} from {api_id}." in out
    assert f"Endpoints associated with {api_id} ({REGION}): none" in out
    assert "Deployed stage prod (deployment " in out
    assert f"warning: {VPCE_B} was not associated" in err


def test_vpce_associate_waits_for_the_alias(moto: Moto, capsys: pytest.CaptureFixture[str]) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    dns_server = DnsStub(
        {f"{api_id}-{VPCE_A}.execute-api.{REGION}.amazonaws.com": {"A": ["10.0.1.23"]}}
    )
    try:
        code, out, err = run(
            capsys, "vpce", "associate", "--api-id", api_id, "--vpce-id", VPCE_A,
            "--endpoint-url", moto.url, "--wait", "--timeout", "5",
            "--resolver", dns_server.hostport,
        )  # fmt: skip
    finally:
        dns_server.close()
    assert code == 0
    assert "resolves to 10.0.1.23" in out
    assert "waiting up to 5 s for" in err  # not a TTY: one line, no progress bar
    assert "\x1b[" not in err


def test_vpce_wait_timeout_json(moto: Moto, capsys: pytest.CaptureFixture[str]) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    dns_server = DnsStub({"nothing.example.com": {"A": ["10.0.1.23"]}})
    try:
        code, out, err = run(
            capsys, "vpce", "associate", "--api-id", api_id, "--vpce-id", VPCE_A,
            "--endpoint-url", moto.url, "--wait", "--timeout", "0.2",
            "--resolver", dns_server.hostport, "--json",
        )  # fmt: skip
    finally:
        dns_server.close()
    assert code == 1
    doc = json.loads(out)
    assert doc["wait"]["resolved"] is False
    assert "did not resolve within 0.2 s" in doc["wait"]["error"]
    assert "hint: Association reaches DNS" in err


def test_vpce_wait_progress_bar_on_a_tty(
    moto: Moto, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    dns_server = DnsStub(
        {f"{api_id}-{VPCE_A}.execute-api.{REGION}.amazonaws.com": {"A": ["10.0.1.23"]}},
        ready_after=2,
    )
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    try:
        code, out, err = run(
            capsys, "vpce", "associate", "--api-id", api_id, "--vpce-id", VPCE_A,
            "--endpoint-url", moto.url, "--wait", "--timeout", "20", "--interval", "0.05",
            "--resolver", dns_server.hostport,
        )  # fmt: skip
    finally:
        dns_server.close()
    assert code == 0
    assert "waiting up to" not in err  # the bar replaces the line
    assert "resolves to 10.0.1.23" in out


def test_vpce_dry_run_and_usage(capsys: pytest.CaptureFixture[str], fake_aws: FakeAws) -> None:
    code, out, _ = run(
        capsys, "vpce", "associate", "--api-id", "a1b2c3d4e5", "--vpce-id", VPCE_A,
        "--endpoint-url", fake_aws.url, "--dry-run", "--wait",
    )  # fmt: skip
    assert code == 0
    assert out.startswith("Dry run: 2 AWS call(s) would be made, none was:\n")
    assert "apigateway UpdateRestApi" in out
    assert fake_aws.requests == []
    code, _, err = run(
        capsys, "vpce", "associate", "--api-id", "a1b2c3d4e5", "--vpce-id", VPCE_A,
        "--endpoint-url", fake_aws.url, "--wait", "--timeout", "0",
    )  # fmt: skip
    assert code == 2
    assert "privateapi: error: --timeout 0.0 is not valid: expected a positive number" in err
    assert fake_aws.requests == []
    code, _, err = run(capsys, "vpce")
    assert code == 2
    assert "associate" in err
    code, _, err = run(capsys, "vpce", "associate", "--api-id", "a1b2c3d4e5")
    assert code == 2
    assert "--vpce-id" in err
    code, _, err = run(
        capsys, "vpce", "associate", "--api-id", "a1b2c3d4e5", "--vpce-id", "vpc-1",
        "--dry-run",
    )  # fmt: skip
    assert code == 2
    assert "privateapi: error: --vpce-id 'vpc-1' is not valid" in err


# --- deploy ------------------------------------------------------------------------------------


def test_deploy(moto: Moto, capsys: pytest.CaptureFixture[str]) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    code, out, _ = run(
        capsys, "deploy", "--api-id", api_id, "--stage", "prod", "--description", "r1",
        "--endpoint-url", moto.url,
    )  # fmt: skip
    assert code == 0
    assert out.startswith("Deployed stage prod (deployment ")
    code, out, _ = run(
        capsys, "deploy", "--api-id", api_id, "--stage", "prod", "--endpoint-url", moto.url,
        "--json",
    )  # fmt: skip
    assert json.loads(out)["deployment"]["stage"] == "prod"


def test_deploy_without_policy_fails_with_the_reason(
    moto: Moto, capsys: pytest.CaptureFixture[str]
) -> None:
    api_id = moto.private_api()
    code, out, err = run(
        capsys, "deploy", "--api-id", api_id, "--stage", "prod", "--endpoint-url", moto.url
    )
    assert code == 1
    assert out == ""
    assert "doesn't have a resource policy" in err
    assert "hint: Attach a resource policy to the API first" in err
    assert (
        f"next: privateapi policy apply --generate --vpce VPCE_ID --api-id {api_id} --stage prod"
        in err
    )
    assert "Traceback" not in err


def test_access_denied_message(fake_aws: FakeAws, capsys: pytest.CaptureFixture[str]) -> None:
    fake_aws.answer(403, "AccessDeniedException", "User: arn:aws:iam::1:user/x is not authorized")
    code, out, err = run(
        capsys, "deploy", "--api-id", "a1b2c3d4e5", "--stage", "prod",
        "--endpoint-url", fake_aws.url, "--json",
    )  # fmt: skip
    assert code == 1
    assert out == ""
    assert "MissingPermissionError: GetRestApi was denied: the caller lacks apigateway:GET" in err
    assert "hint: Grant apigateway:GET on arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5" in err
    assert "testing" not in err


# --- status ------------------------------------------------------------------------------------


def test_status_human_and_json(moto: Moto, capsys: pytest.CaptureFixture[str]) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A), vpce_ids=[VPCE_A], stage="prod")
    code, out, _ = run(capsys, "status", "--api-id", api_id, "--endpoint-url", moto.url)
    assert code == 0
    assert f"API {api_id} 'orders' ({REGION})" in out
    assert "endpoint type: PRIVATE" in out
    assert f"{VPCE_A}  https://{api_id}-{VPCE_A}" in out
    assert "prod  deployment " in out
    assert "Allow everyone: execute-api:Invoke" in out
    code, out, _ = run(capsys, "status", "--api-id", api_id, "--endpoint-url", moto.url, "--json")
    doc = json.loads(out)
    assert doc["private"] is True
    assert doc["stages"][0]["name"] == "prod"
    assert doc["policy"]["source_vpces"] == [VPCE_A]


def test_status_shows_lint_warnings(moto: Moto, capsys: pytest.CaptureFixture[str]) -> None:
    open_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}
        ],
    }
    api_id = moto.private_api(policy=open_policy)
    code, out, _ = run(
        capsys, "status", "--api-id", api_id, "--endpoint-url", moto.url, "--no-domains"
    )
    assert code == 0
    assert "  warning: " in out
    assert "[open-to-all-endpoints]" in out


def test_status_of_a_bare_regional_api(moto: Moto, capsys: pytest.CaptureFixture[str]) -> None:
    api_id = moto.private_api(types=("REGIONAL",))
    moto.client.update_rest_api(
        restApiId=api_id,
        patchOperations=[{"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "true"}],
    )
    code, out, _ = run(
        capsys, "status", "--api-id", api_id, "--endpoint-url", moto.url, "--no-domains"
    )
    assert code == 0
    assert "(not a private API)" in out
    assert "none (the {api}-{vpce} alias style is not available)" in out
    assert "none (deploy with:" in out
    assert "none: a private API without a policy" in out


def test_status_shows_domains_bad_policy_and_notes(
    moto: Moto, capsys: pytest.CaptureFixture[str]
) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A), stage="prod")
    moto.client.create_domain_name(
        domainName=f"{api_id}.example.com",
        endpointConfiguration={"types": ["PRIVATE"]},
        certificateArn=f"arn:aws:acm:{REGION}:123456789012:certificate/abc",
    )
    moto.client.create_base_path_mapping(
        domainName=f"{api_id}.example.com", restApiId=api_id, basePath="v1", stage="prod"
    )
    moto.client.update_rest_api(
        restApiId=api_id,
        patchOperations=[{"op": "replace", "path": "/policy", "value": '{"Statement": 1}'}],
    )
    code, out, _ = run(capsys, "status", "--api-id", api_id, "--endpoint-url", moto.url)
    assert code == 0
    assert f"{api_id}.example.com  base paths: v1" in out
    assert "access associations: not checked (see the note below)" in out
    assert "unreadable:" in out
    assert "note: domain name access associations not checked" in out


def test_status_through_aws_endpoint_url_in_a_subprocess(moto: Moto) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    env = dict(os.environ, AWS_ENDPOINT_URL=moto.url)
    done = subprocess.run(
        [sys.executable, "-m", "privateapi_cli", "status", "--api-id", api_id, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["api_id"] == api_id


# --- policy apply ------------------------------------------------------------------------------


def test_policy_apply_file_and_redeploy(
    moto: Moto, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(vpce_policy(VPCE_B)))
    code, out, err = run(
        capsys, "policy", "apply", str(path), "--api-id", api_id, "--stage", "prod",
        "--endpoint-url", moto.url,
    )  # fmt: skip
    assert code == 0
    assert f"Saved the resource policy on {api_id} ({REGION})." in out
    assert "Deployed stage prod" in out
    assert err == ""
    assert VPCE_B in moto.api(api_id)["policy"]


def test_policy_apply_generate_no_deploy_warns(
    moto: Moto, capsys: pytest.CaptureFixture[str]
) -> None:
    api_id = moto.private_api()
    code, out, err = run(
        capsys, "policy", "apply", "--api-id", api_id, "--generate", "--vpce", VPCE_A,
        "--no-deploy", "--endpoint-url", moto.url,
    )  # fmt: skip
    assert code == 0
    assert "Deployed" not in out
    assert "note: The policy is saved but NOT in effect" in err
    assert moto.client.get_stages(restApiId=api_id)["item"] == []


def test_policy_apply_stdin_json_and_lint(
    moto: Moto, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
            }
        ]
    }
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(policy)))
    code, out, err = run(
        capsys, "policy", "apply", "-", "--api-id", api_id, "--stage", "prod",
        "--endpoint-url", moto.url, "--json",
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out)
    assert doc["action"] == "apply-policy"
    assert doc["warnings"]
    assert "warning: " in err


def test_policy_apply_dry_run(capsys: pytest.CaptureFixture[str], fake_aws: FakeAws) -> None:
    code, out, _ = run(
        capsys, "policy", "apply", "--api-id", "a1b2c3d4e5", "--generate", "--vpc",
        "vpc-0123456789abcdef0", "--stage", "prod", "--endpoint-url", fake_aws.url, "--dry-run",
    )  # fmt: skip
    assert code == 0
    assert "apigateway CreateDeployment" in out
    assert fake_aws.requests == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["x.json", "--generate", "--vpce", VPCE_A, "--stage", "p"], "either FILE or --generate"),
        (["--stage", "p"], "either FILE or --generate"),
        (["--generate", "--stage", "p"], "--generate needs --vpce or --vpc"),
        (["x.json", "--vpce", VPCE_A, "--stage", "p"], "--vpce/--vpc go with --generate"),
        (["--generate", "--vpce", VPCE_A], "--stage is required"),
        (["/nonexistent/p.json", "--stage", "p"], "cannot read /nonexistent/p.json"),
    ],
)
def test_policy_apply_usage_errors(
    capsys: pytest.CaptureFixture[str], fake_aws: FakeAws, argv: list[str], message: str
) -> None:
    code, _, err = run(
        capsys, "policy", "apply", "--api-id", "a1b2c3d4e5", "--endpoint-url", fake_aws.url, *argv
    )
    assert code == 2
    assert message in err
    assert fake_aws.requests == []


def test_policy_apply_invalid_policy_and_non_utf8(
    capsys: pytest.CaptureFixture[str], fake_aws: FakeAws, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"Statement": [{"Effect": "Permit"}]}')
    code, _, err = run(
        capsys, "policy", "apply", str(bad), "--api-id", "a1b2c3d4e5", "--stage", "p",
        "--endpoint-url", fake_aws.url,
    )  # fmt: skip
    assert code == 2
    assert "Effect 'Permit' is not valid" in err
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00")
    code, _, err = run(
        capsys, "policy", "apply", str(binary), "--api-id", "a1b2c3d4e5", "--stage", "p"
    )
    assert code == 2
    assert "is not UTF-8 text" in err


# --- the library's names, rendered as this command line's flags --------------------------------


def test_next_steps_are_command_lines(moto: Moto, capsys: pytest.CaptureFixture[str]) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    code, _, err = run(
        capsys, "vpce", "associate", "--api-id", api_id, "--vpce-id", VPCE_A,
        "--vpce-id", VPCE_B, "--endpoint-url", moto.url,
    )  # fmt: skip
    assert code == 0
    assert f"next: privateapi deploy --api-id {api_id} --stage STAGE" in err
    assert (
        f"next: privateapi vpce associate --api-id {api_id} --vpce-id {VPCE_A}"
        f" --vpce-id {VPCE_B} --wait" in err
    )
    code, _, err = run(
        capsys, "policy", "apply", "--api-id", api_id, "--generate", "--vpce", VPCE_A,
        "--no-deploy", "--endpoint-url", moto.url,
    )  # fmt: skip
    assert code == 0
    assert f"next: privateapi deploy --api-id {api_id} --stage STAGE" in err


def test_errors_name_the_flags_to_check(moto: Moto, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "status", "--api-id", "zzzzzzzzzz", "--endpoint-url", moto.url)
    assert code == 1
    assert out == ""
    assert (
        "privateapi: error: ResourceNotFoundError: GetRestApi: REST API 'zzzzzzzzzz' was not found"
        in err
    )
    assert "(check --api-id, --region, --profile)" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["status", "--api-id", "a1b2c3d4e5", "--aws-timeout", "1e10"],
            "--aws-timeout 10000000000.0 is not",
        ),
        (["status", "--api-id", "a1b2c3d4e5", "--aws-timeout", "nan"], "--aws-timeout nan is not"),
        (["status", "--api-id", "a1b2c3d4e5", "--region", "mars-1"], "--region 'mars-1' is not"),
        (
            [
                "vpce",
                "associate",
                "--api-id",
                "a1b2c3d4e5",
                "--vpce-id",
                VPCE_A,
                "--redeploy",
                "a/b",
            ],
            "--redeploy 'a/b' is not valid",
        ),
        (["deploy", "--api-id", "nope", "--stage", "p"], "--api-id 'nope' is not valid"),
    ],
)
def test_input_errors_name_the_flag(
    aws_env: None, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv, "--endpoint-url", "http://127.0.0.1:9")
    assert code == 2
    assert out == ""
    assert err.startswith("privateapi: error: ")
    assert message in err


def test_a_bad_region_from_the_environment_is_not_blamed_on_a_flag(
    aws_env: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "mars-1")
    code, _, err = run(
        capsys, "status", "--api-id", "a1b2c3d4e5", "--endpoint-url", "http://127.0.0.1:9"
    )
    assert code == 2
    assert "region 'mars-1' is not valid" in err
    assert "--region" not in err
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    code, _, err = run(capsys, "deploy", "--api-id", "a1b2c3d4e5", "--stage", "p", "--dry-run")
    assert code == 2
    assert "privateapi: error: --region is missing: expected an AWS region" in err


def test_the_wait_failure_says_what_to_look_at(
    moto: Moto, capsys: pytest.CaptureFixture[str]
) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    dns_server = DnsStub({"nothing.example.com": {"A": ["10.0.1.23"]}})
    try:
        code, _, err = run(
            capsys, "vpce", "associate", "--api-id", api_id, "--vpce-id", VPCE_A,
            "--endpoint-url", moto.url, "--wait", "--timeout", "0.2",
            "--resolver", dns_server.hostport,
        )  # fmt: skip
    finally:
        dns_server.close()
    assert code == 1
    assert "privateapi: error: AliasNotResolvedError:" in err
    assert f"next: privateapi status --api-id {api_id} --region {REGION}" in err
    assert "--wait" not in err.split("AliasNotResolvedError")[0]  # no "next: ... --wait" before
