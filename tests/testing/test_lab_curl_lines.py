"""The curl lines ``privateapi lab`` prints work as printed, run by a real curl.

An unsigned line gets ``Missing Authentication Token`` from an AWS_IAM API, so the lab
signs those lines with curl's own ``--aws-sigv4``: curl is the signer we did not write.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from privateapi.testing import LocalGateway, Route

# The printed lines call the stage root.
PING = [Route.static("GET", "/", json={"ok": True})]


@pytest.fixture(scope="module")
def gw() -> Iterator[LocalGateway]:
    with LocalGateway("us-east-1", "123456789012") as lab:
        yield lab


def _lines(gw: LocalGateway, api_id: str) -> dict[str, str]:
    for api in gw.describe()["apis"]:
        if api["id"] == api_id:
            return {style: u["curl"] for style, u in api["urls"].items()}
    raise AssertionError(f"{api_id} not described")


def test_iam_lines_sign_and_none_lines_do_not(gw: LocalGateway) -> None:
    iam = gw.add_api(routes=PING, authorization="AWS_IAM")
    open_api = gw.add_api(routes=PING)
    for line in _lines(gw, iam.id).values():
        assert "--aws-sigv4 'aws:amz:us-east-1:execute-api'" in line
        assert "$AWS_SECRET_ACCESS_KEY" in line
        assert gw.credentials.secret_access_key not in line
    for line in _lines(gw, open_api.id).values():
        assert "--aws-sigv4" not in line


@pytest.mark.skipif(shutil.which("curl") is None, reason="NOT RUN: curl is not installed")
def test_printed_iam_line_gets_200_from_curl(gw: LocalGateway) -> None:
    iam = gw.add_api(routes=PING, authorization="AWS_IAM")
    creds = gw.credentials
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        "AWS_SESSION_TOKEN": creds.session_token or "",
    }
    lines = _lines(gw, iam.id)
    assert "private_dns" in lines
    for style, line in lines.items():
        # Every address in the line is a loopback one (connect_to); curl resolves nothing.
        done = subprocess.run(  # noqa: S602 - the line is run exactly as a user pastes it
            line + " -sS -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 10",
            shell=True,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.stdout == "200", (style, line, done.stdout, done.stderr)
