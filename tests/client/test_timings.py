"""Client(record_timings=True): per-phase timings from httpcore's trace, on loopback TLS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import privateapi
from privateapi import Style, Timings
from privateapi.testing import LocalGateway, Route


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[LocalGateway, str]]:
    with LocalGateway() as gw:
        api = gw.add_api(routes=[Route.static("GET", "/ping", json={"ok": True})])
        yield gw, api.id


def test_first_request_times_connect_tls_first_byte_total(lab: tuple[LocalGateway, str]) -> None:
    """A new connection: connect <= TLS <= first byte <= total, and the peer address."""
    gw, api_id = lab
    target = gw.target(api_id, Style.PRIVATE_DNS)
    with gw.client(api_id, credentials=False, record_timings=True) as client:
        first = client.get("/ping")
        second = client.get("/ping")
    t = Timings.of(first)
    assert t is not None
    assert t.dns is None  # an IP address: nothing to look up
    assert t.connect is not None and t.tls is not None and t.first_byte is not None
    assert 0 < t.connect <= t.tls <= t.first_byte <= t.total
    assert t.connected_address == f"{target.connect_host}:{target.connect_port}"
    assert t.reused is False
    again = Timings.of(second)
    assert again is not None
    assert again.reused is True  # the pooled connection: no connect, no handshake
    assert again.connect is None and again.tls is None
    assert again.connected_address == t.connected_address
    assert set(t.to_dict()) == {
        "dns",
        "connect",
        "tls",
        "first_byte",
        "total",
        "connected_address",
        "reused",
    }


def test_off_by_default(lab: tuple[LocalGateway, str]) -> None:
    """Without record_timings nothing is attached (and no trace is installed)."""
    gw, api_id = lab
    with gw.client(api_id, credentials=False) as client:
        response = client.get("/ping")
    assert Timings.of(response) is None
    assert "trace" not in response.request.extensions


def test_a_callers_trace_still_runs(lab: tuple[LocalGateway, str]) -> None:
    """The recorder chains a trace extension the caller set."""
    gw, api_id = lab
    seen: list[str] = []
    with gw.client(api_id, credentials=False, record_timings=True) as client:
        request = client.build_request(
            "GET", "/ping", extensions={"trace": lambda name, info: seen.append(name)}
        )
        response = client.send(request)
    assert Timings.of(response) is not None
    assert "connection.connect_tcp.complete" in seen


def test_mock_transport_has_total_only() -> None:
    """No network (a mock transport): only the total is known."""
    target = privateapi.InvokeTarget.private_dns("a1b2c3d4e5", "us-east-1", "prod")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="ok"))
    with privateapi.Client(target, sign=False, transport=transport, record_timings=True) as c:
        t = Timings.of(c.get("/x"))
    assert t is not None
    assert (t.connect, t.tls, t.first_byte, t.connected_address) == (None, None, None, None)
    assert t.total >= 0


def _bundle(ca: Any, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def test_a_connect_name_is_looked_up_and_timed(server: int, ca: Any, tmp_path: Path) -> None:
    """connect_to a name (localhost, from the hosts file): the lookup is its own phase."""
    target = privateapi.InvokeTarget.private_dns("abcde12345", "us-east-1", "prod")
    with privateapi.Client(
        target,
        sign=False,
        verify=_bundle(ca, tmp_path),
        connect_to=f"localhost:{server}",
        record_timings=True,
    ) as client:
        response = client.get("/x")
    t = Timings.of(response)
    assert t is not None
    assert t.dns is not None and t.connect is not None and t.tls is not None
    assert 0 < t.dns <= t.connect <= t.tls <= t.total
    assert t.connected_address == f"127.0.0.1:{server}"


def test_a_failed_lookup_keeps_its_dns_cause(
    monkeypatch: pytest.MonkeyPatch, ca: Any, tmp_path: Path
) -> None:
    """Resolving in the backend still classifies NXDOMAIN as dns.nxdomain (no real lookup)."""
    import socket

    def nxdomain(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    target = privateapi.InvokeTarget.private_dns("abcde12345", "us-east-1", "prod")
    with (
        privateapi.Client(
            target,
            sign=False,
            verify=_bundle(ca, tmp_path),
            connect_to="nowhere.test:443",
            record_timings=True,
            retries=None,
        ) as client,
        pytest.raises(privateapi.TransportError) as info,
    ):
        client.get("/x")
    assert info.value.cause_code == "dns.nxdomain"


def test_the_first_address_that_accepts_wins(
    monkeypatch: pytest.MonkeyPatch, server: int, ca: Any, tmp_path: Path
) -> None:
    """Like socket.create_connection: a refused address is skipped for the next one."""
    import socket

    real = socket.getaddrinfo

    def two(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        if host != "two.test":
            return real(host, port, *args, **kwargs)
        refused = real("127.0.0.1", 9, *args, **kwargs)  # discard: nothing listens there
        good = real("127.0.0.1", port, *args, **kwargs)
        return [(*refused[0][:4], ("127.0.0.3", port)), *good]

    monkeypatch.setattr(socket, "getaddrinfo", two)
    target = privateapi.InvokeTarget.private_dns("abcde12345", "us-east-1", "prod")
    with privateapi.Client(
        target,
        sign=False,
        verify=_bundle(ca, tmp_path),
        connect_to=f"two.test:{server}",
        record_timings=True,
    ) as client:
        response = client.get("/x")
    t = Timings.of(response)
    assert response.status_code == 200
    assert t is not None and t.connected_address == f"127.0.0.1:{server}"
