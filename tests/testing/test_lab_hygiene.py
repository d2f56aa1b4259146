"""The lab never echoes a credential, and bad lab input is a clear error, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from privateapi import InvalidInputError
from privateapi.testing import LabConfigError, LocalGateway, load_config
from privateapi_cli.main import main

SECRET = "CANARYSECRETlabHygiene0123456789abcdefgh"
TOKEN = "CANARYTOKENlabHygiene0123456789"


def test_echo_route_redacts_token_and_signature() -> None:
    """The default echo route shows what arrived, minus the session token and signature."""
    with LocalGateway() as gw:
        creds = gw.add_credentials("AKIACANARY0000000001", SECRET, session_token=TOKEN)
        api = gw.add_api(authorization="AWS_IAM")
        with gw.client(api.id, credentials=creds) as client:
            response = client.get("/anything")
    assert response.status_code == 200
    headers = response.json()["headers"]
    assert headers["x-amz-security-token"] == "<redacted>"
    # Like API Gateway, the lab does not forward a SigV4 Authorization header at all.
    assert "authorization" not in headers
    assert TOKEN not in response.text
    assert SECRET not in response.text


def test_config_error_never_echoes_a_secret(tmp_path: Path) -> None:
    """A malformed credentials table names the key but not the secret."""
    path = tmp_path / "lab.toml"
    path.write_text(f'[[credentials]]\naccess_key_id = "AKIA0"\nsecret_access_key = ["{SECRET}"]\n')
    with pytest.raises(LabConfigError) as info:
        load_config(path)
    assert "credentials[0].secret_access_key" in str(info.value)
    assert SECRET not in str(info.value)
    assert isinstance(info.value, InvalidInputError)


def test_non_utf8_config_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A binary config file: exit 2, one line naming the file."""
    path = tmp_path / "lab.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert main(["lab", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "UTF-8" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("flag", ["--dns-port", "--port"])
def test_out_of_range_ports_are_usage_errors(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Ports outside 0..65535: exit 2 with one line, before anything starts."""
    assert main(["lab", flag, "99999"]) == 2
    err = capsys.readouterr().err
    assert flag in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("toml", "field"),
    [
        ('[[faults]]\nkind = "nope"\n', "faults[0].kind"),
        ('[[faults]]\nkind = "latency"\nseconds = -1\n', "faults[0].seconds"),
        (
            '[[apis]]\n[[apis.routes]]\npath = "/x"\nbody = "a"\njson = {a = 1}\n',
            "apis[0].routes[0].body",
        ),
    ],
)
def test_config_errors_name_the_table_entry(tmp_path: Path, toml: str, field: str) -> None:
    """Errors point at the entry in the file: faults[0].kind, apis[0].routes[0].body."""
    path = tmp_path / "lab.toml"
    path.write_text(toml)
    with pytest.raises(LabConfigError) as info:
        load_config(path).build()
    assert info.value.field == field


def test_gateway_client_takes_plain_credentials_and_a_path_ca_bundle() -> None:
    """gw.client(credentials=(key, secret)) and Client(verify=<Path>) both work."""
    from privateapi import Client

    with LocalGateway() as gw:
        creds = gw.add_credentials()
        api = gw.add_api(authorization="AWS_IAM")
        with gw.client(api.id, credentials=creds.as_tuple()) as client:
            assert client.get("/").status_code == 200
        with Client(gw.target(api.id), credentials=creds.as_tuple(), verify=gw.ca_bundle) as c:
            assert c.get("/").status_code == 200
