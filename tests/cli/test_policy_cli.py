"""`privateapi policy explain | lint | generate`, run in-process."""

from __future__ import annotations

import argparse
import importlib
import io
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from privateapi_cli.main import main

ACCOUNT = "123456789012"
API = ["--api-id", "a1b2c3d4e5", "--region", "us-east-1", "--account", ACCOUNT]
ARN = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3d4e5/prod/GET/pets"
VPCE = "vpce-1a2b3c4d"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowVpce",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/prod/*",
            "Condition": {"StringEquals": {"aws:SourceVpce": VPCE}},
        },
        {
            "Sid": "DenyOthers",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"StringNotEquals": {"aws:SourceVpce": [VPCE, "vpce-00000000"]}},
        },
    ],
}


@pytest.fixture
def policy_file(tmp_path: Path) -> str:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(POLICY), encoding="utf-8")
    return str(path)


def explain(policy_file: str, *extra: str) -> list[str]:
    return ["policy", "explain", "--policy", policy_file, "--resource", ARN, *extra]


def test_explain_allow(policy_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(explain(policy_file, "--vpce", VPCE)) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ALLOW: anonymous → execute-api:Invoke on {ARN}")
    assert "Allowed by Statement[0] (Sid 'AllowVpce')" in out
    assert "✔ Statement[0] (Sid 'AllowVpce') [Allow] applies" in out


def test_explain_explicit_deny_names_the_deny_and_its_condition(
    policy_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(explain(policy_file, "--vpce", "vpce-99999999")) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("EXPLICIT DENY:")
    assert lines[1].startswith(
        "Denied by Statement[1] (Sid 'DenyOthers') — StringNotEquals aws:SourceVpce"
    )
    assert "vpce-99999999" in lines[1]


def test_explain_implicit_deny_shows_near_misses(
    policy_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(explain(policy_file, "--vpce", "vpce-00000000")) == 1
    out = capsys.readouterr().out
    assert out.startswith("IMPLICIT DENY:")
    assert "No statement applies" in out
    near = out.split("Near misses")[1].split("Statements:")[0]
    assert "Statement[0] (Sid 'AllowVpce') [Allow] Condition:" in near
    assert "vpce-00000000" in near
    # Only Allow statements are near misses worth showing for an implicit deny.
    assert "DenyOthers" not in near


def test_explain_json(policy_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(explain(policy_file, "--vpce", "vpce-99999999", "--json"))
    assert code == 1
    data = json.loads(capsys.readouterr().out)
    assert data["outcome"] == "explicit_deny"
    assert data["deciding"] == [{"index": 1, "sid": "DenyOthers"}]
    assert data["request"]["context"]["aws:SourceVpce"] == "vpce-99999999"


def test_explain_context_source_ip_and_principal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {
                    "IpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"},
                    "ForAllValues:StringEquals": {"aws:PrincipalOrgPaths": ["o-1/a", "o-1/b"]},
                    "StringEquals": {"aws:SourceVpc": "vpc-1a2b3c4d"},
                },
            }
        ],
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(policy), encoding="utf-8")
    argv = [
        "policy", "explain", "--policy", str(path), "--resource", "prod/GET/pets", *API,
        "--principal", f"arn:aws:iam::{ACCOUNT}:role/app", "--vpc", "vpc-1a2b3c4d",
        "--source-ip", "10.1.2.3", "--context", "aws:PrincipalOrgPaths=o-1/a",
        "--context", "aws:PrincipalOrgPaths=o-1/b", "--json",
    ]  # fmt: skip
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["request"]["resource"] == ARN
    assert data["request"]["context"]["aws:PrincipalOrgPaths"] == ["o-1/a", "o-1/b"]
    assert data["request"]["context"]["aws:VpcSourceIp"] == "10.1.2.3"
    assert "aws:SourceIp" not in data["request"]["context"]
    argv[argv.index("--context") + 1] = "aws:PrincipalOrgPaths=o-2/z"
    assert main(argv) == 1


def test_explain_context_three_values(policy_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    extra = ["--context", "a:k=1", "--context", "a:k=2", "--context", "a:k=3", "--json"]
    main(explain(policy_file, *extra))
    assert json.loads(capsys.readouterr().out)["request"]["context"]["a:k"] == ["1", "2", "3"]


def test_explain_delegated_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "*", "Resource": "*"}
        ]
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(policy), encoding="utf-8")
    role = f"arn:aws:iam::{ACCOUNT}:role/app"
    assert (
        main(["policy", "explain", "--policy", str(path), "--resource", ARN, "--principal", role])
        == 0
    )
    assert "delegates to the caller's identity policies" in capsys.readouterr().out


