"""Bad input gets one clear line and exit 2, never a traceback or an internal error.

Every case runs ``privateapi`` in-process. Nothing leaves loopback: invoke always
connects to 127.0.0.1:9 (a closed port; the bad input is refused before any request),
the doctor runs with ``--no-aws`` and a loopback ``--resolver`` only, and the AWS
commands get ``--endpoint-url http://127.0.0.1:9`` or ``--dry-run``.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from privateapi import InvalidInputError, InvokeTarget, parse_url, split_url
from privateapi.policy import PolicySyntaxError, Request, parse_policy
from privateapi_cli.main import main

API = "a1b2c3d4e5"
URL = f"https://{API}.execute-api.us-east-1.amazonaws.com/prod/pets"
CLOSED = ["--connect-to", "127.0.0.1:9"]
DOCTOR = ["--no-aws", "--no-system-resolver", "--resolver", "127.0.0.1:9", "--timeout", "0.3"]
AWS = ["--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9"]
ARN = f"arn:aws:execute-api:us-east-1:123456789012:{API}/prod/GET/pets"
VPCE = "vpce-0123456789abcdef0"
GOOD_POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",'
    ' "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}'
)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDBADINPUTTEST0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "bad-input-test-secret")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    made = {
        "good": GOOD_POLICY,
        "notjson": "{",
        "deep": "[" * 100_000 + "]" * 100_000,
        "notpem": "not a certificate",
    }
    out = {}
    for name, text in made.items():
        path = tmp_path / f"{name}.txt"
        path.write_text(text)
        out[name] = str(path)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00bad")
    out["binary"] = str(binary)
    out["missing"] = str(tmp_path / "missing.json")
    return out


def _doctor(*extra: str) -> list[str]:
    return ["doctor", *DOCTOR, URL, *CLOSED, *extra]


def _invoke(*extra: str) -> list[str]:
    return ["invoke", URL, *CLOSED, "--timeout", "1", *extra]


# (argv with {name} placeholders for the files fixture, a fragment the error line must hold)
CASES: list[tuple[list[str], str]] = [
    # invoke
    (_invoke("--timeout", "-1"), "timeout"),
    (_invoke("--timeout", "0"), "timeout"),
    (_invoke("--timeout", "nan"), "timeout"),
    (_invoke("--timeout", "inf"), "timeout"),
    (_invoke("--timeout", "1e309"), "timeout"),
    (_invoke("--timeout", "abc"), "--timeout"),
    (_invoke("-H", "no colon"), "expected 'Name: value'"),
    (_invoke("-H", "X: é"), "ASCII"),
    (_invoke("-H", "Bad Name: x"), "header name"),
    (_invoke("-H", "X: a\rb"), "without CR, LF or NUL"),
    (_invoke("-X", "é"), "method"),
    (_invoke("-X", "GE T"), "method"),
    (_invoke("-X", ""), "method"),
    (_invoke("-d", "@{missing}"), "cannot read"),
    (_invoke("--region", "moon-1"), "region 'moon-1'"),
    (_invoke("--region", ""), "region ''"),
    (_invoke("--ca-bundle", "{missing}"), "CA bundle"),
    (_invoke("--ca-bundle", "{notpem}"), "CA bundle"),
    (["invoke", URL, "--connect-to", "", "--timeout", "1"], "connect_to ''"),
    (["invoke", URL, "--connect-to", "127.0.0.1:99999"], "connect_to"),
    (["invoke", "garbage", *CLOSED], "https://"),
    (["invoke", f"https://{API}.execute-api.us-east-1.amazonaws.com:abc/prod", *CLOSED], "url"),
    # doctor
    (_doctor("--timeout", "nan"), "timeout"),
    (_doctor("--timeout", "inf"), "timeout"),
    (_doctor("--timeout", "-1"), "--timeout"),
    (_doctor("--port", "0"), "port"),
    (_doctor("--port", "99999"), "port"),
    (_doctor("--resolver", "garbage"), "--resolver"),
    (_doctor("--resolver", "127.0.0.1:99999"), "resolver"),
    (_doctor("--vpc-cidr", "garbage"), "vpc_cidr"),
    (_doctor("--vpc-cidr", "10.0.0.0/33"), "vpc_cidr"),
    (_doctor("--method", "GE T"), "method"),
    (_doctor("--method", ""), "method"),
    (_doctor("--path", "/a b"), "path"),
    (_doctor("--policy", "{missing}"), "--policy"),
    (_doctor("--policy", "{notjson}"), "not valid JSON"),
    (_doctor("--policy", "{binary}"), "UTF-8"),
    (_doctor("--policy", "{deep}"), "nested too deeply"),
    (_doctor("--region", "us-west-2"), "--region goes with --api-id"),
    (_doctor("--style", "vpce_alias"), "--style goes with --api-id"),
    (_doctor("--stage", "test"), "--stage goes with --api-id"),
    (["doctor", *DOCTOR, URL, "--connect-to", ""], "connect_to ''"),
    # policy
    (["policy", "lint", "{deep}"], "nested too deeply"),
    (["policy", "lint", "{binary}"], "UTF-8"),
    (["policy", "explain", "--policy", "{good}", "--resource", ARN, "--vpce", "vpce-x"], "vpce"),
    (["policy", "explain", "--policy", "{good}", "--resource", ARN, "--vpc", "vpc-x"], "vpc"),
    (["policy", "explain", "--policy", "{good}", "--resource", ARN, "--vpce", ""], "vpce"),
    (
        ["policy", "explain", "--policy", "{good}", "--resource", ARN, "--source-ip", "garbage"],
        "source_ip",
    ),
    (
        [
            *("policy", "explain", "--policy", "{good}", "--resource", "prod/GET/x"),
            *("--api-id", "bad", "--region", "us-east-1", "--account", "123456789012"),
        ],
        "api_id 'bad'",
    ),
    (
        [
            *("policy", "explain", "--policy", "{good}", "--resource", "prod/GET/x"),
            *("--api-id", API, "--region", "moon", "--account", "123456789012"),
        ],
        "region 'moon'",
    ),
    (
        [
            *("policy", "generate", "--vpce", VPCE),
            *("--api-id", API, "--region", "us-east-1", "--account", "1"),
        ],
        "account_id '1'",
    ),
    (
        [
            "policy",
            "apply",
            "--api-id",
            API,
            "{good}",
            "--no-deploy",
            "--account",
            "x",
            "--dry-run",
            *AWS,
        ],
        "account_id 'x'",
    ),
    # demo (refused before any scenario runs)
    (["demo", "--timeout", "nan"], "timeout"),
    (["demo", "--timeout", "-1"], "timeout"),
    # vpce: refused before the association is made
    (
        [
            "vpce",
            "associate",
            "--api-id",
            API,
            "--vpce-id",
            VPCE,
            "--wait",
            "--timeout",
            "nan",
            *AWS,
        ],
        "--timeout nan is not valid",
    ),
    (
        [
            "vpce",
            "associate",
            "--api-id",
            API,
            "--vpce-id",
            VPCE,
            "--wait",
            "--resolver",
            "x",
            *AWS,
        ],
        "resolver 'x'",
    ),
    (
        ["vpce", "associate", "--api-id", API, "--vpce-id", VPCE, "--resolver", "127.0.0.1", *AWS],
        "--resolver goes with --wait",
    ),
    # the control-plane endpoint
    (["status", "--api-id", API, "--region", "us-east-1", "--endpoint-url", "ftp://x"], "ftp://"),
    (
        ["status", "--api-id", API, "--region", "us-east-1", "--endpoint-url", "http://[::1"],
        "--endpoint-url 'http://[::1' is not valid",
    ),
    (
        [
            "status",
            "--api-id",
            API,
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:99999",
        ],
        "--endpoint-url 'http://127.0.0.1:99999' is not valid",
    ),
    (
        [
            "deploy",
            "--api-id",
            API,
            "--stage",
            "prod",
            "--dry-run",
            "--region",
            "us-east-1",
            "--endpoint-url",
            "garbage",
        ],
        "--endpoint-url 'garbage' is not valid",
    ),
]


@pytest.mark.parametrize(("argv", "fragment"), CASES, ids=[" ".join(a)[:90] for a, _ in CASES])
def test_bad_input_is_one_line_exit_2(
    argv: list[str],
    fragment: str,
    files: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = [a.format(**files) if a.startswith(("{", "@{")) else a for a in argv]
    code = main(args)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "internal error" not in err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert fragment in lines[0], lines[0]


LIBRARY: list[tuple[str, object]] = [
    ("private_dns(None)", lambda: InvokeTarget.private_dns(None, "us-east-1", "prod")),  # type: ignore[arg-type]
    ("private_dns(api_id=123)", lambda: InvokeTarget.private_dns(123, "us-east-1", "prod")),  # type: ignore[arg-type]
    ("parse_url(123)", lambda: parse_url(123)),  # type: ignore[arg-type]
    ("split_url(None)", lambda: split_url(None)),  # type: ignore[arg-type]
    ("parse_policy('[]')", lambda: parse_policy("[]")),
    ("parse_policy(deep)", lambda: parse_policy("[" * 100_000 + "]" * 100_000)),
    ("for_private_api(vpce)", lambda: Request.for_private_api(ARN, vpce="vpce-zz")),
    ("for_private_api(vpc)", lambda: Request.for_private_api(ARN, vpc="subnet-12345678")),
    ("for_private_api(ip)", lambda: Request.for_private_api(ARN, source_ip="10.0.0.300")),
]


@pytest.mark.parametrize(("name", "call"), LIBRARY, ids=[n for n, _ in LIBRARY])
def test_library_refuses_wrong_values_with_invalid_input(name: str, call: object) -> None:
    assert callable(call)
    with pytest.raises(InvalidInputError) as info:
        call()
    assert "expected" in str(info.value)


def test_policy_syntax_error_for_nesting_is_an_invalid_input() -> None:
    with pytest.raises(PolicySyntaxError, match="nested too deeply"):
        parse_policy('{"Statement": ' + "[" * 50_000 + "]" * 50_000 + "}")


CLIENT_ARGS: list[tuple[str, dict[str, object], str]] = [
    ("timeout -1", {"timeout": -1}, "timeout"),
    ("timeout 0", {"timeout": 0}, "timeout"),
    ("timeout nan", {"timeout": float("nan")}, "timeout"),
    ("timeout inf", {"timeout": float("inf")}, "timeout"),
    ("region moon", {"region": "moon"}, "region 'moon'"),
    ("region empty", {"region": ""}, "region ''"),
    ("ca bundle missing", {"verify": "/nonexistent/ca.pem"}, "CA bundle"),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "fragment"), CLIENT_ARGS, ids=[c[0] for c in CLIENT_ARGS]
)
def test_client_refuses_bad_arguments(name: str, kwargs: dict[str, object], fragment: str) -> None:
    from privateapi import Client

    with pytest.raises(InvalidInputError, match=fragment):
        Client(URL, credentials=("AKIDEXAMPLE", "secret"), connect_to="127.0.0.1:9", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "headers", "fragment"),
    [
        ("GE T", None, "method"),
        ("", None, "method"),
        ("GET", {"X": "é"}, "ASCII"),
        ("GET", {"Bad Name": "x"}, "header name"),
        ("GET", {"X": "a\nb"}, "CR, LF or NUL"),
    ],
)
def test_client_refuses_bad_requests_before_sending(
    method: str, headers: dict[str, str] | None, fragment: str
) -> None:
    from privateapi import Client

    with (
        Client(URL, sign=False, connect_to="127.0.0.1:9", retries=None) as client,
        pytest.raises(InvalidInputError, match=fragment),
    ):
        client.request(method, "/pets", headers=headers)


def test_requests_adapter_refuses_verify_false_per_request() -> None:
    from privateapi.requests import session

    s = session(URL, sign=False, connect_to="127.0.0.1:9")
    with pytest.raises(InvalidInputError, match="TLS verification stays on"):
        s.get("/pets", verify=False)


# --- malformed AWS answers: named, exit 1, never an internal error ------------------------

MALFORMED_ANSWERS = [
    ("object is a string", {"id": API, "endpointConfiguration": "PRIVATE"}, "could not be read"),
    ("ids not strings", {"id": API, "endpointConfiguration": {"vpcEndpointIds": [5]}}, "strings"),
    ("bad timestamp", {"id": API, "createdDate": "yesterday"}, "timestamp"),
    ("a list, not an object", [1, 2, 3], "could not be read"),
]


@pytest.fixture
def fake_apigateway() -> Iterator[tuple[str, list[Any]]]:
    """A loopback HTTP server answering every call with ``answer[0]`` (status 200)."""
    answer: list[Any] = [{}]

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            body = json.dumps(answer[0]).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = _answer  # noqa: N815 - http.server names

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", answer
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    ("name", "answer", "fragment"), MALFORMED_ANSWERS, ids=[m[0] for m in MALFORMED_ANSWERS]
)
@pytest.mark.parametrize(
    "command",
    [
        ["status", "--api-id", API, "--no-domains"],
        ["vpce", "associate", "--api-id", API, "--vpce-id", VPCE],
        ["deploy", "--api-id", API, "--stage", "prod"],
    ],
    ids=["status", "vpce", "deploy"],
)
def test_malformed_aws_answer_is_named(
    name: str,
    answer: Any,
    fragment: str,
    command: list[str],
    fake_apigateway: tuple[str, list[Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, current = fake_apigateway
    current[0] = answer
    code = main([*command, "--region", "us-east-1", "--endpoint-url", url])
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in out + err
    assert code == 1, err
    assert "GetRestApi" in err and "expected API Gateway's GetRestApi response" in err
    assert fragment in err


def test_doctor_names_an_unreadable_aws_answer(
    fake_apigateway: tuple[str, list[Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, current = fake_apigateway
    current[0] = [1, 2, 3]  # not an object: botocore's parser fails on it
    code = main(
        [
            *("doctor", URL.removesuffix("/pets"), *CLOSED, "--resolver", "127.0.0.1:9"),
            *("--no-system-resolver", "--timeout", "0.5", "--endpoint-url", url, "--json"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err
    checks = {c["id"]: c for c in json.loads(out)["checks"]}
    summary = checks["aws.api"]["summary"]
    assert "internal error" not in summary
    assert "not the AWS API's response" in summary and "endpoint URL" in summary


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf")])
def test_async_client_refuses_bad_timeout(timeout: float) -> None:
    from privateapi import AsyncClient

    with pytest.raises(InvalidInputError, match="timeout"):
        AsyncClient(URL, sign=False, connect_to="127.0.0.1:9", timeout=timeout)
