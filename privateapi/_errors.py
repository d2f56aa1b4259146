"""Exceptions, and the classification of API Gateway's answers into them.

The tree::

    PrivateApiError                      every error privateapi raises
    ├── InvalidInputError (ValueError)   a malformed id, region, stage, URL, policy or config
    ├── CredentialsError                 no credentials for a signed request   (creds.missing)
    ├── RequestTooLargeError (ValueError) refused before sending: over API Gateway's limits
    ├── TransportError                   no HTTP answer: DNS, TCP, TLS, a time-out
    │                                    (dns.*, tcp.*, tls.*, http.timeout, ...)
    ├── ResponseTooLargeError            over the client's size cap   http.response-too-large
    ├── RedirectRefusedError             off the API's origin   http.redirect-refused
    ├── AdminError                       a control-plane operation failed (privateapi.admin)
    │   ├── MissingPermissionError       the IAM action a call lacks      aws.access-denied
    │   ├── ResourceNotFoundError        no such API in this account/region   aws.not-found
    │   └── AliasNotResolvedError        the {api}-{vpce} name did not resolve   dns.nxdomain
    └── ApiGatewayError                  an HTTP error answer, classified by its cause
        ├── ForbiddenError               403s
        │   ├── AccessDeniedError
        │   │   ├── ExplicitDenyError          http.explicit-deny
        │   │   ├── ImplicitDenyError          http.implicit-deny
        │   │   ├── AuthorizerDenyError        http.authorizer-deny
        │   │   └── EndpointPolicyDenyError    http.endpoint-policy-deny
        │   ├── WrongEndpointError             http.wrong-endpoint
        │   ├── MissingAuthenticationTokenError http.missing-token
        │   ├── IncompleteSignatureError       http.incomplete-signature
        │   ├── SignatureMismatchError         http.signature-mismatch
        │   ├── ClockSkewError                 http.clock-skew
        │   ├── InvalidTokenError              http.invalid-token
        │   └── ExpiredTokenError              http.expired-token
        ├── UnauthorizedError            401   http.unauthorized
        ├── ThrottledError               429   http.throttled
        │   └── QuotaExceededError       429   http.quota-exceeded
        ├── PayloadTooLargeError         413   http.payload-too-large
        ├── BackendError                 5xx   http.backend-error
        ├── BackendRejectedError         4xx from the integration   http.backend-rejected
        └── NotApiGatewayError           an error answer without API Gateway's headers

Every error that stands for a diagnosis carries ``cause`` (a code from
:mod:`privateapi._causes`), and :attr:`PrivateApiError.hint` says what to change.

:func:`cause_of_exception` is the one classifier of network failures (an httpx
exception, or a raw ``ssl``/``socket`` error from the doctor's own probes) into a
cause code: certificate verify codes, time-outs by the phase they happened in
(connect, TLS handshake, the HTTP exchange), refusals, missing routes, DNS.
"""

from __future__ import annotations

import contextlib
import errno
import json
import re
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from privateapi._causes import Cause
from privateapi._causes import cause as _cause
from privateapi._wire import first_header

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AccessDeniedError",
    "ApiGatewayError",
    "AuthorizerDenyError",
    "BackendError",
    "BackendRejectedError",
    "ClockSkewError",
    "CredentialsError",
    "EndpointPolicyDenyError",
    "ExpiredTokenError",
    "ExplicitDenyError",
    "ForbiddenError",
    "ImplicitDenyError",
    "IncompleteSignatureError",
    "InvalidInputError",
    "InvalidTokenError",
    "MissingAuthenticationTokenError",
    "NotApiGatewayError",
    "PayloadTooLargeError",
    "Phase",
    "PrivateApiError",
    "QuotaExceededError",
    "RedirectRefusedError",
    "RequestTooLargeError",
    "ResponseTooLargeError",
    "SignatureMismatchError",
    "ThrottledError",
    "TransportError",
    "UnauthorizedError",
    "WrongEndpointError",
    "cause_of_exception",
    "classify",
    "classify_parts",
    "is_api_gateway_response",
    "mark_phase",
    "scrub",
]


