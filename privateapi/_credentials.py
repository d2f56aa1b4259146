"""AWS credentials for signing: resolved once, refreshed before expiry, frozen per request.

By default credentials come from botocore's full chain (environment, shared
config and profiles, SSO, assume-role, ``credential_process``, container and
instance metadata). botocore is imported only when that chain is needed, so
``privateapi --help`` and unsigned calls never pay for it.

Secrets never show: :class:`Credentials` reprs hide the secret key and session
token, and :func:`redact` scrubs signatures and tokens from text meant for logs.

Example:
    >>> creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    >>> creds
    Credentials(access_key='AKID…MPLE', secret_key=<redacted>, token=None)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeAlias

from privateapi._errors import REDACTED, CredentialsError, scrub

__all__ = [
    "CredentialSource",
    "Credentials",
    "CredentialsLike",
    "mask_access_key",
    "redact",
    "redact_headers",
    "resolve_credentials",
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

    def __init__(self, static: Credentials | None = None, *, botocore: Any = None) -> None:
        if static is None and botocore is None:
            raise ValueError("a CredentialSource needs static or botocore credentials")
        self._static = static
        self._botocore = botocore
        self._lock = threading.Lock()
        self._snapshot: Credentials | None = static
        self._next_check = 0.0 if static is None else float("inf")

    def __repr__(self) -> str:
        kind = "static" if self._static is not None else type(self._botocore).__name__
        return f"CredentialSource({kind})"

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
        return Credentials(
            frozen.access_key,
            frozen.secret_key,
            frozen.token or None,
            expiry if isinstance(expiry, datetime) else None,
        )


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
    return CredentialSource(botocore=_default_chain(profile))


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


def redact(text: str) -> str:
    """Scrub signatures and session tokens out of text meant for people or logs.

    Example:
        >>> redact("AWS4-HMAC-SHA256 Credential=AKID/…, Signature=0123abcd")
        'AWS4-HMAC-SHA256 Credential=AKID/…, Signature=<redacted>'
    """
    return scrub(text)


def redact_headers(headers: Mapping[str, str] | Any) -> dict[str, str]:
    """A copy of ``headers`` safe to log: the signature and token are redacted."""
    items = headers.multi_items() if hasattr(headers, "multi_items") else headers.items()
    out: dict[str, str] = {}
    for name, value in items:
        low = name.lower()
        if low == "authorization":
            out[name] = redact(value) if "Signature=" in value else REDACTED
        elif low in _SECRET_HEADERS:
            out[name] = REDACTED
        else:
            out[name] = value
    return out
