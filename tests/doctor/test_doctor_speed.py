"""Start-up cost by design: what importing and running the doctor must not import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from doctor_lab import Lab

HEAVY = ("botocore", "rich", "httpx", "cryptography", "privateapi.policy")


def _python(code: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
    )
    return out.stdout.strip().splitlines()[-1]


def test_import_doctor_is_light() -> None:
    """``import privateapi.doctor`` loads none of botocore, rich, httpx, cryptography."""
    code = (
        "import sys\nimport privateapi.doctor\n"
        f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    assert _python(code) == "HEAVY="


def test_a_run_with_environment_credentials_never_imports_botocore(
    lab: Lab, tmp_path: Path
) -> None:
    """A healthy, signed run with credentials in the environment: no botocore at all.

    Nor httpx (the probe builds and signs its own request), dnspython (the doctor's stub
    resolver asks the resolver) or the policy evaluator.
    """
    creds = lab.gw.credentials
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    rip, rport = lab.gw.resolver
    code = (
        "import sys\n"
        "from privateapi import InvokeTarget\n"
        "from privateapi.doctor import DoctorOptions, run\n"
        f"t = InvokeTarget.private_dns({lab.api_id!r}, 'us-east-1', 'prod')\n"
        f"t = t.with_connect_to(f'{{t.host}}:{lab.gw.port}')\n"
        f"o = DoctorOptions(resolver=({rip!r}, {rport}), use_system_resolver=False,"
        f" ca_bundle={str(lab.gw.ca_bundle)!r}, no_aws=True, imds=False,"
        " hosts_file='/dev/null', environ={}, timeout=2)\n"
        "r = run(t, o)\n"
        "signed = r.result('http.probe').evidence.get('signed')\n"
        "print(r.verdict, signed, [m for m in ('botocore', 'privateapi.policy', 'httpx', 'dns')"
        " if m in sys.modules])\n"
    )
    assert _python(code, env) == "pass True []"


def test_the_command_into_a_pipe_never_imports_rich_httpx_or_dnspython(
    lab: Lab, tmp_path: Path
) -> None:
    """``privateapi doctor`` printing to a pipe: the plain view, none of the heavy imports."""
    creds = lab.gw.credentials
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    rip, rport = lab.gw.resolver
    url = f"https://{lab.api_id}.execute-api.us-east-1.amazonaws.com/prod/"
    argv = [
        *("doctor", url, "--no-aws", "--no-imds", "--no-system-resolver"),
        *("--resolver", f"{rip}:{rport}", "--port", str(lab.gw.port)),
        *("--ca-bundle", str(lab.gw.ca_bundle), "--timeout", "2"),
    ]
    code = (
        "import sys\n"
        "from privateapi_cli.main import main\n"
        f"code = main({argv!r})\n"
        "heavy = [m for m in ('rich', 'httpx', 'dns', 'botocore') if m in sys.modules]\n"
        "print('EXIT', code, heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert out.stdout.strip().splitlines()[-1] == "EXIT 0 []", out.stdout + out.stderr
    assert "PASS  " in out.stdout and "\x1b[" not in out.stdout


@pytest.mark.parametrize(
    ("organization", "unit"),
    [
        ("privateapi local gateway", "Testing CA #1"),
        ('#Hash, Comma+Plus; Semi <angle> "quote" back\\slash ', " leading space"),
    ],
)
def test_verified_certificate_described_without_cryptography_agrees(
    organization: str, unit: str
) -> None:
    """The stdlib description of a verified certificate equals cryptography's, field by field."""
    import socket
    import ssl
    import threading

    import trustme

    from privateapi.doctor._tls import describe_certificate, describe_verified

    ca = trustme.CA(organization_name=organization, organization_unit_name=unit)
    cert = ca.issue_cert(
        "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        "*.execute-api.us-east-1.amazonaws.com",
        "127.0.0.1",
        "::1",
        organization_name=organization,
        organization_unit_name=unit,
    )
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (OSError, ssl.SSLError):
            pass

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    name = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        client_ctx.wrap_socket(raw, server_hostname=name) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        peer = tls.getpeercert()
    listener.close()
    th.join(5)
    assert der is not None and peer
    fast = describe_verified(peer)
    slow = describe_certificate(der)
    assert fast is not None
    fast.pop("days_left"), slow.pop("days_left")  # computed at different instants
    assert fast == slow


def test_unnamed_attributes_fall_back_to_cryptography() -> None:
    """An attribute without an RFC 4514 short name: no guess, cryptography describes it."""
    from privateapi.doctor._tls import describe_verified

    peer = {
        "subject": ((("emailAddress", "ops@example.com"),),),
        "issuer": ((("commonName", "ca"),),),
        "notBefore": "Jan  1 00:00:00 2025 GMT",
        "notAfter": "Jan  1 00:00:00 2035 GMT",
    }
    assert describe_verified(peer) is None


def test_no_credentials_skips_the_aws_checks_without_building_a_client(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without credentials the AWS checks skip at once, naming why; no AWS client is made."""
    from privateapi import InvokeTarget
    from privateapi.doctor import DoctorOptions, Status, run
    from privateapi.doctor import _aws as doctor_aws

    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for var in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)

    def no_client(**_kw: object) -> object:
        raise AssertionError("an AWS client was built without credentials")

    monkeypatch.setattr(doctor_aws, "Aws", no_client)
    options = DoctorOptions(
        checks=("aws.identity", "aws.api"),
        imds=False,
        endpoint_url="http://127.0.0.1:9",
        hosts_file="/dev/null",
        environ={},
    )
    report = run(InvokeTarget.private_dns("a1b2c3d4e5", "us-east-1", "prod"), options)
    for cid in ("aws.identity", "aws.api"):
        r = report.result(cid)
        assert r is not None and r.status is Status.SKIP
        assert "no AWS credentials" in r.summary
