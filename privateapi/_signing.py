"""AWS Signature Version 4 for ``execute-api``, over exactly what httpx puts on the wire.

Why our own canonicalisation: generic signers get private-API requests wrong in
different ways (botocore over ``str(httpx.URL)`` leaves ``,`` ``:`` ``/`` bare in the
query, httpx-auth decodes escaped path segments, awscurl re-encodes escapes). This
module canonicalises the request target as it is sent:

* **path**: the wire path, dot segments removed, empty segments collapsed, each
  segment percent-encoded once more (AWS's non-S3 rule: wire ``a%2Fb`` → ``a%252Fb``);
* **query**: each name and value decoded and strictly re-encoded (only
  ``A-Z a-z 0-9 - _ . ~`` bare, space → ``%20``, plus → ``%2B``), sorted by name then
  value, repeated keys and empty values kept. A bare ``+`` on the wire is read as a
  space (httpx encodes ``params`` spaces so) and :class:`Signer` rewrites it to
  ``%20`` before sending, so the server never has to guess;
* **host**: the ``Host`` header actually sent (an override, ``host:port`` for a
  non-default port, bracketed IPv6), never re-derived from the URL.

The pure functions (:func:`canonical_request`, :func:`string_to_sign`,
:func:`signing_key`, :func:`sign`, :func:`payload_hash`) are shared with the local
gateway's verifier, so both sides apply one reading of the rules. :class:`Signer`
signs a request given as its wire parts (method, request target, header list, body);
it imports no HTTP library, so the doctor signs its probe without loading httpx.
:class:`~privateapi.SigV4Auth` (``privateapi._auth``) is the httpx adapter over it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from privateapi._credentials import (
    Credentials,
    CredentialsLike,
    CredentialSource,
    mask_access_key,
    resolve_credentials,
)
from privateapi._errors import REDACTED

__all__ = [
    "ALGORITHM",
    "EMPTY_PAYLOAD_HASH",
    "SignedParts",
    "Signer",
    "SigningDetails",
    "canonical_path",
    "canonical_query",
    "canonical_request",
    "credential_scope",
    "payload_hash",
    "sign",
    "signing_key",
    "string_to_sign",
]

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_PAYLOAD_HASH = hashlib.sha256(b"").hexdigest()

# Headers signed whenever present besides host and x-amz-*: content-type carries meaning
# the server acts on; x-apigw-api-id routes the request to the API (api_id_header style).
_DEFAULT_SIGNED = frozenset({"host", "content-type", "content-md5", "x-apigw-api-id"})
# Never signed even if asked: hop-by-hop headers a proxy may rewrite, and the ones httpx
# or h11 may add or change after signing (the signature would no longer match).
_NEVER_SIGNED = frozenset(
    {
        "authorization",
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
        "user-agent",
        "x-amzn-trace-id",
        "accept-encoding",
    }
)

_DEFAULT_SIGNED_B = frozenset(h.encode() for h in _DEFAULT_SIGNED)
# Set by the signer itself; values from an earlier attempt are replaced.
_OWN_HEADERS = frozenset(
    {b"x-amz-date", b"x-amz-security-token", b"authorization", b"x-amz-content-sha256"}
)
# A '%' that does not start a two-hex-digit escape.
_BARE_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_SAFE_PATH_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~/")
_SAFE_QUERY_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~=&"
)


# --------------------------------------------------------------------------------------
# pure functions (shared with the verifier)
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def canonical_path(raw_path: str) -> str:
    """The canonical URI for a wire path (non-S3 rules).

    Dot segments are removed, empty segments collapsed and every segment encoded
    once more, so a wire escape ``%2F`` becomes ``%252F``; a raw space or raw
    UTF-8 (as in the conformance suites' request lines) is encoded once.

    Example:
        >>> canonical_path("/prod/a%2Fb/./c/../d//e")
        '/prod/a%252Fb/d/e'
    """
    if not raw_path:
        return "/"
    # Fast path: nothing to encode and no dot or empty segment to remove.
    if (
        raw_path[0] == "/"
        and _SAFE_PATH_CHARS.issuperset(raw_path)
        and "//" not in raw_path
        and "/." not in raw_path
    ):
        return raw_path
    segments = raw_path.split("/")
    if segments and segments[0] == "":
        segments = segments[1:]
    out: list[str] = []
    for seg in segments:
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(quote(seg, safe=""))
    path = "/" + "/".join(out)
    # Only a path ending in "/" keeps its trailing slash: a trailing "." or ".." segment
    # does not add one ("/a/b/.." → "/a", not RFC 3986's "/a/"), as botocore's SigV4Auth
    # and the CRT signer both compute. API Gateway's own reading is unverified; httpx
    # removes dot segments before sending, so only foreign raw targets reach this.
    if out and segments[-1] == "":
        path += "/"
    return path


@lru_cache(maxsize=4096)
def _canonical_component(part: str) -> str:
    # A bare '+' on the wire means a space (httpx's params encoding, form encoding);
    # SigV4Auth never sends one bare, so this reading only matters for foreign input.
    if "+" in part:
        part = part.replace("+", " ")
    return quote(unquote_to_bytes(part), safe="")


def _component(part: str) -> str:
    # Most names and values are plain words or numbers: nothing to decode or encode.
    if part.isalnum() and part.isascii():
        return part
    return _canonical_component(part)


@lru_cache(maxsize=1024)
def canonical_query(raw_query: str) -> str:
    """The canonical query string for a wire query.

    Names and values are decoded and strictly re-encoded, then sorted by name and
    value; repeated names and empty values are kept.

    Example:
        >>> canonical_query("tags=a,b&q=x:y&a=&b=2&b=1")
        'a=&b=1&b=2&q=x%3Ay&tags=a%2Cb'
    """
    if not raw_query:
        return ""
    plain = _SAFE_QUERY_CHARS.issuperset(raw_query)
    pairs: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if plain:
            # Only unreserved characters, '=' and '&' here, so decoding is the identity and
            # strict encoding changes only an '=' inside a value (the name ends at the
            # first '='): 'next=eyJ9==' signs as 'next=eyJ9%3D%3D', as AWS computes it.
            pairs.append((name, value.replace("=", "%3D") if "=" in value else value))
        else:
            pairs.append((_component(name), _component(value)))
    pairs.sort()
    return "&".join([f"{k}={v}" for k, v in pairs])


def _fold(value: str) -> str:
    # SigV4 "trimall": strip, and fold runs of whitespace (incl. obs-fold line breaks).
    return " ".join(value.split())


def canonical_headers(
    headers: Iterable[tuple[str, str]], signed_headers: Iterable[str]
) -> tuple[str, str]:
    """The canonical header block and the ``SignedHeaders`` value.

    Duplicate names are combined with ``,`` in the order given; values are trimmed
    and whitespace-folded. A signed name absent from ``headers`` gets an empty value.
    """
    wanted = sorted({n.lower() for n in signed_headers})
    wanted_set = set(wanted)
    values: dict[str, list[str]] = {}
    for name, value in headers:
        low = name.lower()
        if low in wanted_set:
            values.setdefault(low, []).append(_fold(value))
    block = "".join([f"{n}:{','.join(values.get(n, ()))}\n" for n in wanted])
    return block, ";".join(wanted)


def canonical_request(  # noqa: PLR0917  the canonical request's parts, in SigV4's order
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Sequence[tuple[str, str]],
    signed_headers: Sequence[str],
    payload_hash: str,
) -> str:
    """The SigV4 canonical request for a request as it appears on the wire.

    Args:
        method: the HTTP method (upper-cased here).
        raw_path: the path part of the wire request target (``/prod/a%2Fb``).
        raw_query: the query part of the wire request target, without ``?``.
        headers: ``(name, value)`` pairs as sent; duplicates are combined.
        signed_headers: the header names to sign (any case).
        payload_hash: hex SHA-256 of the body (:func:`payload_hash`).

    Example:
        >>> print(canonical_request("GET", "/prod/items", "b=2&a=1",
        ...     [("Host", "abcde12345.execute-api.us-east-1.amazonaws.com"),
        ...      ("X-Amz-Date", "20150830T123600Z")], ["host", "x-amz-date"],
        ...     EMPTY_PAYLOAD_HASH))
        GET
        /prod/items
        a=1&b=2
        host:abcde12345.execute-api.us-east-1.amazonaws.com
        x-amz-date:20150830T123600Z
        <BLANKLINE>
        host;x-amz-date
        e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
    """
    block, signed = canonical_headers(headers, signed_headers)
    return "\n".join(
        (
            method.upper(),
            canonical_path(raw_path),
            canonical_query(raw_query),
            block,
            signed,
            payload_hash,
        )
    )


def credential_scope(date: str, region: str, service: str) -> str:
    """``YYYYMMDD/region/service/aws4_request``."""
    return f"{date}/{region}/{service}/aws4_request"


def string_to_sign(amz_date: str, scope: str, canonical_request: str) -> str:
    """The SigV4 string to sign for a canonical request."""
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


@lru_cache(maxsize=64)
def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """The derived signing key (cached per secret, date, region and service)."""
    k = hmac.digest(f"AWS4{secret_key}".encode(), date.encode(), "sha256")
    k = hmac.digest(k, region.encode(), "sha256")
    k = hmac.digest(k, service.encode(), "sha256")
    return hmac.digest(k, b"aws4_request", "sha256")


# HMAC's inner and outer pads, as byte translations: key XOR 0x36 / 0x5c (RFC 2104).
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


@lru_cache(maxsize=64)
def _hmac_pads(key: bytes) -> tuple[Any, Any]:
    """SHA-256 states after the inner and outer padded key (RFC 2104), per derived key.

    Copying these costs less than hmac.new(), which sets up an OpenSSL HMAC context
    per call (~3x the time for a string to sign).
    """
    if len(key) > 64:  # longer than SHA-256's block: HMAC uses the key's digest
        key = hashlib.sha256(key).digest()
    fill = 64 - len(key)  # zero-filled to the block size, then padded
    inner = hashlib.sha256(key.translate(_IPAD) + b"\x36" * fill)
    outer = hashlib.sha256(key.translate(_OPAD) + b"\x5c" * fill)
    return inner, outer


def _hmac_hex(pads: tuple[Any, Any], message: bytes) -> str:
    inner = pads[0].copy()
    inner.update(message)
    outer = pads[1].copy()
    outer.update(inner.digest())
    return str(outer.hexdigest())


def sign(key: bytes, string_to_sign: str) -> str:
    """The hex signature of ``string_to_sign`` under a derived ``key``."""
    return _hmac_hex(_hmac_pads(key), string_to_sign.encode("utf-8"))


def payload_hash(body: bytes) -> str:
    """Hex SHA-256 of the body (of ``b""`` when empty)."""
    return hashlib.sha256(body).hexdigest() if body else EMPTY_PAYLOAD_HASH


# --------------------------------------------------------------------------------------
# the signer over a request's wire parts (no HTTP library needed)
# --------------------------------------------------------------------------------------


def _unambiguous_query(raw: bytes) -> bytes:
    """The request target with a query no server can read two ways.

    A bare '+': API Gateway's reading is not documented; httpx encodes a space in
    params as '+', so '+' is a space and '%20' says so. A '%' not starting an escape
    (httpx sends '?x=%' as is): the CRT signer refuses to sign it, so AWS's reading is
    unknown (unverified against API Gateway); '%25' is a literal '%' however it is read,
    and signs as before ('%25').
    """
    path, sep, query = raw.partition(b"?")
    return path + sep + _BARE_PERCENT.sub(b"%25", query.replace(b"+", b"%20"))


@dataclass(frozen=True, slots=True)
class SigningDetails:
    """What was signed, for ``invoke -v`` and the doctor. Secrets are redacted.

    The session token's value is replaced by ``<redacted>`` in
    ``canonical_request`` (the string to sign hashes the real one), and the
    signature is never kept.
    """

    method: str
    url: str
    amz_date: str
    scope: str
    access_key: str
    signed_headers: str
    canonical_request: str
    string_to_sign: str

    def __repr__(self) -> str:
        return (
            f"SigningDetails(method={self.method!r}, url={self.url!r},"
            f" scope={self.scope!r}, access_key={self.access_key!r},"
            f" signed_headers={self.signed_headers!r})"
        )


def _redact_token_line(creq: str, token: str | None) -> str:
    if not token:
        return creq
    # The canonical request holds the token whitespace-folded ("a  b" signs as "a b").
    folded = " ".join(token.split())
    return creq.replace(f"x-amz-security-token:{folded}\n", f"x-amz-security-token:{REDACTED}\n")


_AMZ_FORMAT = "%Y%m%dT%H%M%SZ"

#: A header as the signer handles it: (name as sent, lower-case name, value), all bytes.
#: This is httpx's own header list form, so its requests are signed without copying.
HeaderItem = tuple[bytes, bytes, bytes]


@dataclass(frozen=True, slots=True)
class SignedParts:
    """A signed request's wire parts: what to send instead of what was given.

    ``target`` may differ from the one given (a bare ``+`` or ``%`` in the query is
    rewritten so no server can read it two ways); ``headers`` are the given ones minus an
    earlier attempt's signing headers, plus ``x-amz-date``, the token when the
    credentials have one, and ``Authorization``.
    """

    target: bytes
    headers: list[HeaderItem]
    details: SigningDetails | None


class Signer:
    """SigV4 for API Gateway (``execute-api``) over a request's wire parts.

    Args:
        credentials: ``None`` for botocore's credential chain, or static
            credentials / a botocore credentials object (see
            :func:`~privateapi.resolve_credentials`).
        region: the signing region (``us-east-1``).
        service: the signing name; ``execute-api`` for API Gateway.
        clock: returns the signing time as an aware datetime (tests, conformance).
        profile: the shared-config profile for the default chain.
        sign_headers: extra header names to sign besides ``host``,
            ``content-type``, ``x-amz-*`` and ``x-apigw-api-id``.
        content_sha256: also send and sign ``x-amz-content-sha256``.
        record: keep :class:`SigningDetails` of the last request in
            :attr:`last_signing`.
    """

    def __init__(
        self,
        credentials: CredentialsLike | None = None,
        *,
        region: str,
        service: str = "execute-api",
        clock: Callable[[], datetime] | None = None,
        profile: str | None = None,
        sign_headers: Iterable[str] = (),
        content_sha256: bool = False,
        record: bool = False,
    ) -> None:
        if not region:
            from privateapi._errors import InvalidInputError

            raise InvalidInputError("region", region, "an AWS region such as 'us-east-1'")
        self.region = region
        self.service = service
        self._clock = clock
        self._credentials_arg = credentials
        self._profile = profile
        self._source: CredentialSource | None = (
            resolve_credentials(credentials) if credentials is not None else None
        )
        extra = {h.lower() for h in sign_headers}
        self._extra = frozenset(extra - _NEVER_SIGNED)
        self._extra_b = frozenset(h.encode() for h in self._extra)
        self._content_sha256 = content_sha256
        self.record = record
        self.last_signing: SigningDetails | None = None
        self._scope_tail = f"/{region}/{service}/aws4_request"
        self._sec = -1
        self._pads: tuple[Credentials, str, tuple[Any, Any]] | None = None
        self._amz_date = ""
        self._date = ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(region={self.region!r}, service={self.service!r})"

    @property
    def source(self) -> CredentialSource:
        """The credential source (the default chain is resolved on first use)."""
        if self._source is None:
            self._source = resolve_credentials(None, profile=self._profile)
        return self._source

    def _now(self) -> tuple[str, str]:
        if self._clock is not None:
            now = self._clock().astimezone(UTC)
            amz = now.strftime(_AMZ_FORMAT)
            return amz, amz[:8]
        t = int(time.time())
        # One strftime per second, not per request.
        if t != self._sec:
            self._amz_date = time.strftime(_AMZ_FORMAT, time.gmtime(t))
            self._date = self._amz_date[:8]
            self._sec = t
        return self._amz_date, self._date

    def sign_parts(
        self,
        method: str,
        target: bytes,
        headers: list[HeaderItem],
        body: bytes,
        *,
        credentials: Credentials | None = None,
        url: Callable[[bytes], str] | None = None,
    ) -> SignedParts:
        """Sign a request given as it goes on the wire.

        Args:
            method: the HTTP method, upper-case.
            target: the request target as sent (``/prod/items?b=2&a=1``), ASCII.
            headers: ``(name, lower-case name, value)`` triples as sent.
            body: the body as sent.
            credentials: a snapshot to sign with (default: the source's current one).
            url: the request's URL for a rewritten target, for :class:`SigningDetails`
                (only called when recording).

        Example:
            >>> import datetime
            >>> signer = Signer(("AKIDEXAMPLE", "secret"), region="us-east-1",
            ...     clock=lambda: datetime.datetime(2015, 8, 30, 12, 36, tzinfo=datetime.UTC))
            >>> host = b"abcde12345.execute-api.us-east-1.amazonaws.com"
            >>> parts = signer.sign_parts("GET", b"/prod", [(b"Host", b"host", host)], b"")
            >>> [name for name, _, _ in parts.headers]
            [b'Host', b'x-amz-date', b'Authorization']
        """
        creds = credentials if credentials is not None else self.source.snapshot()
        amz_date, date = self._now()
        raw = target
        q = raw.find(b"?")
        if q >= 0 and (raw.find(b"+", q) >= 0 or _BARE_PERCENT.search(raw, q) is not None):
            raw = _unambiguous_query(raw)
        path, _, query = raw.decode("ascii").partition("?")

        phash = hashlib.sha256(body).hexdigest() if body else EMPTY_PAYLOAD_HASH
        own: list[HeaderItem] = [(b"x-amz-date", b"x-amz-date", amz_date.encode())]
        if creds.token:
            own.append((b"x-amz-security-token", b"x-amz-security-token", creds.token.encode()))
        if self._content_sha256:
            own.append((b"x-amz-content-sha256", b"x-amz-content-sha256", phash.encode()))

        # One pass over the header list: drop what an earlier attempt set, collect what
        # to sign. Values are signed as the bytes sent.
        extra = self._extra_b
        kept = [item for item in headers if item[1] not in _OWN_HEADERS]
        values: dict[bytes, list[bytes]] = {}
        for _, name, value in kept + own:
            if name in _DEFAULT_SIGNED_B or name.startswith(b"x-amz-") or name in extra:
                values.setdefault(name, []).append(value)
        names = sorted(values)
        lines = []
        for n in names:
            vals = values[n]
            v = vals[0].strip() if len(vals) == 1 else b",".join([x.strip() for x in vals])
            # (an int in bytes is a memchr; a bytes needle costs a search set-up)
            if 9 in v or 10 in v or (32 in v and b"  " in v):
                v = b",".join([b" ".join(x.split()) for x in vals])
            lines.append(n + b":" + v + b"\n")
        signed = b";".join(names).decode()
        creq_bytes = b"\n".join(
            (
                method.encode(),
                canonical_path(path).encode(),
                canonical_query(query).encode(),
                b"".join(lines),
                signed.encode(),
                phash.encode(),
            )
        )
        scope = date + self._scope_tail
        sts = f"{ALGORITHM}\n{amz_date}\n{scope}\n{hashlib.sha256(creq_bytes).hexdigest()}"
        signature = self._hmac(creds, date, sts.encode())
        authz = (
            f"{ALGORITHM} Credential={creds.access_key}/{scope},"
            f" SignedHeaders={signed}, Signature={signature}"
        )
        own.append((b"Authorization", b"authorization", authz.encode()))
        details = None
        if self.record:
            details = SigningDetails(
                method=method,
                url=url(raw) if url is not None else raw.decode("ascii"),
                amz_date=amz_date,
                scope=scope,
                access_key=mask_access_key(creds.access_key),
                signed_headers=signed,
                canonical_request=_redact_token_line(
                    creq_bytes.decode("utf-8", "replace"), creds.token
                ),
                string_to_sign=sts,
            )
            self.last_signing = details
        return SignedParts(raw, kept + own, details)

    def _hmac(self, creds: Credentials, date: str, message: bytes) -> str:
        # The pads are kept per credentials snapshot (frozen) and day: no cache lookups.
        pads = self._pads
        if pads is None or pads[0] is not creds or pads[1] != date:
            key = signing_key(creds.secret_key, date, self.region, self.service)
            pads = self._pads = (creds, date, _hmac_pads(key))
        return _hmac_hex(pads[2], message)
