"""Redirects never carry credentials elsewhere: refused off the origin, re-signed on it.

Client and AsyncClient over httpx.MockTransport (every request the client would send is
recorded); the requests session over real TLS on loopback, with a second loopback server
standing for "another host" that must never receive anything.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from privateapi import _errors as e
from privateapi._client import AsyncClient, Client
from privateapi._targets import InvokeTarget

API = "abcde12345"
API_HOST = f"{API}.execute-api.us-east-1.amazonaws.com"
CREDS = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
TARGET = InvokeTarget.private_dns(API, "us-east-1", "prod")


class Script:
    """Answers in order (the last one repeats) and records every request."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _to(location: str, status: int = 302) -> httpx.Response:
    return httpx.Response(status, headers={"Location": location})


def _client(script: Script, **kw: Any) -> Client:
    return Client(TARGET, credentials=CREDS, transport=httpx.MockTransport(script), **kw)


def test_not_followed_by_default() -> None:
    script = Script(_to("/prod/next"), httpx.Response(200))
    with _client(script) as c:
        r = c.get("/start")
    assert r.status_code == 302
    assert len(script.requests) == 1


def test_same_origin_307_is_signed_again_with_its_body(signature_ok: Any) -> None:
    script = Script(_to(f"https://{API_HOST}/prod/next?x=1", 307), httpx.Response(201))
    with _client(script, follow_redirects=True) as c:
        r = c.post("/start", content=b'{"a":1}', headers={"Content-Type": "application/json"})
    assert r.status_code == 201
    assert [h.status_code for h in r.history] == [307]
    first, second = script.requests
    assert (second.method, second.url.path, second.url.query) == ("POST", "/prod/next", b"x=1")
    assert second.content == b'{"a":1}'
    assert second.headers["authorization"] != first.headers["authorization"]
    target = second.url.raw_path.decode()
    assert signature_ok("POST", target, second.headers, second.content)


def test_303_becomes_a_get_without_body(signature_ok: Any) -> None:
    script = Script(_to("next", 303), httpx.Response(200))
    with _client(script, follow_redirects=True) as c:
        c.post("/prod-start", content=b"secret-body", headers={"Content-Type": "text/plain"})
    second = script.requests[1]
    assert second.method == "GET"
    assert second.url.path == "/prod/next"  # relative to the redirecting URL
    assert second.content == b""
    assert "content-type" not in second.headers
    assert signature_ok("GET", second.url.raw_path.decode(), second.headers, b"")


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example.com/collect?token=session-token",
        f"http://{API_HOST}/prod/downgraded",  # another scheme
        f"https://{API_HOST}:8443/prod/other-port",
        "//evil.example.com/scheme-relative",
    ],
)
def test_off_origin_redirect_is_refused_and_nothing_is_sent(location: str) -> None:
    script = Script(_to(location, 307), httpx.Response(200))
    with (
        _client(script, follow_redirects=True) as c,
        pytest.raises(e.RedirectRefusedError) as info,
    ):
        c.post("/start", content=b"body", headers={"x-api-key": "k"})
    assert len(script.requests) == 1  # the token, date and body went nowhere else
    err = info.value
    assert err.cause_code == "http.redirect-refused"
    assert err.status_code == 307
    assert "token=" not in str(err) and "?" not in err.location
    assert err.response is not None and err.hint


def test_redirect_loop_stops(signature_ok: Any) -> None:
    script = Script(_to("/prod/loop"))
    with _client(script, follow_redirects=True) as c, pytest.raises(e.RedirectRefusedError):
        c.get("/loop")
    assert len(script.requests) == 21  # the first request and 20 followed redirects


def test_odd_location_is_refused() -> None:
    script = Script(_to("https://exa mple.com/x?token=t"), httpx.Response(200))
    with _client(script, follow_redirects=True) as c, pytest.raises(e.RedirectRefusedError) as info:
        c.get("/x")
    assert len(script.requests) == 1
    assert "token=" not in info.value.location


def test_a_location_that_is_no_url_fails_the_answer() -> None:
    """httpx itself refuses such an answer (it prepares next_request): a transport error."""
    script = Script(_to("https://[::1/x"))
    with _client(script, retries=None) as c, pytest.raises(e.TransportError, match="location"):
        c.get("/x")


def test_location_with_a_scheme_and_no_host_stays_on_the_host() -> None:
    script = Script(_to("https:///prod/same"), httpx.Response(200))
    with _client(script, follow_redirects=True) as c:
        assert c.get("/x").status_code == 200
    assert str(script.requests[1].url) == f"https://{API_HOST}/prod/same"


def test_send_refuses_a_request_for_another_host() -> None:
    script = Script(httpx.Response(200))
    with _client(script) as c:
        with pytest.raises(e.InvalidInputError, match="evil"):
            c.send(httpx.Request("GET", "https://evil.example.com/prod"))
        c.send(httpx.Request("GET", f"https://{API_HOST}:443/prod/x"))  # the default port
    assert [str(r.url) for r in script.requests] == [f"https://{API_HOST}/prod/x"]


