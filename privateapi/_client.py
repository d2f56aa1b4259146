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

import errno
import logging
import os
import random
import re
import socket
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import anyio
import httpx

from privateapi._credentials import CredentialsLike, redact, redact_headers
from privateapi._errors import (
    InvalidInputError,
    RequestTooLargeError,
    TransportError,
    classify,
)
from privateapi._signing import SigV4Auth
from privateapi._targets import InvokeTarget, split_url, validate_region
from privateapi._transport import async_transport, sync_transport

__all__ = [
    "IDEMPOTENT_METHODS",
    "MAX_BODY_BYTES",
    "MAX_HEADER_VALUE_BYTES",
    "AsyncClient",
    "Client",
    "RetryEvent",
    "RetryPolicy",
    "raise_for_status",
    "transport_error",
]

# An absolute URL starts with a scheme; "://" later on (in a query value) does not count.
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# An HTTP method or header name is an RFC 9110 "token".
_NAME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# The same over the raw bytes httpx sends: no decode per header per request.
_NAME_RE_B = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Names httpx and the styles send on every request: tokens, no regex needed.
_TOKEN_NAMES = frozenset(
    {b"Host", b"Accept", b"Accept-Encoding", b"Connection", b"User-Agent", b"Content-Length"}
    | {b"Content-Type", b"x-apigw-api-id"}
)
_NAME_FORM = "an HTTP token: letters, digits and !#$%&'*+-.^_`|~, no spaces"

logger = logging.getLogger("privateapi.client")

#: API Gateway's payload limit: larger bodies get 413 (refused here before sending).
MAX_BODY_BYTES = 10_485_760
#: API Gateway's limit on one header value (refused here before sending).
MAX_HEADER_VALUE_BYTES = 10_240
#: Methods whose replay cannot do harm (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

