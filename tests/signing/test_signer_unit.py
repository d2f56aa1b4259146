"""Unit tests of the canonicaliser and SigV4Auth details."""

from __future__ import annotations

import asyncio
import datetime as dt
from urllib.parse import quote, unquote_to_bytes

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privateapi import _signing as s
from privateapi._auth import SigV4Auth
from privateapi._errors import InvalidInputError

CLOCK = dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.UTC)
HOST = "abcde12345.execute-api.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("", "/"),
        ("/", "/"),
        ("/prod/items", "/prod/items"),
        ("/prod/a%2Fb", "/prod/a%252Fb"),
        ("/prod/a%20b", "/prod/a%2520b"),
        ("/prod/a:b", "/prod/a%3Ab"),
        ("/prod//x//", "/prod/x/"),
        ("/a/./b/../c", "/a/c"),
        ("/a/b/..", "/a"),  # as botocore and the CRT signer compute
        ("/a/b/.", "/a/b"),
        ("/a/b/../", "/a/"),
        ("/a/./", "/a/"),
        ("/..", "/"),
        ("rel/x", "/rel/x"),
        ("/$delete", "/%24delete"),
    ],
)
def test_canonical_path(raw: str, canonical: str) -> None:
    assert s.canonical_path(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("", ""),
        ("b=2&a=1", "a=1&b=2"),
        ("a=2&a=1&a=1", "a=1&a=1&a=2"),
        ("a=&b", "a=&b="),
        ("a=1&&b=2", "a=1&b=2"),
        ("q=a+b", "q=a%20b"),
        ("q=a%2Bb", "q=a%2Bb"),
        ("tags=a,b&q=x:y&r=https://x/y", "q=x%3Ay&r=https%3A%2F%2Fx%2Fy&tags=a%2Cb"),
        ("token=abc%3D%3D", "token=abc%3D%3D"),
        ("Param-3=1&Param=2", "Param=2&Param-3=1"),
        ("k=%e1%88%b4", "k=%E1%88%B4"),
        ("k=%FF", "k=%FF"),
        ("k=~._-", "k=~._-"),
        # issue 12: an '=' inside a value is encoded, also when nothing else needs encoding
        ("a=b=c", "a=b%3Dc"),
        ("next=eyJrIjoiMSJ9==", "next=eyJrIjoiMSJ9%3D%3D"),
        ("a==&b=1", "a=%3D&b=1"),
        ("=x", "=x"),
    ],
)
def test_canonical_query(raw: str, canonical: str) -> None:
    assert s.canonical_query(raw) == canonical


def _reference_query(raw: str) -> str:
    # The rule written out plainly, with no fast path: decode, strictly encode, sort.
    pairs = []
    for part in raw.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append(
                tuple(quote(unquote_to_bytes(p.replace("+", " ")), safe="") for p in (name, value))
            )
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab09-_.~=&", max_size=24) | st.text(alphabet="aB=&%2F+ ,", max_size=24))
def test_canonical_query_fast_path_equals_the_plain_rule(raw: str) -> None:
    """The fast path (only unreserved characters, '=', '&') gives what the rule gives."""
    s.canonical_query.cache_clear()
    assert s.canonical_query(raw) == _reference_query(raw)


def test_canonical_headers_combines_and_folds() -> None:
    block, signed = s.canonical_headers(
        [("X-A", " 1  2 "), ("x-a", "3"), ("Host", "h"), ("X-Skip", "no")],
        ["host", "x-a", "x-missing"],
    )
    assert block == "host:h\nx-a:1 2,3\nx-missing:\n"
    assert signed == "host;x-a;x-missing"


def test_signing_key_cached_and_payload_hash() -> None:
    k1 = s.signing_key("secret", "20150830", "us-east-1", "execute-api")
    assert s.signing_key("secret", "20150830", "us-east-1", "execute-api") is k1
    assert s.payload_hash(b"") == s.EMPTY_PAYLOAD_HASH
    assert s.payload_hash(b"a") != s.EMPTY_PAYLOAD_HASH
    assert len(s.sign(k1, "x")) == 64


def _auth(**kw: object) -> SigV4Auth:
    kw.setdefault("clock", lambda: CLOCK)
    return SigV4Auth(("AKIDEXAMPLE", "secret"), region="us-east-1", **kw)  # type: ignore[arg-type]


