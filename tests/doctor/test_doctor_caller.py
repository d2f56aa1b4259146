"""The probe is the caller's request, down the caller's path, judged as the caller would.

Everything here runs on 127.0.0.0/8: a fake DNS, recording HTTPS servers and a stub
CONNECT proxy (which never resolves what it is asked for).
"""

from __future__ import annotations

import errno
import json
import socket
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import trustme
from _dnsstub import DnsStub
from doctor_lab import API_HOST, API_ID, REGION, free_port, offline
from hypothesis import given
from hypothesis import strategies as st
from stub_servers import GATEWAY_HEADERS, RecordingTLSServer, StubProxy, answer

from privateapi.doctor import (
    CallerRequest,
    Status,
    get_check,
    no_proxy_matches,
    probe,
    proxy_for,
    run,
)
from privateapi.doctor._http import PROBE_CAUSES
from privateapi.doctor._proxy import redact_proxy_url

VPCE_HOST = f"vpce-0a1b2c3d4e5f67890-x1y2z3w4.execute-api.{REGION}.vpce.amazonaws.com"
EXEC_WILDCARD = f"*.execute-api.{REGION}.amazonaws.com"
URL = f"https://{API_HOST}/prod/ping"


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def bundle(ca: trustme.CA, tmp_path: Any) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def gateway(ca: trustme.CA, fake_dns: DnsStub) -> Iterator[RecordingTLSServer]:
    """A recording 'API Gateway' for the API's name at 127.0.0.61."""
    srv = RecordingTLSServer("127.0.0.61", ca.issue_cert(EXEC_WILDCARD))
    fake_dns.records[API_HOST + "."] = {"A": ["127.0.0.61"]}
    yield srv
    srv.close()


def _options(fake_dns: DnsStub, bundle: str, **kw: Any) -> Any:
    return offline(resolver=fake_dns.address, ca_bundle=bundle, **kw)


def _at(request: CallerRequest, port: int) -> CallerRequest:
    """The request connecting to its own URL host on a test server's port (SNI/Host kept)."""
    return replace(request, connect_to=f"{request.host}:{port}")


# --- the request is the caller's ------------------------------------------------------------------
def test_path_query_method_headers_and_body_are_the_callers(
    gateway: RecordingTLSServer, fake_dns: DnsStub, bundle: str
) -> None:
    """The whole path and query, the method, every header (Bearer as is) and the body go out."""
    request = CallerRequest(
        f"https://{API_HOST}/prod/items?limit=2&next=a%2Fb",
        method="post",
        headers=(("Authorization", "Bearer app-token"), ("X-Trace", "t-1")),
        body=b'{"a": 1}',
    )
    opts = _options(fake_dns, bundle, sign=True, credentials=("AKIDEXAMPLE", "secret"))
    rep = run(_at(request, gateway.port), opts)
    sent = gateway.requests[-1]
    assert sent["line"] == "POST /prod/items?limit=2&next=a%2Fb HTTP/1.1"
    assert gateway.header("Authorization") == "Bearer app-token"  # never signed over
    assert gateway.header("X-Trace") == "t-1"
    assert gateway.header("Host") == API_HOST
    assert sent["body"] == b'{"a": 1}'
    r = rep.result("http.probe")
    assert r is not None and r.status is Status.PASS, r.summary
    assert "Authorization header is sent as given" in r.evidence["unsigned_because"]
    assert "app-token" not in json.dumps(rep.to_dict())  # redacted in every output


def test_unsigned_caller_gets_a_sigv4_signature_over_what_is_sent(
    gateway: RecordingTLSServer, fake_dns: DnsStub, bundle: str
) -> None:
    """No Authorization from the caller + credentials: SigV4 over the exact headers sent."""
    opts = _options(fake_dns, bundle, sign=True, credentials=("AKIDEXAMPLE", "secret"))
    rep = run(_at(CallerRequest(URL, headers=(("x-apigw-api-id", API_ID),)), gateway.port), opts)
    auth = gateway.header("Authorization") or ""
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "host" in auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert gateway.requests[-1]["line"] == "GET /prod/ping HTTP/1.1"
    r = rep.result("http.probe")
    assert r is not None and r.evidence["signed"] is True


def test_path_override_keeps_the_stage(
    gateway: RecordingTLSServer, fake_dns: DnsStub, bundle: str
) -> None:
    """``path`` replaces the path below the recognised stage, not the stage itself."""
    run(_at(CallerRequest(URL), gateway.port), _options(fake_dns, bundle, path="/health?x=1"))
    assert gateway.requests[-1]["line"] == "GET /prod/health?x=1 HTTP/1.1"


