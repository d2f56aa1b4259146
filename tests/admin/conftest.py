"""Fixtures for the admin tests: moto's server on loopback, fake credentials, a fake AWS.

Every AWS call in these tests goes through botocore's real wire protocol to a server on
127.0.0.1; nothing leaves the machine and no real credentials or config files are read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import botocore.session
import pytest
from admin_lab import (
    DEAD_ENDPOINT,
    REGION,
    Answer,
    FakeAws,
    Moto,
    ScriptedAws,
    StalledEndpoint,
    install_vpce_patch_fix,
)
from botocore.config import Config


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto's ThreadedMotoServer on 127.0.0.1, an ephemeral port, with the vpce fix applied."""
    from moto.apigateway.models import RestAPI
    from moto.server import ThreadedMotoServer

    # werkzeug logs every request at INFO even with verbose=False.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    original = install_vpce_patch_fix()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        if getattr(RestAPI.apply_patch_operations, "privateapi_fix", False):
            RestAPI.apply_patch_operations = original


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Fake credentials and a region; no real profile, config or credentials file is read."""
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ENDPOINT_URL_API_GATEWAY",
        "AWS_ENDPOINT_URL_STS",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # A guard: a client created without an explicit endpoint goes to a closed loopback
    # port (connection refused), never to AWS.
    monkeypatch.setenv("AWS_ENDPOINT_URL", DEAD_ENDPOINT)


@pytest.fixture(scope="session")
def _setup_session() -> botocore.session.Session:
    # One botocore session for the set-up clients: loading the service model is slow.
    return botocore.session.get_session()


@pytest.fixture
def moto(moto_url: str, aws_env: None, _setup_session: botocore.session.Session) -> Moto:
    """The moto server, fake credentials in the environment, and a set-up client."""
    client = _setup_session.create_client(
        "apigateway",
        region_name=REGION,
        endpoint_url=moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )
    return Moto(moto_url, client)


@pytest.fixture
def fake_aws(aws_env: None) -> Iterator[FakeAws]:
    """A tiny AWS stand-in on 127.0.0.1 for errors moto does not produce (AccessDenied)."""
    state = FakeAws(url="")

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            state.requests.append((self.command, self.path))
            body = state.body.encode()
            self.send_response(state.status)
            for k, v in state.headers.items():
                self.send_header(k, v)
            self.send_header("x-amzn-RequestId", "11111111-2222-3333-4444-555555555555")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _reply  # noqa: N815

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


@pytest.fixture
def scripted_aws(aws_env: None) -> Iterator[Callable[..., ScriptedAws]]:
    """Start loopback stand-ins that give canned answers in order (closed afterwards)."""
    started: list[ScriptedAws] = []

    def start(*answers: Answer) -> ScriptedAws:
        server = ScriptedAws(*answers)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def stalled_endpoint(aws_env: None) -> Iterator[StalledEndpoint]:
    """A loopback endpoint that accepts connections and never answers."""
    endpoint = StalledEndpoint()
    yield endpoint
    endpoint.close()


@pytest.fixture
def warm_session(_setup_session: botocore.session.Session) -> botocore.session.Session:
    """A botocore session whose service models are already loaded (clients come fast)."""
    _setup_session.create_client("apigateway", region_name=REGION)  # loads and caches the model
    return _setup_session
