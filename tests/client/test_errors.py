"""Every row of the error table in aws-private-apis.md §3, classified."""

from __future__ import annotations

import httpx
import pytest

from privateapi import _errors as e
from privateapi._causes import CAUSES

RID = {"x-amzn-RequestId": "11111111-2222-3333-4444-555555555555"}
ARN = "arn:aws:execute-api:us-east-1:123456789012:abcde12345/prod/GET/items"

ROWS = [
    # (name, status, body, error type, expected class, cause)
    (
        "explicit-deny",
        403,
        {
            "Message": f"User: anonymous is not authorized to perform: execute-api:Invoke on"
            f" resource: {ARN} with an explicit deny"
        },
        "AccessDeniedException",
        e.ExplicitDenyError,
        "http.explicit-deny",
    ),
    (
        "implicit-deny",
        403,
        {
            "Message": "User: anonymous is not authorized to perform: execute-api:Invoke on"
            " resource: arn:aws:execute-api:us-east-1:********/****/****/"
        },
        "AccessDeniedException",
        e.ImplicitDenyError,
        "http.implicit-deny",
    ),
    (
        "endpoint-policy",
        403,
        {
            "Message": "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform:"
            " execute-api:Invoke because no VPC endpoint policy allows the"
            " execute-api:Invoke action"
        },
        None,
        e.EndpointPolicyDenyError,
        "http.endpoint-policy-deny",
    ),
    (
        "authorizer-deny",
        403,
        {"Message": "User is not authorized to access this resource with an explicit deny"},
        "AccessDeniedException",
        e.AuthorizerDenyError,
        "http.authorizer-deny",
    ),
    (
        "unauthorized",
        401,
        {"message": "Unauthorized"},
        None,
        e.UnauthorizedError,
        "http.unauthorized",
    ),
    (
        "wrong-endpoint",
        403,
        {"message": "Forbidden"},
        "ForbiddenException",
        e.WrongEndpointError,
        "http.wrong-endpoint",
    ),
    (
        "missing-token",
        403,
        {"message": "Missing Authentication Token"},
        "MissingAuthenticationTokenException",
        e.MissingAuthenticationTokenError,
        "http.missing-token",
    ),
    (
        "incomplete-signature",
        403,
        {
            "message": "Authorization header requires 'Credential' parameter. Authorization"
            " header requires 'Signature' parameter. Authorization=Bearer s3cr3t"
        },
        "IncompleteSignatureException",
        e.IncompleteSignatureError,
        "http.incomplete-signature",
    ),
    (
        "signature-mismatch",
        403,
        {
            "message": "The request signature we calculated does not match the signature you"
            " provided. Check your AWS Secret Access Key and signing method."
        },
        "InvalidSignatureException",
        e.SignatureMismatchError,
        "http.signature-mismatch",
    ),
    (
        "clock-skew",
        403,
        {
            "message": "Signature expired: 20141106T010406Z is now earlier than 20141106T011252Z"
            " (20141106T011752Z - 5 min.)"
        },
        "InvalidSignatureException",
        e.ClockSkewError,
        "http.clock-skew",
    ),
    (
        "invalid-token",
        403,
        {"message": "The security token included in the request is invalid."},
        "AccessDeniedException",
        e.InvalidTokenError,
        "http.invalid-token",
    ),
    (
        "expired-token",
        403,
        {"message": "The security token included in the request is expired"},
        "ExpiredTokenException",
        e.ExpiredTokenError,
        "http.expired-token",
    ),
    (
        "throttled",
        429,
        {"message": "Too Many Requests"},
        "TooManyRequestsException",
        e.ThrottledError,
        "http.throttled",
    ),
    (
        "quota",
        429,
        {"message": "Limit Exceeded"},
        "LimitExceededException",
        e.QuotaExceededError,
        "http.quota-exceeded",
    ),
    (
        "payload-too-large",
        413,
        "HTTP content length exceeded 10485760 bytes.",
        None,
        e.PayloadTooLargeError,
        "http.payload-too-large",
    ),
    (
        "backend-500",
        500,
        {"message": "Internal server error"},
        None,
        e.BackendError,
        "http.backend-error",
    ),
    (
        "backend-504",
        504,
        {"message": "Endpoint request timed out"},
        None,
        e.BackendError,
        "http.backend-error",
    ),
    (
        "backend-4xx",
        404,
        {"error": "no such pet"},
        None,
        e.BackendRejectedError,
        "http.backend-rejected",
    ),
]


