"""AWS credentials for signing: resolved once, refreshed before expiry, frozen per request.

By default credentials come from botocore's full chain (environment, shared
config and profiles, SSO, assume-role, ``credential_process``, container and
instance metadata). botocore is imported only when that chain is needed, so
``privateapi --help`` and unsigned calls never pay for it.

Secrets never show: :class:`Credentials` reprs hide the secret key and session
token, and :func:`redact` (the one scrubber: errors, logs and the CLI all use it)
removes signatures, tokens and secret keys from text meant for people or logs, by
shape and, for the credentials in use, by value in every encoding.

Example:
    >>> creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    >>> creds
    Credentials(access_key='AKID…MPLE', secret_key=<redacted>, token=None)
"""

from __future__ import annotations

import base64
import json
import os
import re
import string
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeAlias
from urllib.parse import quote, quote_plus

from privateapi._errors import REDACTED, CredentialsError

__all__ = [
    "CredentialSource",
    "Credentials",
    "CredentialsLike",
    "mask_access_key",
    "redact",
    "redact_headers",
    "remember_secret",
    "resolve_credentials",
    "scrub",
]


# How often a refreshable source asks botocore whether a refresh is due. botocore
# refreshes 15 minutes (advisory) / 10 minutes (mandatory) before expiry, so asking
# every 30 s refreshes well ahead of expiry without a lock and a clock read per request.
_RECHECK_SECONDS = 30.0


def mask_access_key(access_key: str) -> str:
    """An access key id shortened for display: ``AKIA…WXYZ`` (never the full value)."""
    if len(access_key) <= 8:
        return "…"
    return f"{access_key[:4]}…{access_key[-4:]}"


def _describe_char(ch: str) -> str:
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", " ": "a space"}
    return f"U+{ord(ch):04X}, {names[ch]}" if ch in names else f"U+{ord(ch):04X}"


def _check_part(label: str, value: str) -> None:
    """Refuse a credential part h11 would refuse (or API Gateway could never match).

    A token pasted with its newline, or a secret with a trailing space, would
    otherwise fail inside the HTTP layer with the value in the message (and be
    retried). The message names the part and the problem, never the value: a
    character is named by code point only when it is whitespace or a control
    character, which no AWS key, secret or token contains.
    """
    if not isinstance(value, str) or not value:
        return  # missing parts are reported by the callers, which know the source
    problem = None
    if value[0].isspace() or value[-1].isspace():
        end, ch = ("leading", value[0]) if value[0].isspace() else ("trailing", value[-1])
        problem = f"{end} whitespace ({_describe_char(ch)})"
    elif not (value.isascii() and value.isprintable()):
        at, ch = next((i, x) for i, x in enumerate(value) if not (x.isascii() and x.isprintable()))
        what = (
            f"a control character ({_describe_char(ch)})"
            if ch.isascii()
            else "a non-ASCII character"
        )
        problem = f"{what} at position {at + 1}"
    if problem is not None:
        raise CredentialsError(
            f"the AWS {label} has {problem}: expected printable ASCII with no leading or"
            " trailing whitespace (check where it is set, e.g. a newline pasted into an"
            " environment variable)"
        )


@dataclass(frozen=True, slots=True)
class Credentials:
    """A frozen set of AWS credentials.

    Args:
        access_key: the access key id (``AKIA…``/``ASIA…``).
        secret_key: the secret access key (never shown in reprs).
        token: the session token of temporary credentials, if any (never shown).
        expiry: when temporary credentials expire (aware datetime), if known.
    """

    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    expiry: datetime | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        _check_part("access key id", self.access_key)
        _check_part("secret access key", self.secret_key)
        if self.token is not None:
            _check_part("session token", self.token)
        remember_secret(self.secret_key, self.token)

    def __repr__(self) -> str:
        token = REDACTED if self.token else None
        return (
            f"Credentials(access_key={mask_access_key(self.access_key)!r},"
            f" secret_key={REDACTED}, token={token})"
        )

    __str__ = __repr__


class _BotocoreLike(Protocol):
    """What we use of a botocore credentials object."""

    def get_frozen_credentials(self) -> Any: ...