class PrivateApiError(Exception):
    """Base class of every exception raised by privateapi."""

    #: The cause code this error stands for, when it stands for a diagnosis.
    cause_code: ClassVar[str | None] = None

    @property
    def cause(self) -> Cause | None:
        """The :class:`~privateapi.Cause` behind this error, if any."""
        return _cause(self.cause_code) if self.cause_code else None

    @property
    def hint(self) -> str | None:
        """One line saying what to change."""
        c = self.cause
        return c.hint if c else None


class InvalidInputError(PrivateApiError, ValueError):
    """Bad input: names the field, the value given and the form expected.

    Example:
        >>> from privateapi import InvokeTarget  # doctest: +ELLIPSIS
        >>> InvokeTarget.private_dns("abc", "us-east-1", "prod")
        Traceback (most recent call last):
        ...
        privateapi._errors.InvalidInputError: api_id 'abc' is not valid: expected 10 letters ...
    """

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        if value is None:
            super().__init__(f"{field} is missing: expected {expected}")
        else:
            super().__init__(f"{field} {value!r} is not valid: expected {expected}")


class CredentialsError(PrivateApiError):
    """No AWS credentials could be found for a signed request."""

    cause_code = "creds.missing"


class RequestTooLargeError(PrivateApiError, ValueError):
    """A request over API Gateway's limits, refused before any byte was sent."""

    cause_code = "http.request-too-large"


class TransportError(PrivateApiError):
    """The request got no HTTP answer (name resolution, TCP, TLS or a reset).

    ``cause_code`` is set per instance from what failed; ``__cause__`` holds the
    underlying httpx exception and ``request`` the request that was being sent.
    """

    def __init__(
        self, message: str, *, code: str = "http.connection-failed", request: Any = None
    ) -> None:
        super().__init__(message)
        self.cause_code = code  # type: ignore[misc]  # per-instance on purpose
        self.request = request


class ResponseTooLargeError(PrivateApiError):
    """The answer's body passed the client's cap, counted after decompression.

    Reading stopped there and the connection was closed, so a compression bomb
    costs at most the cap (plus one small decoded slice) in memory.

    Attributes:
        limit: the cap in bytes (``max_response_bytes``).
        received: decoded bytes read when the client stopped (or the declared length).
        status_code: the answer's HTTP status.
        response: the closed :class:`httpx.Response` (headers only), when there is one.
    """

    cause_code = "http.response-too-large"

    def __init__(
        self, message: str, *, limit: int, received: int, status_code: int, response: Any = None
    ) -> None:
        super().__init__(message)
        self.limit = limit
        self.received = received
        self.status_code = status_code
        self.response = response


