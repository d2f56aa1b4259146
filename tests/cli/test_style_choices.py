"""The CLI's styles come from the library: choices, inference, restyling."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

import privateapi
from privateapi import Style
from privateapi_cli.main import build_parser, main

API = "a1b2c3d4e5"
URL = f"https://{API}.execute-api.us-east-1.amazonaws.com/prod/pets"
VPCE_DNS = "vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com"


def _style_choices(command: str) -> list[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    parser = sub.choices[command]
    action = next(a for a in parser._actions if "--style" in a.option_strings)
    return list(action.choices or ())


@pytest.mark.parametrize("command", ["url", "invoke", "doctor"])
def test_style_choices_are_the_private_members_of_style(command: str) -> None:
    """Every private Style member, in Style's order; the public URL forms are not choices."""
    assert _style_choices(command) == [s.value for s in Style if s.is_private]
    public = [s.value for s in Style if not s.is_private]
    assert public == ["regional", "edge"]  # only these are left out: they never reach a private API
    assert [*_style_choices(command), *public] == [s.value for s in Style]


def test_invoke_and_doctor_infer_a_missing_style_the_same_way(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both commands call privateapi.infer_style with the facts they were given."""
    from privateapi_cli.commands import invoke
    from privateapi_cli.commands.doctor import build_target

    seen: list[dict[str, Any]] = []

    def spy(**facts: Any) -> Style:
        seen.append({k: v for k, v in facts.items() if v is not None})
        return Style.HOST_HEADER  # neither command would pick it by itself

    monkeypatch.setattr(privateapi, "infer_style", spy)
    ids = ["--api-id", API, "--region", "us-east-1", "--stage", "prod"]
    doctor_target = build_target(
        build_parser().parse_args(["doctor", *ids, "--vpce-dns", VPCE_DNS])
    )
    args = build_parser().parse_args(["invoke", URL, "--vpce-dns", VPCE_DNS])
    invoke_target = invoke._restyle(privateapi.parse_url(URL), args)
    assert seen == [{"vpce_dns": VPCE_DNS}, {"vpce_dns": VPCE_DNS}]
    assert doctor_target.style is invoke_target.style is Style.HOST_HEADER


def test_url_names_the_flag_of_each_missing_fact(capsys: pytest.CaptureFixture[str]) -> None:
    """The library says which fact is missing; the CLI adds its flag."""
    assert main(["url", "--api-id", API, "--region", "us-east-1", "--stage", "prod"]) == 0
    out = capsys.readouterr().out
    assert "vpce_alias: not built, missing vpce_id (--vpce-id)" in out
    assert "custom_domain: not built, missing domain (--domain)" in out


def test_invoke_restyle_errors_name_flags(capsys: pytest.CaptureFixture[str]) -> None:
    """A missing fact for --style is reported with its flag; a custom-domain URL lacks the API."""
    assert main(["invoke", URL, "--style", "vpce_alias"]) == 2
    assert "--style vpce_alias needs --vpce-id" in capsys.readouterr().err
    assert main(["invoke", "https://api.example.com/v1/x", "--style", "private_dns"]) == 2
    assert "needs an API id, region and stage" in capsys.readouterr().err


def test_top_level_help_does_not_load_the_styles() -> None:
    """The choices are read when a command needs them, not by `privateapi --help`."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from privateapi_cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED:' + str('privateapi._styles' in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "LOADED:False"
