"""Fixtures for the fleet tests: a local gateway, moto on loopback, a recorded-answer AWS.

Every AWS call goes through botocore's real wire protocol to a server on 127.0.0.1; no
real credentials or config files are read and nothing leaves the machine.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REGION = "us-east-1"
DATA = Path(__file__).resolve().parent / "data"
# A closed loopback port: a client made without an explicit endpoint is refused, never
# sent to AWS.
DEAD_ENDPOINT = "http://127.0.0.1:9"


def recorded(name: str) -> Any:
    """A recorded AWS answer, validated against its schema first."""
    import jsonschema

    doc = json.loads((DATA / f"{name}.json").read_text())
    schemas = json.loads((DATA / "schemas.json").read_text())
    schema_name = {
        "resultwriter_succeeded_0": "result_file",
        "resultwriter_failed_0": "result_file",
        "resultwriter_manifest": "manifest",
    }.get(name, name)
    jsonschema.validate(doc, schemas[schema_name])
    return doc


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and a region; no profile, config or credentials file is read."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", DEAD_ENDPOINT)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto's ThreadedMotoServer on 127.0.0.1 (ephemeral port)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto(moto_url: str, aws_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """moto's URL, with botocore's default endpoint pointed at it too."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    return moto_url


def client(service: str, url: str) -> Any:
    """A set-up client for moto (tests only)."""
    import botocore.session

    return botocore.session.get_session().create_client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@dataclass
class FakeAws:
    """Answers recorded JSON by ``X-Amz-Target`` and S3 objects by path."""

    url: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)


@pytest.fixture
def fake_aws(aws_env: None) -> Iterator[FakeAws]:
    """A tiny AWS stand-in on 127.0.0.1 for the answers moto cannot give."""
    state = FakeAws()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            target = self.headers.get("X-Amz-Target") or ""
            state.requests.append((self.command, self.path, target))
            op = target.rsplit(".", 1)[-1]
            if op in state.answers:
                body = json.dumps(state.answers[op]).encode()
                status, ctype = 200, "application/x-amz-json-1.1"
            elif self.path.split("?")[0] in state.objects:
                body = state.objects[self.path.split("?")[0]]
                status, ctype = 200, "application/octet-stream"
            else:
                body = json.dumps({"__type": "ResourceNotFoundException", "message": "no"}).encode()
                status, ctype = 400, "application/x-amz-json-1.1"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("x-amzn-RequestId", "11111111-2222-3333-4444-555555555555")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = _reply  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Gateway:
    """A local gateway and event targets wired to it (its DNS, CA and port)."""

    gw: Any
    api_id: str
    vpce_id: str

    def target(self, style: str = "private_dns", **extra: Any) -> dict[str, Any]:
        t = (
            self.gw.target(self.api_id, style, vpce_id=self.vpce_id)
            if style != "private_dns"
            else self.gw.target(self.api_id, style)
        )
        host, port = self.gw.resolver
        item: dict[str, Any] = {
            "url": t.base_url,
            "resolver": f"{host}:{port}",
            "use_system_resolver": False,
            "port": t.connect_port,
            "ca_bundle": str(self.gw.ca_bundle),
            "timeout": 2,
            "sign": False,
        }
        if t.headers:
            item["headers"] = dict(t.headers)
        item.update(extra)
        return item


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    """A healthy private API behind a local endpoint (allow-all policy)."""
    from privateapi.testing import LocalGateway

    with LocalGateway(region=REGION) as gw:
        ep = gw.endpoint()
        api = gw.add_api(endpoints=[ep.id])
        yield Gateway(gw=gw, api_id=api.id, vpce_id=ep.id)


class Context:
    """A Lambda context: the function's ARN and its remaining time."""

    def __init__(self, remaining_ms: int = 120_000, account: str = "111122223333") -> None:
        self.invoked_function_arn = (
            f"arn:aws:lambda:{REGION}:{account}:function:privateapi-fleet-probe"
        )
        self._remaining = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining
