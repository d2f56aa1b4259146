"""Shared pieces of the operations commands (``vpce``, ``deploy``, ``status``, ``policy apply``).

The AWS options every control-plane command takes, the rendering of
:class:`privateapi.admin.ChangeResult`, and the one place that maps the library's argument
names, next steps and errors onto this command line's flags (the library never names a
flag). Data goes to stdout, warnings, notes and errors to stderr; with ``--json`` stdout
holds exactly one JSON document. Not a command itself (``privateapi_cli.main`` only loads
the modules named in ``COMMANDS``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from privateapi_cli._render import (
    EXIT_FAILURE,
    UsageError,
    console,
    emit_json,
    error_line,
    report_error,
)

if TYPE_CHECKING:
    from privateapi.admin import AdminError, ChangeResult, NextStep

#: Library argument name -> this command line's flag. Commands override where they differ
#: (``vpce`` calls the stage ``--redeploy``; its ``--timeout`` is the DNS wait's).
FLAGS: Mapping[str, str] = {
    "api_id": "--api-id",
    "vpce_id": "--vpce-id",
    "vpce_ids": "--vpce-id",
    "stage": "--stage",
    "region": "--region",
    "profile": "--profile",
    "endpoint_url": "--endpoint-url",
    "timeout": "--aws-timeout",
    "account": "--account",
    "resolver": "--resolver",
    "interval": "--interval",
}

#: What an argument left open in a next step is shown as.
_PLACEHOLDERS: Mapping[str, str] = {"stage": "STAGE", "vpce_id": "VPCE_ID", "api_id": "API_ID"}


def add_aws_options(parser: argparse.ArgumentParser, *, dry_run: bool = True) -> None:
    """Add ``--region``, ``--profile``, ``--endpoint-url``, ``--aws-timeout``, ``--json``
    and maybe ``--dry-run``."""
    group = parser.add_argument_group("AWS")
    group.add_argument("--region", help="the API's region (default: AWS_REGION or the profile's)")
    group.add_argument("--profile", help="a named AWS profile (default: AWS_PROFILE or default)")
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="the API Gateway control-plane endpoint, e.g. a local moto server (default:"
        " botocore's, which honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_API_GATEWAY)",
    )
    group.add_argument(
        "--aws-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long the AWS calls may take in all, retries included (default 60)",
    )
    if dry_run:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print the AWS calls that would be made, and make none",
        )
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def aws_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of the ``privateapi.admin`` functions taken from the options."""
    return {
        "region": args.region,
        "profile": args.profile,
        "endpoint_url": args.endpoint_url,
        "timeout": args.aws_timeout,
    }


# --- the library's names -> this command line ------------------------------------------------


def _flag_message(exc: Exception, args: argparse.Namespace, flags: Mapping[str, str]) -> str:
    """An input error's text with the argument named by its flag, where one was given."""
    from privateapi import InvalidInputError

    if type(exc) is not InvalidInputError or exc.field not in flags:
        return str(exc)
    flag = flags[exc.field]
    given = getattr(args, flag.lstrip("-").replace("-", "_"), None)
    if exc.value is None:
        return f"{flag} is missing: expected {exc.expected}"
    if given is None:
        return str(exc)  # it came from the environment or a config file, not a flag
    return f"{flag} {exc.value!r} is not valid: expected {exc.expected}"


@contextlib.contextmanager
def flagged(args: argparse.Namespace, **overrides: str) -> Iterator[None]:
    """Turn the library's input errors into usage errors that name this command's flags."""
    from privateapi import InvalidInputError

    try:
        yield
    except InvalidInputError as exc:
        message = _flag_message(exc, args, {**FLAGS, **overrides})
        raise UsageError(f"privateapi: error: {message}") from None


_COMMANDS: Mapping[str, str] = {
    "deploy": "privateapi deploy",
    "apply_policy": "privateapi policy apply",
    "status": "privateapi status",
    # Associating again is a no-op for endpoints already there, then it waits.
    "wait_for_alias": "privateapi vpce associate",
}


