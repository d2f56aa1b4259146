"""Every answer the local gateway gives: API Gateway's status, body and headers.

The error strings are copied from ``aws-private-apis.md`` §3 (the facts table) character
for character; the client's :func:`privateapi._errors.classify` must map each answer
to the cause code the tests expect. Where AWS's exact text or ``x-amzn-ErrorType`` is
not known, the choice is marked ``unverified`` next to it.

An :class:`Answer` is what the HTTP layer frames; :class:`NoReply` is what it does
instead of answering (a reset, or silence). :func:`with_gateway_headers` adds the
headers every API Gateway answer carries, so no path of the gateway can forget them.
"""

from __future__ import annotations

import base64
import enum
import json
import os
import time
import uuid
from dataclasses import dataclass, replace
from email.utils import formatdate

from privateapi._wire import first_header
from privateapi.testing._limits import MAX_BODY_BYTES, MAX_HEAD_BYTES

__all__ = [
    "Answer",
    "NoReply",
    "new_apigw_id",
    "new_request_id",
    "with_gateway_headers",
]

Headers = tuple[tuple[str, str], ...]


class NoReply(enum.Enum):
    """What the gateway does instead of answering."""

    #: a TCP RST (``SO_LINGER`` 0), like a connection reset by a middlebox
    RESET = "reset"
    #: never a byte back, like a security group that DROPs
    HOLD = "hold"


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer the gateway sends (success or error), before framing."""

    status: int
    body: bytes = b""
    headers: Headers = ()
    #: the cause code the client should classify this answer as (errors only; for tests/logs)
    cause: str | None = None
    #: close the connection after this answer (framing errors: the stream cannot be trusted)
    close: bool = False

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitively."""
        return first_header(self.headers, name)


def new_request_id() -> str:
    """An ``x-amzn-RequestId``: a random UUID, as API Gateway sends."""
    return str(uuid.uuid4())


def new_apigw_id(random: bytes | None = None) -> str:
    """An ``x-amz-apigw-id``: 16 base64 characters (11 random bytes), like ``Jr1IbHt9oAMFXSQ=``."""
    return base64.b64encode(random or os.urandom(11)).decode("ascii")


_date_cache: tuple[int, str] = (0, "")


def _http_date(now: int) -> str:
    global _date_cache
    cached = _date_cache
    if cached[0] != now:
        cached = _date_cache = (now, formatdate(now, usegmt=True))
    return cached[1]


def with_gateway_headers(answer: Answer, request_id: str) -> Answer:
    """``answer`` with the headers API Gateway puts on every answer (400s included).

    ``Date``, ``x-amzn-RequestId``, ``x-amz-apigw-id``; ``X-Amzn-Trace-Id`` on successes;
    ``Server: Server`` (observed on private API answers).
    """
    now = int(time.time())
    # one read of the random source for both ids (every system call costs a GIL round trip)
    random = os.urandom(23)
    extra = [
        ("Date", _http_date(now)),
        ("x-amzn-RequestId", request_id),
        ("x-amz-apigw-id", new_apigw_id(random[:11])),
    ]
    if answer.status < 400:
        extra.append(("X-Amzn-Trace-Id", f"Root=1-{now:08x}-{random[11:].hex()}"))
    return replace(answer, headers=(*extra, *answer.headers, ("Server", "Server")))


def _json_error(
    status: int,
    message: str | None,
    error_type: str | None,
    cause: str,
    *,
    key: str = "message",
    close: bool = False,
) -> Answer:
    # API Gateway's default gateway-response template is {"message":$context.error.messageString};
    # the IAM/policy denials are quoted by AWS with a capital "Message" key.
    body = json.dumps({key: message}, separators=(",", ":")).encode()
    headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return Answer(status, body, tuple(headers), cause, close)


def forbidden() -> Answer:
    """Wrong endpoint: public API through the endpoint, unknown Host, disabled default endpoint."""
    return _json_error(403, "Forbidden", "ForbiddenException", "http.wrong-endpoint")


def strict_mismatch() -> Answer:
    """``STRICT`` endpoint access mode: the TLS server name and ``Host`` do not name one API."""
    # unverified (reference open question 2): AWS does not document the answer when STRICT
    # rejects a call; modelled as the answer to a request API Gateway cannot route.
    return forbidden()


def association_missing() -> Answer:
    """A private custom domain called through an endpoint without a ready access association."""
    # unverified (reference open question 4): modelled as the answer to an unroutable Host.
    return forbidden()


def missing_token() -> Answer:
    """No such stage/resource/method, or an IAM-authorised method called unsigned."""
    return _json_error(
        403,
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
        "http.missing-token",
    )


def incomplete_signature(authorization: str) -> Answer:
    """A missing route called with a non-SigV4 ``Authorization`` header (e.g. ``Bearer``)."""
    message = (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={authorization}"
    )
    # ErrorType observed, not documented (reference: "(obs.)").
    return _json_error(403, message, "IncompleteSignatureException", "http.incomplete-signature")


def incomplete_signature_parts(missing: list[str], authorization: str) -> Answer:
    """A SigV4 ``Authorization`` header that lacks some of its parts."""
    message = " ".join(missing) + f" Authorization={authorization}"
    return _json_error(403, message, "IncompleteSignatureException", "http.incomplete-signature")


def signature_mismatch(canonical_request: str, string_to_sign: str) -> Answer:
    """The signature does not match: AWS's text, then the canonical request it computed."""
    message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details.\n\n"
        f"The Canonical String for this request should have been\n'{canonical_request}'\n\n"
        f"The String-to-Sign should have been\n'{string_to_sign}'\n"
    )
    return _json_error(403, message, "InvalidSignatureException", "http.signature-mismatch")


