"""``Client`` and ``AsyncClient``: signed, retrying httpx clients for one private API.

A client is bound to one :class:`~privateapi.InvokeTarget`. It sends the style's
headers (``Host`` or ``x-apigw-api-id``), keeps the real hostname in the URL (so SNI,
certificate checks and the connection pool use it), connects to ``connect_to`` when
the target has one, signs every request with SigV4 (unless ``sign=False``), refuses
requests API Gateway would refuse anyway, retries what is safe to retry, and turns
error answers into typed exceptions.

Example:
    >>> import privateapi
    >>> t = privateapi.InvokeTarget.private_dns("a1b2c3d4e5", "us-east-1", "prod")
    >>> with privateapi.Client(t, credentials=("AKIDEXAMPLE", "secret")) as api:  # doctest: +SKIP
    ...     r = api.get("/pets", params={"limit": "10"}, raise_for_status=True)
"""

from __future__ import annotations

import logging
import os
import random
import re
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import anyio
import httpx

from privateapi._auth import SigV4Auth
from privateapi._causes import PERMANENT_CAUSES
from privateapi._credentials import CredentialsLike, redact, redact_headers
from privateapi._errors import (
    InvalidInputError,
    RedirectRefusedError,
    RequestTooLargeError,
    ResponseTooLargeError,
    TransportError,
    cause_of_exception,
    classify,
)
from privateapi._partitions import partition_for_region
from privateapi._targets import InvokeTarget, split_url, validate_region
from privateapi._timings import TIMINGS_EXTENSION, _Recorder, recorder_for
from privateapi._transport import async_transport, deadline, sync_transport, timed_lookups
from privateapi._wire import (
    DEFAULT_MAX_RESPONSE_BYTES,
    MAX_BODY_BYTES,
    MAX_METHOD_ARN_BYTES,
    MAX_REQUEST_HEAD_BYTES,
    TOKEN,
    TOKEN_BYTES,
    TOKEN_FORM,
    check_max_response_bytes,
)

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "IDEMPOTENT_METHODS",
    "MAX_BODY_BYTES",
    "MAX_HEADER_VALUE_BYTES",
    "MAX_METHOD_ARN_BYTES",
    "MAX_REQUEST_HEAD_BYTES",
    "AsyncClient",
    "Client",
    "RetryEvent",
    "RetryPolicy",
    "raise_for_status",
    "transport_error",
]

# An absolute URL starts with a scheme; "://" later on (in a query value) does not count.
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# Names httpx and the styles send on every request: tokens, no regex needed.
_TOKEN_NAMES = frozenset(
    {b"Host", b"Accept", b"Accept-Encoding", b"Connection", b"User-Agent", b"Content-Length"}
    | {b"Content-Type", b"x-apigw-api-id"}
)

logger = logging.getLogger("privateapi.client")

#: No header value can be longer than the whole request head API Gateway accepts.
MAX_HEADER_VALUE_BYTES = MAX_REQUEST_HEAD_BYTES
#: Methods whose replay cannot do harm (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
#: Redirects followed at most (with ``follow_redirects=True``), as httpx.
MAX_REDIRECTS = 20

