"""Entry point of the ``privateapi`` command.

Exit codes: 0 success, 1 a failure the command reports (an HTTP error, a failed
check), 2 a usage or input error, 3 an internal error. Usage errors print one line
on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from privateapi_cli._render import EXIT_INTERNAL, EXIT_USAGE, UsageError, error_line

# Command modules, in the order `privateapi --help` lists them. A module is imported
# when the parser is built, so each must keep its own module-level imports light
# (argparse and privateapi_cli only); heavy imports go inside its handler.
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


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit 2) instead of the usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("privateapi")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked (importlib.metadata costs ~30-50 ms)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version"
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        sys.stdout.write(f"privateapi {_version()}\n")  # stdout, as argparse's own action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used to generate the CLI reference in the docs)."""
    parser = _Parser(
        prog="privateapi",
        description="Call and troubleshoot AWS API Gateway private REST APIs from inside a VPC.",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"privateapi_cli.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"privateapi_cli.commands.{name}":
                raise
            continue  # a command that is not built yet is simply not offered
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    from privateapi._errors import InvalidInputError, PrivateApiError

    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return int(handler(args))
    except UsageError as exc:
        error_line(str(exc))
        return EXIT_USAGE
    except InvalidInputError as exc:
        error_line(f"privateapi: error: {exc}")
        return EXIT_USAGE
    except PrivateApiError as exc:
        error_line(f"privateapi: {type(exc).__name__}: {exc}")
        if exc.hint:
            error_line(f"hint: {exc.hint}")
        return 1
    except KeyboardInterrupt:
        error_line("privateapi: interrupted")
        return 130
    except Exception as exc:  # the last line of defence: no tracebacks
        if os.environ.get("PRIVATEAPI_DEBUG"):
            raise
        error_line(f"privateapi: internal error: {type(exc).__name__}: {exc}")
        error_line("set PRIVATEAPI_DEBUG=1 for a traceback, and please report it")
        return EXIT_INTERNAL
