"""Shared rendering helpers: the one console factory, JSON output, the one error format.

Data goes to stdout, status and errors to stderr. With ``--json`` stdout holds
exactly one JSON document, an error included (:func:`report_error`). Colour is rich's
decision (TTY, ``NO_COLOR``, ``FORCE_COLOR``, ``TERM=dumb``), which ``--color`` /
``--no-color`` only override; text from AWS is never interpreted as markup.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Collection, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    from rich.console import Console

    from privateapi_cli._lines import Printer

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
#: What a shell reports for a process killed by SIGPIPE (128 + 13): ``| head`` closed stdout.
EXIT_BROKEN_PIPE = 141

#: The ``kind`` of the ``--json`` error document: a usage error (the command line) or an
#: input error (a value the library refused: a region, a policy file). Both exit 2.
USAGE = "usage"
INPUT = "input"


class UsageError(Exception):
    """A usage error: reported by :func:`report_error`, exit code 2.

    Args:
        message: what was wrong and what is expected.
        suggestion: the closest valid word (a command, an option, a check id), if any.
        hint: one more line of advice, if any.
    """

    def __init__(
        self, message: str, *, suggestion: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.suggestion = suggestion
        self.hint = hint


def error_line(message: str) -> None:
    """Print one line on stderr, secrets scrubbed (errors, -v traces, hints all come here)."""
    from privateapi import redact

    print(redact(message), file=sys.stderr)


def _bare(message: str) -> str:
    """The message without a ``privateapi[ CMD]:`` / ``error:`` prefix (added once, here)."""
    if message.startswith("privateapi: error: "):
        return message.removeprefix("privateapi: error: ")
    if message.startswith("privateapi: "):
        return message.removeprefix("privateapi: ")
    if message.startswith("privateapi "):
        return message.removeprefix("privateapi ")
    return message


def report_error(
    message: str,
    *,
    kind: str = USAGE,
    suggestion: str | None = None,
    hint: str | None = None,
    json_mode: bool = False,
    code: int = EXIT_USAGE,
) -> int:
    """THE error output of every command; returns the exit code to use.

    On stderr: ``privateapi: error: <what>``, then ``hint: did you mean '<suggestion>'?``
    and/or ``hint: <hint>``. With ``json_mode`` (the command has ``--json`` and it was
    given), stdout also gets one JSON document::

        {"error": {"kind": "usage", "message": "...", "suggestion": "..." | null,
                   "hint": "..." | null}}
    """
    from privateapi import redact

    what = redact(_bare(message))
    error_line(f"privateapi: error: {what}")
    if suggestion:
        error_line(f"hint: did you mean {suggestion!r}?")
    if hint:
        error_line(f"hint: {hint}")
    if json_mode:
        doc = {
            "error": {
                "kind": kind,
                "message": what,
                "suggestion": suggestion,
                "hint": redact(hint) if hint else None,
            }
        }
        emit_json(doc)
    return code


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a mistyped ``word`` (difflib), or ``None``."""
    import difflib

    pool = [c for c in candidates if c]
    found = difflib.get_close_matches(word, pool, n=1, cutoff=0.7)
    if not found:  # case slips (stringequals) are not "close" to difflib
        lowered = {c.lower(): c for c in pool}
        found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.7)
        found = [lowered[f] for f in found]
    return found[0] if found else None


def emit_json(data: Any) -> None:
    """Write exactly one JSON document to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str))
    sys.stdout.write("\n")


def add_color_options(parser: argparse.ArgumentParser) -> None:
    """``--color`` / ``--no-color`` (tri-state, default: rich decides) and ``--ascii``."""
    color = parser.add_mutually_exclusive_group()
    color.add_argument(
        "--color",
        dest="color",
        action="store_true",
        default=None,
        help="colour even when stdout is not a terminal (as FORCE_COLOR)",
    )
    color.add_argument(
        "--no-color", dest="color", action="store_false", help="no colour (as NO_COLOR)"
    )
    parser.add_argument("--ascii", action="store_true", help="ASCII glyphs only")


@overload
def console(
    args: argparse.Namespace | None = None, *, stderr: bool = False, lines: Literal[False] = False
) -> Console: ...
@overload
def console(
    args: argparse.Namespace | None = None, *, stderr: bool = False, lines: Literal[True]
) -> Printer: ...
def console(
    args: argparse.Namespace | None = None, *, stderr: bool = False, lines: bool = False
) -> Console | Printer:
    """THE console factory: every console of the command line comes from here.

    It never interprets markup, emoji or highlighting in data. ``NO_COLOR``,
    ``FORCE_COLOR`` and ``TERM=dumb`` are rich's; ``--no-color`` wins over them and
    ``--color`` forces colour on stdout. A stderr console is a terminal only when stderr
    is a TTY, whatever ``FORCE_COLOR`` says, and never under ``--json``: spinners and
    progress bars (which draw only on a terminal console) never reach a log or a pipe.

    ``lines=True``: the caller prints only :class:`~privateapi_cli._lines.Line` objects and
    strings, so where rich would write bare text (not a terminal, no colour forced) a
    :class:`~privateapi_cli._lines.PlainConsole` is returned and rich is never imported.
    """
    if lines and _plain(args, stderr):
        from privateapi_cli._lines import PlainConsole

        return PlainConsole(stderr=stderr)
    from rich.console import Console

    color = getattr(args, "color", None)
    kwargs: dict[str, Any] = {}
    if color is False:
        kwargs["no_color"] = True
    if stderr:
        if getattr(args, "json", False) or not _isatty(sys.stderr):
            kwargs["force_terminal"] = False
            kwargs["no_color"] = True
    elif color is True:
        kwargs["force_terminal"] = True
    return Console(
        stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True, **kwargs
    )


#: Variables that make rich treat a pipe as a terminal (or a notebook): rich decides then.
_TERMINAL_HINTS = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JPY_PARENT_PID")


def _plain(args: argparse.Namespace | None, stderr: bool) -> bool:
    """Whether rich would write bare text here (so it need not be loaded)."""
    if stderr:
        return getattr(args, "json", False) or not _isatty(sys.stderr)
    if getattr(args, "color", None) is True or _isatty(sys.stdout):
        return False
    import os

    return not any(name in os.environ for name in _TERMINAL_HINTS)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


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


def read_text_input(path: str, what: str = "file") -> str:
    """A UTF-8 text input: a file, or ``-`` for stdin (policy explain/lint/apply share it)."""
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror} (expected a {what})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text (expected a {what})") from None
