"""The local gateway accepts what AWS's signers sign, and rejects every tampered variant.

Requests are written byte for byte on a TLS connection to a :class:`LocalGateway`
endpoint (loopback only; its public API only), so the request target reaches the
verifier exactly as generated: dot segments, ``//``, ``%2F``, ``=`` inside values,
repeated names and names without ``=`` included. Each is signed by the CRT (aws-c-auth,
configured as botocore's ``CrtSigV4Auth`` configures it for execute-api) and must be
accepted; then each tampered variant (a signed header, a query byte, the date, the
body, the path, the method, the signature's case, the session token), keeping the
original ``Authorization``, must be refused with 403.

A tamper counts only if the CRT gives the tampered request another signature (the
premise is checked, not assumed): ``%4a`` and ``%4A`` are one request, for example.

Excluded from generation, as in test_crt_oracle.py: a bare ``+`` and a ``%`` starting
no escape in the query (the CRT reads a plus / refuses; API Gateway's reading is
undocumented; privateapi never sends either). Wire targets are ASCII (raw spaces and
unicode are not valid in a request line).

Peers: requests-aws4auth and httpx-auth signatures are accepted where they are right.
Where they are wrong (signing.md §2-3, and what this test found, each at its ``assume``)
the cases are excluded, and our verifier is not bent to accept their bugs:
httpx-auth decodes escaped path segments and encodes them once, keeps ``//``, does not
fold whitespace runs in header values, leaves ``/`` bare in query names;
requests-aws4auth cuts ``;params`` off the last path segment; both decode escapes as
UTF-8 (``%80`` is signed as U+FFFD).
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_to_bytes

import httpx
import pytest
from crt_oracle import crt_sign, header
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from request_strategies import body, header_value, raw_path, raw_query

from privateapi.testing import LabRequest, LocalGateway, Route

EXAMPLES = int(os.environ.get("PRIVATEAPI_ORACLE_EXAMPLES", "400"))
KEY = "ASIAORACLEKEY0000001"
SECRET = "oracleSECRETwJalrXUtnFEMIK7MDENGbPxRfiCY"
TOKEN = "oracleTOKEN//////////wEXAMPLE  two spaces=="
# httpx-auth does not fold runs of whitespace in header values (SigV4's "trimall"; its own
# doctest keeps "value with  spaces"): its token has none. Excluded: its bug.
HTTPX_AUTH_KEY = "ASIAORACLEKEY0000003"
HTTPX_AUTH_TOKEN = "oracleTOKEN3//////////wEXAMPLE+no/runs=="
PLAIN_KEY = "AKIAORACLEKEY0000002"
PLAIN_SECRET = "plainSECRETwJalrXUtnFEMIK7MDENGbPxRfiCYx"
MISMATCH = "The request signature we calculated does not match"
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


@dataclass(frozen=True)
class Wire:
    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


class RawHttps:
    """Writes a request line and headers exactly as given, over TLS to a pinned address."""

    def __init__(self, address: str, port: int, server_name: str, context: ssl.SSLContext):
        self.address, self.port, self.server_name, self.context = (
            address,
            port,
            server_name,
            context,
        )
        self._conn: http.client.HTTPSConnection | None = None
        self.connections = 0

    def _connect(self) -> http.client.HTTPSConnection:
        outer = self
        self.connections += 1

        class Pinned(http.client.HTTPSConnection):
            def connect(self) -> None:
                sock = socket.create_connection((outer.address, outer.port), timeout=60)
                # http.client writes the head and the body separately: without this, Nagle
                # and delayed ACKs stall every request with a body by ~40 ms.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.sock = outer.context.wrap_socket(sock, server_hostname=outer.server_name)

        return Pinned(self.server_name, self.port, context=self.context, timeout=60)

    def send(self, wire: Wire) -> tuple[int, str]:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect()
            conn = self._conn
            try:
                conn.putrequest(wire.method, wire.target, skip_host=True, skip_accept_encoding=True)
                for name, value in wire.headers:
                    conn.putheader(name, value)
                if wire.body:
                    conn.putheader("Content-Length", str(len(wire.body)))
                conn.endheaders(wire.body or None)
                response = conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                if response.getheader("connection", "").lower() == "close":
                    self.close()
                return response.status, text
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # the gateway closed an idle keep-alive connection: once more
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@dataclass
class Lab:
    gw: LocalGateway
    host: str
    raw: RawHttps
    region: str
    base_url: str
    pins: dict[tuple[str, int], tuple[str, int]]


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    def ok(request: LabRequest) -> dict[str, Any]:
        return {"ok": True}

    with LocalGateway() as gw:
        gw.add_credentials(KEY, SECRET, session_token=TOKEN)
        gw.add_credentials(PLAIN_KEY, PLAIN_SECRET)
        gw.add_credentials(HTTPX_AUTH_KEY, SECRET, session_token=HTTPX_AUTH_TOKEN)
        endpoint = gw.endpoint()
        api = gw.add_api(
            routes=[Route.handler("ANY", "/", ok), Route.handler("ANY", "/{proxy+}", ok)],
            authorization="AWS_IAM",
            endpoints=[endpoint.id],
            stages=["prod"],
        )
        target = gw.target(api.id, "private_dns")
        host = target.url("").split("/")[2]
        raw = RawHttps(target.connect_host, target.connect_port, host, gw.ssl_context())
        try:
            yield Lab(
                gw,
                host,
                raw,
                gw.region,
                f"https://{host}",
                {(host, 443): (target.connect_host, target.connect_port)},
            )
        finally:
            raw.close()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _crt(lab: Lab, wire: Wire, when: datetime, key: str, secret: str, token: str | None) -> Wire:
    signed = crt_sign(
        wire.method,
        wire.target,
        wire.headers,
        wire.body,
        key=key,
        secret=secret,
        token=token,
        when=when,
        region=lab.region,
    )
    return replace(wire, headers=tuple(signed))


def _signature(wire: Wire) -> str:
    authz = header(wire.headers, "authorization") or ""
    return authz.rsplit("Signature=", 1)[-1]


def _set(wire: Wire, name: str, value: str) -> Wire:
    return replace(
        wire, headers=tuple((n, value if n.lower() == name else v) for n, v in wire.headers)
    )


_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _tamper_query(wire: Wire, pick: int) -> Wire:
    path, sep, query = wire.target.partition("?")
    inside = {i for m in _ESCAPE.finditer(query) for i in range(m.start(), m.end())}
    spots = [i for i, c in enumerate(query) if c.isalnum() and i not in inside]
    if not spots:
        return replace(wire, target=f"{path}?{query}x" if sep else f"{path}?x")
    i = spots[pick % len(spots)]
    new = "1" if query[i] != "1" else "2"
    return replace(wire, target=f"{path}?{query[:i]}{new}{query[i + 1 :]}")


def _tamper_date(wire: Wire) -> Wire:
    amz = header(wire.headers, "x-amz-date") or ""
    when = datetime.strptime(amz, "%Y%m%dT%H%M%SZ")
    # One second, within the day, so the scope still matches and only the signature can fail.
    when += timedelta(seconds=-1 if when.hour == 23 and when.minute == 59 else 1)
    return _set(wire, "x-amz-date", when.strftime("%Y%m%dT%H%M%SZ"))


TAMPERS: dict[str, Callable[[Wire, int], Wire]] = {
    "header": lambda w, _: _set(
        w, "x-amz-meta-note", (header(w.headers, "x-amz-meta-note") or "") + "x"
    ),
    "query byte": _tamper_query,
    "date": lambda w, _: _tamper_date(w),
    "body": lambda w, _: replace(w, body=w.body + b"x"),
    "path": lambda w, _: replace(
        w, target=w.target.partition("?")[0] + "x" + "".join(w.target.partition("?")[1:])
    ),
    "method": lambda w, i: replace(w, method=[m for m in METHODS if m != w.method][i % 4]),
}


# The local gateway's greedy route ({proxy+}) does not match a resource holding a
# newline ('/prod/%0A': its regex '.' stops at one), so it answers "Missing
# Authentication Token" before any signature check: a routing gap, not signing.
_NEWLINE = re.compile(r"%0[aAdD]")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    verb=st.sampled_from(METHODS),
    path=raw_path(ascii_only=True, prefix="/prod").filter(lambda p: not _NEWLINE.search(p)),
    query=raw_query(ascii_only=True, bare_percent=False, plus=False),
    note=header_value,
    with_token=st.booleans(),
    content=body,
    pick=st.integers(0, 1000),
)
def test_gateway_accepts_crt_signed_requests_and_refuses_tampered_ones(
    lab: Lab,
    verb: str,
    path: str,
    query: str,
    note: str,
    with_token: bool,
    content: bytes,
    pick: int,
) -> None:
    key, secret, token = (KEY, SECRET, TOKEN) if with_token else (PLAIN_KEY, PLAIN_SECRET, None)
    unsigned = Wire(
        verb,
        path + ("?" + query if query else ""),
        (("Host", lab.host), ("X-Amz-Meta-Note", note), ("Content-Type", "application/json")),
        content,
    )
    when = _now()
    signed = _crt(lab, unsigned, when, key, secret, token)
    status, text = lab.raw.send(signed)
    assert status == 200, text

    for name, tamper in TAMPERS.items():
        bad = tamper(signed, pick)
        # The premise: the tampered request is another request for AWS's own signer.
        strip = {"authorization", "x-amz-date", "x-amz-security-token"}
        bare = replace(bad, headers=tuple((n, v) for n, v in bad.headers if n.lower() not in strip))
        bad_when = datetime.strptime(
            header(bad.headers, "x-amz-date") or "", "%Y%m%dT%H%M%SZ"
        ).replace(tzinfo=UTC)
        assert _signature(_crt(lab, bare, bad_when, key, secret, token)) != _signature(signed), name
        status, text = lab.raw.send(bad)
        assert status == 403, (name, text)
        assert MISMATCH in text, (name, text)

    upper = _set(
        signed,
        "authorization",
        (header(signed.headers, "authorization") or "")[:-64] + _signature(signed).upper(),
    )
    assert upper != signed
    status, text = lab.raw.send(upper)
    assert (status, MISMATCH in text) == (403, True), ("signature case", text)
    if token:
        status, text = lab.raw.send(_set(signed, "x-amz-security-token", token[:-1] + "Q"))
        assert status == 403 and "security token included in the request is invalid" in text


def test_an_upper_case_signature_is_refused_but_the_same_request_passes(lab: Lab) -> None:
    """The verifier compares Signature= exactly (it lower-cased it before)."""
    wire = _crt(
        lab,
        Wire("GET", "/prod/items?a=b", (("Host", lab.host),), b""),
        _now(),
        PLAIN_KEY,
        PLAIN_SECRET,
        None,
    )
    assert lab.raw.send(wire)[0] == 200
    authz = header(wire.headers, "authorization") or ""
    upper = _set(wire, "authorization", authz[:-64] + authz[-64:].upper())
    status, text = lab.raw.send(upper)
    assert status == 403 and MISMATCH in text
    mangled = _set(wire, "authorization", authz[:-1] + "é")  # non-ASCII: a 403, not a crash
    assert lab.raw.send(mangled)[0] == 403


# --------------------------------------------------------------------------------------
# peers
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pinned_requests(lab: Lab) -> Iterator[Any]:
    import requests

    from privateapi.requests import PinnedAdapter

    with requests.Session() as s:
        s.mount("https://", PinnedAdapter(lab.pins))
        s.trust_env = False
        yield s


@pytest.fixture(scope="module")
def pinned_httpx(lab: Lab) -> Iterator[httpx.Client]:
    from privateapi._transport import sync_transport

    transport = sync_transport(lab.pins, verify=lab.gw.ssl_context(), trust_env=False)
    with httpx.Client(transport=transport, trust_env=False, timeout=60) as client:
        yield client


def _utf8_escapes(text: str) -> bool:
    try:
        unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# No dot segments for the peers: their HTTP clients remove them before signing, and a
# '/prod/..' would leave the stage (the raw-socket test above sends them as they are).
peer_path = raw_path(ascii_only=False, bare_percent=False, prefix="/prod", dots=False).filter(
    lambda p: not _NEWLINE.search(p)
)
peer_query = raw_query(ascii_only=False, bare_percent=False, plus=False)


@settings(
    max_examples=max(EXAMPLES // 2, 10),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    verb=st.sampled_from(METHODS),
    path=peer_path,
    query=peer_query,
    content=body,
    with_token=st.booleans(),
)
def test_gateway_accepts_requests_aws4auth(
    lab: Lab,
    pinned_requests: Any,
    verb: str,
    path: str,
    query: str,
    content: bytes,
    with_token: bool,
) -> None:
    from requests_aws4auth import AWS4Auth

    # signing.md §2-3 lists no requests-aws4auth bug on the wire, but it decodes escapes as
    # UTF-8 (parse_qs): '%80' is signed as U+FFFD ('%EF%BF%BD'). Excluded: its bug.
    assume(_utf8_escapes(query))
    # It takes the path from urlparse(), which cuts ';params' off the last segment:
    # '/prod/a;b' is signed as '/prod/a'. Excluded: its bug.
    assume(";" not in path.rsplit("/", 1)[-1])
    key, secret, token = (KEY, SECRET, TOKEN) if with_token else (PLAIN_KEY, PLAIN_SECRET, None)
    auth = AWS4Auth(key, secret, lab.region, "execute-api", session_token=token)
    url = lab.base_url + path + ("?" + query if query else "")
    # An explicit Host, as privateapi.requests sends it: urllib3 would name the pinned address.
    r = pinned_requests.request(
        verb,
        url,
        data=content or None,
        headers={"Host": lab.host},
        auth=auth,
        verify=str(lab.gw.ca_bundle),
    )
    assert r.status_code == 200, (r.request.url, r.text)


@settings(
    max_examples=max(EXAMPLES // 2, 10),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    verb=st.sampled_from(METHODS),
    path=peer_path,
    query=peer_query,
    content=body,
    with_token=st.booleans(),
)
def test_gateway_accepts_httpx_auth_where_it_is_right(
    lab: Lab,
    pinned_httpx: httpx.Client,
    verb: str,
    path: str,
    query: str,
    content: bytes,
    with_token: bool,
) -> None:
    from httpx_auth import AWS4Auth

    request = httpx.Request(
        verb, lab.base_url + path + ("?" + query if query else ""), content=content
    )
    wire_path = request.url.raw_path.decode().partition("?")[0]
    # signing.md §2-3: httpx-auth decodes escaped path segments and keeps empty ones.
    assume("%" not in wire_path and "//" not in wire_path)
    # Its bugs found here: it encodes query names as S3 keys ('/' left bare: '%2F=' signs
    # as '/='), and decodes escapes as UTF-8 like requests-aws4auth. Excluded.
    names = [p.partition("=")[0] for p in request.url.query.decode().split("&")]
    assume(not any("/" in unquote_to_bytes(n).decode("utf-8", "replace") for n in names))
    assume(_utf8_escapes(query))
    key, secret, token = (
        (HTTPX_AUTH_KEY, SECRET, HTTPX_AUTH_TOKEN)
        if with_token
        else (PLAIN_KEY, PLAIN_SECRET, None)
    )
    auth = AWS4Auth(key, secret, lab.region, "execute-api", security_token=token)
    r = pinned_httpx.send(request, auth=auth)
    assert r.status_code == 200, (str(r.request.url), r.text)


def test_the_verifier_is_not_bent_to_httpx_auth_path_bug(
    lab: Lab, pinned_httpx: httpx.Client
) -> None:
    """httpx-auth signs '/prod/a%2Fb' as '/prod/a/b': the gateway refuses it, as AWS would."""
    from httpx_auth import AWS4Auth

    auth = AWS4Auth(PLAIN_KEY, PLAIN_SECRET, lab.region, "execute-api")
    assert pinned_httpx.get(lab.base_url + "/prod/a/b", auth=auth).status_code == 200
    r = pinned_httpx.get(lab.base_url + "/prod/a%2Fb", auth=auth)
    assert r.status_code == 403 and MISMATCH in r.text