# Headers that carry or belong to a signature: never carried over to a redirect (a
# same-origin redirect is signed afresh).
_SIGNING_HEADERS = frozenset(
    {"authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "cookie"}
)
_BODY_HEADERS = frozenset({"content-length", "content-type", "transfer-encoding"})
_DEFAULT_PORTS = {"https": 443, "http": 80}
# Compressed bodies are decoded this many input bytes at a time: deflate expands at most
# ~1032:1, so one step never holds more than ~2 MB beyond the cap, whatever the bomb.
_DECODE_SLICE = 2048
# httpx's (private) factory of the decoder for a response's Content-Encoding.
_DECODER_ATTR = "_get_content_decoder"
# "GET " + target + " HTTP/1.1": the request line around its target.
_REQUEST_LINE_EXTRA = len("  HTTP/1.1")

# Parsed request URLs kept per client: a client calls few distinct paths, and httpx's URL
# parsing (twice with params) costs more than the signing. Cleared when full.
_URL_CACHE_SIZE = 256

VerifyTypes: TypeAlias = "ssl.SSLContext | str | os.PathLike[str] | bool"
HeadersArg: TypeAlias = "Mapping[str, str] | Sequence[tuple[str, str]] | None"


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """One retry about to happen (passed to :attr:`RetryPolicy.on_retry`).

    Attributes:
        attempt: the attempt that failed (1 for the first try).
        delay: seconds slept before the next attempt.
        method: the HTTP method.
        url: the URL without its query (queries may carry secrets).
        status_code: the HTTP status that caused the retry, if any.
        cause: the cause code of the transport failure, if any.
    """

    attempt: int
    delay: float
    method: str
    url: str
    status_code: int | None = None
    cause: str | None = None

    @property
    def reason(self) -> str:
        """``HTTP 503`` or the cause code."""
        return f"HTTP {self.status_code}" if self.status_code is not None else str(self.cause)


@dataclass(frozen=True)
class RetryPolicy:
    """When and how often to retry (exponential backoff with full jitter).

    A retry happens on a status in ``statuses`` or a transport failure, while
    fewer than ``max_attempts`` attempts were made and the next one would start
    within ``budget`` seconds of the first. A request whose bytes may have reached
    the server is replayed only for idempotent methods or when the caller passed
    ``idempotent=True``; a connect failure (nothing sent) is always retryable.

    Example:
        >>> RetryPolicy(max_attempts=5, on_retry=lambda e: print(e.reason))  # doctest: +ELLIPSIS
        RetryPolicy(max_attempts=5, ...)
    """

    max_attempts: int = 3
    backoff_base: float = 0.2
    backoff_max: float = 5.0
    budget: float = 30.0
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    on_retry: Callable[[RetryEvent], None] | None = field(default=None, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    random: Callable[[float, float], float] = field(default=random.uniform, repr=False)

    def backoff(self, attempt: int) -> float:
        """The delay after failed attempt ``attempt`` (full jitter: uniform in [0, cap])."""
        cap = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return self.random(0.0, cap)


NO_RETRIES = RetryPolicy(max_attempts=1)


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------

_TIMED_OUT_WHERE = {
    "tcp.timeout": "connecting",
    "tls.handshake-failed": "in the TLS handshake",
    "http.timeout": "waiting for the answer",
}


def _safe_url(url: httpx.URL) -> str:
    return str(url.copy_with(query=None, fragment=None))


def transport_error(
    exc: httpx.TransportError,
    request: httpx.Request | None = None,
    *,
    budget: float | None = None,
) -> TransportError:
    """Map an httpx transport exception to :class:`~privateapi.TransportError` with a cause.

    The cause comes from :func:`privateapi._errors.cause_of_exception`, the classifier
    the doctor uses too; ``budget`` (the call's deadline in seconds) is named in the
    message of a time-out.
    """
    req: httpx.Request | None = request
    if req is None:
        try:
            req = exc.request
        except RuntimeError:  # httpx raises when the exception carries no request
            req = None
    where = f"{req.method} {_safe_url(req.url)}: " if req is not None else ""
    code = cause_of_exception(exc)
    # h11 and httpx quote offending header values in their messages: scrub them.
    detail = redact(str(exc)) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException) and code in _TIMED_OUT_WHERE:
        limit = f" (the call's deadline is {budget:g} s)" if budget is not None else ""
        detail = f"timed out {_TIMED_OUT_WHERE[code]}{limit}"
    return TransportError(f"{where}{detail}", code=code, request=req)


def _nothing_sent(exc: httpx.TransportError) -> bool:
    # Connect failures and pool timeouts happen before any request byte is written.
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def raise_for_status(response: httpx.Response) -> httpx.Response:
    """Raise the typed :class:`~privateapi.ApiGatewayError` for an error answer.

    The body must have been read. Returns the response for chaining.

    Example:
        >>> import httpx
        >>> raise_for_status(httpx.Response(200)).status_code
        200
    """
    err = classify(response)
    if err is not None:
        raise err
    return response


# --------------------------------------------------------------------------------------
# shared configuration
# --------------------------------------------------------------------------------------


class _Cookies(httpx.Cookies):
    """httpx's cookie store, skipping the cookie jar for responses that set no cookie.

    httpx hands every response to ``http.cookiejar`` through urllib compatibility
    objects (the URL re-rendered, every header decoded), ~20 µs per request; the jar
    does nothing without a ``Set-Cookie``/``Set-Cookie2`` header, so neither do we.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def _install_cookies(http: httpx.Client | httpx.AsyncClient) -> None:
    # httpx has no public hook for its cookie store (the ``cookies`` setter copies into
    # a plain Cookies), hence its private ``_cookies``; the jar is kept, so cookies work
    # as before even if httpx stops reading the attribute (only the saving is lost).
    http._cookies = _Cookies(http.cookies.jar)


def _header_error(name: bytes, value: bytes) -> InvalidInputError:
    """The error for a header no HTTP/1.1 request may carry (checks in this order)."""
    text = name.decode("latin-1")
    if not TOKEN.fullmatch(text):
        return InvalidInputError("header name", text, TOKEN_FORM)
    return InvalidInputError(
        f"header {text!r} value", value.decode("latin-1"), "one line, without CR, LF or NUL"
    )


def _head_too_large(size: int, largest: tuple[bytes, int] | None) -> RequestTooLargeError:
    biggest = ""
    if largest is not None:
        biggest = f"; the largest is {largest[0].decode('latin-1')!r} ({largest[1]} bytes)"
    return RequestTooLargeError(
        f"the request line and header values are {size} bytes{biggest}: API Gateway accepts"
        f" at most {MAX_REQUEST_HEAD_BYTES} bytes for them together (REST API quota)"
    )


def _origin_of(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme))


def _budget_of(request: httpx.Request) -> float | None:
    """The call's deadline in seconds: the largest of the request's phase timeouts.

    ``None`` (no deadline) when any phase is unbounded: the caller asked to wait.
    """
    timeouts = request.extensions.get("timeout")
    if not timeouts:
        return None
    values = list(timeouts.values())
    if any(v is None for v in values):
        return None
    return float(max(values))


def _clamped(timeouts: Mapping[str, float | None], at: float) -> dict[str, float | None]:
    left = max(at - time.monotonic(), 0.0)
    return {k: (left if v is None or v > left else v) for k, v in timeouts.items()}


def _verify_off(verify: object) -> str | None:
    """How ``verify`` switches TLS verification off, or ``None`` when it does not."""
    if verify is False:
        return "verify=False"
    if isinstance(verify, ssl.SSLContext):
        if verify.verify_mode == ssl.CERT_NONE:
            return "an SSLContext with verify_mode=CERT_NONE"
        if not verify.check_hostname:
            return "an SSLContext with check_hostname=False (any trusted certificate passes)"
    return None


def _target_of(target_or_url: InvokeTarget | str, headers: HeadersArg) -> InvokeTarget:
    if isinstance(target_or_url, InvokeTarget):
        return target_or_url
    if isinstance(target_or_url, str):
        target, _rest = split_url(target_or_url, headers)
        return target
    raise InvalidInputError(
        "target", type(target_or_url).__name__, "an InvokeTarget or an https:// invoke URL"
    )


def _region_for(target: InvokeTarget, region: str | None) -> str:
    if region is not None:
        return validate_region(region)
    if target.region:
        return target.region
    import os

    env = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if env:
        return env
    raise InvalidInputError(
        "region", None, f"a signing region: pass region= (the {target.style} target names none)"
    )


def _check_timeout(timeout: object) -> None:
    """Refuse a timeout httpx would fail on later (negative, zero, NaN, infinite)."""
    if isinstance(timeout, bool) or (
        isinstance(timeout, int | float) and not (0 < timeout < float("inf"))
    ):
        raise InvalidInputError("timeout", timeout, "a positive, finite number of seconds")


def _check_method(method: object) -> str:
    if not isinstance(method, str) or not TOKEN.fullmatch(method):
        raise InvalidInputError("method", method, f"{TOKEN_FORM}, e.g. 'GET'")
    return method


class _Base:
    """What Client and AsyncClient share: target, headers, signer, guards, retry rules."""

    http: httpx.Client | httpx.AsyncClient

    def __init__(
        self,
        target_or_url: InvokeTarget | str,
        *,
        headers: HeadersArg = None,
        credentials: CredentialsLike | None = None,
        profile: str | None = None,
        region: str | None = None,
        sign: bool = True,
        connect_to: str | None = None,
        verify: VerifyTypes = True,
        retries: RetryPolicy | None = None,
        record_signing: bool = False,
        follow_redirects: bool = False,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        target = _target_of(target_or_url, headers)
        if connect_to is not None:
            target = target.with_connect_to(connect_to)
        self.target = target
        off = _verify_off(verify)
        if off is not None:
            logger.warning(
                "TLS certificate verification is OFF for %s (%s): anyone on the path can read"
                " and change this traffic. Pass a CA bundle (verify='ca.pem') instead.",
                target.host,
                off,
            )
        self.retries = retries if retries is not None else NO_RETRIES
        #: Follow same-origin redirects (re-signed); other ones raise RedirectRefusedError.
        self.follow_redirects = bool(follow_redirects)
        #: The cap on a response body, counted decoded (ResponseTooLargeError past it).
        self.max_response_bytes = check_max_response_bytes(max_response_bytes)
        self.auth: SigV4Auth | None = None
        if sign:
            self.auth = SigV4Auth(
                credentials,
                region=_region_for(target, region),
                profile=profile,
                record=record_signing,
            )
        merged: dict[str, str] = dict(target.headers)
        if headers:
            items = headers.items() if isinstance(headers, Mapping) else headers
            for name, value in items:
                if name.lower() == "host" and "Host" in merged:
                    merged["Host"] = value
                else:
                    merged[name] = value
        self._headers = merged
        self._base = target.base_url
        self._origin = httpx.URL(self._base).copy_with(path="/", query=None)
        self._urls: dict[object, httpx.URL] = {}
        self._pins: dict[tuple[str, int], tuple[str, int]] = {}
        if target.connect_to:
            self._pins[(target.host, target.port)] = (target.connect_host, target.connect_port)
        self._prefix = httpx.URL(self._base).path.rstrip("/")
        self._arn_fixed = self._method_arn_fixed(target)

    def _method_arn_fixed(self, target: InvokeTarget) -> int | None:
        """The length of ``arn:{partition}:execute-api:{region}:{account}:{api}/{stage}/``.

        The method ARN is that, then ``{method}/{path}`` (the path without the stage).

        Only private targets: a private API always has a resource policy, so API Gateway
        builds the method ARN and answers 414 past 1,600 bytes. What the target does not
        say is counted at its shortest (12-digit account, 10-character API id, 1-character
        stage, the "aws" partition, a 9-character region), so nothing API Gateway would
        accept is refused.
        """
        if not target.is_private:
            return None
        region = target.region or (self.auth.region if self.auth is not None else None)
        partition = "aws"
        if region is not None:
            try:
                partition = partition_for_region(region).name
            except InvalidInputError:
                partition = "aws"
        account = target.account_id or "123456789012"
        api = target.api_id or "a1b2c3d4e5"
        head = f"arn:{partition}:execute-api:{region or 'us-east-1'}:{account}:{api}/"
        return len(head) + len(target.stage or "s") + 1

    def _url(self, url: str | httpx.URL) -> str | httpx.URL:
        text = str(url)
        if _ABSOLUTE.match(text):
            absolute = httpx.URL(text)
            if (absolute.scheme, absolute.host, absolute.port) != (
                self._origin.scheme,
                self._origin.host,
                self._origin.port,
            ):
                raise InvalidInputError(
                    "url", _safe_url(absolute), f"a URL on {self._origin.host} (this client's API)"
                )
            return url
        if not text:
            return self._base
        return f"{self._base}/{text.lstrip('/')}"

    def _parsed_url(
        self, url: str | httpx.URL, params: Any, client_params: httpx.QueryParams
    ) -> httpx.URL | None:
        """``url`` resolved, parsed and given ``params`` as httpx would, cached.

        ``None`` when the result may not be reused: a non-``str`` URL, params other
        than a ``str -> str`` dict (``1`` and ``True`` hash alike but render
        differently), client-level params (httpx merges those first), or a URL or
        params httpx refuses (the caller then lets httpx raise, in its order).
        """
        if type(url) is not str or client_params:
            return None
        key: object
        if params is None:
            key = url
        elif type(params) is dict and all(
            type(k) is str and type(v) is str for k, v in params.items()
        ):
            key = (url, *params.items())
        else:
            return None
        parsed = self._urls.get(key)
        if parsed is None:
            resolved = self._url(url)  # refuses another host: never cached
            try:
                parsed = httpx.URL(resolved)
                if params is not None:  # replaces the query, as httpx 0.28 does
                    parsed = httpx.URL(parsed, params=params)
            except Exception:  # httpx raises it again below, in its own order
                return None
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            self._urls[key] = parsed
        return parsed

    @classmethod
    def _check_headers(cls, request: httpx.Request) -> None:
        # One cheap test per header (an int in bytes is a memchr: CR, LF, NUL);
        # _header_error re-checks a failing one in the original order, so the error
        # is the same whichever check failed. The size is checked before signing here
        # (signing only adds), and exactly, signature included, in _on_request.
        declared = False
        size = len(request.method) + len(request.url.raw_path) + _REQUEST_LINE_EXTRA
        for name, value in request.headers.raw:
            if (
                13 in value
                or 10 in value
                or 0 in value
                or (name not in _TOKEN_NAMES and not TOKEN_BYTES.fullmatch(name))
            ):
                raise _header_error(name, value)
            size += len(value)
            if len(name) == 14 and name.lower() == b"content-length":
                declared = True
        if size > MAX_REQUEST_HEAD_BYTES:
            raise _head_too_large(size, cls._largest(request))
        if declared:
            cls._check_declared(request)

    @staticmethod
    def _largest(request: httpx.Request) -> tuple[bytes, int] | None:
        sizes = [(name, len(value)) for name, value in request.headers.raw]
        return max(sizes, key=lambda nv: nv[1]) if sizes else None

    def _check_wire(self, request: httpx.Request) -> None:
        """Refuse what API Gateway would refuse, as it goes out (signature included).

        The request line plus every header value against the 10,240-byte quota
        (whether API Gateway also counts names and separators is unverified: counting
        values only never refuses what it accepts), and the method ARN of the path
        against 1,600 bytes (414 on a private API).
        """
        raw = request.url.raw_path
        size = len(request.method) + len(raw) + _REQUEST_LINE_EXTRA
        for _name, value in request.headers.raw:
            size += len(value)
        if size > MAX_REQUEST_HEAD_BYTES:
            raise _head_too_large(size, self._largest(request))
        fixed = self._arn_fixed
        # The raw path is never shorter than the decoded one: most calls stop here.
        if fixed is not None and fixed + len(request.method) + len(raw) > MAX_METHOD_ARN_BYTES:
            path = request.url.path
            if self._prefix and (path == self._prefix or path.startswith(self._prefix + "/")):
                path = path[len(self._prefix) :]
            # Counted decoded: whether API Gateway counts the path percent-encoded (longer)
            # is unverified, and the decoded length never refuses what it accepts.
            arn = fixed + len(request.method) + 1 + len(path.lstrip("/").encode())
            if arn > MAX_METHOD_ARN_BYTES:
                raise RequestTooLargeError(
                    f"the method ARN for {request.method} {path or '/'} would be at least {arn}"
                    f" bytes: API Gateway answers 414 when it passes {MAX_METHOD_ARN_BYTES}"
                    " bytes (arn:...:execute-api:{region}:{account}:{api}/{stage}/{method}/"
                    "{path}); shorten the path, e.g. move long parameters to the query or body"
                )

    @staticmethod
    def _check_body(request: httpx.Request) -> None:
        size = len(request.content)
        if size > MAX_BODY_BYTES:
            raise RequestTooLargeError(
                f"the body is {size} bytes; API Gateway accepts at most {MAX_BODY_BYTES}"
                " bytes (10 MB)"
            )

    @classmethod
    def _check_declared(cls, request: httpx.Request) -> None:
        # Refuse a declared-too-large streamed body before reading it into memory.
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise RequestTooLargeError(
                f"the body is {declared} bytes; API Gateway accepts at most {MAX_BODY_BYTES}"
                " bytes (10 MB)"
            )

    def _check_origin(self, request: httpx.Request) -> None:
        # send() takes any built request: a signed one must still go to this API only.
        url = request.url
        # The byte comparison settles every ordinary call; _origin_of normalises ports.
        if (url.netloc != self._origin.netloc or url.scheme != self._origin.scheme) and _origin_of(
            url
        ) != _origin_of(self._origin):
            raise InvalidInputError(
                "url", _safe_url(url), f"a URL on {self._origin.host} (this client's API)"
            )

    def _redirect(self, request: httpx.Request, response: httpx.Response) -> httpx.Request:
        """The request a redirect asks for, unsigned (it is signed again when sent).

        Only the request's own origin (scheme, host, port) is followed: a signed
        request carries the signature, session token, date and body, and other headers
        (API keys, cookies) may be secrets too, so it never goes elsewhere.
        """
        status = response.status_code
        # httpx parsed this Location already (it prepares next_request) and fails the
        # answer when it is not a URL, so it parses here.
        url = httpx.URL(response.headers["location"])
        if url.scheme and not url.host:
            url = url.copy_with(host=request.url.host)
        if url.is_relative_url:
            url = request.url.join(url)
        if _origin_of(url) != _origin_of(request.url):
            raise RedirectRefusedError(
                f"{status} redirect from {request.method} {_safe_url(request.url)} to"
                f" {_safe_url(url)} not followed: it leaves {request.url.scheme}://"
                f"{request.url.netloc.decode('ascii')}, and a signed request (signature,"
                " session token, date, body, headers) is never sent to another host or scheme",
                status_code=status,
                location=_safe_url(url),
                response=response,
            )
        method = request.method
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            method = "GET"  # as browsers and httpx: the body is not sent again
        keep_body = method == request.method
        headers = [
            (k, v)
            for k, v in request.headers.multi_items()
            if k.lower() not in _SIGNING_HEADERS and (keep_body or k.lower() not in _BODY_HEADERS)
        ]
        nxt = httpx.Request(
            method,
            url,
            headers=headers,
            stream=request.stream if keep_body else None,
            extensions=dict(request.extensions),
        )
        self.http.cookies.set_cookie_header(nxt)
        return nxt

    def _next_request(
        self, request: httpx.Request, response: httpx.Response
    ) -> httpx.Request | None:
        """``response.next_request`` without this request's signature, token or date.

        httpx prepares it by copying the request's headers, to any host; here it is the
        unsigned same-origin request (``client.send`` signs it), or ``None`` off the origin.
        """
        try:
            return self._redirect(request, response)
        except RedirectRefusedError:
            return None

    def _too_many_redirects(self, response: httpx.Response) -> RedirectRefusedError:
        return RedirectRefusedError(
            f"more than {MAX_REDIRECTS} redirects: the last one was not followed",
            status_code=response.status_code,
            location=response.headers.get("location", "").split("?", 1)[0],
            response=response,
        )

    def _too_large(self, response: httpx.Response, received: int) -> ResponseTooLargeError:
        encoding = response.headers.get("content-encoding")
        how = f" decoded from {encoding}" if encoding else ""
        return ResponseTooLargeError(
            f"{response.request.method} {_safe_url(response.request.url)}: the"
            f" {response.status_code} answer's body passed {self.max_response_bytes} bytes"
            f"{how} (max_response_bytes); reading stopped after {received} bytes",
            limit=self.max_response_bytes,
            received=received,
            status_code=response.status_code,
            response=response,
        )

    def _already_read(self, response: httpx.Response) -> bool:
        # A transport may hand back a response whose body is in memory already (httpx's
        # MockTransport, respx): nothing to read, but the cap holds all the same.
        if not response.is_stream_consumed:
            return False
        content = response.content
        if len(content) > self.max_response_bytes:
            raise self._too_large(response, len(content))
        return True

    def _decoder(self, response: httpx.Response) -> Any:
        """httpx's decoder for the response's Content-Encoding, or ``None`` for none."""
        if "content-encoding" not in response.headers:
            return None
        # httpx's own decoders (every encoding it supports, stacked ones too), fed small
        # slices by the caller; the method is private, hence the fallback to httpx's
        # chunk-wise decoding (bounded per network chunk instead of per slice).
        get = getattr(response, _DECODER_ATTR, None)
        return get() if get is not None else False

    def _feed(
        self, response: httpx.Response, decoder: Any, raw: bytes, parts: list[bytes], total: int
    ) -> int:
        """Decode ``raw`` into ``parts`` a slice at a time; the new total, or raise past the cap."""
        limit = self.max_response_bytes
        if decoder is None:
            total += len(raw)
            if total > limit:
                raise self._too_large(response, total)
            parts.append(raw)
            return total
        for i in range(0, len(raw), _DECODE_SLICE):
            out = decoder.decode(raw[i : i + _DECODE_SLICE])
            total += len(out)
            if total > limit:
                raise self._too_large(response, total)
            parts.append(out)
        return total

    def _finish(
        self, response: httpx.Response, decoder: Any, parts: list[bytes], total: int
    ) -> None:
        if decoder is not None:
            out = decoder.flush()
            if total + len(out) > self.max_response_bytes:
                raise self._too_large(response, total + len(out))
            parts.append(out)
        # What httpx's read() leaves behind: the body, decoded, as .content.
        response._content = b"".join(parts)

    def _retry_delay(
        self,
        attempt: int,
        started: float,
        request: httpx.Request,
        replayable: bool,
        *,
        status_code: int | None = None,
        cause: str | None = None,
        at: float | None = None,
    ) -> float | None:
        """The delay before another attempt, or ``None`` if no retry may happen.

        No retry starts after the retry budget, nor once its backoff would reach the
        call's deadline ``at``: the deadline covers every attempt and every sleep.
        """
        policy = self.retries
        if not replayable or attempt >= policy.max_attempts:
            return None
        delay = policy.backoff(attempt)
        now = time.monotonic()
        if now + delay - started > policy.budget or (at is not None and now + delay >= at):
            return None
        event = RetryEvent(
            attempt=attempt,
            delay=delay,
            method=request.method,
            url=_safe_url(request.url),
            status_code=status_code,
            cause=cause,
        )
        logger.info(
            "retrying %s %s after %s (attempt %d of %d failed; sleeping %.3f s)",
            event.method,
            event.url,
            event.reason,
            attempt,
            policy.max_attempts,
            delay,
        )
        if policy.on_retry is not None:
            policy.on_retry(event)
        return delay

    def _idempotent(self, request: httpx.Request, idempotent: bool | None) -> bool:
        return idempotent if idempotent is not None else request.method in IDEMPOTENT_METHODS

    def _on_request(self, request: httpx.Request) -> None:
        # An httpx request hook: it runs after signing, just before the request goes out,
        # for every attempt and redirect, so the guard sees exactly what is sent.
        self._check_wire(request)
        trace = request.extensions.get("trace")
        if isinstance(trace, _Recorder):  # a retry or a redirect: time this attempt
            trace.attempt()
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "sending %s %s headers=%s",
                request.method,
                _safe_url(request.url),
                redact_headers(request.headers),
            )

    @staticmethod
    def _log_response(response: httpx.Response) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "received %s for %s %s",
                response.status_code,
                response.request.method,
                _safe_url(response.request.url),
            )

    def __repr__(self) -> str:
        signing = f"region={self.auth.region!r}" if self.auth else "unsigned"
        return f"{type(self).__name__}({self._base!r}, {signing})"


# --------------------------------------------------------------------------------------
# sync
# --------------------------------------------------------------------------------------


class Client(_Base):
    """A signed, retrying HTTP client for one private API (sync).

    Args:
        target_or_url: an :class:`~privateapi.InvokeTarget`, or an invoke URL whose
            style is recognised (with ``headers`` carrying ``Host`` or
            ``x-apigw-api-id`` for the endpoint-DNS styles).
        headers: default headers for every request (merged over the style's).
        credentials: static credentials or a botocore credentials object;
            ``None`` uses botocore's chain (``profile=`` picks a profile).
        region: the signing region when the target does not name one.
        sign: ``False`` sends requests unsigned (e.g. ``NONE`` auth methods).
        connect_to: ``host`` or ``host:port`` to connect to instead of the URL host.
        verify: ``True``, a CA bundle path or an ``ssl.SSLContext``. ``False`` (or a
            context that checks no certificate or no hostname) works but logs a
            warning: it is never switched off silently.
        timeout: as in httpx, per phase, and a **deadline** for the whole call: every
            attempt, backoff sleep and redirect ends within the largest phase's
            seconds (``timeout=3``: 3 s in all, however slowly the server answers).
            ``None`` waits forever.
        limits: as in httpx.
        http2: as in httpx.
        retries: a :class:`RetryPolicy`; ``None`` turns retries off.
        transport: an httpx transport to use instead (tests: ``httpx.MockTransport``).
        follow_redirects: follow redirects to the same origin (re-signed); one to
            another host or scheme raises :class:`~privateapi.RedirectRefusedError`.
            Off by default: a 3xx is returned as it is.
        record_signing: keep the canonical request / string to sign of the last
            request in ``client.auth.last_signing`` (``invoke -v``).
        max_response_bytes: the cap on a response body, counted after decompression
            (default a little over API Gateway's 10 MB); past it the client stops
            reading and raises :class:`~privateapi.ResponseTooLargeError`.
        record_timings: attach per-phase :class:`~privateapi.Timings` (connect, TLS,
            first byte, total, the connected address) to each response, read with
            ``privateapi.Timings.of(response)`` (``invoke -v`` and ``-w``).

    Requests take a path relative to the target's base URL (``"/pets"``) or an
    absolute URL on the same host; anything else is refused, so signed requests
    never go to another host.
    """

    http: httpx.Client

    def __init__(
        self,
        target_or_url: InvokeTarget | str,
        *,
        headers: HeadersArg = None,
        credentials: CredentialsLike | None = None,
        profile: str | None = None,
        region: str | None = None,
        sign: bool = True,
        connect_to: str | None = None,
        verify: VerifyTypes = True,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        http2: bool = False,
        retries: RetryPolicy | None = RetryPolicy(),
        transport: httpx.BaseTransport | None = None,
        follow_redirects: bool = False,
        trust_env: bool = True,
        record_signing: bool = False,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        record_timings: bool = False,
    ) -> None:
        _check_timeout(timeout)
        #: Attach per-phase :class:`~privateapi.Timings` to each response (``Timings.of``).
        self.record_timings = bool(record_timings)
        super().__init__(
            target_or_url,
            headers=headers,
            credentials=credentials,
            profile=profile,
            region=region,
            sign=sign,
            connect_to=connect_to,
            verify=verify,
            retries=retries,
            record_signing=record_signing,
            follow_redirects=follow_redirects,
            max_response_bytes=max_response_bytes,
        )
        if transport is None:
            transport = sync_transport(
                self._pins, verify=verify, http2=http2, limits=limits, trust_env=trust_env
            )
        self.http = httpx.Client(
            auth=self.auth,
            headers=self._headers,
            timeout=timeout,
            transport=transport,
            # Redirects are followed by send(), which re-signs them and keeps the origin.
            follow_redirects=False,
            # An environment proxy would bypass connect_to: pinned clients ignore it.
            trust_env=trust_env and not self._pins,
            event_hooks={"request": [self._on_request], "response": [self._log_response]},
        )
        _install_cookies(self.http)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def build_request(self, method: str, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Request:
        """Build (not send) a request for this target; keyword arguments as in httpx."""
        method = _check_method(method)
        try:
            parsed = self._parsed_url(url, kwargs.get("params"), self.http.params)
            if parsed is None:
                return self.http.build_request(method, self._url(url), **kwargs)
            kwargs["params"] = None
            return self.http.build_request(method, parsed, **kwargs)
        except UnicodeEncodeError as exc:
            raise InvalidInputError("header", exc.object, "ASCII header names and values") from None

    def request(
        self,
        method: str,
        url: str | httpx.URL = "",
        *,
        idempotent: bool | None = None,
        raise_for_status: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request; keyword arguments (``params``, ``headers``, ``content``,
        ``json``, ``data``, ``timeout``, ``extensions``) as in :meth:`httpx.Client.request`.

        Args:
            idempotent: mark a request safe (or not) to replay after its bytes may
                have reached the server; default: by method.
            raise_for_status: raise the typed :class:`~privateapi.ApiGatewayError`
                for an error answer.

        Raises:
            RequestTooLargeError: body over 10 MB or a header value over 10 KB.
            TransportError: no HTTP answer (cause ``tcp.*``, ``tls.*``, ``dns.*``).
            ApiGatewayError: with ``raise_for_status=True``, for an error answer.
        """
        request = self.build_request(method, url, **kwargs)
        self._check_headers(request)
        request.read()
        self._check_body(request)
        response = self.send(request, idempotent=idempotent)
        if raise_for_status:
            raise_for_status_(response)
        return response

    def send(self, request: httpx.Request, *, idempotent: bool | None = None) -> httpx.Response:
        """Send a built request with this client's signing, retry and redirect policy.

        The response comes back read (``.content``), capped at ``max_response_bytes``;
        the whole call, retries and redirects included, ends by its deadline.
        """
        self._check_origin(request)
        if "timeout" not in request.extensions:  # built outside httpx: the client's own
            request.extensions["timeout"] = self.http.timeout.as_dict()
        started = time.monotonic()
        budget = _budget_of(request)
        at = None if budget is None else started + budget
        recorder = recorder_for(request, started) if self.record_timings else None
        with deadline(at), timed_lookups(recorder.lookup_done if recorder else None):
            response = self._attempts(request, idempotent, started, at, budget)
            history: list[httpx.Response] = []
            while self.follow_redirects and response.has_redirect_location:
                if len(history) >= MAX_REDIRECTS:
                    raise self._too_many_redirects(response)
                request = self._redirect(request, response)
                if recorder is not None:
                    request.extensions["trace"] = recorder
                history.append(response)
                response = self._attempts(request, None, started, at, budget)
                response.history = list(history)
        if response.next_request is not None:
            response.next_request = self._next_request(request, response)
        if recorder is not None:
            response.extensions[TIMINGS_EXTENSION] = recorder.finish(response)
        return response

    def _attempts(
        self,
        request: httpx.Request,
        idempotent: bool | None,
        started: float,
        at: float | None,
        budget: float | None,
    ) -> httpx.Response:
        replay_ok = self._idempotent(request, idempotent)
        timeouts = request.extensions.get("timeout")
        attempt = 0
        try:
            while True:
                attempt += 1
                if at is not None and timeouts:
                    request.extensions["timeout"] = _clamped(timeouts, at)
                try:
                    response = self.http.send(request, stream=True)
                    self._read(response)
                except httpx.TransportError as exc:
                    err = transport_error(exc, request, budget=budget)
                    code = err.cause_code
                    replayable = code not in PERMANENT_CAUSES and (_nothing_sent(exc) or replay_ok)
                    delay = self._retry_delay(
                        attempt, started, request, replayable, cause=code, at=at
                    )
                    if delay is None:
                        raise err from exc
                    self.retries.sleep(delay)
                    continue
                if response.status_code in self.retries.statuses:
                    delay = self._retry_delay(
                        attempt,
                        started,
                        request,
                        replay_ok,
                        status_code=response.status_code,
                        at=at,
                    )
                    if delay is not None:
                        self.retries.sleep(delay)
                        continue
                return response
        finally:
            if timeouts is not None:
                request.extensions["timeout"] = timeouts

    def _read(self, response: httpx.Response) -> None:
        """Read the body into ``response.content``, decoded, stopping past the cap."""
        if self._already_read(response):
            return
        try:
            decoder = self._decoder(response)
            chunks = response.iter_bytes() if decoder is False else response.iter_raw()
            decoder = decoder or None
            parts: list[bytes] = []
            total = 0
            for raw in chunks:
                total = self._feed(response, decoder, raw, parts, total)
            self._finish(response, decoder, parts, total)
        finally:
            response.close()

    def get(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``GET``; see :meth:`request`."""
        return self.request("GET", url, **kwargs)

    def head(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``HEAD``; see :meth:`request`."""
        return self.request("HEAD", url, **kwargs)

    def options(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``OPTIONS``; see :meth:`request`."""
        return self.request("OPTIONS", url, **kwargs)

    def post(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``POST`` (not replayed unless ``idempotent=True``); see :meth:`request`."""
        return self.request("POST", url, **kwargs)

    def put(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``PUT``; see :meth:`request`."""
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``PATCH`` (not replayed unless ``idempotent=True``); see :meth:`request`."""
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``DELETE``; see :meth:`request`."""
        return self.request("DELETE", url, **kwargs)


raise_for_status_ = raise_for_status  # the keyword argument shadows the function


# --------------------------------------------------------------------------------------
# async
# --------------------------------------------------------------------------------------


class AsyncClient(_Base):
    """The asyncio counterpart of :class:`Client` (same arguments, awaitable methods).

    Backoff sleeps use ``anyio.sleep`` (asyncio and trio; ``RetryPolicy.sleep`` is for
    the sync client); a due credential refresh runs in a worker thread, never on the
    event loop.
    """

    http: httpx.AsyncClient

    def __init__(
        self,
        target_or_url: InvokeTarget | str,
        *,
        headers: HeadersArg = None,
        credentials: CredentialsLike | None = None,
        profile: str | None = None,
        region: str | None = None,
        sign: bool = True,
        connect_to: str | None = None,
        verify: VerifyTypes = True,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        http2: bool = False,
        retries: RetryPolicy | None = RetryPolicy(),
        transport: httpx.AsyncBaseTransport | None = None,
        follow_redirects: bool = False,
        trust_env: bool = True,
        record_signing: bool = False,
        async_sleep: Callable[[float], Any] = anyio.sleep,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        _check_timeout(timeout)
        super().__init__(
            target_or_url,
            headers=headers,
            credentials=credentials,
            profile=profile,
            region=region,
            sign=sign,
            connect_to=connect_to,
            verify=verify,
            retries=retries,
            record_signing=record_signing,
            follow_redirects=follow_redirects,
            max_response_bytes=max_response_bytes,
        )
        self._sleep = async_sleep
        if transport is None:
            transport = async_transport(
                self._pins, verify=verify, http2=http2, limits=limits, trust_env=trust_env
            )
        self.http = httpx.AsyncClient(
            auth=self.auth,
            headers=self._headers,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            trust_env=trust_env and not self._pins,
            event_hooks={"request": [self._alog_request], "response": [self._alog_response]},
        )
        _install_cookies(self.http)

    async def _alog_request(self, request: httpx.Request) -> None:
        self._on_request(request)

    async def _alog_response(self, response: httpx.Response) -> None:
        self._log_response(response)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    def build_request(self, method: str, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Request:
        """Build (not send) a request for this target; keyword arguments as in httpx."""
        method = _check_method(method)
        try:
            parsed = self._parsed_url(url, kwargs.get("params"), self.http.params)
            if parsed is None:
                return self.http.build_request(method, self._url(url), **kwargs)
            kwargs["params"] = None
            return self.http.build_request(method, parsed, **kwargs)
        except UnicodeEncodeError as exc:
            raise InvalidInputError("header", exc.object, "ASCII header names and values") from None

    async def request(
        self,
        method: str,
        url: str | httpx.URL = "",
        *,
        idempotent: bool | None = None,
        raise_for_status: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request; see :meth:`Client.request`."""
        request = self.build_request(method, url, **kwargs)
        self._check_headers(request)
        await request.aread()
        self._check_body(request)
        response = await self.send(request, idempotent=idempotent)
        if raise_for_status:
            raise_for_status_(response)
        return response

    async def send(
        self, request: httpx.Request, *, idempotent: bool | None = None
    ) -> httpx.Response:
        """Send a built request; see :meth:`Client.send`."""
        self._check_origin(request)
        if "timeout" not in request.extensions:  # built outside httpx: the client's own
            request.extensions["timeout"] = self.http.timeout.as_dict()
        started = time.monotonic()
        budget = _budget_of(request)
        at = None if budget is None else started + budget
        with deadline(at):
            response = await self._attempts(request, idempotent, started, at, budget)
            history: list[httpx.Response] = []
            while self.follow_redirects and response.has_redirect_location:
                if len(history) >= MAX_REDIRECTS:
                    raise self._too_many_redirects(response)
                request = self._redirect(request, response)
                history.append(response)
                response = await self._attempts(request, None, started, at, budget)
                response.history = list(history)
        if response.next_request is not None:
            response.next_request = self._next_request(request, response)
        return response

    async def _attempts(
        self,
        request: httpx.Request,
        idempotent: bool | None,
        started: float,
        at: float | None,
        budget: float | None,
    ) -> httpx.Response:
        replay_ok = self._idempotent(request, idempotent)
        timeouts = request.extensions.get("timeout")
        attempt = 0
        try:
            while True:
                attempt += 1
                if at is not None and timeouts:
                    request.extensions["timeout"] = _clamped(timeouts, at)
                try:
                    response = await self.http.send(request, stream=True)
                    await self._aread(response)
                except httpx.TransportError as exc:
                    err = transport_error(exc, request, budget=budget)
                    code = err.cause_code
                    replayable = code not in PERMANENT_CAUSES and (_nothing_sent(exc) or replay_ok)
                    delay = self._retry_delay(
                        attempt, started, request, replayable, cause=code, at=at
                    )
                    if delay is None:
                        raise err from exc
                    await self._sleep(delay)
                    continue
                if response.status_code in self.retries.statuses:
                    delay = self._retry_delay(
                        attempt,
                        started,
                        request,
                        replay_ok,
                        status_code=response.status_code,
                        at=at,
                    )
                    if delay is not None:
                        await self._sleep(delay)
                        continue
                return response
        finally:
            if timeouts is not None:
                request.extensions["timeout"] = timeouts

    async def _aread(self, response: httpx.Response) -> None:
        """Read the body into ``response.content``, decoded, stopping past the cap."""
        if self._already_read(response):
            return
        try:
            decoder = self._decoder(response)
            chunks = response.aiter_bytes() if decoder is False else response.aiter_raw()
            decoder = decoder or None
            parts: list[bytes] = []
            total = 0
            async for raw in chunks:
                total = self._feed(response, decoder, raw, parts, total)
            self._finish(response, decoder, parts, total)
        finally:
            await response.aclose()

    async def get(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``GET``; see :meth:`Client.request`."""
        return await self.request("GET", url, **kwargs)

    async def head(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``HEAD``; see :meth:`Client.request`."""
        return await self.request("HEAD", url, **kwargs)

    async def options(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``OPTIONS``; see :meth:`Client.request`."""
        return await self.request("OPTIONS", url, **kwargs)

    async def post(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``POST``; see :meth:`Client.request`."""
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``PUT``; see :meth:`Client.request`."""
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``PATCH``; see :meth:`Client.request`."""
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str | httpx.URL = "", **kwargs: Any) -> httpx.Response:
        """``DELETE``; see :meth:`Client.request`."""
        return await self.request("DELETE", url, **kwargs)
