"""One way to fail, for every command: the error format, suggestions, the --json document."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from privateapi_cli.main import main

URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"
# The doctor never touches the network here: its input errors come before any check.
DOCTOR = ["doctor", URL, "--no-aws", "--resolver", "127.0.0.1:9", "--no-system-resolver"]
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        }
    ],
}
ARN = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets"


@pytest.fixture
def policy_file(tmp_path: Path) -> str:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(POLICY))
    return str(path)


@pytest.fixture
def typo_policy(tmp_path: Path) -> str:
    bad = dict(POLICY)
    bad["Statement"] = [
        {
            **POLICY["Statement"][0],
            "Condition": {"StringEqualz": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        }  # type: ignore[dict-item]
    ]
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(bad))
    return str(path)


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["doctr"], "doctor"),
        (["url", "--api-idd", "a1b2c3d4e5"], "--api-id"),
        (
            ["url", "--api-id", "a1b2c3d4e5", "--region", "us-east-1", "--style", "vpce_alia"],
            "vpce_alias",
        ),
        ([*DOCTOR, "--check", "dns.lokup"], "dns.lookup"),
        (["invoke", URL, "--styel", "vpce_alias"], "--style"),
        (["policy", "explian"], "explain"),
    ],
)
def test_did_you_mean(argv: list[str], suggestion: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A near miss exits 2 with the error line, then the closest valid word."""
    assert main(argv) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert lines[0].startswith("privateapi: error: ")
    assert lines[1] == f"hint: did you mean {suggestion!r}?"
    assert out == ""
    assert "Traceback" not in err