# --- TLS: the server name is the URL's host -------------------------------------------------------
def test_sni_is_the_url_host_not_the_host_header(
    ca: trustme.CA, fake_dns: DnsStub, bundle: str
) -> None:
    """NLB name + Host header: SNI is the NLB name, so the API's certificate cannot match."""
    nlb = "internal-privapi-nlb-0123.elb.us-east-1.amazonaws.com"
    srv = RecordingTLSServer("127.0.0.62", ca.issue_cert(EXEC_WILDCARD))
    fake_dns.records[nlb + "."] = {"A": ["127.0.0.62"]}
    try:
        request = CallerRequest(f"https://{nlb}/prod/ping", headers=(("Host", API_HOST),))
        rep = run(_at(request, srv.port), _options(fake_dns, bundle))
        assert nlb in srv.sni and API_HOST not in srv.sni
        tls = rep.result("tls.handshake")
        assert tls is not None and tls.cause == "tls.name-mismatch"
        assert "never SNI" in tls.summary and "connect-to" in (tls.hint or "")
        assert API_HOST in (tls.hint or "")
        assert rep.verdict == "fail"
        # connect-to keeps the URL's name for SNI and Host: the same NLB then works.
        fixed = CallerRequest(URL, connect_to=f"{nlb}:{srv.port}")
        rep = run(fixed, _options(fake_dns, bundle))
        assert srv.sni[-1] == API_HOST and rep.verdict == "pass", rep.to_dict()
        assert srv.header("Host") == API_HOST
    finally:
        srv.close()


# --- judging the answer as the caller would -------------------------------------------------------
@pytest.mark.parametrize(
    ("response", "cause"),
    [
        (
            answer("429 Too Many Requests", b'{"message":"Too Many Requests"}', GATEWAY_HEADERS),
            "http.throttled",
        ),
        (answer("200 OK", b'{"ok": true}', "Server: nginx\r\n"), "http.not-api-gateway"),
        (answer("204 No Content", b"", "Server: nginx\r\n"), "http.not-api-gateway"),
        (
            answer("502 Bad Gateway", b'{"message": "Internal server error"}', GATEWAY_HEADERS),
            "http.backend-error",
        ),
        (answer("200 OK", b'{"ok": true}', GATEWAY_HEADERS), None),
    ],
)
def test_verdict_passes_only_when_the_call_succeeds(
    gateway: RecordingTLSServer,
    fake_dns: DnsStub,
    bundle: str,
    response: bytes,
    cause: str | None,
) -> None:
    """429 fails; any answer without API Gateway's fingerprint (2xx too) fails."""
    gateway.response = response
    rep = run(_at(CallerRequest(URL), gateway.port), _options(fake_dns, bundle))
    r = rep.result("http.probe")
    assert r is not None and r.cause == cause, r.summary
    assert rep.verdict == ("pass" if cause is None else "fail")


def test_every_warning_and_failure_has_a_cause() -> None:
    """A warn/fail result without a cause code cannot even be built."""
    from privateapi.doctor import Result

    for status in (Status.WARN, Status.FAIL):
        with pytest.raises(ValueError, match="needs a cause"):
            Result(check_id="x.y", status=status, summary="s")
    assert Result(check_id="x.y", status=Status.INFO, summary="s").cause is None


def test_the_registry_lists_every_cause_the_checks_emit() -> None:
    """doctor-lab reads causes from the registry: the new ones are listed."""
    assert set(PROBE_CAUSES) <= set(get_check("http.probe").causes)
    assert {"env.proxy", "http.not-api-gateway", "http.throttled"} <= set(PROBE_CAUSES)
    assert "tcp.unreachable" in get_check("tcp.connect").causes
    assert "dns.hosts-override" in get_check("env.hosts").causes
    assert "dns.nodata" in get_check("dns.lookup").causes


