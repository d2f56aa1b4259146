"""Faults: latency, resets, 5xx, throttling bursts, blackhole."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from lab_helpers import raw_client

import privateapi
from privateapi.testing import Fault, LabConfigError, LocalGateway, Route

REGION = "us-east-1"


@pytest.fixture(scope="module")
def lab() -> Iterator[LocalGateway]:
    with LocalGateway(REGION) as gw:
        gw.add_api("a1b2c3d4e5", routes=[Route("ANY", "/{proxy+}")])
        yield gw
        gw.clear_faults()


def client(gw: LocalGateway, timeout: float = 5.0) -> httpx.Client:
    return raw_client(gw, gw.target("a1b2c3d4e5"), timeout=timeout)


def test_latency_scoped_by_path(lab: LocalGateway) -> None:
    with lab.add_fault(Fault.latency(0.3), path="/slow*"), client(lab) as c:
        t0 = time.perf_counter()
        assert c.get("/fast").status_code == 200
        fast = time.perf_counter() - t0
        t0 = time.perf_counter()
        assert c.get("/slow/1").status_code == 200
        slow = time.perf_counter() - t0
    assert slow >= 0.3 > fast


@pytest.mark.parametrize("when", ["before", "after"])
def test_reset(lab: LocalGateway, when: str) -> None:
    with (
        lab.add_fault(Fault.reset(when, count=1), api_id="a1b2c3d4e5", method="POST") as handle,
        client(lab) as c,
    ):
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            c.post("/x", content=b"payload")
        assert handle.hits == 1
        assert c.post("/x", content=b"payload").status_code == 200  # count used up


def test_error_fault_then_recovery(lab: LocalGateway) -> None:
    with lab.add_fault(Fault.error(503, count=2), path="/flaky"), client(lab) as c:
        r = c.get("/flaky")
        assert (r.status_code, r.json()) == (503, {"message": "Service Unavailable"})
        assert privateapi.classify(r).cause_code == "http.backend-error"  # type: ignore[union-attr]
        assert c.get("/flaky").status_code == 503
        assert c.get("/flaky").status_code == 200
    with lab.add_fault(Fault.error(504)), client(lab) as c:
        assert c.get("/any").json() == {"message": "Endpoint request timed out"}
    with lab.add_fault(Fault.error(500, "custom")), client(lab) as c:
        assert c.get("/any").json() == {"message": "custom"}


def test_throttle_burst(lab: LocalGateway) -> None:
    with lab.add_fault(Fault.throttle(count=2)), client(lab) as c:
        assert [c.get("/t").status_code for _ in range(3)] == [429, 429, 200]


def test_retrying_client_rides_over_a_burst(lab: LocalGateway) -> None:
    from privateapi._client import RetryPolicy

    lab.add_fault(Fault.throttle(count=1), path="/retry")
    with lab.client(
        "a1b2c3d4e5", retries=RetryPolicy(max_attempts=3, backoff_base=0.01), credentials=False
    ) as c:
        assert c.get("/retry").status_code == 200


def test_blackhole_stall_accepts_tcp_but_never_answers(lab: LocalGateway) -> None:
    ep = lab.endpoint()
    with lab.add_fault(Fault.blackhole(), vpce_id=ep.id):
        with socket.create_connection((ep.address, ep.port), timeout=1) as s:
            s.settimeout(0.3)
            s.sendall(b"\x16\x03\x01")  # the start of a ClientHello: nothing comes back
            with pytest.raises(TimeoutError):
                s.recv(1)
        with client(lab, timeout=0.5) as c, pytest.raises(httpx.ConnectTimeout):
            c.get("/x")  # httpx counts the TLS handshake as part of connecting
    with client(lab) as c:
        assert c.get("/x").status_code == 200


def test_blackhole_drop_times_out_then_recovers(lab: LocalGateway) -> None:
    ep = lab.endpoint()
    handle = lab.add_fault(Fault.blackhole("drop"), vpce_id=ep.id)
    try:
        # the TCP handshake itself gets no answer (a DROP), not a refusal
        for _ in range(3):
            with pytest.raises(TimeoutError):
                socket.create_connection((ep.address, ep.port), timeout=0.3).close()
        with client(lab, timeout=0.5) as c, pytest.raises(httpx.ConnectTimeout):
            c.get("/x")
    finally:
        handle.remove()
    with client(lab) as c:
        assert c.get("/x").status_code == 200
    # other endpoints were never affected, and a blackhole set before start applies at start
    gw = LocalGateway(default_endpoint=False)
    gw.add_vpc_endpoint()
    gw.blackhole(mode="drop")
    with gw:
        with pytest.raises(TimeoutError):
            socket.create_connection((gw.endpoint().address, gw.port), timeout=0.3).close()
        gw.clear_faults()
        api = gw.add_api()
        with raw_client(gw, gw.target(api.id)) as c:
            assert c.get("/x").status_code == 200


def test_blackhole_holds_open_connections(lab: LocalGateway) -> None:
    with client(lab, timeout=0.5) as c:
        assert c.get("/x").status_code == 200  # keep-alive connection now open
        lab.blackhole()
        try:
            with pytest.raises(httpx.ReadTimeout):
                c.get("/x")
        finally:
            lab.blackhole(enabled=False)


def test_fault_validation() -> None:
    for bad in (
        lambda: Fault("meteor"),
        lambda: Fault.reset("during"),
        lambda: Fault.latency(-1),
        lambda: Fault.error(99),
        lambda: Fault.throttle(count=0),
        lambda: Fault.blackhole("vanish"),
        lambda: LocalGateway(default_endpoint=False).blackhole(mode="vanish"),
        lambda: Fault.from_dict({"kind": "latency", "speed": 1}),
        lambda: Fault.from_dict({"seconds": 1}),
        lambda: Fault.from_dict({"kind": "latency", "seconds": "slow", "status": None}),
    ):
        with pytest.raises((LabConfigError, TypeError)):
            bad()
    assert Fault.from_dict({"kind": "latency", "seconds": 0.1}) == Fault.latency(0.1)
    with LocalGateway(default_endpoint=False) as gw:
        assert "latency" in repr(gw.add_fault(Fault.latency(0)))


# -- one home for every fault, typed ----------------------------------------------------------


def _handshake_code(gw: LocalGateway, vpce_id: str | None = None) -> int | None:
    import ssl

    ep = gw.endpoint(vpce_id)
    name = ep.dns_name
    with socket.create_connection((ep.address, ep.port), timeout=3) as s:
        try:
            with gw.ssl_context().wrap_socket(s, server_hostname=name):
                return None
        except ssl.SSLCertVerificationError as exc:
            return exc.verify_code


def test_tls_and_dns_are_faults_like_the_others() -> None:
    import dns.message
    import dns.query
    import dns.rcode

    with LocalGateway(REGION) as gw:
        other = gw.add_vpc_endpoint(private_dns=False)
        with gw.add_fault(Fault.tls("expired"), vpce_id=gw.endpoint().id) as handle:
            assert _handshake_code(gw) == 10
            assert _handshake_code(gw, other.id) is None  # scoped to one endpoint
            assert handle in gw.faults
        assert _handshake_code(gw) is None
        host, port = gw.resolver
        query = dns.message.make_query(gw.endpoint().dns_name, "A")
        with gw.add_fault(Fault.dns("servfail")):
            assert gw.dns_fault == "servfail"
            assert dns.query.udp(query, host, port=port, timeout=2).rcode() == dns.rcode.SERVFAIL
        assert gw.dns_fault is None
        assert dns.query.udp(query, host, port=port, timeout=2).rcode() == dns.rcode.NOERROR
        # the setters are the same faults: visible, and cleared by clear_faults()
        gw.set_tls_mode("untrusted")
        gw.set_tls_mode("normal", other.id)  # an override for one endpoint
        assert _handshake_code(gw) == 20
        assert _handshake_code(gw, other.id) is None
        assert {h.fault.kind for h in gw.faults} == {"tls"}
        gw.clear_faults()
        assert gw.faults == ()
        assert _handshake_code(gw) is None


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Fault("latency", seconds=float("nan")), "fault.seconds"),
        (lambda: Fault("latency", seconds=float("inf")), "fault.seconds"),
        (lambda: Fault("latency", seconds=True), "fault.seconds"),  # type: ignore[arg-type]
        (lambda: Fault("latency", seconds=1e9), "fault.seconds"),
        (lambda: Fault("throttle", count=1.5), "fault.count"),  # type: ignore[arg-type]
        (lambda: Fault("status", status=999), "fault.status"),
        (lambda: Fault("latency", status=503), "fault.status"),  # does not apply to latency
        (lambda: Fault("reset", seconds=1), "fault.seconds"),
        (lambda: Fault("tls"), "fault.mode"),
        (lambda: Fault.tls("sloppy"), "fault.mode"),  # type: ignore[arg-type]
        (lambda: Fault.dns("nxdomain"), "fault.mode"),  # type: ignore[arg-type]
        (lambda: Fault("blackhole", count=2), "fault.count"),
        (lambda: Fault("status", message=5), "fault.message"),  # type: ignore[arg-type]
    ],
)
def test_fault_values_are_checked_by_type(make: Any, field: str) -> None:
    with pytest.raises(LabConfigError) as info:
        make()
    assert info.value.field == field


def test_fault_scopes_are_checked(lab: LocalGateway) -> None:
    for kwargs in ({"path": ["/x"]}, {"method": "FETCH"}, {"path": "no-slash"}, {"api_id": 5}):
        with pytest.raises(LabConfigError):
            lab.add_fault(Fault.latency(0.1), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(LabConfigError, match="applies to endpoints"):
        lab.add_fault(Fault.tls("expired"), api_id="a1b2c3d4e5")
    with pytest.raises(LabConfigError, match="one resolver"):
        lab.add_fault(Fault.dns("timeout"), vpce_id=lab.endpoint().id)
    with pytest.raises(LabConfigError):
        lab.add_fault("latency")  # type: ignore[arg-type]
    with pytest.raises(LabConfigError):
        lab.add_fault(Fault.latency(0.1), vpce_id="vpce-0fffffffffffffff0")
    assert lab.faults == ()


def test_fault_kinds_are_one_literal() -> None:
    from typing import get_args

    from privateapi.testing import FaultKind, TlsMode

    assert set(get_args(FaultKind)) == {
        "latency",
        "reset",
        "status",
        "throttle",
        "quota",
        "blackhole",
        "tls",
        "dns",
    }
    assert get_args(TlsMode) == ("normal", "wrong-name", "expired", "untrusted")