def test_condition_operator_typo_is_suggested(
    typo_policy: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """StringEqualz in a policy: exit 2, 'did you mean StringEquals'."""
    assert main(["policy", "lint", typo_policy]) == 2
    err = capsys.readouterr().err
    assert "StringEqualz" in err
    assert "hint: did you mean 'StringEquals'?" in err


def test_no_suggestion_for_a_far_word(capsys: pytest.CaptureFixture[str]) -> None:
    """A word close to nothing gets the error alone (no random guess)."""
    assert main(["zzzzzz"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "did you mean" not in err


@pytest.mark.parametrize(
    ("argv", "kind", "fragment"),
    [
        (
            [
                "url",
                "--api-id",
                "a1b2c3d4e5",
                "--region",
                "us-east-1",
                "--stage",
                "prod",
                "--api-idd",
                "x",
                "--json",
            ],
            "usage",
            "--api-idd",
        ),
        (
            ["url", "--api-id", "a1b2c3d4e5", "--region", "useast1", "--stage", "prod", "--json"],
            "input",
            "us-east-1",
        ),
        ([*DOCTOR, "--check", "dns.lokup", "--json"], "input", "dns.lokup"),
        (
            ["policy", "explain", "{policy}", "--resource", "arn:nope", "--json"],
            "input",
            "arn:nope",
        ),
        (["policy", "lint", "{typo}", "--json"], "input", "StringEqualz"),
        (["policy", "lint", "/nonexistent/p.json", "--json"], "usage", "/nonexistent/p.json"),
        (["lab", "--port", "70000", "--json"], "usage", "70000"),
        (["status", "--json"], "usage", "--api-id"),
    ],
)
def test_json_error_document(
    argv: list[str],
    kind: str,
    fragment: str,
    policy_file: str,
    typo_policy: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With --json a usage/input error is ONE JSON document on stdout (and the line on stderr)."""
    args = [a.format(policy=policy_file, typo=typo_policy) for a in argv]
    assert main(args) == 2
    out, err = capsys.readouterr()
    doc = json.loads(out)  # exactly one document: json.loads refuses trailing data
    assert set(doc) == {"error"}
    assert set(doc["error"]) == {"kind", "message", "suggestion", "hint"}
    assert doc["error"]["kind"] == kind
    assert fragment in doc["error"]["message"]
    assert err.startswith("privateapi: error: ")


def test_malformed_resource_arn_is_a_usage_error_not_a_deny(
    policy_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --resource that is no method ARN exits 2 (not IMPLICIT DENY, 1) and says the shape."""
    assert main(["policy", "explain", policy_file, "--resource", "arn:aws:execute-api:x"]) == 2
    err = capsys.readouterr().err
    assert "IMPLICIT DENY" not in err
    assert "API_ID/STAGE/METHOD/PATH" in err
    assert main(["policy", "explain", policy_file, "--resource", ARN]) == 0
    assert "ALLOW" in capsys.readouterr().out


@pytest.mark.parametrize("how", ["positional", "option", "stdin", "both-same"])
def test_policy_file_is_taken_one_way(
    how: str, policy_file: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """explain and lint take FILE, - (stdin) or --policy FILE, alike."""
    import io

    given = {
        "positional": [policy_file],
        "option": ["--policy", policy_file],
        "stdin": ["-"],
        "both-same": [policy_file, "--policy", policy_file],
    }[how]
    for sub, extra in (("explain", ["--resource", ARN]), ("lint", [])):
        monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(POLICY)))
        code = main(["policy", sub, *given, *extra])
        out, err = capsys.readouterr()
        assert code in (0, 1), err  # lint may warn (1); never a usage error
        assert "error" not in err
        assert out  # the verdict or the warnings: the policy was read


def test_policy_file_twice_different_or_missing(
    policy_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two different policies, or none: exit 2 saying how to give one."""
    assert main(["policy", "lint", policy_file, "--policy", "/other.json"]) == 2
    assert "disagree" in capsys.readouterr().err
    assert main(["policy", "lint"]) == 2
    assert "--policy FILE" in capsys.readouterr().err


def test_bad_region_says_what_a_region_looks_like(capsys: pytest.CaptureFixture[str]) -> None:
    """No regular expressions: examples of real regions."""
    assert main(["url", "--api-id", "a1b2c3d4e5", "--region", "useast1", "--stage", "prod"]) == 2
    err = capsys.readouterr().err
    assert "us-east-1" in err
    assert "eu-central-2" in err
    assert "\\w" not in err
    assert "^(" not in err


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """No command: the help and one error line, exit 2."""
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "privateapi: error: a command is required" in err


def test_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    """``privateapi ... | head -c1``: no traceback, exit 141 (SIGPIPE's) or 0."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "privateapi_cli", "policy", "generate", "--vpce"]
    cmd += [f"vpce-{i:017x}" for i in range(2000)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    proc.stdout.read(1)
    proc.stdout.close()  # the reader goes away before the writer is done
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 141), err
    assert b"Traceback" not in err
    assert b"BrokenPipe" not in err


def _raising(exc: BaseException) -> object:
    def handler(args: object) -> int:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("exc", "code", "fragment"),
    [
        (BrokenPipeError(), 141, ""),
        (KeyboardInterrupt(), 130, "privateapi: interrupted"),
        (RuntimeError("boom"), 3, "privateapi: error: internal error: RuntimeError: boom"),
    ],
)
def test_a_handler_that_raises(
    exc: BaseException,
    code: int,
    fragment: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A closed pipe is quiet (141), Ctrl-C is 130, anything else an internal error (3)."""
    from privateapi_cli.commands import url

    monkeypatch.delenv("PRIVATEAPI_DEBUG", raising=False)
    monkeypatch.setattr(url, "run", _raising(exc))
    assert main(["url", "--api-id", "a1b2c3d4e5"]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert (fragment in err) if fragment else (err == "")


def test_flag_words_replace_the_field_name_instead_of_doubling_it() -> None:
    """'AWS checks are off (no_aws)' reads '... (--no-aws)', not '(--no-aws) (no_aws)'."""
    from privateapi_cli._hints import with_flags

    assert with_flags("not run: AWS checks are off (no_aws)") == (
        "not run: AWS checks are off (--no-aws)"
    )
    assert with_flags("give the CA bundle option a PEM file") == (
        "give the CA bundle option (--ca-bundle) a PEM file"
    )