# --- proxies --------------------------------------------------------------------------------------
def test_a_refusing_proxy_fails_with_env_proxy_and_direct_is_shown(
    gateway: RecordingTLSServer, fake_dns: DnsStub, bundle: str
) -> None:
    """CONNECT answered 503 (squid): env.proxy names the proxy and its answer; direct works."""
    proxy = StubProxy(
        refuse=b"HTTP/1.1 503 Service Unavailable\r\nX-Squid-Error: ERR_DNS_FAIL 0\r\n\r\n"
    )
    try:
        env = {"HTTPS_PROXY": f"http://alice:s3cret@127.0.0.1:{proxy.port}"}
        rep = run(_at(CallerRequest(URL), gateway.port), _options(fake_dns, bundle, environ=env))
        r = rep.result("http.probe")
        assert r is not None and r.status is Status.FAIL and r.cause == "env.proxy"
        assert "503" in r.summary and "X-Squid-Error: ERR_DNS_FAIL" in r.summary
        assert f"127.0.0.1:{proxy.port}" in r.summary and "direct" in r.summary
        assert "answers 200" in r.summary  # the direct path works: the proxy breaks it
        assert proxy.connects[0].startswith(f"CONNECT {API_HOST}:{gateway.port} HTTP/1.1")
        assert "Proxy-Authorization: Basic" in proxy.connects[0]
        assert "s3cret" not in json.dumps(rep.to_dict())
        assert rep.verdict == "fail"
    finally:
        proxy.close()


def test_a_tunnelling_proxy_is_probed_through_and_only_warned(
    gateway: RecordingTLSServer, fake_dns: DnsStub, bundle: str
) -> None:
    """The proxy tunnels to the endpoint: the call works through it (pass, env.proxy warns)."""
    proxy = StubProxy(upstream=("127.0.0.61", gateway.port))
    try:
        env = {"https_proxy": f"127.0.0.1:{proxy.port}"}  # no scheme: http://, as curl reads it
        rep = run(_at(CallerRequest(URL), gateway.port), _options(fake_dns, bundle, environ=env))
        assert len(proxy.connects) == 1 and gateway.sni[-1] == API_HOST
        r = rep.result("http.probe")
        assert r is not None and r.status is Status.PASS and r.evidence["via"] == "proxy"
        e = rep.result("env.proxy")
        assert e is not None and e.status is Status.WARN and e.cause == "env.proxy"
        assert rep.verdict == "pass"
    finally:
        proxy.close()


def test_when_only_the_proxy_reaches_the_api_the_call_passes_and_direct_warns(
    gateway: RecordingTLSServer, fake_dns: DnsStub, bundle: str
) -> None:
    """This host cannot resolve the name; the proxy can and tunnels: the caller's call works.

    The direct failures are reported as warnings about a path the call does not take, the
    probe is judged through the proxy, and the verdict is the call's: pass.
    """
    fake_dns.records[API_HOST + "."] = "NXDOMAIN"
    proxy = StubProxy(upstream=("127.0.0.61", gateway.port))
    try:
        env = {"HTTPS_PROXY": f"http://127.0.0.1:{proxy.port}"}
        rep = run(_at(CallerRequest(URL), gateway.port), _options(fake_dns, bundle, environ=env))
        lookup = rep.result("dns.lookup")
        assert lookup is not None and lookup.status is Status.WARN
        assert lookup.cause == "dns.nxdomain" and "direct path only" in lookup.summary
        r = rep.result("http.probe")
        assert r is not None and r.status is Status.PASS and r.evidence["via"] == "proxy"
        assert "direct" in r.evidence and len(proxy.connects) == 1
        assert rep.verdict == "pass" and rep.not_checked == ()
    finally:
        proxy.close()


def test_a_broken_proxy_with_a_broken_direct_path_fails_on_the_proxy(
    gateway: RecordingTLSServer, fake_dns: DnsStub, bundle: str
) -> None:
    """Neither path works: the verdict fails, the probe names the proxy, DNS stays a failure."""
    fake_dns.records[API_HOST + "."] = "NXDOMAIN"
    proxy = StubProxy(refuse=b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
    try:
        env = {"HTTPS_PROXY": f"http://127.0.0.1:{proxy.port}"}
        rep = run(_at(CallerRequest(URL), gateway.port), _options(fake_dns, bundle, environ=env))
        r = rep.result("http.probe")
        assert r is not None and r.status is Status.FAIL and r.cause == "env.proxy"
        assert "dns.nxdomain" in r.summary  # the direct contrast, without probing again
        lookup = rep.result("dns.lookup")
        assert lookup is not None and lookup.status is Status.FAIL
        assert rep.verdict == "fail"
    finally:
        proxy.close()


def test_without_a_proxy_a_direct_failure_still_skips_the_probe(
    gateway: RecordingTLSServer, fake_dns: DnsStub, bundle: str
) -> None:
    fake_dns.records[API_HOST + "."] = "NXDOMAIN"
    rep = run(_at(CallerRequest(URL), gateway.port), _options(fake_dns, bundle))
    r = rep.result("http.probe")
    assert r is not None and r.status is Status.SKIP
    assert rep.verdict == "fail" and "http.probe" in rep.not_checked


def test_no_proxy_exemption_means_no_connect(
    gateway: RecordingTLSServer, fake_dns: DnsStub, bundle: str
) -> None:
    proxy = StubProxy(refuse=b"HTTP/1.1 503 Service Unavailable\r\n\r\n")
    try:
        env = {"HTTPS_PROXY": f"http://127.0.0.1:{proxy.port}", "NO_PROXY": ".amazonaws.com"}
        rep = run(_at(CallerRequest(URL), gateway.port), _options(fake_dns, bundle, environ=env))
        assert proxy.connects == [] and rep.verdict == "pass"
    finally:
        proxy.close()


def _reference_bypass(host: str, value: str) -> bool:
    """Python's urllib reading of no_proxy (what requests and httpx build on) for names."""
    return bool(urllib.request.proxy_bypass_environment(host, {"no": value}))


_LABEL = st.sampled_from(["a", "b", "api", "execute-api", "amazonaws", "com", "x1"])
_NAME = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)


