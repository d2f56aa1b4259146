"""privateapi._aws: sessions and clients, the error-code table, retries, deadlines, redaction.

Calls go through botocore's real wire protocol to stand-ins on 127.0.0.1 (admin_lab's
ScriptedAws) or to moto's server; nothing leaves the machine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from admin_lab import REGION, Answer, Moto, ScriptedAws, json_answer
from hypothesis import given
from hypothesis import strategies as st

from privateapi import _aws
from privateapi._aws import Aws, AwsError, cause_of, readable_message
from privateapi._causes import CAUSES
from privateapi._errors import InvalidInputError

API = "a1b2c3d4e5"
CANARY_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CANARY_TOKEN = "IQoJb3JpZ2luX2VjECANARYTOKENzzzzzzzz"


def _throttled(code: str = "TooManyRequestsException") -> Answer:
    return json_answer({"message": "Too Many Requests"}, 429, **{"x-amzn-ErrorType": code})


def _unavailable() -> Answer:
    return json_answer({"message": "try later"}, 503, **{"x-amzn-ErrorType": "ServiceUnavailable"})


# --- the one error-code table ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "message", "cause"),
    [
        ("AccessDeniedException", 403, "User x is not authorized", "aws.access-denied"),
        ("UnauthorizedOperation", 403, "", "aws.access-denied"),  # EC2
        ("AccessDenied", 403, "", "aws.access-denied"),  # STS
        ("ExpiredTokenException", 403, "", "aws.credentials-rejected"),  # the old admin list
        ("ExpiredToken", 400, "", "aws.credentials-rejected"),  # the old doctor list
        ("InvalidClientTokenId", 403, "", "aws.credentials-rejected"),
        ("UnrecognizedClientException", 403, "", "aws.credentials-rejected"),
        ("AuthFailure", 401, "", "aws.credentials-rejected"),
        (
            "AccessDeniedException",
            403,
            "The security token included in the request is invalid.",
            "aws.credentials-rejected",
        ),
        ("TooManyRequestsException", 429, "", "aws.throttled"),
        ("RequestLimitExceeded", 503, "", "aws.throttled"),
        ("NotFoundException", 404, "Invalid Rest API Id specified", "aws.not-found"),
        ("InvalidVpcEndpointId.NotFound", 400, "", "aws.not-found"),
        ("InvalidVpcID.NotFound", 400, "", "aws.not-found"),
        ("403", 403, "Forbidden", "aws.access-denied"),  # no AWS error code in the body
        ("404", 404, "", "aws.not-found"),
        (None, 500, "", "aws.call-failed"),
        ("ConflictException", 409, "busy", "aws.call-failed"),
        (
            "Other",
            400,
            "The security token included in the request is expired",
            "aws.credentials-rejected",
        ),
        ("BadRequestException", 400, "nope", "aws.call-failed"),
    ],
)
def test_error_codes_map_to_causes(code: str | None, status: int, message: str, cause: str) -> None:
    assert cause_of(code, status, message) == cause


@given(
    st.one_of(st.none(), st.text(max_size=40)),
    st.one_of(st.none(), st.integers(0, 999)),
    st.text(max_size=80),
)
def test_every_answer_has_a_known_cause(code: str | None, status: int | None, message: str) -> None:
    assert cause_of(code, status, message) in CAUSES


def test_readable_message_is_one_scrubbed_line() -> None:
    assert readable_message("<html><body>404</body></html>").startswith("an HTML page instead")
    assert readable_message("first\nsecond") == "first"
    assert len(readable_message("x" * 1000)) == 300
    text = readable_message(f"mismatch x-amz-security-token:{CANARY_TOKEN} Signature=abcdef0123")
    assert CANARY_TOKEN not in text and "abcdef0123" not in text


# --- validation and configuration --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["ftp://x", "not a url", "http://", "http://[::1", "http://h:99999", "http://h:0", 5, None],
)
def test_bad_endpoint_urls_are_refused(url: object) -> None:
    with pytest.raises(InvalidInputError, match="endpoint_url"):
        _aws.validate_endpoint_url(url)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_timeouts_are_positive_and_finite(value: float) -> None:
    if 0 < value < 1e9:
        assert _aws.validate_timeout(value) == value
    else:
        with pytest.raises(InvalidInputError, match="timeout"):
            _aws.validate_timeout(value)


def test_timeout_and_attempts_types() -> None:
    for bad in (True, "3", None):
        with pytest.raises(InvalidInputError, match="timeout"):
            _aws.validate_timeout(bad)
    for attempts in (0, -1, True, 1.5):
        with pytest.raises(InvalidInputError, match="max_attempts"):
            Aws(region=REGION, max_attempts=attempts)  # type: ignore[arg-type]


def test_a_bad_configured_endpoint_is_an_input_error(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "garbage")
    with pytest.raises(InvalidInputError, match="the configured apigateway endpoint"):
        Aws(region=REGION).client("apigateway")


def test_endpoint_per_service_or_for_all() -> None:
    one = Aws(region=REGION, endpoint_url="http://127.0.0.1:9")
    assert one.endpoint_for("sts") == one.endpoint_for("ec2") == "http://127.0.0.1:9"
    some = Aws(region=REGION, endpoint_url={"apigateway": "http://127.0.0.1:9"})
    assert some.endpoint_for("apigateway") == "http://127.0.0.1:9"
    assert some.endpoint_for("sts") is None  # botocore's own (AWS_ENDPOINT_URL...) applies


def test_region_sources(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Aws(region="eu-west-1").region == "eu-west-1"
    assert Aws().region == REGION  # AWS_REGION
    monkeypatch.setenv("AWS_REGION", "mars-1")
    with pytest.raises(InvalidInputError, match="region 'mars-1'"):
        _ = Aws().region
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    assert Aws().region == "ap-south-1"  # botocore's configuration
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(InvalidInputError, match="region is missing") as info:
        _ = Aws().region
    assert "--" not in str(info.value)


def test_unknown_profile_is_an_input_error(aws_env: None) -> None:
    with pytest.raises(InvalidInputError, match="profile 'ghost'"):
        _ = Aws(region=REGION, profile="ghost").session
    # The unchecked session (the credential chain's) is botocore's plain one.
    assert _aws.botocore_session("ghost").profile == "ghost"


def test_max_attempts_from_the_environment(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Aws(region=REGION).max_attempts == _aws.DEFAULT_MAX_ATTEMPTS
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "5")
    assert Aws(region=REGION).max_attempts == 5
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "abc")
    assert Aws(region=REGION).max_attempts == _aws.DEFAULT_MAX_ATTEMPTS
    assert Aws(region=REGION, max_attempts=1).max_attempts == 1


def test_one_client_per_service_checked_for_lies(aws_env: None) -> None:
    aws = Aws(region=REGION, endpoint_url="http://127.0.0.1:9")
    client = aws.client("apigateway")
    assert aws.client("apigateway") is client
    assert client.meta.region_name == REGION
    assert client.meta.config.read_timeout == aws.timeout
    assert client.meta.config.retries["total_max_attempts"] == 1  # retries are ours


# --- calls -------------------------------------------------------------------------------------


def test_a_call_returns_the_answer_without_metadata(moto: Moto) -> None:
    api_id = moto.private_api()
    answer = Aws(region=REGION, endpoint_url=moto.url).call(
        "apigateway", "GetRestApi", {"restApiId": api_id}
    )
    assert answer["id"] == api_id
    assert "ResponseMetadata" not in answer


def test_paginate_follows_positions(scripted_aws: Callable[..., ScriptedAws]) -> None:
    server = scripted_aws(
        # API Gateway's JSON calls the list "item"; botocore names it "items".
        json_answer({"item": [{"id": "a"}], "position": "p2"}),
        json_answer({"item": [{"id": "b"}]}),
    )
    aws = Aws(region=REGION, endpoint_url=server.url)
    pages = list(aws.paginate("apigateway", "GetDeployments", {"restApiId": API}))
    assert [p["items"][0]["id"] for p in pages] == ["a", "b"]
    assert "position=p2" in server.requests[1][1]


@pytest.mark.parametrize("first", [_throttled(), _unavailable()], ids=["429", "503"])
def test_transient_errors_are_retried(
    scripted_aws: Callable[..., ScriptedAws], first: Answer
) -> None:
    server = scripted_aws(first, first, json_answer({"id": API}))
    answer = Aws(region=REGION, endpoint_url=server.url).call(
        "apigateway", "GetRestApi", {"restApiId": API}
    )
    assert answer["id"] == API
    assert len(server.requests) == 3


def test_retries_stop_at_max_attempts(scripted_aws: Callable[..., ScriptedAws]) -> None:
    server = scripted_aws(_throttled())
    with pytest.raises(AwsError) as info:
        Aws(region=REGION, endpoint_url=server.url, max_attempts=2).call(
            "apigateway", "GetRestApi", {"restApiId": API}
        )
    assert len(server.requests) == 2
    assert info.value.cause_code == "aws.throttled"
    assert info.value.transient


def test_retries_never_sleep_past_the_deadline(scripted_aws: Callable[..., ScriptedAws]) -> None:
    server = scripted_aws(_unavailable())
    aws = Aws(region=REGION, endpoint_url=server.url, max_attempts=50, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(AwsError, match="ServiceUnavailable"):
        aws.call("apigateway", "GetRestApi", {"restApiId": API})
    assert time.monotonic() - started < 4.0
    assert len(server.requests) < 50


def test_permanent_errors_are_not_retried(scripted_aws: Callable[..., ScriptedAws]) -> None:
    server = scripted_aws(
        json_answer(
            {"message": "Invalid Rest API Id"}, 404, **{"x-amzn-ErrorType": "NotFoundException"}
        )
    )
    with pytest.raises(AwsError) as info:
        Aws(region=REGION, endpoint_url=server.url).call(
            "apigateway", "GetRestApi", {"restApiId": API}
        )
    assert len(server.requests) == 1
    assert (info.value.code, info.value.status) == ("NotFoundException", 404)
    assert info.value.cause_code == "aws.not-found"
    assert info.value.aws_message == "Invalid Rest API Id"


def test_a_refused_connection_is_retried_then_unreachable(aws_env: None) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(AwsError, match="could not reach") as info:
        Aws(region=REGION, endpoint_url=f"http://127.0.0.1:{port}", max_attempts=2).call(
            "apigateway", "GetRestApi", {"restApiId": API}
        )
    assert info.value.cause_code == "aws.unreachable"
    assert info.value.transient


def test_an_expired_deadline_makes_no_call(scripted_aws: Callable[..., ScriptedAws]) -> None:
    server = scripted_aws(json_answer({"id": API}))
    aws = Aws(region=REGION, endpoint_url=server.url, deadline=time.monotonic() - 1)
    with pytest.raises(AwsError, match="did not answer within"):
        aws.call("apigateway", "GetRestApi", {"restApiId": API})
    assert server.requests == []


def test_an_empty_answer_is_fine_where_aws_sends_none(
    scripted_aws: Callable[..., ScriptedAws],
) -> None:
    server = scripted_aws(Answer(202))
    aws = Aws(region=REGION, endpoint_url=server.url)
    assert aws.call("apigateway", "DeleteRestApi", {"restApiId": API}) == {}


def test_xml_answers_are_read(scripted_aws: Callable[..., ScriptedAws]) -> None:
    body = (
        b'<DescribeVpcEndpointsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        b"<vpcEndpointSet/></DescribeVpcEndpointsResponse>"
    )
    server = scripted_aws(Answer(200, body, {"Content-Type": "text/xml"}))
    answer = Aws(region=REGION, endpoint_url=server.url).call("ec2", "DescribeVpcEndpoints", {})
    assert answer.get("VpcEndpoints", []) == []


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><h1>Proxy login</h1></body></html>",  # well-formed: parses as XML
        b"<SomethingElseResponse><vpcEndpointSet/></SomethingElseResponse>",
    ],
)
def test_xml_that_is_not_the_operations_answer_is_a_bad_answer(
    scripted_aws: Callable[..., ScriptedAws], body: bytes
) -> None:
    server = scripted_aws(Answer(200, body, {"Content-Type": "text/xml"}))
    with pytest.raises(AwsError, match=r"answer could not be read") as info:
        Aws(region=REGION, endpoint_url=server.url).call("ec2", "DescribeVpcEndpoints", {})
    assert info.value.cause_code == "aws.bad-answer"


def test_a_json_array_is_not_an_answer(scripted_aws: Callable[..., ScriptedAws]) -> None:
    server = scripted_aws(json_answer([1, 2, 3]))
    with pytest.raises(AwsError, match=r"9 bytes of application/json that are not a JSON") as info:
        Aws(region=REGION, endpoint_url=server.url).call(
            "apigateway", "GetRestApi", {"restApiId": API}
        )
    assert info.value.cause_code == "aws.bad-answer"
    assert "expected API Gateway's GetRestApi response" in str(info.value)


def test_an_echoed_body_is_never_quoted(scripted_aws: Callable[..., ScriptedAws]) -> None:
    """A stand-in that reflects the request: its text may carry the signed headers."""
    server = scripted_aws(Answer(200, f"echo: x-amz-security-token={CANARY_TOKEN}".encode()))
    with pytest.raises(AwsError) as info:
        Aws(
            region=REGION, endpoint_url=server.url, credentials=("AKIDEXAMPLE", CANARY_SECRET)
        ).call("apigateway", "GetRestApi", {"restApiId": API})
    assert "bytes of no content type that are not a JSON object" in str(info.value)
    assert CANARY_TOKEN not in str(info.value)


@pytest.mark.parametrize(
    "form",
    [
        "SessionToken={token}",
        "('x-amz-security-token', '{token}')",
        "token%3D{token}",
        "key {secret} was used",
    ],
)
def test_echoed_secrets_never_reach_an_error(
    scripted_aws: Callable[..., ScriptedAws], form: str
) -> None:
    text = form.format(token=CANARY_TOKEN, secret=CANARY_SECRET)
    server = scripted_aws(
        json_answer({"message": text}, 403, **{"x-amzn-ErrorType": "AccessDeniedException"})
    )
    aws = Aws(
        region=REGION,
        endpoint_url=server.url,
        credentials=("AKIDEXAMPLE", CANARY_SECRET, CANARY_TOKEN),
    )
    with pytest.raises(AwsError) as info:
        aws.call("apigateway", "GetRestApi", {"restApiId": API})
    for where in (str(info.value), info.value.aws_message, repr(info.value.args)):
        assert CANARY_TOKEN not in where and CANARY_SECRET not in where
    assert "<redacted>" in info.value.aws_message


def test_chain_credentials_are_redacted_too(
    scripted_aws: Callable[..., ScriptedAws], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    server = scripted_aws(
        json_answer(
            {"message": f"bad {CANARY_TOKEN}"}, 403, **{"x-amzn-ErrorType": "AccessDeniedException"}
        )
    )
    with pytest.raises(AwsError) as info:
        Aws(region=REGION, endpoint_url=server.url).call(
            "apigateway", "GetRestApi", {"restApiId": API}
        )
    assert CANARY_TOKEN not in str(info.value)


def test_no_credentials(
    scripted_aws: Callable[..., ScriptedAws], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    server = scripted_aws(json_answer({"id": API}))
    with pytest.raises(AwsError, match="no usable AWS credentials") as info:
        Aws(region=REGION, endpoint_url=server.url).call(
            "apigateway", "GetRestApi", {"restApiId": API}
        )
    assert info.value.cause_code == "creds.missing"
    assert server.requests == []


class _Broken:
    """A ready client whose calls fail in the ways botocore's can."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.meta = type("Meta", (), {"region_name": REGION})()

    def get_rest_api(self, **_: Any) -> Any:
        raise self.error


