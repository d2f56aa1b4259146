"""Shared rendering helpers: consoles, JSON output, usage errors, glyphs.

Data goes to stdout, status and errors to stderr. With ``--json`` stdout holds
exactly one JSON document. Colour is rich's decision (TTY, ``NO_COLOR``,
``FORCE_COLOR``, ``TERM=dumb``); text from AWS is never interpreted as markup.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class UsageError(Exception):
    """A usage error: printed as one line on stderr, exit code 2."""


def error_line(message: str) -> None:
    """Print one line on stderr, secrets scrubbed (errors, -v traces, hints all come here)."""
    from privateapi import redact

    print(redact(message), file=sys.stderr)


def emit_json(data: Any) -> None:
    """Write exactly one JSON document to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str))
    sys.stdout.write("\n")


def emit_json_error(code: str, message: str, **extra: Any) -> None:
    """Write the one JSON error document (``{"error": {"code", "message", ...}}``) to stdout.

    With ``--json`` even a malformed command line yields exactly one JSON document, so a
    script reading stdout never has to parse stderr.
    """
    from privateapi import redact

    emit_json({"error": {"code": code, "message": redact(message), **extra}})


def wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for ``--json`` (read before, or without, parsing)."""
    return any(a == "--json" for a in argv if isinstance(a, str))


def console(*, stderr: bool = False) -> Console:
    """A rich console that never interprets markup, emoji or highlighting in data."""
    from rich.console import Console

    return Console(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True)


def parse_header(value: str) -> tuple[str, str]:
    """Parse a ``-H 'Name: value'`` argument."""
    name, sep, rest = value.partition(":")
    if not sep or not name.strip():
        raise UsageError(f"header {value!r} is not valid: expected 'Name: value'")
    return name.strip(), rest.strip()


class _StyleChoices(Collection[str]):
    """The private access styles' values, read from the library only when argparse needs them.

    Importing the library costs ~15 ms (its error and cause tables), which ``privateapi
    --help`` does not need: argparse iterates choices only to check a value or to format
    that command's help (the options give a ``metavar``, so adding them does not iterate).
    """

    def _values(self) -> list[str]:
        from privateapi import Style

        return [s.value for s in Style if s.is_private]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())

    def __contains__(self, value: object) -> bool:
        return value in self._values()


def style_choices() -> Collection[str]:
    """The ``--style`` choices: every private access style the library knows, in its order."""
    return _StyleChoices()


def flag(fact: str) -> str:
    """The command-line flag of a target fact (``vpce_dns`` -> ``--vpce-dns``)."""
    return "--" + fact.replace("_", "-")
