"""Test-wide hygiene: no test sees the developer's AWS setup, proxies or instance metadata.

Every test starts with the AWS_* variables cleared, shared config files pointed at
nothing, and instance-metadata look-ups disabled, so that botocore's credential
chain can never reach 169.254.169.254 (the network-safety rule: loopback only).

``_netguard`` refuses, and fails the test for, any connection, datagram or DNS look-up
beyond loopback made in the test process.

Tests marked ``conformance`` need third-party data from ``../shared/conformance``; without
it they are reported NOT RUN, naming the path (``shared_data.py`` says why and how).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import _netguard
import pytest
import shared_data
from _dnsstub import DnsStub

_netguard.install()

_CLEARED_PREFIXES = ("AWS_",)
_CLEARED = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "ECS_CONTAINER_METADATA_URI",
    "ECS_CONTAINER_METADATA_URI_V4",
    "AWS_LAMBDA_FUNCTION_NAME",
    "FORCE_COLOR",
    "NO_COLOR",
    "PRIVATEAPI_DEBUG",
)

REPO = Path(__file__).resolve().parents[1]
SHARED = shared_data.SHARED


@pytest.fixture(autouse=True)
def loopback_only() -> Iterator[None]:
    """Fail the test that tried to reach beyond loopback, even if the code hid the error."""
    before = len(_netguard.VIOLATIONS)
    yield
    tried = _netguard.VIOLATIONS[before:]
    assert not tried, f"network-safety rule: this test tried {tried}"


@pytest.fixture(autouse=True)
def clean_environ(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Clear AWS and proxy settings; make botocore look at empty config files."""
    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES) or name in _CLEARED:
            monkeypatch.delenv(name, raising=False)
    empty = tmp_path_factory.mktemp("aws-home")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A ``conformance`` test whose data is missing is NOT RUN (or fails when required)."""
    marker = item.get_closest_marker("conformance")
    if marker is None:
        return
    path = shared_data.missing(marker.args)
    if path is None:
        return
    if shared_data.required():
        pytest.fail(
            f"{path} not found, and {shared_data.REQUIRE} is set: conformance tests must run",
            pytrace=False,
        )
    pytest.skip(shared_data.not_run_reason(path))


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    """``../shared/conformance`` beside the checkout (tests using it carry the marker)."""
    return shared_data.CONFORMANCE


@pytest.fixture
def dns_stub() -> Iterator[Callable[..., DnsStub]]:
    """Make loopback stub DNS servers (``DnsStub(...)`` arguments); all closed at teardown."""
    made: list[DnsStub] = []

    def make(*args: Any, **kwargs: Any) -> DnsStub:
        stub = DnsStub(*args, **kwargs)
        made.append(stub)
        return stub

    yield make
    for stub in made:
        stub.close()