#: Anything :func:`resolve_credentials` accepts.
CredentialsLike: TypeAlias = (
    "Credentials | tuple[str, str] | tuple[str, str, str | None] | _BotocoreLike | CredentialSource"
)


class CredentialSource:
    """Hands out a frozen :class:`Credentials` snapshot per request.

    Static credentials are returned as they are. botocore credentials are
    frozen once and re-frozen only when botocore may have refreshed them (every
    30 s at most, and at once after expiry), so the per-request cost is a clock
    read, not botocore's lock and expiry check.
    """

    def __init__(
        self, static: Credentials | None = None, *, botocore: Any = None, method: str | None = None
    ) -> None:
        if static is None and botocore is None:
            raise ValueError("a CredentialSource needs static or botocore credentials")
        self._static = static
        self._botocore = botocore
        self._method = method
        self._lock = threading.Lock()
        self._snapshot: Credentials | None = static
        self._next_check = 0.0 if static is None else float("inf")

    def __repr__(self) -> str:
        kind = "static" if self._static is not None else type(self._botocore).__name__
        return f"CredentialSource({kind})"

    @property
    def method(self) -> str:
        """Where the credentials came from (``env``, botocore's provider name, ``explicit``)."""
        found = self._method or getattr(self._botocore, "method", None)
        return found if isinstance(found, str) and found else "explicit"

    @property
    def refresh_due(self) -> bool:
        """Whether the next :meth:`snapshot` may call into botocore (and block)."""
        return time.monotonic() >= self._next_check

    def snapshot(self) -> Credentials:
        """The credentials to sign one request with.

        Raises:
            CredentialsError: botocore could not produce (or refresh) credentials.
        """
        snap = self._snapshot
        if snap is not None and time.monotonic() < self._next_check:
            return snap
        with self._lock:
            now = time.monotonic()
            if self._snapshot is not None and now < self._next_check:
                return self._snapshot
            self._snapshot = self._freeze()
            self._next_check = now + (
                _RECHECK_SECONDS if _is_refreshable(self._botocore) else float("inf")
            )
            return self._snapshot

    def _freeze(self) -> Credentials:
        try:
            frozen = self._botocore.get_frozen_credentials()
        except Exception as exc:  # botocore raises many types on refresh failure
            raise CredentialsError(
                f"could not refresh AWS credentials: {type(exc).__name__}"
            ) from None
        if frozen is None or not frozen.access_key or not frozen.secret_key:
            raise CredentialsError("the AWS credentials are incomplete (no key or secret)")
        expiry = getattr(self._botocore, "_expiry_time", None)
        try:
            return Credentials(
                frozen.access_key,
                frozen.secret_key,
                frozen.token or None,
                expiry if isinstance(expiry, datetime) else None,
            )
        except CredentialsError as exc:
            method = getattr(self._botocore, "method", None)
            if not isinstance(method, str) or not method:
                raise
            raise CredentialsError(f"{exc} (from botocore's {method!r} provider)") from None


def _is_refreshable(obj: Any) -> bool:
    # RefreshableCredentials (and DeferredRefreshableCredentials) have refresh_needed();
    # a plain botocore Credentials object never changes after we froze it.
    return obj is not None and hasattr(obj, "refresh_needed")