def test_explain_reads_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(POLICY)))
    assert main(["policy", "explain", "--policy", "-", "--resource", ARN, "--vpce", VPCE]) == 0
    assert capsys.readouterr().out.startswith("ALLOW")


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["policy", "explain", "--resource", ARN], "--policy"),
        (
            ["policy", "explain", "--policy", "/nonexistent/p.json", "--resource", ARN],
            "cannot read",
        ),
        (["--resource", "prod/GET/pets"], "not an ARN"),
        (["--resource", ARN, "--api-id", "a1b2c3d4e5"], "--region, --account missing"),
        (["--resource", ARN, "--context", "novalue"], "expected KEY=VALUE"),
        (["--resource", ARN, "--context", "=x"], "expected KEY=VALUE"),
        (["policy", "frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors(
    policy_file: str, argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if argv[0] != "policy":
        argv = ["policy", "explain", "--policy", policy_file, *argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


def test_bad_policy_is_exit_2_with_statement_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {"Statement": [{"Sid": "X", "Effect": "Allow", "Principal": "*", "Action": "x:y",
                          "Resource": "*", "Condition": {"StringEqualz": {"a": "b"}}}]}  # fmt: skip
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    assert main(["policy", "explain", "--policy", str(path), "--resource", ARN]) == 2
    err = capsys.readouterr().err
    assert (
        "Statement[0] (Sid 'X'): Condition operator 'StringEqualz' is not a known operator" in err
    )
    assert "Traceback" not in err


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00", b"[]"])
def test_malformed_files_are_exit_2(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert main(["policy", "lint", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("privateapi")
    assert "Traceback" not in err


def test_policy_without_subcommand_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy"]) == 2
    err = capsys.readouterr().err
    assert "explain" in err
    assert "generate" in err


def test_lint_clean_and_warnings(
    policy_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["policy", "lint", policy_file, *API]) == 0
    assert "no warnings" in capsys.readouterr().out
    risky = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Ip",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ],
    }
    path = tmp_path / "risky.json"
    path.write_text(json.dumps(risky), encoding="utf-8")
    assert main(["policy", "lint", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Statement[0] (Sid 'Ip'): IpAddress on aws:SourceIp" in out
    assert "[source-ip]" in out
    assert out.rstrip().endswith("3 warnings")
    assert main(["policy", "lint", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["count"] == 3
    assert {w["code"] for w in data["warnings"]} == {
        "source-ip",
        "open-to-all-endpoints",
        "allow-without-deny",
    }


def test_lint_single_warning_wording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    path = tmp_path / "open.json"
    path.write_text(json.dumps(policy), encoding="utf-8")
    assert main(["policy", "lint", str(path)]) == 1
    assert capsys.readouterr().out.rstrip().endswith("1 warning")


def test_lint_json_clean(policy_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "lint", policy_file, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"warnings": [], "count": 0}


def test_generate(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["policy", "generate", "--vpce", VPCE, "vpce-0a1b2c3d", "--vpc", "vpc-1a2b3c4d",
            "--stage", "prod", "--method", "GET", *API]  # fmt: skip
    assert main(argv) == 0
    policy = json.loads(capsys.readouterr().out)
    deny = policy["Statement"][1]
    assert deny["Condition"]["StringNotEquals"]["aws:SourceVpce"] == [VPCE, "vpce-0a1b2c3d"]
    assert policy["Statement"][0]["Resource"] == ARN.replace("/pets", "/*")

    from privateapi.policy import Request, evaluate

    assert evaluate(policy, Request.for_private_api(ARN, vpce=VPCE)).allowed


def test_generate_principals(capsys: pytest.CaptureFixture[str]) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/app"
    assert main(["policy", "generate", "--vpce", VPCE, "--principal", role]) == 0
    assert json.loads(capsys.readouterr().out)["Statement"][0]["Principal"] == {"AWS": role}


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        ([], "at least one --vpce or --vpc"),
        (["--vpce", "nope"], "vpce 'nope' is not valid"),
    ],
)
def test_generate_errors(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["policy", "generate", *argv]) == 2
    assert fragment in capsys.readouterr().err


def test_extension_hook_registers_policy_subcommands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = types.ModuleType("privateapi_cli.commands.policy_apply")

    def register(sub: Any) -> None:
        parser = sub.add_parser("apply")
        parser.add_argument("--api-id", required=True)
        parser.set_defaults(handler=lambda args: print(f"applied {args.api_id}") or 0)

    module.register = register  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "privateapi_cli.commands.policy_apply", module)
    assert main(["policy", "apply", "--api-id", "a1b2c3d4e5"]) == 0
    assert capsys.readouterr().out == "applied a1b2c3d4e5\n"


def test_extension_with_a_broken_import_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    from privateapi_cli.commands import policy as command

    def boom(name: str) -> Any:
        raise ModuleNotFoundError("No module named 'missing_dependency'", name="missing_dependency")

    monkeypatch.setattr(importlib, "import_module", boom)
    parser = argparse.ArgumentParser()
    with pytest.raises(ModuleNotFoundError):
        command.register(parser.add_subparsers())
