"""What may go on the wire: the HTTP token grammar, header look-up, API Gateway's limits.

One home for both, shared by the client (which refuses what API Gateway would refuse,
before sending) and the local gateway (which answers as API Gateway does). Nothing here
imports more than ``re``, so the local gateway's HTTP reader can use it freely.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "MAX_BODY_BYTES",
    "MAX_METHOD_ARN_BYTES",
    "MAX_REQUEST_HEAD_BYTES",
    "TOKEN",
    "TOKEN_BYTES",
    "TOKEN_FORM",
    "check_max_response_bytes",
    "first_header",
]

#: An RFC 9110 ``token`` (a method or a header name), over text.
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: The same over the raw bytes an HTTP/1.1 reader or writer handles: no decode needed.
TOKEN_BYTES = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: How a token is described to people in error messages.
TOKEN_FORM = "an HTTP token: letters, digits and !#$%&'*+-.^_`|~, no spaces"  # noqa: S105 - grammar, not a secret

#: API Gateway's payload limit: larger request bodies get 413.
MAX_BODY_BYTES = 10_485_760
#: API Gateway's REST API quota "total combined size of request line and header values".
MAX_REQUEST_HEAD_BYTES = 10_240
#: Longest method ARN API Gateway authorizes; a longer one is answered 414 when
#: authorization is on, which a private API (always a resource policy) always has.
MAX_METHOD_ARN_BYTES = 1_600
#: The client's default cap on a response body, counted decoded: API Gateway's 10 MB
#: payload limit plus 1 MiB, so a legitimate maximal answer always fits.
DEFAULT_MAX_RESPONSE_BYTES = MAX_BODY_BYTES + 1_048_576


def check_max_response_bytes(value: object) -> int:
    """``value`` as a response cap: a positive whole number of bytes, or ``InvalidInputError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        from privateapi._errors import InvalidInputError

        raise InvalidInputError("max_response_bytes", value, "a positive whole number of bytes")
    return value


def first_header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of header ``name`` among ``(name, value)`` pairs, case-insensitively."""
    low = name.lower()
    for k, v in headers:
        if k.lower() == low:
            return v
    return None
