"""``privateapi doctor`` diagnoses whatever URL a caller can type; only a malformed command
line is a usage error, and with ``--json`` even that is one JSON document on stdout.

Loopback only: a fake DNS, recording HTTPS servers on 127.0.0.0/8, no AWS, no IMDS (the
test session's environment disables metadata).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import trustme
from _dnsstub import DnsStub
from doctor_lab import API_HOST, API_ID, REGION
from stub_servers import GATEWAY_HEADERS, RecordingTLSServer, answer

from privateapi_cli.main import main

EXEC = f"*.execute-api.{REGION}.amazonaws.com"
VPCE_HOST = f"vpce-0a1b2c3d4e5f67890-x1y2z3w4.execute-api.{REGION}.vpce.amazonaws.com"
BARE = f"execute-api.{REGION}.amazonaws.com"


@pytest.fixture
def world(fake_dns: DnsStub, tmp_path: Any) -> Iterator[dict[str, Any]]:
    """Two 'gateways': the execute-api certificate, and the vpce one answering Forbidden."""
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    exec_gw = RecordingTLSServer("127.0.0.81", ca.issue_cert(EXEC))
    forbidden = answer(
        "403 Forbidden",
        b'{"message":"Forbidden"}',
        GATEWAY_HEADERS + "x-amzn-ErrorType: ForbiddenException\r\n",
    )
    # Both listen on the same port number so one --port serves every name below.
    vpce_gw = RecordingTLSServer(
        "127.0.0.82",
        ca.issue_cert(f"*.execute-api.{REGION}.vpce.amazonaws.com"),
        forbidden,
        port=exec_gw.port,
    )
    fake_dns.records.update(
        {
            API_HOST + ".": {"A": ["127.0.0.81"]},
            BARE + ".": {"A": ["127.0.0.81"]},
            VPCE_HOST + ".": {"A": ["127.0.0.82"]},
        }
    )
    host, port = fake_dns.address
    args = [
        "--json",
        "--no-aws",
        "--no-system-resolver",
        "--resolver",
        f"{host}:{port}",
        "--port",
        str(exec_gw.port),
        "--ca-bundle",
        str(bundle),
        "--timeout",
        "1",
    ]
    yield {"args": args, "exec": exec_gw, "vpce": vpce_gw}
    exec_gw.close()
    vpce_gw.close()


def _doctor(world: dict[str, Any], capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    rc = main(["doctor", *world["args"], *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    doc = json.loads(out)  # exactly one JSON document
    return rc, doc


def _failing(doc: dict[str, Any]) -> set[str]:
    return {c["cause"] for c in doc["checks"] if c["status"] == "fail"}


@pytest.mark.parametrize(
    ("url", "headers", "cause"),
    [
        (f"https://{BARE}/prod/ping", ["x-apigw-api-id: " + API_ID], "tls.name-mismatch"),
        (f"https://{VPCE_HOST}/prod/ping", [], "http.wrong-endpoint"),
        ("https://nothing.example.internal/prod/ping", [], "dns.nxdomain"),
        ("https://api.example.internal/orders", [], "dns.nxdomain"),
    ],
)
def test_any_url_a_caller_can_type_is_diagnosed_not_refused(
    world: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    url: str,
    headers: list[str],
    cause: str,
) -> None:
    """The bare regional name, an endpoint name without a routing header, unknown names."""
    extra = [a for h in headers for a in ("-H", h)]
    rc, doc = _doctor(world, capsys, *extra, url)
    assert rc == 1 and doc["verdict"] == "fail"
    assert cause in _failing(doc), doc["checks"]


def test_endpoint_name_without_header_names_the_fix(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    rc, doc = _doctor(world, capsys, f"https://{VPCE_HOST}/prod/ping")
    assert rc == 1
    probe = next(c for c in doc["checks"] if c["id"] == "http.probe")
    assert "x-apigw-api-id" in probe["hint"]
    assert set(world["vpce"].sni) == {VPCE_HOST}  # the URL's host, in both handshakes


def test_method_headers_and_data_file(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    """-d @FILE sends the file as the body (POST unless -X says otherwise); -H as given."""
    body = tmp_path / "body.json"
    body.write_bytes(b'{"n": 1}')
    rc, doc = _doctor(
        world, capsys, "-H", "X-Client: cli", "-d", f"@{body}", f"https://{API_HOST}/prod/items?x=1"
    )
    gw = world["exec"]
    assert rc == 0 and doc["verdict"] == "pass", doc
    assert gw.requests[-1]["line"] == "POST /prod/items?x=1 HTTP/1.1"
    assert gw.requests[-1]["body"] == b'{"n": 1}' and gw.header("X-Client") == "cli"
    rc, doc = _doctor(world, capsys, "-X", "PUT", "-d", "raw", f"https://{API_HOST}/prod/items")
    assert gw.requests[-1]["line"].startswith("PUT ") and gw.requests[-1]["body"] == b"raw"


@pytest.mark.parametrize(
    "argv",
    [
        ["doctor", "--json", "http://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"],
        ["doctor", "--json", "--bogus-flag"],
        ["doctor", "--json", f"https://{API_HOST}/prod", "--timeout", "-1"],
        ["doctor", "--json", f"https://{API_HOST}/prod", "-X", "GE T"],
    ],
)
def test_usage_errors_with_json_print_one_error_document(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert set(doc) == {"error"} and doc["error"]["kind"] in ("usage", "input")
    assert doc["error"]["message"] and err.strip()


def test_timeout_error_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """The library validates once (field 'timeout'); the CLI names its flag."""
    assert main(["doctor", f"https://{API_HOST}/prod", "--timeout", "0"]) == 2
    assert "--timeout" in capsys.readouterr().err
