"""The one scrubber (``privateapi.redact``, alias ``_errors.scrub``): by shape and by value."""

from __future__ import annotations

import base64
import json
import re
import string
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import privateapi
from privateapi import _credentials as c
from privateapi._errors import REDACTED, scrub

UNKNOWN = "UNREGISTEREDtokenVALUE0123456789abcdef"  # never registered: shape only


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """Each test starts with no known secrets and leaves the process's registry as it was."""
    saved = dict(c._known)
    c._known.clear()
    c._needles = ()
    try:
        yield
    finally:
        c._known.clear()
        c._known.update(saved)
        c._needles = ()
        if saved:
            c.remember_secret(*saved)


@pytest.mark.parametrize(
    "text",
    [
        # header line (a canonical request), query parameter, JSON member, JSON list
        f"GET\n/\n\nx-amz-security-token:{UNKNOWN}\nx-amz-date:20150830T123600Z",
        f"/prod/x?X-Amz-Security-Token={UNKNOWN}&X-Amz-Date=1",
        f'{{"x-amz-security-token": "{UNKNOWN}", "a": 1}}',
        f'{{"multiValueHeaders": {{"X-Amz-Security-Token": ["{UNKNOWN}"]}}}}',
        f'{{"pretty": {{"x-amz-security-token": [\n    "{UNKNOWN}"\n  ]}}}}',
        # Python reprs: a header tuple (str and bytes), a dict
        f"[('host', 'h'), ('x-amz-security-token', '{UNKNOWN}')]",
        f"[(b'x-amz-security-token', b'{UNKNOWN}')]",
        f"{{'X-Amz-Security-Token': '{UNKNOWN}'}}",
        # percent-encoded inside another URL, JSON-escaped inside a JSON string
        "next=" + quote(f"https://x/?X-Amz-Security-Token={UNKNOWN}&b=1", safe=""),
        json.dumps(json.dumps({"x-amz-security-token": UNKNOWN})),
        # STS / credential_process / environment / INI forms
        f'{{"Credentials": {{"SessionToken": "{UNKNOWN}"}}}}',
        f"SessionToken={UNKNOWN}",
        f"AWS_SESSION_TOKEN={UNKNOWN}\nAWS_SECRET_ACCESS_KEY={UNKNOWN}",
        f"aws_secret_access_key = {UNKNOWN}\n",
        f'{{"SecretAccessKey": "{UNKNOWN}"}}',
        f"x-api-key: {UNKNOWN}",
        f"X-aws-ec2-metadata-token: {UNKNOWN}",
        # a JSON body from API Gateway: the canonical request's "\n" are escapes
        f'{{"message":"...\\nx-amz-security-token:{UNKNOWN}\\nx-amz-date:2015"}}',
    ],
)
def test_secret_shapes_are_scrubbed_without_knowing_the_value(text: str) -> None:
    out = privateapi.redact(text)
    assert UNKNOWN not in out
    assert REDACTED in out


def test_signature_and_credential_shapes() -> None:
    authz = (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20150830/us-east-1/execute-api/"
        "aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=" + "ab" * 32
    )
    out = privateapi.redact(authz)
    assert "ab" * 32 not in out and "Signature=<redacted>" in out
    # the key id is masked, the scope (what diagnoses a scope mistake) is kept
    assert "Credential=AKIA…MPLE/20150830/us-east-1/execute-api/aws4_request" in out
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token," in out
    presigned = "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20150830&X-Amz-Signature%3D" + "cd" * 32
    out = privateapi.redact(presigned)
    assert "AKIAIOSFODNN7EXAMPLE" not in out and "cd" * 32 not in out
    echo = "Authorization header requires 'Signature'. Authorization=AWS4-HMAC-SHA256 abc"
    assert privateapi.redact(echo).endswith("Authorization=<redacted>")


def _lower(m: re.Match[str]) -> str:
    return m.group().lower()


SECRET = "KNOWNsecret/wJalrXUtnFEMI+K7MDENGbPxRfi=="
TOKEN = "KNOWNtokenHALFone//wEXAMPLE  KNOWNtokenHALFtwo+Zz=="


@pytest.fixture
def known() -> None:
    privateapi.Credentials("AKIDEXAMPLE", SECRET, TOKEN)  # registers both