@given(
    host=_NAME,
    entries=st.lists(
        st.tuples(_NAME, st.booleans(), st.booleans(), st.sampled_from(["", " ", "  "])),
        max_size=4,
    ),
)
def test_no_proxy_names_match_the_reference_reading(
    host: str, entries: list[tuple[str, bool, bool, str]]
) -> None:
    """Suffix match on a label boundary, leading dot ignored, any case, blanks ignored."""
    parts = [
        f"{pad}{'.' if dot else ''}{name.upper() if upper else name}{pad}"
        for name, dot, upper, pad in entries
    ]
    value = ",".join(parts)
    assert no_proxy_matches(host, value) == _reference_bypass(host, value), value


@given(
    address=st.ip_addresses(v=4),
    network=st.ip_addresses(v=4),
    prefix=st.integers(min_value=0, max_value=32),
)
def test_no_proxy_cidr_and_address_forms(address: Any, network: Any, prefix: int) -> None:
    """An address host matches an address or CIDR entry exactly when it lies inside."""
    import ipaddress

    net = ipaddress.ip_network(f"{network}/{prefix}", strict=False)
    assert no_proxy_matches(str(address), f"example.com,{net}") == (address in net)
    assert no_proxy_matches(str(address), str(address))
    assert not no_proxy_matches(str(address), "example.com")


def test_proxy_variable_precedence() -> None:
    """Lower-case wins, empty counts as unset, ALL_PROXY is the fallback, '*' exempts all."""
    assert (
        proxy_for(API_HOST, {"HTTPS_PROXY": "http://A:1", "https_proxy": "http://b:2"}).host == "b"
    )  # type: ignore[union-attr]
    assert proxy_for(API_HOST, {"https_proxy": "", "HTTPS_PROXY": "http://a:1"}).host == "a"  # type: ignore[union-attr]
    assert proxy_for(API_HOST, {"ALL_PROXY": "http://c:3"}).port == 3  # type: ignore[union-attr]
    assert proxy_for(API_HOST, {"HTTPS_PROXY": "http://a:1", "NO_PROXY": "*"}) is None
    lower_wins = {"HTTPS_PROXY": "http://a:1", "NO_PROXY": ".amazonaws.com", "no_proxy": "x.io"}
    assert proxy_for(API_HOST, lower_wins) is not None
    assert proxy_for(API_HOST, {"HTTPS_PROXY": "http://a:1", "NO_PROXY": f"{API_HOST}:8443"})
    assert proxy_for(API_HOST, {"HTTPS_PROXY": "http://a:1", "NO_PROXY": f"{API_HOST}:443"}) is None
    assert proxy_for(API_HOST, {"HTTP_PROXY": "http://a:1"}) is None  # https URLs only


def test_proxy_credentials_are_redacted() -> None:
    assert redact_proxy_url("http://alice:s3cret@p:3128") == "http://alice:<redacted>@p:3128"
    assert "tok" not in redact_proxy_url("http://tok@p:3128")
    choice = proxy_for(API_HOST, {"HTTPS_PROXY": "http://alice:s%40cret@p:3128"})
    assert choice is not None and choice.password == "s@cret" and "cret" not in choice.shown


