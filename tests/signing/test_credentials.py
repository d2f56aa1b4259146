"""Credentials: sources, refresh before expiry (not per request), errors, redaction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials as BotoCreds
from botocore.credentials import RefreshableCredentials

from privateapi import _credentials as c
from privateapi._errors import CredentialsError, InvalidInputError


@pytest.fixture
def no_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


def test_static_tuple_and_dataclass() -> None:
    src = c.resolve_credentials(("AKIDEXAMPLE", "secret", "tok"))
    snap = src.snapshot()
    assert (snap.access_key, snap.secret_key, snap.token) == ("AKIDEXAMPLE", "secret", "tok")
    assert src.snapshot() is snap
    assert c.resolve_credentials(snap).snapshot() is snap
    assert c.resolve_credentials(src) is src
    assert "static" in repr(src)
    assert c.resolve_credentials(("AKIDEXAMPLE", "secret")).snapshot().token is None


@pytest.mark.parametrize("bad", [("only-one",), ("a", "b", "c", "d"), ("a", 1)])
def test_bad_tuples(bad: Any) -> None:
    with pytest.raises(InvalidInputError):
        c.resolve_credentials(bad)


def test_incomplete_and_unknown() -> None:
    with pytest.raises(CredentialsError):
        c.resolve_credentials(("", "secret"))
    with pytest.raises(InvalidInputError):
        c.resolve_credentials(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs"):
        c.CredentialSource()


def test_repr_hides_secret_and_token() -> None:
    creds = c.Credentials("AKIAABCDEFGHWXYZ", "SECRETCANARY", "TOKENCANARY")
    for text in (repr(creds), str(creds)):
        assert "SECRETCANARY" not in text
        assert "TOKENCANARY" not in text
        assert "AKIA…WXYZ" in text
    assert c.mask_access_key("short") == "…"


def test_botocore_static_object() -> None:
    src = c.resolve_credentials(BotoCreds("AKIDEXAMPLE", "secret", "tok"))
    assert src.snapshot().token == "tok"
    assert "Credentials" in repr(src)
    assert src.refresh_due is False


def _refreshable(expiry: dt.datetime, calls: list[int]) -> RefreshableCredentials:
    def refresh() -> dict[str, str]:
        calls.append(1)
        return {
            "access_key": f"ASIAREFRESH{len(calls)}",
            "secret_key": "s2",
            "token": f"t{len(calls)}",
            "expiry_time": (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat(),
        }

    return RefreshableCredentials.create_from_metadata(
        {
            "access_key": "ASIAFIRST",
            "secret_key": "s1",
            "token": "t0",
            "expiry_time": expiry.isoformat(),
        },
        refresh_using=refresh,
        method="test",
    )


def test_refreshable_is_frozen_not_refreshed_per_request() -> None:
    calls: list[int] = []
    creds = _refreshable(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), calls)
    src = c.resolve_credentials(creds)
    snaps = {id(src.snapshot()) for _ in range(100)}
    assert len(snaps) == 1
    assert calls == []
    assert src.snapshot().access_key == "ASIAFIRST"
    assert src.snapshot().expiry is not None


def test_refreshable_near_expiry_refreshes_once() -> None:
    calls: list[int] = []
    creds = _refreshable(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2), calls)
    src = c.resolve_credentials(creds)
    first = src.snapshot()
    assert first.access_key == "ASIAREFRESH1"
    for _ in range(10):
        src.snapshot()
    assert calls == [1]
    # once our re-check interval passes, botocore is asked again (it needs no refresh)
    src._next_check = 0.0
    assert src.refresh_due
    assert src.snapshot().access_key == "ASIAREFRESH1"
    assert calls == [1]


def test_refresh_failure_is_credentials_error() -> None:
    class Broken:
        def get_frozen_credentials(self) -> Any:
            raise RuntimeError("SECRETCANARY in a botocore message")

        def refresh_needed(self) -> bool:
            return True

    with pytest.raises(CredentialsError) as info:
        c.resolve_credentials(Broken()).snapshot()  # type: ignore[arg-type]
    assert "SECRETCANARY" not in str(info.value)

    class Empty:
        def get_frozen_credentials(self) -> Any:
            return None

    with pytest.raises(CredentialsError):
        c.resolve_credentials(Empty()).snapshot()  # type: ignore[arg-type]


def test_default_chain_env(no_aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
    assert c.resolve_credentials().snapshot().access_key == "AKIDENV"


@pytest.mark.parametrize(
    "env",
    [
        {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "envsecret"},
        {"AWS_ACCESS_KEY_ID": "ASIAENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t1"},
        {"AWS_ACCESS_KEY_ID": "ASIAENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SECURITY_TOKEN": "t2"},
        {
            "AWS_ACCESS_KEY_ID": "ASIAENV",
            "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_SESSION_TOKEN": "t1",
            "AWS_SECURITY_TOKEN": "t2",
        },
    ],
)
def test_environment_fast_path_agrees_with_botocore(
    no_aws_env: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    """Environment credentials are read without botocore, and botocore reads the same."""
    import botocore.session

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    src = c.resolve_credentials()
    assert src.method == "env"
    assert getattr(src, "_botocore", None) is None  # the fast path, not botocore's chain
    boto = botocore.session.Session().get_credentials().get_frozen_credentials()
    snap = src.snapshot()
    assert (snap.access_key, snap.secret_key, snap.token) == (
        boto.access_key,
        boto.secret_key,
        boto.token,
    )


def test_environment_fast_path_leaves_the_rest_to_botocore(
    no_aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An explicit profile, refreshable env credentials or a lone key go to botocore."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
    (no_aws_env / "credentials").write_text(
        "[dev]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = psecret\n"
    )
    # botocore drops the environment from the chain when a profile is named.
    assert c.resolve_credentials(profile="dev").snapshot().access_key == "AKIDPROFILE"
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", "2999-01-01T00:00:00Z")
    src = c.resolve_credentials()
    assert getattr(src, "_botocore", None) is not None
    monkeypatch.delenv("AWS_CREDENTIAL_EXPIRATION")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "")
    with pytest.raises(CredentialsError):  # botocore's partial-credentials error, classified
        c.resolve_credentials().snapshot()


def test_default_chain_profile(no_aws_env: Path) -> None:
    (no_aws_env / "credentials").write_text(
        "[dev]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = psecret\n"
    )
    assert c.resolve_credentials(profile="dev").snapshot().access_key == "AKIDPROFILE"
    with pytest.raises(CredentialsError, match="nope"):
        c.resolve_credentials(profile="nope")


def test_default_chain_nothing(no_aws_env: Path) -> None:
    with pytest.raises(CredentialsError) as info:
        c.resolve_credentials()
    assert info.value.cause_code == "creds.missing"


def test_default_chain_botocore_error(no_aws_env: Path) -> None:
    (no_aws_env / "config").write_text("[profile bad]\ncredential_process = \n")
    (no_aws_env / "config").write_text("this is [not ini")
    with pytest.raises(CredentialsError):
        c.resolve_credentials(profile="bad")


def test_redact_helpers() -> None:
    authz = "AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=deadbeef"
    assert "deadbeef" not in c.redact(authz)
    out = c.redact_headers(
        {"Authorization": authz, "X-Amz-Security-Token": "TOK", "Accept": "a", "x-api-key": "k"}
    )
    assert out["Accept"] == "a"
    assert out["X-Amz-Security-Token"] == "<redacted>"
    assert out["x-api-key"] == "<redacted>"
    assert "deadbeef" not in out["Authorization"]
    assert c.redact_headers({"authorization": "Bearer abc"})["authorization"] == "<redacted>"


@pytest.mark.parametrize(
    ("parts", "label", "problem"),
    [
        (("AKIDEXAMPLE", "wJalrXUtnFEMIsecret", "TOKENvalue\n"), "session token", "trailing"),
        (("AKIDEXAMPLE", "wJalrXUtnFEMIsecret", " TOKENvalue"), "session token", "leading"),
        (("AKIDEXAMPLE", "wJalrXUtnFEMIsecret", "TOKEN\r\nvalue"), "session token", "U+000D"),
        (("AKIDEXAMPLE", "wJalrXUtnFEMIsecret", "TOKENvalu\u00e9"), "session token", "non-ASCII"),
        (("AKIDEXAMPLE", "wJalrXUtnFEMIsecret\t", None), "secret access key", "U+0009, a tab"),
        (("AKIDEXAMPLE", "wJalrXUtn\x7fFEMIsecret", None), "secret access key", "U+007F"),
        (("AKIDEXAMPLE ", "wJalrXUtnFEMIsecret", None), "access key id", "trailing"),
    ],
)
def test_malformed_credentials_are_refused_without_echoing_them(
    parts: tuple[str, str, str | None], label: str, problem: str
) -> None:
    # Today h11 would refuse the header, quoting the value, and the client would retry.
    for build in (lambda: c.Credentials(*parts), lambda: c.resolve_credentials(parts)):
        with pytest.raises(CredentialsError) as info:
            build()
        text = f"{info.value} {info.value!r}"
        assert f"the AWS {label} has" in text and problem in text
        assert "expected printable ASCII" in text
        for part in parts:
            if part:
                assert part.strip() not in text


def test_inner_spaces_in_a_token_are_allowed() -> None:
    assert c.Credentials("AKIDEXAMPLE", "secret", "two  inner spaces").token == "two  inner spaces"


def test_malformed_botocore_credentials_name_their_provider() -> None:
    boto = BotoCreds("AKIDEXAMPLE", "secret", "TOKENvalue\n", method="shared-credentials-file")
    with pytest.raises(CredentialsError) as info:
        c.resolve_credentials(boto).snapshot()
    assert "session token has trailing whitespace" in str(info.value)
    assert "from botocore's 'shared-credentials-file' provider" in str(info.value)
    assert "TOKENvalue" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__

    class NoMethod:
        def get_frozen_credentials(self) -> Any:
            return BotoCreds("AKIDEXAMPLE", " secret").get_frozen_credentials()

    with pytest.raises(CredentialsError, match="secret access key has leading") as info2:
        c.resolve_credentials(NoMethod()).snapshot()  # type: ignore[arg-type]
    assert "provider" not in str(info2.value)