class RedirectRefusedError(PrivateApiError):
    """A redirect the client would not follow: off the API's origin, or too many.

    Attributes:
        status_code: the redirect's status (301, 302, 303, 307, 308).
        location: where it pointed, without its query (which may carry secrets).
        response: the redirect response, when there is one.
    """

    cause_code = "http.redirect-refused"

    def __init__(
        self, message: str, *, status_code: int, location: str, response: Any = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.location = location
        self.response = response


class ApiGatewayError(PrivateApiError):
    """An HTTP error answer, classified by what API Gateway said.

    Attributes:
        status_code: the HTTP status.
        message: the message from the body (``message``/``Message`` key, or the plain text).
        error_type: the ``x-amzn-ErrorType`` header, without any ``:...`` suffix.
        request_id: the ``x-amzn-RequestId`` header, to quote to AWS support.
        response: the :class:`httpx.Response`, when classified from one.
    """

    cause_code: ClassVar[str | None] = None

    def __init__(
        self,
        *,
        status_code: int,
        message: str,
        error_type: str | None = None,
        request_id: str | None = None,
        apigw_id: str | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        self.status_code = status_code
        self.message = message
        self.error_type = error_type
        self.request_id = request_id
        self.apigw_id = apigw_id
        self.response = response
        text = f"{status_code} {message}".strip()
        if request_id:
            text += f" (request id {request_id})"
        super().__init__(text)


class ForbiddenError(ApiGatewayError):
    """A 403 answer from API Gateway."""


class AccessDeniedError(ForbiddenError):
    """An authorization decision denied the call (policy, IAM or authorizer)."""


class ExplicitDenyError(AccessDeniedError):
    """A Deny statement matched (resource policy or IAM)."""

    cause_code = "http.explicit-deny"


class ImplicitDenyError(AccessDeniedError):
    """No statement allowed the call."""

    cause_code = "http.implicit-deny"


class AuthorizerDenyError(AccessDeniedError):
    """The Lambda authorizer's policy denied the call."""

    cause_code = "http.authorizer-deny"


class EndpointPolicyDenyError(AccessDeniedError):
    """The VPC endpoint policy does not allow the call."""

    cause_code = "http.endpoint-policy-deny"


class WrongEndpointError(ForbiddenError):
    """``Forbidden``: API Gateway did not route the request to a private API."""

    cause_code = "http.wrong-endpoint"


class MissingAuthenticationTokenError(ForbiddenError):
    """``Missing Authentication Token``: no such stage/route, or an unsigned IAM call."""

    cause_code = "http.missing-token"


class IncompleteSignatureError(ForbiddenError):
    """A non-SigV4 ``Authorization`` header was inspected."""

    cause_code = "http.incomplete-signature"


class SignatureMismatchError(ForbiddenError):
    """API Gateway computed a different signature."""

    cause_code = "http.signature-mismatch"

    @property
    def expected_canonical_request(self) -> str | None:
        """The canonical request API Gateway says it computed, when the message quotes it."""
        m = re.search(
            r"The Canonical String for this request should have been\s*'(.*?)'", self.message, re.S
        )
        return m.group(1) if m else None

    @property
    def expected_string_to_sign(self) -> str | None:
        """The string to sign API Gateway says it computed, when the message quotes it."""
        m = re.search(r"The String-to-Sign should have been\s*'(.*?)'", self.message, re.S)
        return m.group(1) if m else None


class ClockSkewError(ForbiddenError):
    """``Signature expired``: the client's clock is more than 5 minutes off."""

    cause_code = "http.clock-skew"


class InvalidTokenError(ForbiddenError):
    """The key id or session token is not valid."""

    cause_code = "http.invalid-token"


class ExpiredTokenError(ForbiddenError):
    """The session token has expired."""

    cause_code = "http.expired-token"


class UnauthorizedError(ApiGatewayError):
    """401 from an authorizer."""

    cause_code = "http.unauthorized"


class ThrottledError(ApiGatewayError):
    """429 Too Many Requests."""

    cause_code = "http.throttled"


class QuotaExceededError(ThrottledError):
    """429 Limit Exceeded: the usage plan's quota is used up."""

    cause_code = "http.quota-exceeded"


class PayloadTooLargeError(ApiGatewayError):
    """413: the body was over 10 MB."""

    cause_code = "http.payload-too-large"


class BackendError(ApiGatewayError):
    """5xx: the integration failed."""

    cause_code = "http.backend-error"


class BackendRejectedError(ApiGatewayError):
    """A 4xx passed through from the integration."""

    cause_code = "http.backend-rejected"


class NotApiGatewayError(ApiGatewayError):
    """An error answer that carries none of API Gateway's headers."""

    cause_code = "http.not-api-gateway"


# --------------------------------------------------------------------------------------
# network failures -> cause codes
# --------------------------------------------------------------------------------------

#: Where a network failure happened: opening TCP, the TLS handshake, or the HTTP exchange
#: (sending the request, waiting for and reading the answer, waiting for a pooled connection).
Phase = Literal["connect", "tls", "request"]

_PHASE_ATTR = "_privateapi_phase"

# OpenSSL verify codes (X509_V_ERR_*, include/openssl/x509_vfy.h). 9 is
# CERT_NOT_YET_VALID and 10 CERT_HAS_EXPIRED: both mean "outside its validity period",
# which is tls.expired ("expired or not yet valid"). 62 HOSTNAME_MISMATCH and 64
# IP_ADDRESS_MISMATCH are name failures; every other code is a chain that does not verify.
_VERIFY_VALIDITY = frozenset({9, 10})
_VERIFY_NAME = frozenset({62, 64})

# getaddrinfo: "no such name" and "no address for it" both mean the name does not resolve
# for us; EAI_AGAIN means the resolver could not be asked.
_EAI_NXDOMAIN = frozenset({socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)})
_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH})