def _response(
    status: int, body: object, error_type: str | None, with_apigw: bool = True
) -> httpx.Response:
    headers = dict(RID) if with_apigw else {}
    if error_type:
        headers["x-amzn-ErrorType"] = f"{error_type}:http://internal.amazon.com/coral/x/"
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_each_row_is_classified(row: tuple) -> None:
    _name, status, body, error_type, cls, cause = row
    err = e.classify(_response(status, body, error_type))
    assert type(err) is cls
    assert err is not None
    assert err.cause_code == cause
    assert cause in CAUSES
    assert err.request_id == RID["x-amzn-RequestId"]
    assert err.hint
    assert str(status) in str(err)
    if error_type:
        assert err.error_type == error_type


def test_success_is_none() -> None:
    assert e.classify(httpx.Response(200, json={})) is None
    assert e.classify_parts(302, {}, b"") is None


def test_not_api_gateway() -> None:
    err = e.classify(_response(403, {"message": "Forbidden"}, None, with_apigw=False))
    assert isinstance(err, e.NotApiGatewayError)
    assert err.cause_code == "http.not-api-gateway"


def test_incomplete_signature_echo_is_redacted() -> None:
    row = next(r for r in ROWS if r[0] == "incomplete-signature")
    err = e.classify(_response(row[1], row[2], row[3]))
    assert err is not None
    assert "s3cr3t" not in str(err)
    assert "Authorization=<redacted>" in err.message


def test_signature_mismatch_exposes_expected_strings_redacted() -> None:
    msg = (
        "The request signature we calculated does not match the signature you provided."
        "\n\nThe Canonical String for this request should have been\n'GET\n/prod\n\n"
        "host:h\nx-amz-security-token:CANARYTOKEN\n\nhost;x-amz-security-token\nabc'\n\n"
        "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20150830T123600Z\ns\nd'\n"
    )
    err = e.classify(_response(403, {"message": msg}, "InvalidSignatureException"))
    assert isinstance(err, e.SignatureMismatchError)
    assert "CANARYTOKEN" not in str(err)
    creq = err.expected_canonical_request
    assert creq is not None
    assert creq.startswith("GET\n/prod")
    assert "x-amz-security-token:<redacted>" in creq
    assert err.expected_string_to_sign == "AWS4-HMAC-SHA256\n20150830T123600Z\ns\nd"


def test_signature_mismatch_without_quote() -> None:
    err = e.SignatureMismatchError(status_code=403, message="no quote")
    assert err.expected_canonical_request is None
    assert err.expected_string_to_sign is None


def test_message_shapes() -> None:
    assert e._message_of(b"not json {") == "not json {"
    assert e._message_of("{bad json") == "{bad json"
    assert e._message_of(b'["a"]') == '["a"]'
    assert e._message_of(b'{"errorMessage": "x"}') == "x"


def test_forbidden_fallbacks() -> None:
    assert e.classify_parts(403, RID, b'{"message": "something else"}') is e.ForbiddenError
    assert (
        e.classify_parts(
            403,
            {**RID, "x-amzn-ErrorType": "AccessDeniedException"},
            b'{"Message": "custom explicit deny text"}',
        )
        is e.ExplicitDenyError
    )
    assert (
        e.classify_parts(
            403, {**RID, "x-amzn-ErrorType": "AccessDeniedException"}, b'{"Message": "custom"}'
        )
        is e.ImplicitDenyError
    )


def test_transport_error_carries_code_and_hint() -> None:
    err = e.TransportError("boom", code="tcp.refused")
    assert err.cause_code == "tcp.refused"
    assert err.hint
    assert e.TransportError("x").cause_code == "http.connection-failed"


def test_scrub() -> None:
    text = "Signature=abc123 x-amz-security-token=TOKEN&a=1 Authorization=Bearer xyz"
    out = e.scrub(text)
    assert "abc123" not in out
    assert "TOKEN" not in out
    assert "xyz" not in out
