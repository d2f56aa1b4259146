"""`privateapi lab`: start from a config, describe, serve real requests, stop on a signal."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpcore
import httpx
import pytest

from privateapi_cli.main import main

CONFIG = """
[gateway]
region = "us-west-2"

[[endpoints]]
name = "main"

[[credentials]]
access_key_id = "AKIALABTEST000000001"
secret_access_key = "lab-secret-value"

[[apis]]
id = "a1b2c3d4e5"
endpoints = ["main"]

  [[apis.routes]]
  method = "GET"
  path = "/ping"
  json = { message = "pong" }
"""


class _Pinned(httpcore.SyncBackend):
    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.address = (host, int(port))

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # type: ignore[override]
        local_address: str | None = None,
        socket_options: object = None,
    ) -> httpcore.NetworkStream:
        return super().connect_tcp(
            self.address[0], self.address[1], timeout, local_address, socket_options
        )  # type: ignore[arg-type]


def _read_json(proc: subprocess.Popen[str]) -> dict[str, object]:
    assert proc.stdout is not None
    text = ""
    while True:
        line = proc.stdout.readline()
        assert line, "lab exited before printing its JSON"
        text += line
        if line.rstrip() == "}":
            return dict(json.loads(text))


def test_lab_subprocess_serves_until_sigint(tmp_path: Path) -> None:
    config = tmp_path / "lab.toml"
    config.write_text(CONFIG)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "privateapi_cli", "lab", "--config", str(config), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        info = _read_json(proc)
        creds = info["credentials"]
        assert creds == [
            {
                "access_key_id": "AKIALABTEST000000001",
                "secret_access_key": "<redacted>",
                "session_token": None,
                "arn": "arn:aws:iam::123456789012:user/privateapi-lab-0",
                "expires": None,
            }
        ]
        api = info["apis"][0]  # type: ignore[index]
        for style in ("private_dns", "vpce_alias", "host_header", "api_id_header"):
            u = api["urls"][style]
            ctx = ssl.create_default_context(cafile=str(info["ca_bundle"]))
            transport = httpx.HTTPTransport(verify=ctx)
            transport._pool.close()
            transport._pool = httpcore.ConnectionPool(
                ssl_context=ctx, network_backend=_Pinned(u["connect_to"])
            )
            with httpx.Client(transport=transport, headers=u["headers"]) as c:
                assert c.get(u["url"] + "/ping").json() == {"message": "pong"}
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert "Traceback" not in err
    assert "stopped" in err


def test_lab_sigterm(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "privateapi_cli", "lab", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        info = _read_json(proc)
        assert info["apis"][0]["id"] == "a1b2c3d4e5"  # type: ignore[index]
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0


def test_lab_text_and_json_in_process(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["lab", "--run-for", "0", "--port", "0", "--dns-port", "0"]) == 0
    out = capsys.readouterr().out
    assert "DNS server:  127.0.0.1 port" in out
    assert "CA bundle:" in out
    assert "x-apigw-api-id: a1b2c3d4e5" in out
    assert "secret <redacted>" in out
    config = tmp_path / "lab.toml"
    config.write_text(
        CONFIG + '\n[[custom_domains]]\nname = "api.example.internal"\nendpoints = ["main"]\n'
        'mappings = { "v1" = "a1b2c3d4e5/prod" }\n\n[[credentials]]\naccess_key_id = "ASIAX"\n'
        'secret_access_key = "s"\nsession_token = "t"\n'
    )
    assert main(["lab", "--config", str(config), "--run-for", "0"]) == 0
    out = capsys.readouterr().out
    assert "custom domain api.example.internal: /v1 -> a1b2c3d4e5/prod" in out
    assert "token <redacted>" in out
    assert main(["lab", "--config", str(config), "--json", "--show-secrets", "--run-for", "0"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["credentials"][0]["secret_access_key"] == "lab-secret-value"


def test_lab_bad_config_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "lab.toml"
    config.write_text('[[apis]]\nid = "a1b2c3d4e5"\nauthorization = "MAGIC"\n')
    assert main(["lab", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "apis[0].authorization" in err
    assert main(["lab", "--port", "70000"]) == 2
    assert main(["lab", "--config", str(tmp_path / "missing.toml")]) == 2


def test_lab_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.2", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["lab", "--port", str(port), "--run-for", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("privateapi lab: cannot listen: ")
    assert err.count("\n") == 1
