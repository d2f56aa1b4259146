"""``privateapi invoke`` in-process, with httpx mocked by respx (no network)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import respx

from privateapi_cli.main import main

API = "abcde12345"
API_HOST = f"{API}.execute-api.us-east-1.amazonaws.com"
URL = f"https://{API_HOST}/prod/pets"
VPCE = "vpce-01234567abcdef012-01234567.execute-api.us-east-1.vpce.amazonaws.com"
SECRET = "CANARYSECRETwJalrXUtnFEMIK7MDENG"
TOKEN = "CANARYTOKENIQoJb3JpZ2luX2VjEXAMPLE"
APIGW = {"x-amzn-RequestId": "rid-42"}


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIACANARYKEYID01")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _no_secrets(*texts: str, signatures: list[str] = ()) -> None:  # type: ignore[assignment]
    for text in texts:
        assert SECRET not in text
        assert TOKEN not in text
        for sig in signatures:
            assert sig not in text


def _sig(request: httpx.Request) -> str:
    return request.headers["authorization"].rsplit("Signature=", 1)[1]


@respx.mock
def test_get_signed_prints_body(capsys: pytest.CaptureFixture[str]) -> None:
    route = respx.get(URL).mock(return_value=httpx.Response(200, json={"pets": []}))
    assert main(["invoke", URL]) == 0
    out, err = capsys.readouterr()
    assert out == '{"pets":[]}\n'
    req = route.calls.last.request
    assert "Credential=ASIACANARYKEYID01/" in req.headers["authorization"]
    assert req.headers["x-amz-security-token"] == TOKEN
    _no_secrets(out, err, signatures=[_sig(req)])


@respx.mock
def test_include_and_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    route = respx.get(f"{URL}?limit=1").mock(
        return_value=httpx.Response(200, text="ok", headers={"X-Reply": "yes"})
    )
    assert main(["invoke", f"{URL}?limit=1", "-i", "-v", "-H", "X-Trace: t1"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("HTTP/1.1 200 OK\n")
    assert "x-reply: yes" in out
    assert "* canonical request:" in err
    assert "*   /prod/pets" in err
    assert "*   limit=1" in err
    assert "x-amz-security-token:<redacted>" in err
    assert "* string to sign:" in err
    assert "AWS4-HMAC-SHA256" in err
    assert f"TLS server name {API_HOST}" in err
    assert route.calls.last.request.headers["x-trace"] == "t1"
    _no_secrets(out, err, signatures=[_sig(route.calls.last.request)])


def _mismatch_message(expected_creq: str) -> str:
    return (
        "The request signature we calculated does not match the signature you provided."
        " Check your AWS Secret Access Key and signing method. Consult the service"
        " documentation for details.\n\nThe Canonical String for this request should have"
        f" been\n'{expected_creq}'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256"
        "\n20150830T123600Z\n20150830/us-east-1/execute-api/aws4_request\nabc'\n"
    )


@respx.mock
def test_signature_mismatch_shows_diff(capsys: pytest.CaptureFixture[str]) -> None:
    expected = (
        f"GET\n/prod/pets\n\nhost:{VPCE}\nx-amz-date:20150830T123600Z\n"
        f"x-amz-security-token:{TOKEN}\n\nhost;x-amz-date;x-amz-security-token\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    route = respx.get(URL).mock(
        return_value=httpx.Response(
            403,
            json={"message": _mismatch_message(expected)},
            headers={**APIGW, "x-amzn-ErrorType": "InvalidSignatureException"},
        )
    )
    assert main(["invoke", URL, "-v"]) == 1
    out, err = capsys.readouterr()
    assert "SignatureMismatchError [http.signature-mismatch]" in err
    assert "(request id rid-42)" in err
    assert "hint:" in err
    assert "ours (-) vs what API Gateway expected (+)" in err
    assert f"*   -host:{API_HOST}" in err
    assert f"*   +host:{VPCE}" in err
    _no_secrets(out, err, signatures=[_sig(route.calls.last.request)])

    assert main(["invoke", URL]) == 1
    _out, err = capsys.readouterr()
    assert "rerun with -v" in err


@respx.mock
def test_post_data_file_and_stdin(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(201, text="made"))
    body = tmp_path / "b.json"
    body.write_bytes(b'{"name": "rex"}')
    assert main(["invoke", URL, "-d", f"@{body}", "-H", "Content-Type: application/json"]) == 0
    assert route.calls.last.request.content == b'{"name": "rex"}'
    assert "content-type" in route.calls.last.request.headers["authorization"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"from-stdin")))
    assert main(["invoke", URL, "-d", "@-"]) == 0
    assert route.calls.last.request.content == b"from-stdin"
    put = respx.put(URL).mock(return_value=httpx.Response(200))
    assert main(["invoke", URL, "-X", "put", "-d", "text"]) == 0
    assert put.calls.last.request.content == b"text"
    assert main(["invoke", URL, "-d", f"@{tmp_path / 'missing'}"]) == 2
    capsys.readouterr()


@respx.mock
def test_style_switch_to_api_id_header(capsys: pytest.CaptureFixture[str]) -> None:
    route = respx.get(f"https://{VPCE}/prod/pets").mock(return_value=httpx.Response(200))
    assert main(["invoke", URL, "--style", "api_id_header", "--vpce-dns", VPCE]) == 0
    req = route.calls.last.request
    assert req.headers["x-apigw-api-id"] == API
    assert "x-apigw-api-id" in req.headers["authorization"]
    # --vpce-dns alone picks api_id_header
    assert main(["invoke", URL, "--vpce-dns", VPCE, "-v"]) == 0
    assert "style api_id_header" in capsys.readouterr().err


@respx.mock
def test_host_header_url_and_no_sign(capsys: pytest.CaptureFixture[str]) -> None:
    route = respx.get(f"https://{VPCE}/prod/pets").mock(return_value=httpx.Response(200))
    assert (
        main(["invoke", f"https://{VPCE}/prod/pets", "-H", f"Host: {API_HOST}", "--no-sign"]) == 0
    )
    req = route.calls.last.request
    assert req.headers["host"] == API_HOST
    assert "authorization" not in req.headers
    # same style asked again: unchanged
    assert (
        main(
            [
                "invoke",
                f"https://{VPCE}/prod/pets",
                "-H",
                f"Host: {API_HOST}",
                "--style",
                "host_header",
            ]
        )
        == 0
    )
    capsys.readouterr()


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invoke", URL, "--style", "host_header"]) == 2
    assert "--vpce-dns" in capsys.readouterr().err
    assert main(["invoke", "http://not-https.example.com/prod"]) == 2
    assert main(["invoke", URL, "-H", "no-colon"]) == 2
    assert main(["invoke", "https://api.example.com/v1", "--style", "api_id_header"]) == 2
    capsys.readouterr()


@respx.mock
def test_http_errors_exit_1_with_cause(capsys: pytest.CaptureFixture[str]) -> None:
    respx.get(URL).mock(
        return_value=httpx.Response(
            403,
            json={"message": "Forbidden"},
            headers={**APIGW, "x-amzn-ErrorType": "ForbiddenException"},
        )
    )
    assert main(["invoke", URL]) == 1
    out, err = capsys.readouterr()
    assert '"Forbidden"' in out
    assert "WrongEndpointError [http.wrong-endpoint]" in err
    assert "hint:" in err


@respx.mock
def test_transport_error_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    respx.get(URL).mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    assert main(["invoke", URL, "--connect-to", "127.0.0.1:9", "--timeout", "2"]) == 1
    err = capsys.readouterr().err
    assert "TransportError [tcp.refused]" in err
    assert "* retrying after tcp.refused" in err
    assert "hint:" in err


def test_no_credentials_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var)
    with respx.mock:
        assert main(["invoke", URL]) == 1
    assert "CredentialsError [creds.missing]" in capsys.readouterr().err


def test_help_does_not_import_botocore_or_httpx() -> None:
    code = (
        "import sys\n"
        "from privateapi_cli.main import main\n"
        "try:\n    main(['invoke', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('botocore' in sys.modules, 'httpx' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "False False"


def test_real_tls_with_connect_to_and_ca_bundle(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import json
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import trustme

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            data = json.dumps(
                {"host": self.headers["Host"], "sni": getattr(self.connection, "sni", None)}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    ca = trustme.CA()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("*.execute-api.us-east-1.amazonaws.com").configure_cert(ctx)

    def sni_cb(sslobj: ssl.SSLSocket, name: str | None, _c: ssl.SSLContext) -> None:
        sslobj.sni = name  # type: ignore[attr-defined]

    ctx.sni_callback = sni_cb  # type: ignore[assignment]

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self):  # type: ignore[no-untyped-def]
            sock, addr = self.socket.accept()
            return ctx.wrap_socket(sock, server_side=True), addr

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    try:
        code = main(
            [
                "invoke",
                URL,
                "--connect-to",
                f"127.0.0.1:{server.server_address[1]}",
                "--ca-bundle",
                str(bundle),
            ]
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out) == {"host": API_HOST, "sni": API_HOST}