def test_async_client_follows_and_refuses_alike() -> None:
    async def run() -> list[httpx.Request]:
        script = Script(_to("/prod/next", 308), httpx.Response(200), _to("https://evil.test/"))
        async with AsyncClient(
            TARGET,
            credentials=CREDS,
            transport=httpx.MockTransport(script),
            follow_redirects=True,
        ) as c:
            assert (await c.put("/a", content=b"1")).status_code == 200
            with pytest.raises(e.RedirectRefusedError):
                await c.get("/b")
            c.follow_redirects = False
            assert (await c.get("/c")).status_code == 302
        loop = Script(_to("/prod/loop"))
        async with AsyncClient(
            TARGET, credentials=CREDS, transport=httpx.MockTransport(loop), follow_redirects=True
        ) as c:
            with pytest.raises(e.RedirectRefusedError, match="more than 20"):
                await c.send(httpx.Request("GET", f"https://{API_HOST}/prod/raw"))
        assert len(loop.requests) == 21
        assert loop.requests[0].extensions["timeout"]["read"] == 30.0  # the client's timeout
        return script.requests

    sent = asyncio.run(run())
    assert [(r.method, r.url.host, r.url.path) for r in sent] == [
        ("PUT", API_HOST, "/prod/a"),
        ("PUT", API_HOST, "/prod/next"),
        ("GET", API_HOST, "/prod/b"),
        ("GET", API_HOST, "/prod/c"),
    ]
    assert sent[1].content == b"1"


# -- the requests session, over real sockets ------------------------------------------------


def _parse(head: bytes) -> tuple[str, str, httpx.Headers]:
    request_line, *lines = head.decode("latin-1").split("\r\n")
    method, target, _ = request_line.split(" ")
    pairs = [line.partition(":") for line in lines]
    return method, target, httpx.Headers([(n.strip(), v.strip()) for n, _, v in pairs])


def _answer(conn: Any, status: str, headers: dict[str, str], body: bytes = b"") -> None:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


@pytest.fixture
def ca_path(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def test_requests_session_keeps_credentials_home(
    raw_server: Any, server_ctx: Any, ca_path: str, signature_ok: Any
) -> None:
    elsewhere = raw_server(lambda s, conn, head: _answer(conn, "200 OK", {}))  # plain http

    def api(srv: Any, conn: Any, head: bytes) -> None:
        method, target, headers = _parse(head)
        body = srv.heads[-1].partition(b"\r\n\r\n")[2]
        if target == "/prod/away":
            _answer(conn, "307 Temporary Redirect", {"Location": away})
        elif target == "/prod/home":
            _answer(conn, "307 Temporary Redirect", {"Location": f"https://{API_HOST}/prod/final"})
        else:
            seen = {"target": target, "valid": signature_ok(method, target, headers, body)}
            _answer(conn, "200 OK", {}, json.dumps({**seen, "body": body.decode()}).encode())

    srv = raw_server(api, ctx=server_ctx)
    away = f"http://127.0.0.1:{elsewhere.port}/collect?token=x"
    from privateapi.requests import session

    target = TARGET.with_connect_to(f"127.0.0.1:{srv.port}")
    with session(target, credentials=CREDS, verify=ca_path) as s:
        # default: not followed (requests itself follows, even for a 307 with its body)
        assert s.post("/away", data=b"payload").status_code == 307
        assert s.get("/away").status_code == 307
        # asked to follow: off the origin is refused, on it is signed again
        with pytest.raises(e.RedirectRefusedError) as info:
            s.post("/away", data=b"payload", allow_redirects=True)
        assert "token=" not in str(info.value)
        assert s.get("/away").next is None  # no ready-made next request carrying the token
    with session(target, credentials=CREDS, verify=ca_path, follow_redirects=True) as s:
        assert s.post("/final", data=b"payload").json()["valid"] is True
        final = s.post("/home", data=b"payload")
        assert final.status_code == 200
        assert final.json() == {"target": "/prod/final", "valid": True, "body": "payload"}
        with pytest.raises(e.RedirectRefusedError):
            s.get("/away")
    assert elsewhere.heads == []  # the token, date and body never left for the other host


def test_next_request_carries_no_signature_and_never_leaves_the_origin(
    signature_ok: Any,
) -> None:
    script = Script(_to("/prod/next"), _to("https://evil.example.com/x"), httpx.Response(200))
    with _client(script) as c:
        first = c.get("/a")
        nxt = first.next_request
        assert nxt is not None and nxt.url.path == "/prod/next"
        assert not {"authorization", "x-amz-security-token", "x-amz-date"} & set(nxt.headers)
        assert c.get("/b").next_request is None  # off the origin: nothing prepared
        c.send(nxt)  # sent through the client, it is signed for its own path
    sent = script.requests[-1]
    assert signature_ok("GET", sent.url.raw_path.decode(), sent.headers, b"")