# httpx and httpcore exception names (matched by name so this module never imports them).
_TIMEOUT_NAMES = frozenset({"ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout"})
_CONNECT_NAMES = frozenset({"ConnectTimeout", "ConnectError"})
_REQUEST_NAMES = frozenset(
    {
        "ReadTimeout",
        "WriteTimeout",
        "PoolTimeout",
        "ReadError",
        "WriteError",
        "RemoteProtocolError",
        "LocalProtocolError",
    }
)


def mark_phase(exc: BaseException, phase: Phase) -> None:
    """Record on ``exc`` the phase it happened in, for :func:`cause_of_exception`.

    The transport calls it where it knows better than the exception type: httpcore
    raises ``ConnectTimeout`` for the TCP connect and the TLS handshake alike.
    """
    with contextlib.suppress(AttributeError, TypeError):  # exceptions without a __dict__
        setattr(exc, _PHASE_ATTR, phase)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _names(exc: BaseException) -> set[str]:
    return {c.__name__ for c in type(exc).__mro__}


def _phase_of(chain: list[BaseException], default: Phase | None) -> Phase | None:
    import ssl

    for e in chain:
        marked = getattr(e, _PHASE_ATTR, None)
        if marked is not None:
            return marked  # type: ignore[no-any-return]
    if default is not None:
        return default
    names = _names(chain[0])
    if names & _REQUEST_NAMES:
        return "request"
    if names & _CONNECT_NAMES:
        # Unmarked (another transport): a TLS object or the handshake's own message in the
        # chain says the TCP connection was up already.
        tls = any(isinstance(e, ssl.SSLError) or "handshake" in str(e) for e in chain)
        return "tls" if tls else "connect"
    return None


def _is_timeout(chain: list[BaseException]) -> bool:
    for e in chain:
        if isinstance(e, TimeoutError) or _names(e) & _TIMEOUT_NAMES:
            return True
        if isinstance(e, OSError) and e.errno == errno.ETIMEDOUT:
            return True
    return False


def _verify_cause(code: int | None, message: str) -> str:
    if code in _VERIFY_NAME or (not code and "mismatch" in message):
        return "tls.name-mismatch"
    if code in _VERIFY_VALIDITY or (not code and ("expired" in message or "not yet" in message)):
        return "tls.expired"
    return "tls.untrusted"


def _cause_from_text(text: str, phase: Phase | None) -> str:
    # Exceptions that carry only a message (re-raised by a library without a chain).
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return _verify_cause(None, text)
    if "[SSL" in text:
        return "http.connection-failed" if phase == "request" else "tls.handshake-failed"
    if f"[Errno {errno.ECONNREFUSED}]" in text:
        return "tcp.refused"
    if any(f"[Errno {n}]" in text for n in _UNREACHABLE):
        return "tcp.unreachable"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "dns.nxdomain"
    return "http.connection-failed"


