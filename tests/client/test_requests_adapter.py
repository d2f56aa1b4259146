"""privateapi.requests: a requests.Session per target, over real TLS on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import trustme

from privateapi import _errors as e
from privateapi._targets import InvokeTarget
from privateapi.requests import raise_for_status, session

API = "abcde12345"
API_HOST = f"{API}.execute-api.us-east-1.amazonaws.com"
VPCE = "vpce-01234567abcdef012-01234567.execute-api.us-east-1.vpce.amazonaws.com"
CREDS = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok")


@pytest.fixture
def ca_path(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def test_private_dns_connect_to(server: int, ca_path: str) -> None:
    target = InvokeTarget.private_dns(API, "us-east-1", "prod")
    with session(target, credentials=CREDS, verify=ca_path, connect_to=f"127.0.0.1:{server}") as s:
        first = s.get("/items", params={"q": "a b", "tags": "x,y"}).json()
        second = s.post("items", json={"a": 1}).json()
    assert first["sni"] == API_HOST
    assert first["host"] == API_HOST
    assert first["valid"] is True
    assert "+" not in first["target"]
    assert "%20" in first["target"]
    assert second["valid"] is True
    assert second["conn"] == first["conn"]


def test_host_header_style(server: int, ca_path: str) -> None:
    target = InvokeTarget.host_header(
        API, "us-east-1", "prod", vpce_dns=VPCE, connect_to=f"127.0.0.1:{server}"
    )
    with session(target, credentials=CREDS, verify=ca_path) as s:
        seen = s.get("").json()
    assert (seen["sni"], seen["host"], seen["valid"]) == (VPCE, API_HOST, True)


def test_api_id_header_style_signs_the_header(server: int, ca_path: str) -> None:
    with session(
        f"https://{VPCE}/prod",
        headers={"x-apigw-api-id": API, "X-Extra": "1"},
        credentials=CREDS,
        verify=ca_path,
        connect_to=f"127.0.0.1:{server}",
    ) as s:
        seen = s.get(f"https://{VPCE}/prod/abs").json()
    assert seen["api_id"] == API
    assert "x-apigw-api-id" in seen["signed_headers"].split(";")
    assert seen["valid"] is True
    assert seen["target"] == "/prod/abs"


def test_unsigned_and_other_host(server: int, ca_path: str) -> None:
    target = InvokeTarget.private_dns(API, "us-east-1", "prod", connect_to=f"127.0.0.1:{server}")
    with session(target, sign=False, verify=ca_path) as s:
        assert s.get("/").json()["signed"] is False
        assert s.get("/items?r=https://x/y").json()["target"] == "/prod/items?r=https://x/y"
        with pytest.raises(e.InvalidInputError):
            s.get("https://example.com/prod")


def test_unpinned_hosts_use_the_normal_path(server: int, ca_path: str) -> None:
    target = InvokeTarget.private_dns(API, "us-east-1", "prod", connect_to=f"127.0.0.1:{server}")
    with session(target, sign=False, verify=ca_path) as s:
        adapter = s.get_adapter(f"https://{API_HOST}/")
        req = requests.Request("GET", f"https://{API_HOST}.other/x").prepare()
        pool = adapter.get_connection_with_tls_context(req, True)
        assert pool.host == f"{API_HOST}.other"


def test_verify_false_is_refused() -> None:
    with pytest.raises(e.InvalidInputError):
        session(InvokeTarget.private_dns(API, "us-east-1", "prod"), verify=False)


def test_raise_for_status_typed() -> None:
    r = requests.Response()
    r.status_code = 403
    r.headers["x-amzn-RequestId"] = "rid"
    r._content = b'{"message": "Missing Authentication Token"}'
    with pytest.raises(e.MissingAuthenticationTokenError):
        raise_for_status(r)
    ok = requests.Response()
    ok.status_code = 200
    ok._content = b""
    assert raise_for_status(ok) is ok


def test_session_ca_bundle_beats_requests_ca_bundle_env(
    monkeypatch: pytest.MonkeyPatch, ca_path: str
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    target = InvokeTarget.private_dns(API, "us-east-1", "prod")
    with session(target, sign=False, verify=ca_path) as s:
        settings = s.merge_environment_settings(f"https://{API_HOST}/prod", {}, None, None, None)
        assert settings["verify"] == ca_path
        explicit = s.merge_environment_settings(f"https://{API_HOST}/prod", {}, None, True, None)
        assert explicit["verify"] != ca_path
    with session(target, sign=False) as s:
        settings = s.merge_environment_settings(f"https://{API_HOST}/prod", {}, None, None, None)
        assert settings["verify"] == "/etc/ssl/certs/ca-certificates.crt"


def test_credentials_false_sends_unsigned_over_a_path_like_bundle(
    server: int, ca: trustme.CA, tmp_path: Path
) -> None:
    """session(credentials=False) is unsigned, as LocalGateway.client(credentials=False);
    verify= takes an os.PathLike CA bundle."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    target = InvokeTarget.private_dns(API, "us-east-1", "prod")
    with session(target, credentials=False, verify=bundle, connect_to=f"127.0.0.1:{server}") as s:
        assert s.auth is None
        assert s.verify == str(bundle)
        seen = s.get("/items").json()
    # TLS verified against the path-like bundle (the handshake succeeded), and no signature.
    assert seen["sni"] == API_HOST
    assert seen["valid"] is False


def test_session_repr_names_the_target_and_no_secret() -> None:
    """repr(session) says the URL, the style and whether it signs; never a key or token."""
    target = InvokeTarget.private_dns(API, "us-east-1", "prod")
    signed = session(target, credentials=CREDS)
    unsigned = session(target, credentials=False)
    assert repr(signed) == (
        f"<PrivateApiSession 'https://{API_HOST}/prod' style=private_dns signed>"
    )
    assert repr(unsigned).endswith("style=private_dns unsigned>")
    for secret in CREDS[1:]:
        assert secret not in repr(signed)