# --- DNS as the caller resolves it ----------------------------------------------------------------
def test_hosts_pin_that_breaks_the_path_fails(
    gateway: RecordingTLSServer, fake_dns: DnsStub, bundle: str, tmp_path: Any
) -> None:
    """/etc/hosts comes before DNS: a stale pin fails with dns.hosts-override."""
    hosts = tmp_path / "hosts"
    hosts.write_text(f"127.0.0.1 localhost\n127.0.0.71 {API_HOST}  # old endpoint\n")
    nss = tmp_path / "nsswitch.conf"
    nss.write_text("hosts: files dns\n")
    opts = _options(fake_dns, bundle, hosts_file=str(hosts), nsswitch_file=str(nss))
    rep = run(_at(CallerRequest(URL), gateway.port), opts)
    lookup = rep.result("dns.lookup")
    assert lookup is not None and lookup.evidence["addresses"] == ["127.0.0.71"]
    pin = rep.result("env.hosts")
    assert pin is not None and pin.status is Status.FAIL and pin.cause == "dns.hosts-override"
    assert "127.0.0.61" in pin.summary  # what DNS says instead
    # A pin to the working address: a warning only, and the call passes.
    hosts.write_text(f"127.0.0.61 {API_HOST}\n")
    fake_dns.records[API_HOST + "."] = {"A": ["127.0.0.62"]}
    rep = run(_at(CallerRequest(URL), gateway.port), opts)
    pin = rep.result("env.hosts")
    assert pin is not None and pin.status is Status.WARN and pin.cause == "dns.hosts-override"
    assert rep.verdict == "pass"
    # nsswitch asking DNS first: the pin is not used.
    nss.write_text("hosts: dns files\n")
    fake_dns.records[API_HOST + "."] = {"A": ["127.0.0.61"]}
    hosts.write_text(f"127.0.0.71 {API_HOST}\n")
    rep = run(_at(CallerRequest(URL), gateway.port), opts)
    pin = rep.result("env.hosts")
    assert pin is not None and pin.status is Status.INFO and rep.verdict == "pass"


def test_only_aaaa_on_an_ipv4_only_host_is_nodata(
    fake_dns: DnsStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from privateapi.doctor import _dns

    fake_dns.records[API_HOST + "."] = {"AAAA": ["fd00::10"]}
    monkeypatch.setattr(_dns, "has_route", lambda address: False)
    rep = run(CallerRequest(URL), offline(resolver=fake_dns.address, checks=("dns.lookup",)))
    r = rep.result("dns.lookup")
    assert r is not None and r.cause == "dns.nodata" and "IPv6" in r.summary
    monkeypatch.setattr(_dns, "has_route", lambda address: True)
    rep = run(CallerRequest(URL), offline(resolver=fake_dns.address, checks=("dns.lookup",)))
    r = rep.result("dns.lookup")
    assert r is not None and r.status is Status.PASS


def test_network_unreachable_is_no_route_not_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(*a: Any, **k: Any) -> socket.socket:
        raise OSError(errno.ENETUNREACH, "Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    rep = run(CallerRequest("https://127.0.0.1/prod/ping"), offline(checks=("tcp",)))
    r = rep.result("tcp.connect")
    assert r is not None and r.cause == "tcp.unreachable" and "no route" in r.summary


# --- the probe as a reusable function -------------------------------------------------------------
def test_probe_reports_failures_as_data(bundle: str) -> None:
    """Nothing listening: the probe returns a cause, it does not raise."""
    request = CallerRequest(URL)
    result = probe(request, offline(ca_bundle=bundle), address="127.0.0.1", port=free_port())
    assert not result.answered and result.cause == "tcp.refused" and result.phase == "connect"


def test_fixes_name_the_ids_the_run_knows() -> None:
    """A cause's generic fix gets the known API id, endpoint and stage, not placeholders."""
    from privateapi import InvokeTarget
    from privateapi.doctor import Result
    from privateapi.doctor._runner import fill_ids

    t = InvokeTarget.vpce_alias(API_ID, REGION, "prod", vpce_id="vpce-0123456789abcdef0")
    r = Result(
        check_id="aws.api",
        status=Status.FAIL,
        summary="s",
        cause="aws.vpce-not-associated",
        hint="privateapi vpce associate --api-id API --vpce-id VPCE --redeploy STAGE --wait",
    )
    filled = fill_ids(r, t)
    assert filled.hint == (
        f"privateapi vpce associate --api-id {API_ID} --vpce-id vpce-0123456789abcdef0"
        " --redeploy prod --wait"
    )
    assert fill_ids(r, None).hint == r.hint  # nothing known: the placeholders stay