def cause_of_exception(exc: BaseException, phase: Phase | None = None) -> str:
    """The cause code for a network failure: the one classifier for client and doctor.

    ``exc`` is an httpx/httpcore exception or a raw ``ssl``/``socket``/``OSError``.
    Where it happened is read from the mark :func:`mark_phase` left on it (the
    transport and the doctor mark what they know), else taken from ``phase`` (what the
    caller was doing), else from the httpx exception type.

    - certificate verification: ``tls.expired`` (OpenSSL codes 9 "not yet valid" and
      10 "has expired"), ``tls.name-mismatch`` (62, 64), else ``tls.untrusted``;
    - a time-out: ``tcp.timeout`` while connecting, ``tls.handshake-failed`` during the
      handshake, ``http.timeout`` once the request is under way;
    - ``tcp.refused``, ``tcp.unreachable`` (no route: ENETUNREACH/EHOSTUNREACH),
      ``dns.nxdomain``, ``dns.resolver-unreachable`` (EAI_AGAIN);
    - any other TLS error: ``tls.handshake-failed`` (``http.connection-failed`` once the
      request is under way); anything else ``http.connection-failed``.

    Example:
        >>> cause_of_exception(TimeoutError("timed out"), phase="tls")
        'tls.handshake-failed'
        >>> import errno
        >>> cause_of_exception(OSError(errno.ENETUNREACH, "Network is unreachable"))
        'tcp.unreachable'
    """
    import ssl

    chain = _chain(exc)
    phase = _phase_of(chain, phase)
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            return _verify_cause(e.verify_code, e.verify_message or str(e))
    if _is_timeout(chain):
        return _timeout_cause(phase)
    for e in chain:
        cause = _cause_of_one(e, phase)
        if cause is not None:
            return cause
    return _cause_from_text(str(exc), phase)


def _timeout_cause(phase: Phase | None) -> str:
    if phase == "connect":
        return "tcp.timeout"
    if phase == "tls":
        return "tls.handshake-failed"
    return "http.timeout"


def _cause_of_one(e: BaseException, phase: Phase | None) -> str | None:
    """The cause one link of the chain names, or ``None`` to look further down it."""
    import ssl

    if isinstance(e, ssl.SSLWantReadError | ssl.SSLWantWriteError):
        return None  # not a failure: the TLS layer waiting for the socket
    if isinstance(e, ssl.SSLError):
        return "http.connection-failed" if phase == "request" else "tls.handshake-failed"
    if isinstance(e, socket.gaierror):
        return _resolver_cause(e)
    if isinstance(e, ConnectionRefusedError):
        return "tcp.refused"
    if isinstance(e, OSError) and e.errno in _UNREACHABLE:
        return "tcp.unreachable"
    return None


def _resolver_cause(e: socket.gaierror) -> str:
    if e.errno in _EAI_NXDOMAIN:
        return "dns.nxdomain"
    if e.errno == socket.EAI_AGAIN:
        return "dns.resolver-unreachable"
    return "http.connection-failed"


_APIGW_HEADERS = ("x-amzn-requestid", "x-amz-apigw-id", "x-amzn-errortype")

REDACTED = "<redacted>"


def scrub(text: str) -> str:
    """Redact secrets in ``text``: an alias of :func:`privateapi.redact`, the one scrubber.

    API Gateway's 403 messages quote the canonical request (with the session token)
    and may echo the ``Authorization`` header; errors and logs carry only this form.

    Example:
        >>> scrub("x-amz-security-token:IQoJb3JpZ2lu\\nSignature=0a1b2c")
        'x-amz-security-token:<redacted>\\nSignature=<redacted>'
    """
    from privateapi._credentials import redact  # _credentials imports this module

    return redact(text)


def is_api_gateway_response(headers: Mapping[str, str]) -> bool:
    """Whether a response carries any header only API Gateway sets."""
    lower = {k.lower() for k in headers}
    return any(h in lower for h in _APIGW_HEADERS)


def _message_of(body: bytes | str) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            return stripped
        if isinstance(data, dict):
            for key in ("message", "Message", "errorMessage"):
                value = data.get(key)
                if isinstance(value, str):
                    return value
    return stripped


