"""The control plane may lie (issue 12): a 200 that is not AWS's answer, a stalled endpoint.

Each stand-in runs on 127.0.0.1 and is reached through botocore's real wire protocol, as
AWS would be. Before the fix, ``deploy`` printed "deployment None" and exited 0 on every
lie below, and ``status`` against a stalled endpoint took 181 s (60 s read timeout, three
attempts). Time bounds here are generous (4x the timeout): they prove "bounded", not
"fast", and hold on a loaded machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from admin_lab import REGION, Answer, ScriptedAws, StalledEndpoint, json_answer

from privateapi import PrivateApiError, admin
from privateapi_cli.main import main

API = "a1b2c3d4e5"

LIES = [
    pytest.param(
        Answer(
            200, b"<html><body><form>Sign in</form></body></html>", {"Content-Type": "text/html"}
        ),
        "an HTML page",
        id="html-login-page",
    ),
    pytest.param(
        Answer(200, b"", {"Content-Type": "application/json"}), "an empty body", id="empty"
    ),
    pytest.param(
        Answer(200, b"{not json", {"Content-Type": "application/json"}),
        "that are not a JSON object",
        id="invalid-json",
    ),
    pytest.param(
        Answer(302, b"", {"Location": "https://login.example.com/"}),
        "a 302 redirect",
        id="redirect",
    ),
]

OPERATIONS: list[Any] = [
    pytest.param(lambda url: admin.deploy(API, "prod", endpoint_url=url), id="deploy"),
    pytest.param(lambda url: admin.status(API, endpoint_url=url), id="status"),
    pytest.param(
        lambda url: admin.associate_endpoints(
            API, "vpce-0123456789abcdef0", endpoint_url=url, redeploy_stage="prod"
        ),
        id="associate",
    ),
    pytest.param(
        lambda url: admin.apply_policy(
            API,
            {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]},
            stage="prod",
            endpoint_url=url,
        ),
        id="apply-policy",
    ),
]


@pytest.mark.parametrize(("answer", "said"), LIES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_lying_success_is_an_error(
    scripted_aws: Callable[..., ScriptedAws], answer: Answer, said: str, operation: Any
) -> None:
    server = scripted_aws(answer)
    with pytest.raises(admin.AdminError) as info:
        operation(server.url)
    err = info.value
    assert err.cause_code == "aws.bad-answer"
    assert err.operation == "GetRestApi"  # the first call; nothing was changed after it
    assert said in str(err)
    assert "expected API Gateway's GetRestApi response" in str(err)
    assert err.fields == ("endpoint_url",)
    assert "--" not in (err.hint or "")  # the library never names a CLI flag
    assert len(server.requests) == 1  # a lie is not retried


def test_a_lying_deployment_answer_is_an_error(scripted_aws: Callable[..., ScriptedAws]) -> None:
    """GetRestApi is real, CreateDeployment answers 200 with {}: no 'deployment None'."""
    api = {"id": API, "name": "orders", "endpointConfiguration": {"types": ["REGIONAL"]}}
    server = scripted_aws(json_answer(api), json_answer({}))
    with pytest.raises(admin.AdminError, match="no id in the answer") as info:
        admin.deploy(API, "prod", endpoint_url=server.url)
    assert info.value.operation == "CreateDeployment"
    assert info.value.cause_code == "aws.bad-answer"


def test_an_answer_about_another_api_is_an_error(scripted_aws: Callable[..., ScriptedAws]) -> None:
    server = scripted_aws(json_answer({"id": "zzzzzzzzzz", "name": "cached"}))
    with pytest.raises(admin.AdminError, match="about API 'zzzzzzzzzz', not a1b2c3d4e5"):
        admin.status(API, endpoint_url=server.url)


@pytest.mark.parametrize(("answer", "said"), LIES)
def test_the_cli_says_so_and_exits_1(
    scripted_aws: Callable[..., ScriptedAws],
    answer: Answer,
    said: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = scripted_aws(answer)
    code = main(["deploy", "--api-id", API, "--stage", "prod", "--endpoint-url", server.url])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""  # no "Deployed stage prod (deployment None)"
    assert "None" not in err
    assert said in err
    assert "(check --endpoint-url)" in err  # the CLI maps the library's field to its flag


def test_a_stalled_endpoint_is_bounded_by_the_timeout(stalled_endpoint: StalledEndpoint) -> None:
    timeout = 1.5
    started = time.monotonic()
    with pytest.raises(admin.AdminError) as info:
        admin.status(API, endpoint_url=stalled_endpoint.url, timeout=timeout)
    elapsed = time.monotonic() - started
    assert elapsed < 4 * timeout, elapsed
    assert info.value.cause_code == "aws.unreachable"
    assert "did not answer within" in str(info.value)
    assert set(info.value.fields) == {"endpoint_url", "timeout"}


def test_the_timeout_bounds_the_whole_operation(
    scripted_aws: Callable[..., ScriptedAws], warm_session: Any
) -> None:
    """Every call of an operation shares one deadline: slow calls do not add up.

    Each answer comes well within the timeout, but two of them do not: status fails at
    its second call instead of taking twice as long. The margins (2 s of slack for the
    first call, a warm botocore session) keep it true on a loaded machine.
    """
    api = {"id": API, "endpointConfiguration": {"types": ["PRIVATE"]}}
    server = scripted_aws(json_answer(api, delay=4.0), json_answer({"item": []}, delay=4.0))
    timeout = 6.0
    started = time.monotonic()
    with pytest.raises(admin.AdminError, match="did not answer within") as info:
        admin.status(
            API, endpoint_url=server.url, timeout=timeout, session=warm_session, region=REGION
        )
    assert time.monotonic() - started < 4 * timeout
    assert info.value.operation == "GetStages"
    assert len(server.requests) == 2


def test_a_call_that_never_answers_stops_at_the_deadline(
    scripted_aws: Callable[..., ScriptedAws],
) -> None:
    """A server that reads the request and never answers (not only a full backlog)."""
    server = scripted_aws(Answer(200, delay=float("inf")))
    started = time.monotonic()
    with pytest.raises(admin.AdminError, match="did not answer within"):
        admin.deploy(API, "prod", endpoint_url=server.url, timeout=1.0)
    assert time.monotonic() - started < 4.0


def test_the_status_command_is_bounded(stalled_endpoint: StalledEndpoint) -> None:
    """The command as a user runs it: in a subprocess, against the stalled endpoint."""
    timeout = 1.5
    started = time.monotonic()
    done = subprocess.run(
        [
            *(sys.executable, "-m", "privateapi_cli", "status", "--api-id", API),
            *("--region", REGION, "--endpoint-url", stalled_endpoint.url),
            *("--aws-timeout", str(timeout)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert "did not answer within" in done.stderr
    assert "Traceback" not in done.stderr
    # Interpreter start and botocore's import come on top of the timeout: still generous.
    assert elapsed < 4 * timeout + 20, elapsed


def test_the_stalled_doctor_check_skips_in_time(stalled_endpoint: StalledEndpoint) -> None:
    from privateapi import InvokeTarget
    from privateapi.doctor import DoctorOptions, Status, run

    options = DoctorOptions(
        use_system_resolver=False,
        imds=False,
        hosts_file="/dev/null",
        environ={},
        sign=False,
        no_aws=False,
        endpoint_url=stalled_endpoint.url,
        credentials=("testing", "testing"),
        checks=("aws.identity", "aws.api"),
        timeout=1.5,
    )
    started = time.monotonic()
    report = run(InvokeTarget.private_dns(API, REGION, "prod"), options)
    assert time.monotonic() - started < 4 * 1.5 * 2  # two checks, each bounded
    for check in ("aws.identity", "aws.api"):
        result = report.result(check)
        assert result is not None
        assert result.status is Status.SKIP, result.summary
        assert result.cause == "aws.unreachable"


@pytest.mark.parametrize(
    ("answer", "check"),
    [
        pytest.param(
            Answer(200, b"<html>proxy login</html>", {"Content-Type": "text/html"}),
            "aws.identity",
            id="sts-xml-html",
        ),
        pytest.param(Answer(200, b"", {}), "aws.api", id="apigateway-json-empty"),
        pytest.param(
            Answer(200, b"<Nope", {"Content-Type": "text/xml"}), "aws.identity", id="sts-broken-xml"
        ),
    ],
)
def test_the_doctor_warns_about_a_lying_control_plane(
    scripted_aws: Callable[..., ScriptedAws], answer: Answer, check: str
) -> None:
    from privateapi import InvokeTarget
    from privateapi.doctor import DoctorOptions, Status, run

    server = scripted_aws(answer)
    options = DoctorOptions(
        use_system_resolver=False,
        imds=False,
        hosts_file="/dev/null",
        environ={},
        sign=False,
        no_aws=False,
        endpoint_url=server.url,
        credentials=("testing", "testing"),
        checks=(check,),
        timeout=10.0,
    )
    result = run(InvokeTarget.private_dns(API, REGION, "prod"), options).result(check)
    assert result is not None
    assert result.status is Status.WARN, result.summary
    assert result.cause == "aws.bad-answer"
    assert "not the AWS API's response" in result.summary


def test_json_error_document_is_not_a_crash(scripted_aws: Callable[..., ScriptedAws]) -> None:
    """A JSON error answer in AWS's format is still AWS's (a 409 conflict)."""
    server = scripted_aws(
        json_answer({"message": "busy"}, 409, **{"x-amzn-ErrorType": "ConflictException"})
    )
    with pytest.raises(PrivateApiError, match="ConflictException: busy") as info:
        admin.deploy(API, "prod", endpoint_url=server.url)
    assert info.value.cause_code == "aws.call-failed"
    assert json.loads(json.dumps({"hint": info.value.hint}))  # a hint, from the cause
