"""Hypothesis strategies for awkward requests: the raw URLs, headers and credentials users send.

Raw paths and queries are built from the characters that break signers: ``=`` inside
values (base64 page tokens), ``%XX`` escapes in either case, a ``%`` that starts no
escape, reserved and unsafe characters, ``+``, spaces, unicode, repeated names, empty
values, names without ``=``, empty and dot segments, ``%2F``.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime

from hypothesis import strategies as st

UNRESERVED = string.ascii_letters + string.digits + "-._~"
RESERVED = "!$'()*,;:@="
UNSAFE = ' "<>\\^`{|}[]'
UNICODE = "éሴ€😀"
HEX = "0123456789abcdefABCDEF"

escape = st.tuples(st.sampled_from(HEX), st.sampled_from(HEX)).map(lambda t: "%" + "".join(t))
# One "atom" of a path segment or query component.
_COMMON_ATOMS = [
    st.text(alphabet=UNRESERVED, min_size=1, max_size=6),
    st.text(alphabet=RESERVED, min_size=1, max_size=2),
    escape,
    st.sampled_from(["%2F", "%2f", "%3D", "%25", "%20", "%2B", "%E1%88%B4", "%FF", "%00"]),
    st.sampled_from(["==", "=", "+", "a+b", "eyJrIjoiMSJ9=="]),
]


def _text(atoms: list[st.SearchStrategy[str]], max_atoms: int = 4) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(atoms), max_size=max_atoms).map("".join)


def path_segment(
    *, ascii_only: bool, bare_percent: bool = True, dots: bool = True
) -> st.SearchStrategy[str]:
    atoms = [*_COMMON_ATOMS]
    if not ascii_only:
        atoms += [st.text(alphabet=UNSAFE + UNICODE, min_size=1, max_size=2)]
    if bare_percent:
        atoms += [st.sampled_from(["%", "%4", "%zz", "%G0"])]
    atoms = [a.map(lambda s: s.replace("?", "").replace("#", "")) for a in atoms]
    segment = st.one_of(
        st.sampled_from(["", ".", "..", "prod", "a%2Fb", "a%20b"]),
        _text(atoms).map(lambda s: s.replace("/", "")),
    )
    return segment if dots else segment.filter(lambda s: s not in (".", ".."))


def raw_path(
    *, ascii_only: bool, bare_percent: bool = True, prefix: str = "", dots: bool = True
) -> st.SearchStrategy[str]:
    """``/``-joined segments, some empty (``//``) or (unless ``dots=False``) dot segments."""
    segment = path_segment(ascii_only=ascii_only, bare_percent=bare_percent, dots=dots)
    return st.lists(segment, max_size=5).map(lambda segs: prefix + "/" + "/".join(segs))


def query_component(
    *, ascii_only: bool, bare_percent: bool = True, plus: bool = True
) -> st.SearchStrategy[str]:
    atoms = [*_COMMON_ATOMS, st.text(alphabet="/?", min_size=1, max_size=2)]
    if not ascii_only:
        atoms += [st.text(alphabet=UNSAFE + UNICODE, min_size=1, max_size=2)]
    if bare_percent:
        atoms += [st.sampled_from(["%", "%4", "%zz"])]
    text = _text(atoms).map(lambda s: s.replace("&", "").replace("#", ""))
    if not plus:
        text = text.map(lambda s: s.replace("+", "%2B"))
    return text


def raw_query(
    *, ascii_only: bool, bare_percent: bool = True, plus: bool = True
) -> st.SearchStrategy[str]:
    """``&``-joined parameters: repeated names, empty values, names without ``=``, ``&&``."""
    name = st.one_of(
        st.sampled_from(["a", "b", "A", "next", "Param", "Param-3", "x-amz-meta", ""]),
        query_component(ascii_only=ascii_only, bare_percent=bare_percent, plus=plus),
    )
    value = query_component(ascii_only=ascii_only, bare_percent=bare_percent, plus=plus)
    param = st.one_of(
        st.tuples(name, value).map(lambda t: f"{t[0]}={t[1]}"),
        name,  # no '=' at all
    )
    return st.lists(param, max_size=6).map("&".join)


# Header values as h11 sends them: printable ASCII, runs of spaces and tabs inside.
header_value = st.text(
    alphabet=string.ascii_letters + string.digits + " \t,;=/+:-", max_size=16
).map(lambda s: s.strip(" \t"))
access_key = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=16, max_size=20).map(
    lambda s: "ASIA" + s
)
secret_key = st.text(
    alphabet=string.ascii_letters + string.digits + "/+=", min_size=40, max_size=40
)
# A session token: printable ASCII, never whitespace at either end, inner runs of spaces
# allowed (a token "containing two spaces" is sent, and folded when signed).
session_token = st.text(
    alphabet=string.ascii_letters + string.digits + "/+= ", min_size=8, max_size=120
).map(lambda s: "T" + s + "Z")
region = st.sampled_from(["us-east-1", "eu-west-3", "ap-southeast-2", "cn-north-1"])
signing_time = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC)
)
method = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
body = st.one_of(st.just(b""), st.binary(max_size=300))