def _class_for_403(message: str, error_type: str) -> type[ApiGatewayError]:  # noqa: PLR0911  ordered rules, first match wins
    msg = message.strip()
    low = msg.lower()
    if error_type == "MissingAuthenticationTokenException" or msg == "Missing Authentication Token":
        return MissingAuthenticationTokenError
    if error_type == "IncompleteSignatureException" or "authorization header requires" in low:
        return IncompleteSignatureError
    # "Signature expired" (clock behind) is AWS's documented text; the same rule for a
    # clock ahead reads "Signature not yet current" in other AWS front doors.
    if "signature expired" in low or "signature not yet current" in low:
        return ClockSkewError
    if error_type == "InvalidSignatureException" or "signature we calculated does not match" in low:
        return SignatureMismatchError
    if "security token included in the request is expired" in low or error_type in (
        "ExpiredTokenException",
        "ExpiredToken",
    ):
        return ExpiredTokenError
    if "security token included in the request is invalid" in low or error_type in (
        "UnrecognizedClientException",
        "InvalidClientTokenId",
    ):
        return InvalidTokenError
    if "no vpc endpoint policy allows" in low or "vpc endpoint policy" in low:
        return EndpointPolicyDenyError
    if low.startswith("user is not authorized to access this resource"):
        return AuthorizerDenyError
    if low.startswith("user:") and "is not authorized to perform" in low:
        return ExplicitDenyError if "with an explicit deny" in low else ImplicitDenyError
    if msg == "Forbidden" or error_type == "ForbiddenException":
        return WrongEndpointError
    if error_type == "AccessDeniedException":
        return ExplicitDenyError if "explicit deny" in low else ImplicitDenyError
    return ForbiddenError


def classify_parts(  # noqa: PLR0911  one answer class per status, read as a table
    status_code: int, headers: Mapping[str, str], body: bytes | str
) -> type[ApiGatewayError] | None:
    """The error class for an answer given as parts, or ``None`` for a success.

    This is :func:`classify` without an httpx response, for callers (the requests
    adapter, the doctor) that hold the parts only.
    """
    if status_code < 400:
        return None
    if not is_api_gateway_response(headers):
        return NotApiGatewayError
    error_type = (first_header(headers.items(), "x-amzn-errortype") or "").split(":", 1)[0]
    message = _message_of(body)
    if status_code == 403:
        return _class_for_403(message, error_type)
    if status_code == 401:
        return UnauthorizedError
    if status_code == 429:
        if message == "Limit Exceeded" or error_type == "LimitExceededException":
            return QuotaExceededError
        return ThrottledError
    if status_code == 413:
        return PayloadTooLargeError
    if status_code >= 500:
        return BackendError
    return BackendRejectedError


def build_error(
    status_code: int,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    response: httpx.Response | None = None,
) -> ApiGatewayError | None:
    """Build the classified error for an answer given as parts (``None`` for a success)."""
    cls = classify_parts(status_code, headers, body)
    if cls is None:
        return None
    return cls(
        status_code=status_code,
        message=scrub(_message_of(body)),
        error_type=(first_header(headers.items(), "x-amzn-errortype") or "").split(":", 1)[0]
        or None,
        request_id=first_header(headers.items(), "x-amzn-requestid"),
        apigw_id=first_header(headers.items(), "x-amz-apigw-id"),
        response=response,
    )


def classify(response: httpx.Response) -> ApiGatewayError | None:
    """Classify an httpx response: the typed error it stands for, or ``None`` on success.

    The response body must have been read.

    Example:
        >>> import httpx
        >>> r = httpx.Response(403, json={"message": "Forbidden"},
        ...                    headers={"x-amzn-ErrorType": "ForbiddenException"})
        >>> err = classify(r)
        >>> type(err).__name__, err.cause_code
        ('WrongEndpointError', 'http.wrong-endpoint')
    """
    return build_error(response.status_code, response.headers, response.content, response=response)