def test_botocore_failures_become_causes() -> None:
    from botocore.exceptions import ParamValidationError

    def cause(error: BaseException) -> str:
        aws = Aws(clients={"apigateway": _Broken(error)})
        with pytest.raises(AwsError) as info:
            aws.call("apigateway", "GetRestApi", {"restApiId": API})
        return info.value.cause_code

    assert cause(ParamValidationError(report="restApiId is wrong")) == "aws.call-failed"


def test_a_bug_is_not_disguised_as_an_aws_error() -> None:
    aws = Aws(clients={"apigateway": _Broken(RuntimeError("a bug"))})
    with pytest.raises(RuntimeError, match="a bug"):
        aws.call("apigateway", "GetRestApi", {"restApiId": API})


def test_a_stalled_call_holds_its_slot_until_it_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """Abandoned calls cannot pile up threads: at most MAX_CONCURRENT_CALLS exist."""
    monkeypatch.setattr(_aws, "_SLOTS", threading.BoundedSemaphore(1))
    release = threading.Event()
    with pytest.raises(_aws._StalledError):
        _aws._run_bounded(release.wait, time.monotonic() + 0.2)
    with pytest.raises(_aws._StalledError):  # the slot is still taken by the stalled call
        _aws._run_bounded(lambda: 1, time.monotonic() + 0.2)
    release.set()
    assert _aws._run_bounded(lambda: 2, time.monotonic() + 30) == 2
    with pytest.raises(KeyError):
        _aws._run_bounded(lambda: {}["x"], time.monotonic() + 30)
