"""`privateapi url` and the command line's general behaviour."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from privateapi_cli.main import main

VPCE_DNS = "vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com"
BASE = ["url", "--api-id", "a1b2c3d4e5", "--region", "us-east-1", "--stage", "prod"]


def test_json_lists_the_four_styles_with_exact_urls(capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's done-when example, byte for byte."""
    code = main([*BASE, "--vpce-id", "vpce-0123456789abcdef0", "--vpce-dns", VPCE_DNS, "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    data = {d["style"]: d for d in doc["styles"]}
    assert set(data) == {"private_dns", "vpce_alias", "host_header", "api_id_header"}
    assert [d["style"] for d in doc["not_built"]] == ["custom_domain"]
    assert doc["not_built"][0]["flags"] == ["--domain"]
    assert (
        data["private_dns"]["url"] == "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"
    )
    assert data["vpce_alias"]["url"] == (
        "https://a1b2c3d4e5-vpce-0123456789abcdef0.execute-api.us-east-1.amazonaws.com/prod"
    )
    assert data["host_header"]["url"] == f"https://{VPCE_DNS}/prod"
    assert data["host_header"]["headers"] == {
        "Host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
    }
    assert data["api_id_header"]["headers"] == {"x-apigw-api-id": "a1b2c3d4e5"}
    assert data["api_id_header"]["server_name"] == VPCE_DNS


def test_china_region_uses_the_cn_suffix(capsys: pytest.CaptureFixture[str]) -> None:
    """--region cn-north-1 gives amazonaws.com.cn names."""
    argv = ["url", "--api-id", "a1b2c3d4e5", "--region", "cn-north-1", "--stage", "prod", "--json"]
    assert main(argv) == 0
    (entry,) = json.loads(capsys.readouterr().out)["styles"]
    assert entry["url"] == "https://a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn/prod"


def test_human_table_names_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    """Styles that cannot be built say what is missing."""
    assert main([*BASE, "--connect-to", "10.1.2.3"]) == 0
    out = capsys.readouterr().out
    assert "✔ private_dns" in out
    assert "connect to   10.1.2.3:443" in out
    assert "host_header: not built, missing vpce_dns" in out


def test_style_filter(capsys: pytest.CaptureFixture[str]) -> None:
    """--style prints only that style."""
    assert main([*BASE, "--style", "private_dns", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [d["style"] for d in doc["styles"]] == ["private_dns"]
    assert doc["not_built"] == []


def test_style_that_cannot_be_built_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--style vpce_alias without --vpce-id exits 2 naming the flag (not "not built", 0)."""
    assert main([*BASE, "--style", "vpce_alias"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "--vpce-id" in err
    assert main([*BASE, "--style", "vpce_alias", "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["error"]["kind"] == "usage"
    assert "--vpce-id" in doc["error"]["message"]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["url", "--api-id", "abc", "--region", "us-east-1", "--stage", "prod"], "api_id"),
        (["url", "--api-id", "a1b2c3d4e5", "--region", "mars-1", "--stage", "prod"], "region"),
        (["url", "--api-id", "a1b2c3d4e5", "--region", "us-east-1", "--stage", "p/x"], "stage"),
        ([*BASE, "--vpce-id", "vpce-zz"], "vpce_id"),
        ([*BASE, "--vpce-dns", "nope.example.com"], "vpce_dns"),
        ([*BASE, "--connect-to", "host:0"], "connect_to"),
        (["url", "--parse", "ftp://x"], "url"),
        (["url", "--parse", "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"], "stage"),
        (["url", "--parse", f"https://{VPCE_DNS}/prod", "-H", "nocolon"], "header"),
        (["url"], "missing --api-id"),
        (["url", "-H", "Host: x", *BASE[1:]], "--parse"),
        (["url", "--style", "nope"], "invalid choice"),
        (["nope"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every malformed input: exit 2, one line on stderr naming the field, no traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_parse_json(capsys: pytest.CaptureFixture[str]) -> None:
    """--parse --json prints style, ids and the rest of the path."""
    assert (
        main(
            [
                "url",
                "--parse",
                f"https://{VPCE_DNS}/prod/pets?x=1",
                "-H",
                "x-apigw-api-id: a1b2c3d4e5",
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["style"] == "api_id_header"
    assert (data["api_id"], data["region"], data["stage"], data["vpce_id"]) == (
        "a1b2c3d4e5",
        "us-east-1",
        "prod",
        "vpce-0123456789abcdef0",
    )
    assert data["path"] == "/pets?x=1"


def test_parse_human_warns_about_public_urls(capsys: pytest.CaptureFixture[str]) -> None:
    """A public URL is flagged."""
    assert main(["url", "--parse", "https://d111111abcdef8.cloudfront.net/prod/x"]) == 0
    out = capsys.readouterr().out
    assert "PUBLIC" in out and "warning" in out


def test_parse_human_connect_to(capsys: pytest.CaptureFixture[str]) -> None:
    """An IP URL with the API's Host shows where it connects."""
    assert (
        main(
            [
                "url",
                "--parse",
                "https://10.0.0.7/prod/a",
                "-H",
                "Host: a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "connect to   10.0.0.7:443" in out and "path         /a" in out


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Bare `privateapi` is a usage error."""
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_version_and_module_entry_point() -> None:
    """`python -m privateapi_cli --version` works without the console script."""
    out = subprocess.run(
        [sys.executable, "-m", "privateapi_cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("privateapi ")


def test_help_imports_no_heavy_modules() -> None:
    """`privateapi --help` must not import botocore, httpx or rich (start-up time)."""
    code = (
        "import sys\n"
        "from privateapi_cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "mods = ('botocore', 'httpx', 'rich', 'dns', 'cryptography')\n"
        "heavy = [m for m in mods if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_internal_error_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unexpected exception exits 3 with one line, no traceback."""
    import privateapi_cli.commands.url as url_cmd

    def boom(_args: object) -> int:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(url_cmd, "run", boom)
    assert main(BASE) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: kaboom" in err and "Traceback" not in err
