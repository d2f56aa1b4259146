"""Verify SigV4 signatures the way API Gateway does, with its exact error texts.

The canonicalisation is :mod:`privateapi._signing`'s (shared with the client's signer),
so both sides read the rules one way; this module only parses the ``Authorization``
header, checks the scope, the clock (5 minutes either side), the key id, the session
token and its expiry, and compares signatures.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from privateapi._signing import (
    ALGORITHM,
    canonical_request,
    payload_hash,
    sign,
    signing_key,
    string_to_sign,
)
from privateapi._wire import first_header
from privateapi.testing import _answers as E  # noqa: N812 - E.forbidden() reads like the table
from privateapi.testing._answers import Answer

__all__ = ["GatewayCredentials", "Verified", "is_sigv4", "verify"]

_AMZ = "%Y%m%dT%H%M%SZ"
_SKEW = timedelta(minutes=5)
_PART = re.compile(r"\s*([A-Za-z]+)\s*=\s*([^,\s]*)\s*,?")


@dataclass(frozen=True)
class GatewayCredentials:
    """Credentials the local gateway accepts, and who they stand for.

    ``arn`` is the caller's IAM identity (what deny messages and ``Principal`` matching
    see); ``policy`` is its identity policy (``None``: allows ``execute-api:Invoke`` on
    everything), combined with resource policies by Table A/B. ``expires`` makes a
    session token expire.

    Example:
        >>> c = GatewayCredentials("AKIAEXAMPLE0000000001", "secret")
        >>> c.account_id
        '123456789012'
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    arn: str = "arn:aws:iam::123456789012:user/privateapi-lab"
    expires: datetime | None = None
    policy: Mapping[str, Any] | str | None = None

    @property
    def account_id(self) -> str:
        """The account of :attr:`arn` (Table A if it owns the API, else Table B)."""
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 4 else ""

    def as_tuple(self) -> tuple[str, str] | tuple[str, str, str]:
        """``(key, secret[, token])`` for :class:`privateapi.SigV4Auth`."""
        if self.session_token:
            return (self.access_key_id, self.secret_access_key, self.session_token)
        return (self.access_key_id, self.secret_access_key)

    def to_dict(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """A JSON-ready form; the secret and token are ``<redacted>`` unless asked."""

        def hide(v: str | None) -> str | None:
            return v if show_secrets or v is None else "<redacted>"

        return {
            "access_key_id": self.access_key_id,
            "secret_access_key": hide(self.secret_access_key),
            "session_token": hide(self.session_token),
            "arn": self.arn,
            "expires": self.expires.isoformat() if self.expires else None,
        }


@dataclass(frozen=True, slots=True)
class Verified:
    """A request whose signature checked out, and whose credentials signed it."""

    credentials: GatewayCredentials


def is_sigv4(authorization: str | None) -> bool:
    """Whether an ``Authorization`` value claims to be SigV4 (``AWS4-HMAC-SHA256 ...``)."""
    return authorization is not None and authorization.lstrip().startswith(ALGORITHM)


def _request_time(headers: Sequence[tuple[str, str]]) -> tuple[datetime, str] | str | None:
    amz = first_header(headers, "x-amz-date")
    if amz is not None:
        amz = amz.strip()
        # strptime is slow (it dominates the verifier); the basic format is fixed-width.
        if len(amz) == 16 and amz[8] == "T" and amz[15] == "Z" and (amz[:8] + amz[9:15]).isdigit():
            try:
                return datetime(
                    int(amz[0:4]),
                    int(amz[4:6]),
                    int(amz[6:8]),
                    int(amz[9:11]),
                    int(amz[11:13]),
                    int(amz[13:15]),
                    tzinfo=UTC,
                ), amz
            except ValueError:
                return amz
        return amz
    date = first_header(headers, "date")
    if date is not None:
        try:
            when = parsedate_to_datetime(date).astimezone(UTC)
        except (TypeError, ValueError):
            return date
        return when, when.strftime(_AMZ)
    return None


def _signed_time(
    params: Mapping[str, str], headers: Sequence[tuple[str, str]], authorization: str
) -> tuple[datetime, str] | Answer:
    """The request's time (and its ``X-Amz-Date`` form), or the answer to a header missing."""
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    when = _request_time(headers)
    if when is None:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing:
        return E.incomplete_signature_parts(missing, authorization)
    if isinstance(when, str):
        return E.incomplete_signature_parts(
            [
                f"Date must be in ISO-8601 'basic format'. Got '{when}'."
                " See http://en.wikipedia.org/wiki/ISO_8601"
            ],
            authorization,
        )
    assert when is not None
    return when


def _scope_problem(
    scope: list[str], region: str, service: str, amz_date: str, authorization: str
) -> Answer | None:
    """API Gateway's answer to a credential scope that does not fit the request."""
    if len(scope) != 5:
        return E.incomplete_signature_parts(
            [
                "Credential should be scoped to a valid region, not ''. "
                f"Credential should be scoped to correct service: '{service}'."
            ],
            authorization,
        )
    _, date, scope_region, scope_service, terminator = scope
    if scope_region != region:
        return E.signature_problem(
            f"Credential should be scoped to a valid region, not '{scope_region}'. "
        )
    if scope_service != service:
        return E.signature_problem(f"Credential should be scoped to correct service: '{service}'. ")
    if terminator != "aws4_request":
        return E.signature_problem(
            "Credential should be scoped with a valid terminator: 'aws4_request',"
            f" not '{terminator}'. "
        )
    if date != amz_date[:8]:
        return E.signature_problem(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date"
            f" from HTTP: '{date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    return None


def _unsigned_or_stale(
    signed: list[str], request_time: datetime, amz_date: str, now: datetime
) -> Answer | None:
    """API Gateway's answer to an unsigned ``Host`` or a signature five minutes off ``now``."""
    if "host" not in signed:
        return E.signature_problem(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    if request_time < now - _SKEW:
        return E.clock_skew(
            f"Signature expired: {amz_date} is now earlier than "
            f"{(now - _SKEW).strftime(_AMZ)} ({now.strftime(_AMZ)} - 5 min.)"
        )
    if request_time > now + _SKEW:
        return E.clock_skew(
            f"Signature not yet current: {amz_date} is still later than "
            f"{(now + _SKEW).strftime(_AMZ)} ({now.strftime(_AMZ)} + 5 min.)"
        )
    return None


def _caller(
    creds: GatewayCredentials | None, token: str | None, now: datetime
) -> GatewayCredentials | Answer:
    """The key's owner, or the answer to an unknown key, a wrong token or an expired one."""
    if creds is None or (token or None) != (creds.session_token or None):
        return E.invalid_token()
    if creds.expires is not None and creds.expires <= now:
        return E.expired_token()
    return creds


def verify(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    region: str,
    credentials: Mapping[str, GatewayCredentials],
    now: datetime,
    service: str = "execute-api",
) -> Verified | Answer:
    """Check a SigV4-signed request; the caller or API Gateway's error answer."""
    authorization = (first_header(headers, "authorization") or "").strip()
    params = dict(_PART.findall(authorization[len(ALGORITHM) :]))
    when = _signed_time(params, headers, authorization)
    if isinstance(when, Answer):
        return when
    request_time, amz_date = when
    scope = params["Credential"].split("/")
    problem = _scope_problem(scope, region, service, amz_date, authorization)
    if problem is not None:
        return problem
    key_id, date = scope[0], scope[1]
    signed = [h.strip().lower() for h in params["SignedHeaders"].split(";") if h.strip()]
    now = now.astimezone(UTC).replace(microsecond=0)
    problem = _unsigned_or_stale(signed, request_time, amz_date, now)
    if problem is not None:
        return problem
    creds = _caller(credentials.get(key_id), first_header(headers, "x-amz-security-token"), now)
    if isinstance(creds, Answer):
        return creds
    creq = canonical_request(method, raw_path, raw_query, headers, signed, payload_hash(body))
    sts = string_to_sign(amz_date, f"{date}/{region}/{service}/aws4_request", creq)
    expected = sign(signing_key(creds.secret_access_key, date, region, service), sts)
    if not hmac.compare_digest(expected.encode(), params["Signature"].encode()):
        return E.signature_mismatch(creq, sts)
    return Verified(creds)
