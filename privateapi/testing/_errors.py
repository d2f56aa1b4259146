"""The one exception of the local gateway: a bad configuration, naming the key."""

from __future__ import annotations

from privateapi._errors import InvalidInputError

__all__ = ["LabConfigError"]

#: How much of a bad value an error message shows: a 10 MB policy must not become the message.
_SHOWN = 200


class _Shortened:
    """A long value's ``repr``, cut to a readable length (it is only ever shown)."""

    def __init__(self, text: str) -> None:
        self._text = text

    def __repr__(self) -> str:
        return self._text


class LabConfigError(InvalidInputError):
    """A bad local-gateway configuration (names the key, the value and what was expected).

    The value of a secret-looking key (a secret key, a session token, a password) is
    never echoed: a typo in a credentials table must not print the credential. A long
    value is shortened in the message (``.value`` keeps it whole).
    """

    def __init__(self, field: str, value: object, expected: str) -> None:
        if any(word in field.lower() for word in ("secret", "token", "password")):
            value = "<redacted>"
        super().__init__(field, value, expected)
        shown = repr(value)
        if len(shown) > _SHOWN:
            short = _Shortened(f"{shown[:_SHOWN]}... ({len(shown)} characters)")
            InvalidInputError.__init__(self, field, short, expected)
            self.value = value