def signature_problem(message: str) -> Answer:
    """Other SigV4 problems (wrong scope, host not signed): ``InvalidSignatureException``."""
    return _json_error(403, message, "InvalidSignatureException", "http.signature-mismatch")


def clock_skew(message: str) -> Answer:
    """``Signature expired: ... is now earlier than ... (... - 5 min.)``."""
    return _json_error(403, message, "InvalidSignatureException", "http.clock-skew")


def invalid_token() -> Answer:
    """Unknown access key id or a wrong session token."""
    # The Knowledge Center lists AccessDeniedException for this text; other AWS front doors use
    # UnrecognizedClientException. unverified: the reference says to match on the text.
    return _json_error(
        403,
        "The security token included in the request is invalid.",
        "AccessDeniedException",
        "http.invalid-token",
    )


def expired_token() -> Answer:
    """An expired session token (gateway response type ``EXPIRED_TOKEN``)."""
    # unverified for API Gateway: both the text and the ErrorType are the STS/IAM ones.
    return _json_error(
        403,
        "The security token included in the request is expired",
        "ExpiredTokenException",
        "http.expired-token",
    )


def access_denied(user: str, resource_arn: str, *, explicit: bool) -> Answer:
    """Resource policy or IAM denial: ``User: <user> is not authorized to perform: ...``."""
    message = (
        f"User: {user} is not authorized to perform: execute-api:Invoke on resource: {resource_arn}"
    )
    if explicit:
        message += " with an explicit deny"
    return _json_error(
        403,
        message,
        "AccessDeniedException",
        "http.explicit-deny" if explicit else "http.implicit-deny",
        key="Message",
    )


def endpoint_policy_denied(user: str, resource_arn: str, *, explicit: bool) -> Answer:
    """The VPC endpoint policy blocks the call."""
    # unverified: AWS's exact text is not documented; observed texts contain
    # "no VPC endpoint policy allows the execute-api:Invoke action", which is IAM's wording.
    # The explicit form copies IAM's "with an explicit deny in a VPC endpoint policy".
    base = (
        f"User: {user} is not authorized to perform: execute-api:Invoke on resource: {resource_arn}"
    )
    if explicit:
        message = base + " with an explicit deny in a VPC endpoint policy"
    else:
        message = base + " because no VPC endpoint policy allows the execute-api:Invoke action"
    return _json_error(
        403, message, "AccessDeniedException", "http.endpoint-policy-deny", key="Message"
    )


def authorizer_denied(*, explicit: bool) -> Answer:
    """The Lambda authorizer's policy denied (or did not allow) the call."""
    message = "User is not authorized to access this resource"
    if explicit:
        message += " with an explicit deny"
    return _json_error(403, message, "AccessDeniedException", "http.authorizer-deny", key="Message")


def unauthorized() -> Answer:
    """The authorizer said unauthenticated (gateway response ``UNAUTHORIZED``)."""
    # unverified: the reference gives no ErrorType for 401; UnauthorizedException is the
    # gateway-response naming pattern.
    return _json_error(401, "Unauthorized", "UnauthorizedException", "http.unauthorized")


def authorizer_failure() -> Answer:
    """The authorizer raised or returned garbage (``AUTHORIZER_FAILURE``)."""
    # unverified: commonly seen as {"message": null} with AuthorizerConfigurationException.
    return _json_error(500, None, "AuthorizerConfigurationException", "http.backend-error")


def throttled() -> Answer:
    """Throttled: 429 ``Too Many Requests``, no ``Retry-After`` (observed)."""
    return _json_error(429, "Too Many Requests", "TooManyRequestsException", "http.throttled")


def quota_exceeded() -> Answer:
    """Usage-plan quota used up: 429 ``Limit Exceeded``."""
    return _json_error(429, "Limit Exceeded", "LimitExceededException", "http.quota-exceeded")


def payload_too_large() -> Answer:
    """Body over 10 MB: **plain text**, not JSON, and not customisable."""
    # unverified: the ErrorType header for 413 is unknown, so none is sent.
    return Answer(
        413,
        f"HTTP content length exceeded {MAX_BODY_BYTES} bytes.".encode(),
        (("Content-Type", "text/plain"),),
        "http.payload-too-large",
        close=True,
    )


def head_too_large() -> Answer:
    """Request line + header values over 10,240 bytes (API Gateway's REST quota)."""
    # unverified: AWS documents the quota, not the answer. One source quotes the text
    # "HTTP header is larger than 10240 bytes." (Netty's wording, as a plain-text answer like
    # the 413's); the status is a guess: 431 Request Header Fields Too Large; no ErrorType.
    return Answer(
        431,
        f"HTTP header is larger than {MAX_HEAD_BYTES} bytes.".encode(),
        (("Content-Type", "text/plain"),),
        "http.request-too-large",
        close=True,
    )


def uri_too_long() -> Answer:
    """The method ARN over 1,600 bytes: 414 ``Request URI too long`` (status documented)."""
    # unverified: the body and ErrorType; the default gateway-response shape is used.
    return _json_error(414, "Request URI too long", None, "http.request-too-large")


def bad_request() -> Answer:
    """A request the HTTP layer cannot parse (framing errors, smuggling attempts)."""
    # unverified: API Gateway's text for malformed HTTP is not documented.
    # No cause: the client never sees a well-formed request get this.
    return Answer(
        400,
        b'{"message":"Bad Request"}',
        (("Content-Type", "application/json"),),
        None,
        close=True,
    )


def internal_error(status: int = 500, message: str = "Internal server error") -> Answer:
    """A 5xx from the integration (or a fault)."""
    # "Internal server error" is API Gateway's default INTEGRATION_FAILURE/DEFAULT_5XX message;
    # the ErrorType is unverified.
    return _json_error(status, message, "InternalServerErrorException", "http.backend-error")
