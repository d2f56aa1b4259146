"""Start-up cost by design: what importing and running the doctor must not import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    """A healthy, signed run with credentials in the environment: no botocore at all."""
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
        f"o = DoctorOptions(resolver=({rip!r}, {rport}), use_system_resolver=False,"
        f" port={lab.gw.port}, ca_bundle={str(lab.gw.ca_bundle)!r}, no_aws=True, imds=False,"
        " hosts_file='/dev/null', environ={}, timeout=2)\n"
        "r = run(t, o)\n"
        "signed = r.result('http.probe').evidence.get('signed')\n"
        "print(r.verdict, signed, [m for m in ('botocore', 'privateapi.policy')"
        " if m in sys.modules])\n"
    )
    assert _python(code, env) == "pass True []"
