"""Every error answer the local gateway gives, with AWS's status, body and headers.

The strings are copied from ``aws-private-apis.md`` §3 (the facts table) character
for character; the client's :func:`privateapi._errors.classify` must map each answer
to the cause code the tests expect. Where AWS's exact text or ``x-amzn-ErrorType`` is
not known, the choice is marked ``unverified`` next to it.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from dataclasses import dataclass, field

from privateapi._errors import InvalidInputError

__all__ = ["Answer", "LabConfigError", "new_apigw_id", "new_request_id"]


class LabConfigError(InvalidInputError):
    """A bad local-gateway configuration (names the key, the value and what was expected).

    The value of a secret-looking key (a secret key, a session token, a password) is
    never echoed: a typo in a credentials table must not print the credential.
    """

    def __init__(self, field: str, value: object, expected: str) -> None:
        if any(word in field.lower() for word in ("secret", "token", "password")):
            value = "<redacted>"
        super().__init__(field, value, expected)


def new_request_id() -> str:
    """An ``x-amzn-RequestId``: a random UUID, as API Gateway sends."""
    return str(uuid.uuid4())


def new_apigw_id() -> str:
    """An ``x-amz-apigw-id``: 16 base64 characters (11 random bytes), like ``Jr1IbHt9oAMFXSQ=``."""
    return base64.b64encode(os.urandom(11)).decode("ascii")


@dataclass(slots=True)
class Answer:
    """An HTTP answer the gateway sends (success or error), before framing."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    #: the cause code the client should classify this answer as (errors only; for tests/logs)
    cause: str | None = None

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitively."""
        low = name.lower()
        for k, v in self.headers:
            if k.lower() == low:
                return v
        return None


def _json_error(
    status: int, message: str, error_type: str | None, cause: str, *, key: str = "message"
) -> Answer:
    # API Gateway's default gateway-response template is {"message":$context.error.messageString};
    # the IAM/policy denials are quoted by AWS with a capital "Message" key.
    body = json.dumps({key: message}, separators=(",", ":")).encode()
    headers = [("Content-Type", "application/json")]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return Answer(status, body, headers, cause)


def forbidden() -> Answer:
    """Wrong endpoint: public API through the endpoint, unknown Host, disabled default endpoint."""
    return _json_error(403, "Forbidden", "ForbiddenException", "http.wrong-endpoint")


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
    body = b'{"message":null}'
    return Answer(
        500,
        body,
        [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", "AuthorizerConfigurationException"),
        ],
        "http.backend-error",
    )


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
        b"HTTP content length exceeded 10485760 bytes.",
        [("Content-Type", "text/plain")],
        "http.payload-too-large",
    )


def internal_error(status: int = 500, message: str = "Internal server error") -> Answer:
    """A 5xx from the integration (or a fault)."""
    # "Internal server error" is API Gateway's default INTEGRATION_FAILURE/DEFAULT_5XX message;
    # the ErrorType is unverified.
    return _json_error(status, message, "InternalServerErrorException", "http.backend-error")