def test_auth_signs_a_deliberate_header_set() -> None:
    req = httpx.Request(
        "POST",
        f"https://{HOST}/prod/x",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "u",
            "Connection": "keep-alive",
            "X-Amz-Meta": "  a   b ",
            "X-Custom": "c",
            "x-apigw-api-id": "abcde12345",
        },
        content=b"{}",
    )
    auth = _auth(sign_headers=["X-Custom", "Connection"], record=True)
    auth.sign_request(req)
    signed = req.headers["authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert signed == "content-type;host;x-amz-date;x-amz-meta;x-apigw-api-id;x-custom"
    details = auth.last_signing
    assert details is not None
    assert "x-amz-meta:a b\n" in details.canonical_request
    assert req.extensions[SigV4Auth.EXTENSION] is details
    assert "secret" not in repr(details)
    assert "SigV4Auth(region='us-east-1'" in repr(auth)


def test_content_sha256_and_stale_token_removed() -> None:
    req = httpx.Request(
        "PUT", f"https://{HOST}/prod/x", content=b"abc", headers={"x-amz-security-token": "stale"}
    )
    _auth(content_sha256=True).sign_request(req)
    assert req.headers["x-amz-content-sha256"] == s.payload_hash(b"abc")
    assert "x-amz-security-token" not in req.headers


def test_resigning_replaces_previous_values() -> None:
    req = httpx.Request("GET", f"https://{HOST}/prod/x")
    auth = SigV4Auth(("AKIDEXAMPLE", "secret", "tok"), region="us-east-1")
    auth.sign_request(req)
    auth.sign_request(req)
    assert len(req.headers.get_list("authorization")) == 1
    assert req.headers.get_list("x-amz-security-token") == ["tok"]
    assert len(req.headers["x-amz-date"]) == 16


def test_clock_in_another_zone_is_converted() -> None:
    tz = dt.timezone(dt.timedelta(hours=2))
    req = httpx.Request("GET", f"https://{HOST}/prod/x")
    _auth(clock=lambda: dt.datetime(2015, 8, 30, 14, 36, tzinfo=tz)).sign_request(req)
    assert req.headers["x-amz-date"] == "20150830T123600Z"


def test_plus_in_path_is_kept_plus_in_query_becomes_space() -> None:
    req = httpx.Request("GET", f"https://{HOST}/prod/a+b")
    _auth().sign_request(req)
    assert req.url.raw_path == b"/prod/a+b"
    req2 = httpx.Request("GET", f"https://{HOST}/prod/a+b?q=x+y")
    _auth().sign_request(req2)
    assert req2.url.raw_path == b"/prod/a+b?q=x%20y"


def test_region_required() -> None:
    with pytest.raises(InvalidInputError):
        SigV4Auth(("a", "b"), region="")


def test_default_chain_is_lazy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDLAZY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "lazysecret")
    auth = SigV4Auth(region="us-east-1")
    assert auth._source is None
    req = httpx.Request("GET", f"https://{HOST}/prod")
    next(auth.sync_auth_flow(req))
    assert "AKIDLAZY/" in req.headers["authorization"]


def test_async_flow_signs_and_refreshes_off_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDASYNC")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "asyncsecret")

    async def run() -> tuple[str, str]:
        lazy = SigV4Auth(region="us-east-1")
        r1 = httpx.Request("GET", f"https://{HOST}/prod")
        flow = lazy.async_auth_flow(r1)
        await flow.__anext__()
        static = _auth()
        r2 = httpx.Request("POST", f"https://{HOST}/prod", content=b"x")
        flow2 = static.async_auth_flow(r2)
        await flow2.__anext__()
        return r1.headers["authorization"], r2.headers["authorization"]

    a1, a2 = asyncio.run(run())
    assert "AKIDASYNC/" in a1
    assert "AKIDEXAMPLE/" in a2


def test_real_clock_is_cached_per_second() -> None:
    auth = SigV4Auth(("AKIDEXAMPLE", "secret"), region="us-east-1")
    d1 = auth._now()
    d2 = auth._now()
    assert d1[0][:8] == d1[1]
    assert d2[0] >= d1[0]
