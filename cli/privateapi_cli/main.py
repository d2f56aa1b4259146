"""Entry point of the ``privateapi`` command.

Exit codes: 0 success, 1 a failure the command reports (an HTTP error, a failed
check), 2 a usage or input error, 3 an internal error, 22 ``invoke --fail`` on an
HTTP error (as curl), 130 interrupted, 141 stdout closed early (``| head``). Every
error goes through :func:`privateapi_cli._render.report_error`: one format on stderr,
and with ``--json`` one JSON document on stdout too; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

from privateapi_cli._render import (
    EXIT_BROKEN_PIPE,
    EXIT_FAILURE,
    EXIT_INTERNAL,
    INPUT,
    UsageError,
    error_line,
    report_error,
    suggest,
)

# Command modules, in the order `privateapi --help` lists them. A module is imported
# when the parser is built, so each must keep its own module-level imports light
# (argparse and privateapi_cli only); heavy imports go inside its handler. A name here
# that names no module (or a module without ``register``) fails at import, loudly.
COMMANDS: tuple[str, ...] = (
    "url",
    "invoke",
    "doctor",
    "policy",
    "lab",
    "demo",
    "vpce",
    "deploy",
    "status",
    "fleet",
)

_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<value>[^']*)' \(choose from (?P<choices>.*)\)")
_UNRECOGNIZED = "unrecognized arguments: "


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit 2) and did-you-mean suggestions."""

    def error(self, message: str) -> NoReturn:
        suggestion = None
        m = _INVALID_CHOICE.search(message)
        if m:
            choices = re.findall(r"'([^']*)'", m.group("choices"))
            suggestion = suggest(m.group("value"), choices)
        raise UsageError(f"{self.prog}: {message}", suggestion=suggestion)


class _Version(argparse.Action):
    """``--version``: the version and the commands, unwrapped (argparse's action rewraps)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "print the version and the commands, and exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: object, **__: object) -> None:
        sys.stdout.write(f"privateapi {_version()}\ncommands: {', '.join(COMMANDS)}\n")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("privateapi")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


def load_command(name: str) -> Callable[[Any], object]:
    """The ``register`` function of a command module (a missing one raises, loudly)."""
    module = importlib.import_module(f"privateapi_cli.commands.{name}")
    register = getattr(module, "register", None)
    if not callable(register):
        raise ImportError(f"privateapi_cli.commands.{name} has no register() function")
    return register  # type: ignore[no-any-return]


def _leaves(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:  # argparse has no public walk of its subparsers
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield from _leaves(child)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full argument parser (also used to generate the CLI reference in the docs).

    ``only``: register just that command (a command line naming it needs no other; each
    command's module and options cost start-up time).
    """
    parser = _Parser(
        prog="privateapi",
        description="Call and troubleshoot AWS API Gateway private REST APIs from inside a VPC.",
        epilog="exit codes: 0 success, 1 a reported failure, 2 a usage or input error,"
        " 3 an internal error. Run 'privateapi COMMAND --help' for a command's own codes.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS if only is None else (only,):
        load_command(name)(sub)
    for leaf in _leaves(parser):
        # The deepest parser's default wins: the one whose options an unknown flag is near.
        leaf.set_defaults(_cli_parser=leaf)
    return parser


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    return [o for a in parser._actions for o in a.option_strings]


def _unknown(extras: list[str], args: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    leaf = getattr(args, "_cli_parser", parser)
    options = _option_strings(leaf)
    flags = [e.split("=", 1)[0] for e in extras if e.startswith("-")]
    suggestion = next((s for s in (suggest(f, options) for f in flags) if s), None)
    raise UsageError(f"{leaf.prog}: {_UNRECOGNIZED}{' '.join(extras)}", suggestion=suggestion)


def _json_mode(argv: Sequence[str]) -> bool:
    """Whether ``--json`` was asked for (looked up before parsing, which may fail)."""
    words = list(argv)
    if "--" in words:
        words = words[: words.index("--")]
    return "--json" in words


def _run(argv: Sequence[str], seen: dict[str, Any]) -> int:
    # A real command line cannot hold NUL (exec passes C strings); main(argv) from Python
    # can, and every path or name would refuse it later, less clearly.
    for word in argv:
        if "\x00" in word:
            raise UsageError(f"argument {word!r} contains a NUL character: expected text")
    first = argv[0] if argv else None
    parser = build_parser(first if first in COMMANDS else None)
    args, extras = parser.parse_known_args(argv)
    seen["options"] = _option_strings(getattr(args, "_cli_parser", parser))
    seen["args"] = args
    if extras:
        _unknown(extras, args, parser)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        raise UsageError("a command is required", hint="privateapi --help lists them")
    return int(handler(args))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    json_mode = _json_mode(words)
    seen: dict[str, Any] = {}  # what parsing found, for naming a refused value by its flag
    try:
        return _run(words, seen)
    except UsageError as exc:
        return report_error(str(exc), suggestion=exc.suggestion, hint=exc.hint, json_mode=json_mode)
    except BrokenPipeError:
        return _broken_pipe()
    except KeyboardInterrupt:
        error_line("privateapi: interrupted")
        return 130
    except Exception as exc:  # library errors, then the last line of defence
        return _library_error(exc, json_mode, seen)


def _flagged(exc: Any, seen: dict[str, Any]) -> str:
    """An input error's text, prefixed with the flag that gave the value (``--timeout: ...``).

    The library names its own argument (``timeout``); the flag is this command line's. Only
    when the command has that flag and the user gave the value (not a default or the
    environment) is the flag named.
    """
    message = str(exc)
    name = "--" + str(getattr(exc, "field", "")).replace("_", "-").replace(" ", "-")
    args = seen.get("args")
    if name not in seen.get("options", ()) or args is None:
        return message
    given = getattr(args, name[2:].replace("-", "_"), None)
    value = getattr(exc, "value", None)
    if given is None or (value is not None and str(value) not in str(given)):
        return message
    return f"{name}: {message}"


def _library_error(exc: Exception, json_mode: bool, seen: dict[str, Any]) -> int:
    """A library error as the one error format; anything else an internal error (exit 3)."""
    from privateapi import InvalidInputError, PrivateApiError
    from privateapi_cli._hints import cli_hint
    from privateapi_cli._suggest import suggestion_for

    if isinstance(exc, InvalidInputError):
        return report_error(
            _flagged(exc, seen), kind=INPUT, suggestion=suggestion_for(exc), json_mode=json_mode
        )
    if isinstance(exc, PrivateApiError):
        code = f" [{exc.cause_code}]" if exc.cause_code else ""
        return report_error(
            f"{type(exc).__name__}{code}: {exc}",
            kind="failure",
            hint=cli_hint(exc.cause_code, exc.hint),
            code=EXIT_FAILURE,
        )
    if os.environ.get("PRIVATEAPI_DEBUG"):
        raise exc
    report_error(
        f"internal error: {type(exc).__name__}: {exc}",
        kind="internal",
        hint="set PRIVATEAPI_DEBUG=1 for a traceback, and please report it",
        json_mode=json_mode,
        code=EXIT_INTERNAL,
    )
    return EXIT_INTERNAL


def _broken_pipe() -> int:
    """stdout was closed by its reader (``| head``): stop quietly, as curl or cat do."""
    try:
        # Later flushes (at interpreter exit) must not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout has no descriptor (a test's StringIO)
        pass
    return EXIT_BROKEN_PIPE