def resolve_credentials(
    credentials: CredentialsLike | None = None, *, profile: str | None = None
) -> CredentialSource:
    """Turn what the caller gave into a :class:`CredentialSource`.

    Args:
        credentials: ``None`` for botocore's default chain; a ``(key, secret)`` or
            ``(key, secret, token)`` tuple; a :class:`Credentials`; any botocore
            credentials object (refreshable ones are refreshed before expiry); or
            a :class:`CredentialSource` (returned as is).
        profile: the shared-config profile for the default chain.

    Raises:
        CredentialsError: the chain found nothing.
        InvalidInputError: ``credentials`` is of an unknown kind.

    Example:
        >>> resolve_credentials(("AKIDEXAMPLE", "secret")).snapshot().access_key
        'AKIDEXAMPLE'
    """
    if isinstance(credentials, CredentialSource):
        return credentials
    if isinstance(credentials, Credentials):
        return CredentialSource(credentials)
    if isinstance(credentials, tuple):
        if len(credentials) not in (2, 3) or not all(
            isinstance(p, str) or p is None for p in credentials
        ):
            from privateapi._errors import InvalidInputError

            raise InvalidInputError(
                "credentials", "<tuple>", "(access_key, secret_key[, session_token])"
            )
        key, secret = credentials[0], credentials[1]
        token = credentials[2] if len(credentials) == 3 else None
        if not key or not secret:
            raise CredentialsError("the static credentials are incomplete (no key or secret)")
        return CredentialSource(Credentials(key, secret, token or None))
    if credentials is not None:
        if not hasattr(credentials, "get_frozen_credentials"):
            from privateapi._errors import InvalidInputError

            raise InvalidInputError(
                "credentials",
                type(credentials).__name__,
                "a Credentials, a (key, secret[, token]) tuple or a botocore credentials object",
            )
        return CredentialSource(botocore=credentials)
    from_env = _from_environment(profile)
    if from_env is not None:
        return from_env
    return CredentialSource(botocore=_default_chain(profile))


def _from_environment(profile: str | None) -> CredentialSource | None:
    """The chain's first provider, the environment, read without importing botocore.

    ``import botocore.session`` costs 200-400 ms, most of a short CLI run. The rule is
    botocore's ``EnvProvider``: a non-empty ``AWS_ACCESS_KEY_ID`` with
    ``AWS_SECRET_ACCESS_KEY``, the token from ``AWS_SECURITY_TOKEN`` else
    ``AWS_SESSION_TOKEN``. Everything else goes to botocore, which decides as before:
    an explicit profile (botocore then drops the environment from its chain),
    ``AWS_CREDENTIAL_EXPIRATION`` (refreshable environment credentials), and a key
    without a secret (botocore's error names it).
    """
    env = os.environ
    key, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
    if profile is not None or not key or not secret or env.get("AWS_CREDENTIAL_EXPIRATION"):
        return None
    # botocore's order: AWS_SECURITY_TOKEN first, then AWS_SESSION_TOKEN.
    token = env.get("AWS_SECURITY_TOKEN") or env.get("AWS_SESSION_TOKEN") or None
    try:
        return CredentialSource(Credentials(key, secret, token), method="env")
    except CredentialsError:
        return None  # malformed: botocore's chain reports it, naming its provider, as before


def _default_chain(profile: str | None) -> Any:
    """botocore's credential chain for ``profile`` (imported here: it costs ~150 ms)."""
    import botocore.exceptions

    from privateapi._aws import botocore_session

    try:
        session = botocore_session(profile)
        creds = session.get_credentials()
    except botocore.exceptions.ProfileNotFound:
        raise CredentialsError(f"the AWS profile {profile!r} does not exist") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise CredentialsError(f"could not load AWS credentials: {type(exc).__name__}") from None
    if creds is None:
        raise CredentialsError(
            "no AWS credentials found (environment, shared config, SSO, container or"
            " instance metadata)"
        )
    return creds


_SECRET_HEADERS = frozenset({"authorization", "x-amz-security-token", "cookie", "x-api-key"})

# --------------------------------------------------------------------------------------
# the scrubber
# --------------------------------------------------------------------------------------

# Known secrets (the secret keys and session tokens of every Credentials built in this
# process), newest last, so output can be scrubbed by value whatever its shape: an echo
# in a JSON list, a Python tuple repr, a percent-encoded URL, a whitespace-folded
# canonical request. Bounded: a long-running process refreshing credentials keeps the
# newest few. Shorter values are scrubbed by shape only: a short test secret such as
# "secret" would otherwise blot out ordinary words.
_KNOWN_MAX = 16
_KNOWN_MIN_LENGTH = 8
_known: dict[str, None] = {}
_known_lock = threading.Lock()
_needles: tuple[str, ...] = ()