def command_line(step: NextStep, flags: Mapping[str, str] = FLAGS) -> str:
    """A next step as the command that does it."""
    words = [_COMMANDS[step.operation]]
    if step.operation == "apply_policy":
        words += ["--generate", "--vpce", "VPCE_ID"]  # the recommended policy
    for name, value in step.args.items():
        words += [flags.get(name, FLAGS[name]), value or _PLACEHOLDERS.get(name, name.upper())]
    if step.operation == "wait_for_alias":
        words.append("--wait")
    return " ".join(words)


def next_lines(steps: Sequence[NextStep]) -> list[str]:
    """One ``next:`` line per step; the alias waits of one API make one command."""
    lines: list[str] = []
    waits: dict[str | None, list[str]] = {}
    for step in steps:
        if step.operation == "wait_for_alias":
            waits.setdefault(step.args.get("api_id"), []).append(str(step.args.get("vpce_id")))
        else:
            lines.append(command_line(step))
    for api_id, vpce_ids in waits.items():
        words = [_COMMANDS["wait_for_alias"], "--api-id", api_id or "API_ID"]
        for vpce_id in vpce_ids:
            words += ["--vpce-id", vpce_id]
        lines.append(" ".join([*words, "--wait"]))
    return [f"next: {line}" for line in lines]


def render_error(
    exc: AdminError, overrides: Mapping[str, str] | None = None, *, json_mode: bool = False
) -> None:
    """An operation's error in the one error format: the error, the hint with the flags to
    check, the fix (and with ``json_mode`` the JSON error document on stdout)."""
    flags = {**FLAGS, **(overrides or {})}
    hint = exc.hint
    if hint:
        check = [flags[f] for f in exc.fields if f in flags]
        hint += f" (check {', '.join(check)})" if check else ""
    report_error(
        f"{type(exc).__name__}: {exc}",
        kind="failure",
        hint=hint,
        json_mode=json_mode,
        code=EXIT_FAILURE,
    )
    if exc.next_step is not None:
        error_line(f"next: {command_line(exc.next_step, flags)}")


def admin_command(
    **overrides: str,
) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Decorate a command's handler: input errors name flags, operation errors exit 1."""

    def decorate(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        @functools.wraps(run)
        def handler(args: argparse.Namespace) -> int:
            from privateapi.admin import AdminError

            try:
                with flagged(args, **overrides):
                    return run(args)
            except AdminError as exc:
                # A failure is not a usage error: stdout stays empty under --json (exit 1).
                render_error(exc, overrides)
                return EXIT_FAILURE

        return handler

    return decorate


# --- rendering results ------------------------------------------------------------------------


def render_plan(result: ChangeResult) -> None:
    """Print the calls a dry run would make, one per line."""
    out = console()
    out.print(f"Dry run: {len(result.calls)} AWS call(s) would be made, none was:")
    for call in result.calls:
        out.print(f"  {call}")


def render_messages(result: ChangeResult, *, skip: Sequence[str] = ()) -> None:
    """Warnings, notes and next steps, on stderr (``skip``: operations already under way)."""
    for warning in result.warnings:
        error_line(f"warning: {warning}")
    for note in result.notes:
        error_line(f"note: {note}")
    for line in next_lines([s for s in result.next_steps if s.operation not in skip]):
        error_line(line)


def render_deployment(result: ChangeResult) -> None:
    """One line for the deployment made, if any."""
    if result.deployment is not None:
        d = result.deployment
        when = f" at {d.created.isoformat(timespec='seconds')}" if d.created else ""
        console().print(f"Deployed stage {d.stage} (deployment {d.id}){when}.")


def finish(
    result: ChangeResult, args: argparse.Namespace, lines: list[str], *, skip: Sequence[str] = ()
) -> int:
    """Print a change result: the JSON document, or the plan, or ``lines`` + deployment."""
    if args.json:
        emit_json(result.to_dict())
        render_messages(result, skip=skip)
        return 0
    if result.dry_run:
        render_plan(result)
    else:
        out = console()
        for line in lines:
            out.print(line)
        render_deployment(result)
    render_messages(result, skip=skip)
    return 0
