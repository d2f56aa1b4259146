"""``privateapi invoke`` as curl users expect it, against a local gateway on loopback.

The gateway (``privateapi.testing``) listens on 127.0.0.1 only; every request is pinned
there with ``--connect-to`` and trusted with the lab's CA, so nothing uses the system
resolver for an AWS name and nothing leaves the machine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from privateapi import Style
from privateapi.testing import LocalGateway, Route
from privateapi_cli.main import main


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[LocalGateway, str]]:
    with LocalGateway() as gw:
        api = gw.add_api(
            routes=[
                Route.static("GET", "/ping", json={"ok": True}),
                Route.static("GET", "/missing", status=404, json={"message": "nope"}),
            ],
        )
        yield gw, api.id


def _argv(lab: tuple[LocalGateway, str], path: str, *more: str) -> list[str]:
    gw, api_id = lab
    target = gw.target(api_id, Style.PRIVATE_DNS)
    return [
        "invoke",
        f"{target.base_url}{path}",
        "--connect-to",
        f"{target.connect_host}:{target.connect_port}",
        "--ca-bundle",
        str(gw.ca_bundle),
        "--no-sign",
        *more,
    ]


def test_verbose_prints_server_name_address_and_phase_timings(
    lab: tuple[LocalGateway, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """-v names the TLS server name, the connected address and each measured phase."""
    gw, api_id = lab
    target = gw.target(api_id, Style.PRIVATE_DNS)
    assert main(_argv(lab, "/ping", "-v")) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"ok": True}
    assert f"* connected to {target.connect_host}:{target.connect_port}" in err
    assert f"TLS server name {target.server_name}" in err
    assert "DNS lookup" not in err  # connected to an IP: nothing was looked up
    for phase in ("TCP connect", "TLS handshake", "first byte", "total"):
        assert re.search(rf"\* {re.escape(phase)} +\d+\.\d ms", err), (phase, err)


def test_write_out_variables_and_escapes(
    lab: tuple[LocalGateway, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """-w expands %{http_code}, the timings, %{remote_ip}, \\n and %%."""
    fmt = "%{http_code} %{remote_ip} %{time_connect} %{time_appconnect} %{time_total} 100%%\\n"
    assert main(_argv(lab, "/ping", "-s", "-w", fmt)) == 0
    out = capsys.readouterr().out
    body, line = out.split("\n", 1)
    assert json.loads(body) == {"ok": True}
    code, ip, connect, tls, total, pct = line.rstrip("\n").split(" ")
    gw, api_id = lab
    assert (code, ip, pct) == ("200", gw.target(api_id, Style.PRIVATE_DNS).connect_host, "100%")
    # Cumulative like curl: the handshake ends after the connect, the total after both.
    assert 0 < float(connect) <= float(tls) <= float(total)
    assert out.endswith("\n")


def test_output_file_and_include(
    lab: tuple[LocalGateway, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """-o writes the body (with -i, the head too) to the file; stdout stays empty."""
    dest = tmp_path / "body.json"
    assert main(_argv(lab, "/ping", "-o", str(dest))) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(dest.read_bytes()) == {"ok": True}
    assert main(_argv(lab, "/ping", "-i", "-o", str(dest))) == 0
    head, _, body = dest.read_text().partition("\n\n")
    assert head.startswith("HTTP/1.1 200 OK\n")
    assert "content-type: application/json" in head.lower()
    assert json.loads(body) == {"ok": True}


def test_fail_exits_22_without_the_body(
    lab: tuple[LocalGateway, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--fail on HTTP >= 400: exit 22 as curl, no body; without it the body and exit 1."""
    assert main(_argv(lab, "/missing", "--fail", "-w", "%{http_code}")) == 22
    out, err = capsys.readouterr()
    assert out == "404"
    assert "privateapi: error: HTTP 404" in err
    assert main(_argv(lab, "/missing")) == 1
    assert "nope" in capsys.readouterr().out


def test_silent_hides_the_explanation_show_error_keeps_it(
    lab: tuple[LocalGateway, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """-s silences the error lines (exit code unchanged); -sS shows them again."""
    assert main(_argv(lab, "/missing", "-s", "--fail")) == 22
    assert capsys.readouterr().err == ""
    assert main(_argv(lab, "/missing", "-s", "-S", "--fail")) == 22
    assert "HTTP 404" in capsys.readouterr().err


def test_unknown_write_out_variable_is_refused_before_sending(
    lab: tuple[LocalGateway, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt %{variable} exits 2 with a suggestion, and no request is made."""
    assert main(_argv(lab, "/ping", "-w", "%{http_cod}")) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "%{http_cod}" in err
    assert "did you mean '%{http_code}'" in err


def test_region_disagreeing_with_the_url_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """--region eu-west-1 on a us-east-1 URL: exit 2 naming both, before any send."""
    url = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/pets"
    assert main(["invoke", url, "--region", "eu-west-1", "--connect-to", "127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "eu-west-1" in err
    assert "us-east-1" in err


@pytest.mark.parametrize(
    ("style", "flag"),
    [("vpce_alias", "--vpce-id"), ("custom_domain", "--domain"), ("host_header", "--vpce-dns")],
)
def test_every_style_names_the_option_it_needs(
    style: str, flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each offered --style that needs a fact says which option gives it (and it exists)."""
    url = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/pets"
    assert main(["invoke", url, "--style", style, "--connect-to", "127.0.0.1:9"]) == 2
    assert flag in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["invoke", "--help"])
    assert flag in capsys.readouterr().out


def test_vpce_alias_style_reaches_the_gateway(
    lab: tuple[LocalGateway, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--style vpce_alias --vpce-id restyles the URL onto the alias name and gets through."""
    gw, api_id = lab
    vpce_id = gw.endpoint().id
    gw.associate(api_id, vpce_id)
    alias = gw.target(api_id, Style.VPCE_ALIAS, vpce_id=vpce_id)
    base = gw.target(api_id, Style.PRIVATE_DNS)
    argv = [
        "invoke",
        f"{base.base_url}/ping",
        "--style",
        "vpce_alias",
        "--vpce-id",
        vpce_id,
        "--connect-to",
        f"{alias.connect_host}:{alias.connect_port}",
        "--ca-bundle",
        str(gw.ca_bundle),
        "--no-sign",
        "-v",
    ]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"ok": True}
    assert f"TLS server name {alias.server_name}" in err
    assert alias.server_name.startswith(f"{api_id}-{vpce_id}.")