_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def _encodings(value: str) -> set[str]:
    """The forms a secret takes in text: raw, folded, percent-, JSON-, repr-, base64-encoded."""
    forms = {value, " ".join(value.split())}
    once = quote(value, safe="")
    lower_hex = _ESCAPE.sub(lambda m: m.group().lower(), once)
    forms |= {once, lower_hex, quote(value), quote_plus(value, safe=""), quote(once, safe="")}
    for escaped in (json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
        forms |= {escaped, escaped.replace("/", "\\/")}
    forms.add(repr(value)[1:-1])
    raw = value.encode("utf-8", "surrogatepass")
    for b64 in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
        forms |= {b64, b64.rstrip("=")}
    return {f for f in forms if len(f) >= _KNOWN_MIN_LENGTH}


def remember_secret(*values: str | None) -> None:
    """Register secret values to be scrubbed by value from everything :func:`redact` sees.

    :class:`Credentials` registers its secret key and session token itself; call this
    for other secrets (an API key) that output must never show.
    """
    global _needles
    fresh = [v for v in values if isinstance(v, str) and len(v) >= _KNOWN_MIN_LENGTH]
    if not fresh or all(v in _known for v in fresh):
        return
    with _known_lock:
        for v in fresh:
            _known.pop(v, None)
            _known[v] = None
        while len(_known) > _KNOWN_MAX:
            del _known[next(iter(_known))]
        needles: set[str] = set()
        for v in _known:
            needles |= _encodings(v)
        # Longest first: one form may contain another (the double-encoded one).
        _needles = tuple(sorted(needles, key=len, reverse=True))


# Names whose value is a secret, in any of the forms output shows them: a header line
# (`x-amz-security-token:T`), a query parameter (`X-Amz-Security-Token=T`, also
# percent-encoded: `X-Amz-Security-Token%3DT`), a JSON or Python member, a tuple
# (`('x-amz-security-token', 'T')`), a JSON list (`"x-amz-security-token": ["T"]`),
# an environment or INI line (`AWS_SESSION_TOKEN=T`, `aws_secret_access_key = S`) and
# STS/credential_process JSON (`"SessionToken": "T"`, `"SecretAccessKey": "S"`).
# Matched on an ASCII-lower-cased copy, factored by first letter so the regex engine
# skips ahead: ~50 ms for a 10 MB body, where a case-insensitive scan costs ~1 s.
_NAME = re.compile(
    r"x-(?:amz-security-token|api-key|aws-ec2-metadata-token)"
    r"|aws[_-]?(?:(?:session|security)[_-]?token|secret[_-]?(?:access[_-]?)?key)"
    r"|session[_-]?token|security[_-]?token|secret[_-]?(?:access[_-]?)?key"
)
# What follows the name (after its closing quote, if it had one): the separator.
_SEPARATOR = re.compile(r"""\s*(:|=|%3[dD]|,(?=\s*b?\\?["']))\s*""")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_ALNUM = frozenset(string.ascii_letters + string.digits)
_SIGNATURE = re.compile(r"(Signature(?:=|%3[dD]))[0-9a-fA-F]+")
_CREDENTIAL = re.compile(r"(Credential(?:=|%3[dD]))([A-Za-z0-9]+)(?=/|%2[fF])")
# API Gateway's IncompleteSignature messages quote the whole header: "Authorization=…".
_AUTHZ_ECHO = re.compile(r"(Authorization=)[^\n]*")
_BARE_END = re.compile(r"""%26|%20|[\s&"'\\,;)\]}<>]""")
_LINE_END = re.compile(r"""[\r\n"'\\]""")


def _value_end(text: str, start: int, sep: str) -> int:
    """Where the secret value starting at ``start`` ends (its shape decides)."""
    if text.startswith("[", start):  # a JSON list of values: all of it
        close = text.find("]", start)
        return len(text) if close < 0 else close + 1
    if text.startswith(("b'", 'b"'), start):  # a bytes repr: (b'x-amz-security-token', b'T')
        start += 1
    quote_at = start + 1 if text.startswith("\\", start) else start
    if quote_at < len(text) and text[quote_at] in "\"'":
        q = text[start : quote_at + 1]
        i = quote_at + 1
        while i < len(text):
            if text.startswith(q, i):
                return i + len(q)
            i += 2 if text[i] == "\\" and len(q) == 1 else 1
        return len(text)
    stop = (_LINE_END if sep == ":" else _BARE_END).search(text, start)
    return len(text) if stop is None else stop.start()


def _after_escape(low: str, begin: int) -> bool:
    # "%3FX-Amz-Security-Token" (in an encoded URL), "\\nx-amz-security-token" (a JSON
    # string holding a canonical request): the letter before the name ends an escape.
    return (begin > 2 and low[begin - 3] == "%") or (begin > 1 and low[begin - 2] == "\\")


def _redact_named(text: str) -> str:
    low = text.translate(_ASCII_LOWER)  # same length, unlike str.lower()
    out: list[str] = []
    pos = 0
    for m in _NAME.finditer(low):
        begin, end = m.span()
        if begin < pos:
            continue  # inside an earlier value
        if begin and low[begin - 1] in _ALNUM and not _after_escape(low, begin):
            continue  # part of a longer word
        quote_ = text[begin - 1] if begin and text[begin - 1] in "\"'" else ""
        if quote_ and begin > 1 and text[begin - 2] == "\\":
            quote_ = "\\" + quote_  # "\"x-amz-security-token\": …" inside a JSON string
        if quote_ and text.startswith(quote_, end):
            end += len(quote_)
        sep = _SEPARATOR.match(text, end)
        if sep is None:
            continue
        start = sep.end()
        stop = _value_end(text, start, sep.group(1))
        if text.startswith(("b'", 'b"'), start):
            start += 1
        if stop <= start:
            continue
        value = text[start:stop]
        if value.startswith("["):
            replacement = f'["{REDACTED}"]'
        elif value[:1] in "\"'" or value.startswith("\\"):
            q = value[: 2 if value.startswith("\\") else 1]
            replacement = q + REDACTED + q
        else:
            replacement = REDACTED
        out += [text[pos:start], replacement]
        pos = stop
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def redact(text: str) -> str:
    """Scrub secrets out of text meant for people or logs: the one scrubber.

    By shape: ``Signature=`` values, the key id in ``Credential=`` (masked, the scope
    kept), ``Authorization=`` echoes, and the value of anything named like a session
    token, secret key or API key (header line, query parameter, JSON, Python repr,
    environment line). By value: the secret keys and session tokens of the
    credentials in use (see :func:`remember_secret`), raw, whitespace-folded,
    percent-, JSON-, repr- and base64-encoded. Errors, logs, ``invoke`` and the
    doctor all pass their text through here.

    Example:
        >>> redact("Credential=AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request,"
        ...        " Signature=0123abcd")
        'Credential=AKID…MPLE/20150830/us-east-1/execute-api/aws4_request, Signature=<redacted>'
        >>> redact('{"x-amz-security-token": ["IQoJb3JpZ2lu"]}')
        '{"x-amz-security-token": ["<redacted>"]}'
    """
    for needle in _needles:
        if needle in text:
            text = text.replace(needle, REDACTED)
    if "ignature" in text:
        text = _SIGNATURE.sub(r"\1" + REDACTED, text)
    if "redential" in text:
        text = _CREDENTIAL.sub(lambda m: m.group(1) + mask_access_key(m.group(2)), text)
    if "Authorization=" in text:
        text = _AUTHZ_ECHO.sub(r"\1" + REDACTED, text)
    return _redact_named(text)


#: The same function under the name the error classifier has always used.
scrub = redact


def redact_headers(headers: Mapping[str, str] | Any) -> dict[str, str]:
    """A copy of ``headers`` safe to log or print: secrets redacted, by name and by value.

    Repeated names (``Set-Cookie``) keep their last value, as a ``dict`` does.
    """
    items = headers.multi_items() if hasattr(headers, "multi_items") else headers.items()
    out: dict[str, str] = {}
    for name, value in items:
        low = name.lower()
        if low == "authorization":
            out[name] = redact(value) if "Signature=" in value else REDACTED
        elif low in _SECRET_HEADERS:
            out[name] = REDACTED
        else:
            out[name] = redact(value)
    return out
