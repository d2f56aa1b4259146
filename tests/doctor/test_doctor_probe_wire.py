"""The probe's wire request is httpx's, built without importing httpx.

The doctor builds its request head itself for URLs httpx sends unchanged (start-up
speed); these properties hold that head equal to what ``httpx.Request`` produces for the
same method, URL, headers and body, for generated inputs, including the ones the doctor
hands to httpx because httpx might rewrite them.
"""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privateapi import _signing
from privateapi.doctor import _probe
from privateapi.doctor._request import CallerRequest

_HOSTS = st.sampled_from(
    [
        "abcde12345.execute-api.us-east-1.amazonaws.com",
        "ABCDE12345.Execute-API.us-east-1.amazonaws.com",
        "api.example.internal",
        "127.0.0.1",
        "vpce-0123-abcd.execute-api.eu-west-1.vpce.amazonaws.com",
    ]
)
_PORTS = st.sampled_from(["", ":443", ":8443", ":1"])
# Characters httpx keeps, re-encodes or reads specially (dot segments, escapes, '#').
_PATH_CHARS = st.sampled_from(
    [*list("abcZ09-._~!$&'()*+,;=:@/%"), "%2F", "%zz", " ", "é", "..", "."]
)
_QUERY_CHARS = st.sampled_from([*list("ab=&+?/:%"), "%20", "%2", " ", "é", "#x"])
_HEADERS = st.lists(
    st.tuples(
        st.sampled_from(
            ["X-Trace", "Accept", "content-type", "Host", "Content-Length", "x-apigw-api-id"]
        ),
        st.sampled_from(["1", "application/json", "a  b", "abcde12345", "0"]),
    ),
    max_size=4,
)


def _httpx_head(request: CallerRequest) -> tuple[str, list[tuple[str, str]]]:
    netloc, target, headers = _probe._httpx_wire(request)
    del netloc
    return target, [(k.lower(), v) for k, v in headers]


@settings(max_examples=400, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
    host=_HOSTS,
    port=_PORTS,
    path=st.lists(_PATH_CHARS, max_size=8).map("".join),
    query=st.none() | st.lists(_QUERY_CHARS, max_size=6).map("".join),
    headers=_HEADERS,
    body=st.sampled_from([None, b"", b"{}", b"x" * 3]),
)
def test_the_head_is_httpx_s(
    method: str,
    host: str,
    port: str,
    path: str,
    query: str | None,
    headers: list[tuple[str, str]],
    body: bytes | None,
) -> None:
    url = f"https://{host}{port}{'/' + path if path and not path.startswith('/') else path}"
    if query is not None:
        url += "?" + query
    try:
        request = CallerRequest(url=url, method=method, headers=tuple(headers), body=body)
    except ValueError:
        return  # the doctor refuses it before any probe
    try:
        expected = _httpx_head(request)
    except Exception:  # httpx refuses it: the doctor must refuse it the same way
        with pytest.raises(Exception):
            _probe._build(request, None, None)
        return
    target, sent, details = _probe._build(request, None, None)
    assert details is None
    assert (target, sent) == expected


def test_plain_urls_skip_httpx() -> None:
    """The URLs callers use are built without httpx (what spares its import)."""
    plain = CallerRequest(
        url="https://abcde12345.execute-api.us-east-1.amazonaws.com/prod/pets?a=1"
    )
    assert _probe._plain_wire(plain) == (
        "abcde12345.execute-api.us-east-1.amazonaws.com",
        "/prod/pets?a=1",
    )
    for url in (
        "https://h/a/../b",
        "https://h/a b",
        "https://h/é",
        "https://h/p#f",
        "https://[::1]/",
    ):
        assert _probe._plain_wire(CallerRequest(url=url)) is None, url


def _old_build(
    request: CallerRequest, creds: tuple[str, str, str]
) -> tuple[str, list[tuple[str, str]]]:
    """The probe's request as it was built before: httpx's Request, signed by SigV4Auth."""
    import httpx

    from privateapi._auth import SigV4Auth

    headers = list(request.headers)
    if "user-agent" not in {k.lower() for k, _ in headers}:
        headers.append(("User-Agent", _probe._USER_AGENT))
    headers.append(("Connection", "close"))
    req = httpx.Request(request.method, request.url, headers=headers, content=request.body)
    SigV4Auth(creds, region="us-east-1").sign_request(req)
    return req.url.raw_path.decode("ascii"), list(req.headers.multi_items())


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST"]),
    path=st.lists(_PATH_CHARS, max_size=6).map("".join),
    query=st.lists(_QUERY_CHARS, max_size=4).map("".join),
    headers=_HEADERS,
    body=st.sampled_from([None, b"", b"{}"]),
)
def test_the_signed_head_is_sigv4auths(
    method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes | None
) -> None:
    """Signed without httpx, the request equals SigV4Auth's over httpx's request."""
    url = f"https://abcde12345.execute-api.us-east-1.amazonaws.com/{path}?{query}"
    creds = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok en")
    try:
        request = CallerRequest(url=url, method=method, headers=tuple(headers), body=body)
        with mock.patch.object(_signing.time, "time", return_value=1_440_938_160.0):
            expected = _old_build(request, creds)
    except Exception:  # refused before signing: the first property covers the refusal
        return
    with mock.patch.object(_signing.time, "time", return_value=1_440_938_160.0):
        target, sent, details = _probe._build(request, creds, "us-east-1")
    assert (target, sent) == expected
    assert details is not None and details.amz_date == "20150830T123600Z"
    assert details.url == "https://abcde12345.execute-api.us-east-1.amazonaws.com" + target