# Transport causes that no retry can fix: the name or certificate is wrong.
_PERMANENT_CAUSES = frozenset({"dns.nxdomain", "tls.name-mismatch", "tls.untrusted", "tls.expired"})

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


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _cause_of(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "tcp.timeout"
    for e in _chain(exc):
        if isinstance(e, ssl.SSLCertVerificationError):
            code = e.verify_code
            if code == 62 or "mismatch" in (e.verify_message or ""):
                return "tls.name-mismatch"
            if code == 10:
                return "tls.expired"
            return "tls.untrusted"
        if isinstance(e, ssl.SSLError):
            return "tls.handshake-failed"
        if isinstance(e, socket.gaierror):
            return (
                "dns.nxdomain" if e.errno in (socket.EAI_NONAME, -5) else "http.connection-failed"
            )
        if isinstance(e, ConnectionRefusedError):
            return "tcp.refused"
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        if "mismatch" in text:
            return "tls.name-mismatch"
        return "tls.expired" if "expired" in text else "tls.untrusted"
    if "[SSL" in text:
        return "tls.handshake-failed"
    if f"[Errno {errno.ECONNREFUSED}]" in text:
        return "tcp.refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "dns.nxdomain"
    return "http.connection-failed"


def _safe_url(url: httpx.URL) -> str:
    return str(url.copy_with(query=None, fragment=None))


def transport_error(
    exc: httpx.TransportError, request: httpx.Request | None = None
) -> TransportError:
    """Map an httpx transport exception to :class:`~privateapi.TransportError` with a cause."""
    req: httpx.Request | None = request
    if req is None:
        try:
            req = exc.request
        except RuntimeError:  # httpx raises when the exception carries no request
            req = None
    where = f"{req.method} {_safe_url(req.url)}: " if req is not None else ""
    # h11 and httpx quote offending header values in their messages: scrub them.
    detail = redact(str(exc)) or type(exc).__name__
    return TransportError(f"{where}{detail}", code=_cause_of(exc), request=req)


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


def _header_error(name: bytes, value: bytes) -> InvalidInputError | RequestTooLargeError:
    """The error for a header API Gateway would refuse (checks in this order)."""
    text = name.decode("latin-1")
    if not _NAME_RE.fullmatch(text):
        return InvalidInputError("header name", text, _NAME_FORM)
    if any(c in value for c in b"\r\n\0"):
        return InvalidInputError(
            f"header {text!r} value", value.decode("latin-1"), "one line, without CR, LF or NUL"
        )
    return RequestTooLargeError(
        f"header {text!r} is {len(value)} bytes; API Gateway"
        f" accepts at most {MAX_HEADER_VALUE_BYTES} bytes per header value"
    )


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
    if not isinstance(method, str) or not _NAME_RE.fullmatch(method):
        raise InvalidInputError("method", method, f"{_NAME_FORM}, e.g. 'GET'")
    return method


class _Base:
    """What Client and AsyncClient share: target, headers, signer, guards, retry rules."""

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
    ) -> None:
        target = _target_of(target_or_url, headers)
        if connect_to is not None:
            target = target.with_connect_to(connect_to)
        self.target = target
        if verify is False:
            logger.warning(
                "TLS certificate verification is OFF for %s: anyone on the path can read and"
                " change this traffic. Pass a CA bundle (verify='ca.pem') instead.",
                target.host,
            )
        self.retries = retries if retries is not None else NO_RETRIES
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
        # is the same whichever check failed.
        declared = False
        for name, value in request.headers.raw:
            if (
                13 in value
                or 10 in value
                or 0 in value
                or len(value) > MAX_HEADER_VALUE_BYTES
                or (name not in _TOKEN_NAMES and not _NAME_RE_B.fullmatch(name))
            ):
                raise _header_error(name, value)
            if len(name) == 14 and name.lower() == b"content-length":
                declared = True
        if declared:
            cls._check_declared(request)

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

    def _retry_delay(
        self,
        attempt: int,
        started: float,
        request: httpx.Request,
        replayable: bool,
        *,
        status_code: int | None = None,
        cause: str | None = None,
    ) -> float | None:
        """The delay before another attempt, or ``None`` if no retry may happen."""
        policy = self.retries
        if not replayable or attempt >= policy.max_attempts:
            return None
        delay = policy.backoff(attempt)
        if time.monotonic() + delay - started > policy.budget:
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

    @staticmethod
    def _log_request(request: httpx.Request) -> None:
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
        verify: ``True``, a CA bundle path or an ``ssl.SSLContext``. ``False``
            works but logs a warning: it is never switched off silently.
        timeout, limits, http2: as in httpx.
        retries: a :class:`RetryPolicy`; ``None`` turns retries off.
        transport: an httpx transport to use instead (tests: ``httpx.MockTransport``).
        record_signing: keep the canonical request / string to sign of the last
            request in ``client.auth.last_signing`` (``invoke -v``).

    Requests take a path relative to the target's base URL (``"/pets"``) or an
    absolute URL on the same host; anything else is refused, so signed requests
    never go to another host.
    """

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
            follow_redirects=follow_redirects,
            # An environment proxy would bypass connect_to: pinned clients ignore it.
            trust_env=trust_env and not self._pins,
            event_hooks={"request": [self._log_request], "response": [self._log_response]},
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
        """Send a built request with this client's signing and retry policy."""
        started = time.monotonic()
        replay_ok = self._idempotent(request, idempotent)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.http.send(request)
            except httpx.TransportError as exc:
                err = transport_error(exc, request)
                code = err.cause_code
                replayable = code not in _PERMANENT_CAUSES and (_nothing_sent(exc) or replay_ok)
                delay = self._retry_delay(attempt, started, request, replayable, cause=code)
                if delay is None:
                    raise err from exc
                self.retries.sleep(delay)
                continue
            if response.status_code in self.retries.statuses:
                delay = self._retry_delay(
                    attempt, started, request, replay_ok, status_code=response.status_code
                )
                if delay is not None:
                    response.close()
                    self.retries.sleep(delay)
                    continue
            return response

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
            follow_redirects=follow_redirects,
            trust_env=trust_env and not self._pins,
            event_hooks={"request": [self._alog_request], "response": [self._alog_response]},
        )
        _install_cookies(self.http)

    async def _alog_request(self, request: httpx.Request) -> None:
        self._log_request(request)

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
        """Send a built request with this client's signing and retry policy."""
        started = time.monotonic()
        replay_ok = self._idempotent(request, idempotent)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self.http.send(request)
            except httpx.TransportError as exc:
                err = transport_error(exc, request)
                code = err.cause_code
                replayable = code not in _PERMANENT_CAUSES and (_nothing_sent(exc) or replay_ok)
                delay = self._retry_delay(attempt, started, request, replayable, cause=code)
                if delay is None:
                    raise err from exc
                await self._sleep(delay)
                continue
            if response.status_code in self.retries.statuses:
                delay = self._retry_delay(
                    attempt, started, request, replay_ok, status_code=response.status_code
                )
                if delay is not None:
                    await response.aclose()
                    await self._sleep(delay)
                    continue
            return response

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
