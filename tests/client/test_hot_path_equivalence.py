"""The fast paths behave exactly like the plain ones they replace.

The client caches parsed URLs, skips httpx's cookie jar when a response sets no
cookie, and the signer computes HMAC from precomputed pads: each must give the
same result as the straightforward code.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx
from hypothesis import given
from hypothesis import strategies as st

from privateapi import Client, InvokeTarget
from privateapi._signing import sign

TARGET = InvokeTarget.private_dns("a1b2c3d4e5", "us-east-1", "prod")


@given(st.binary(min_size=0, max_size=200), st.text(max_size=300))
def test_sign_equals_hmac_sha256(key: bytes, message: str) -> None:
    """The precomputed-pad HMAC equals hmac.new for keys shorter and longer than a block."""
    expected = hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()
    assert sign(key, message) == expected
    assert sign(key, message) == expected  # a second time: from the cached pads


def _captured() -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    return seen, httpx.MockTransport(handler)


def test_url_query_and_params_like_httpx() -> None:
    """With both a query in the URL and params, the request URL is httpx's own (cached or not)."""
    seen, transport = _captured()
    raw = httpx.Client(transport=transport)
    with Client(TARGET, sign=False, transport=transport) as client:
        for _ in range(2):  # the second call is served from the URL cache
            client.get("/items?a=1", params={"b": "2"})
            raw.get(TARGET.url("/items") + "?a=1", params={"b": "2"})
            ours, theirs = seen[-2], seen[-1]
            assert ours.url == theirs.url
            assert ours.url.query == b"b=2"
        client.get("/items?a=1")
        assert seen[-1].url.query == b"a=1"
    raw.close()


def test_cookies_persist_through_the_client() -> None:
    """A Set-Cookie answer is remembered and sent back, as with httpx."""
    sent: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("cookie"))
        if len(sent) == 1:
            return httpx.Response(200, headers={"Set-Cookie": "session=abc; Path=/"})
        return httpx.Response(200)

    with Client(TARGET, sign=False, transport=httpx.MockTransport(handler)) as client:
        client.get("/a")
        client.get("/b")
        client.get("/c")
    assert sent == [None, "session=abc", "session=abc"]
