"""Policy variables: ``${aws:username}``, ``${*}``, ``${key, 'default'}``.

Only ``Version: 2012-10-17`` enables them; elsewhere ``${...}`` is literal text. A
substituted value is literal, never a pattern: a user name ``Bob*`` is no wildcard.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from privateapi.policy._match import Piece

__all__ = ["VARIABLE", "has_variables", "substitute"]

VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}
_DEFAULT = re.compile(r"^\s*([^,]*?)\s*,\s*'([^']*)'\s*$")

Lookup = Callable[[str], tuple[str, ...] | None]


def has_variables(text: str) -> bool:
    """Whether ``text`` contains a ``${...}`` policy variable."""
    return VARIABLE.search(text) is not None


def substitute(text: str, lookup: Lookup) -> list[Piece] | None:
    """Split ``text`` into pattern pieces and substituted literal pieces.

    Returns ``None`` when a variable cannot be resolved (its key is absent or multivalued
    and there is no default), which makes the value match nothing.
    """
    pieces: list[Piece] = []
    pos = 0
    for m in VARIABLE.finditer(text):
        if m.start() > pos:
            pieces.append((text[pos : m.start()], False))
        pos = m.end()
        inner = m.group(1).strip()
        if inner in _SPECIAL:
            pieces.append((_SPECIAL[inner], True))
            continue
        default: str | None = None
        dm = _DEFAULT.match(inner)
        if dm:
            inner, default = dm.group(1), dm.group(2)
        values = lookup(inner)
        if values is not None and len(values) == 1:
            pieces.append((values[0], True))
        elif default is not None:
            pieces.append((default, True))
        else:
            return None
    if pos < len(text):
        pieces.append((text[pos:], False))
    return pieces