@pytest.mark.usefixtures("known")
@pytest.mark.parametrize(
    ("form", "value"),
    [
        ("raw", lambda v: v),
        ("whitespace-folded (canonical request)", lambda v: " ".join(v.split())),
        ("percent-encoded", lambda v: quote(v, safe="")),
        ("percent-encoded, lower-case hex", lambda v: re.sub("%..", _lower, quote(v, safe=""))),
        ("percent-encoded, '/' kept", quote),
        ("form-encoded", lambda v: quote_plus(v, safe="")),
        ("double percent-encoded", lambda v: quote(quote(v, safe=""), safe="")),
        ("JSON-escaped", lambda v: json.dumps(v)[1:-1]),
        ("JSON-escaped with \\/", lambda v: json.dumps(v)[1:-1].replace("/", "\\/")),
        ("Python repr", lambda v: repr(v)[1:-1]),
        ("base64", lambda v: base64.b64encode(v.encode()).decode()),
        (
            "base64url, unpadded",
            lambda v: base64.urlsafe_b64encode(v.encode()).decode().rstrip("="),
        ),
    ],
)
def test_known_secrets_are_scrubbed_by_value_in_every_encoding(form: str, value: object) -> None:
    for secret in (SECRET, TOKEN):
        encoded = value(secret)  # type: ignore[operator]
        out = privateapi.redact(f"the backend echoed <<{encoded}>> in its answer")
        assert encoded not in out, form
        assert "the backend echoed <<" in out  # the rest stays


@pytest.mark.usefixtures("known")
def test_a_token_with_two_spaces_leaks_no_half() -> None:
    for text in (f"SessionToken={TOKEN} end", f"x-amz-security-token:{' '.join(TOKEN.split())}"):
        out = privateapi.redact(text)
        for half in TOKEN.split():
            assert half not in out


def test_errors_scrub_is_the_same_scrubber() -> None:
    text = f"x-amz-security-token:{UNKNOWN}\nSignature={'ef' * 32}"
    assert scrub(text) == privateapi.redact(text) == c.scrub(text)
    assert UNKNOWN not in scrub(text)


def test_short_values_are_not_scrubbed_by_value_and_the_registry_is_bounded() -> None:
    privateapi.Credentials("AKIDEXAMPLE", "secret", "tok")
    # "secret" and "tok" would blot out ordinary words: shape only for them
    assert privateapi.redact("a secret tok") == "a secret tok"
    values = [f"BOUNDEDsecretNUMBER{i:04d}xyz" for i in range(c._KNOWN_MAX + 4)]
    for v in values:
        c.remember_secret(v)
    assert len(c._known) == c._KNOWN_MAX
    assert values[0] in privateapi.redact(values[0])  # the oldest was forgotten
    assert values[-1] not in privateapi.redact(values[-1])
    c.remember_secret(values[-1])  # already known: nothing changes
    assert len(c._known) == c._KNOWN_MAX


def test_plain_text_is_left_alone() -> None:
    for text in (
        "authorization: AWS_IAM",
        '{"authorization": "AWS_IAM", "session token": "present"}',
        "credentials '<tuple>' is not valid: expected (access_key, secret_key[, session_token])",
        "SignedHeaders=host;x-amz-date;x-amz-security-token",
        "Credentials(access_key='AKID…MPLE', secret_key=<redacted>, token=<redacted>)",
        "notasecret_key=abc; mysession_token: x",  # a longer word ending in a secret's name
    ):
        assert privateapi.redact(text) == text


def test_odd_values_end_where_their_shape_says() -> None:
    # an unterminated quote: everything after it goes
    assert privateapi.redact(f'x-amz-security-token: "{UNKNOWN} and more') == (
        'x-amz-security-token: "<redacted>"'
    )
    # a name inside a value already redacted is not matched again
    text = f"SessionToken=aws_session_token={UNKNOWN}&next=1"
    assert privateapi.redact(text) == "SessionToken=<redacted>&next=1"
    # a separator with nothing after it
    assert privateapi.redact("x-amz-security-token=&a=1") == "x-amz-security-token=&a=1"


_secret_values = st.text(
    alphabet=string.ascii_letters + string.digits + "/+=-_ ", min_size=8, max_size=60
).filter(lambda s: s == s.strip() and len(s.strip()) >= 8)
_around = st.text(alphabet=string.ascii_letters + string.digits + " .;\n\"'{}[]", max_size=30)


@settings(max_examples=300, deadline=None)
@given(secret=_secret_values, before=_around, after=_around, form=st.integers(0, 4))
def test_property_a_known_secret_never_survives(
    secret: str, before: str, after: str, form: int
) -> None:
    c.remember_secret(secret)
    encoded = [
        secret,
        quote(secret, safe=""),
        json.dumps(secret)[1:-1],
        " ".join(secret.split()),
        base64.b64encode(secret.encode()).decode(),
    ][form]
    out = privateapi.redact(before + encoded + after)
    assert secret not in out
    assert encoded not in out or len(encoded) < c._KNOWN_MIN_LENGTH


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + " .;\n()-_/", max_size=80))
def test_property_text_without_secret_shapes_is_unchanged(text: str) -> None:
    assert privateapi.redact(text) == text
