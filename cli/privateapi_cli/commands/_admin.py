"""Shared pieces of the operations commands (``vpce``, ``deploy``, ``status``, ``policy apply``).

The AWS options every control-plane command takes, and the rendering of
:class:`privateapi.admin.ChangeResult`. Data goes to stdout, warnings and notes to
stderr; with ``--json`` stdout holds exactly one JSON document. Not a command itself
(``privateapi_cli.main`` only loads the modules named in ``COMMANDS``).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from privateapi_cli._render import console, emit_json, error_line

if TYPE_CHECKING:
    from privateapi.admin import ChangeResult


def add_aws_options(parser: argparse.ArgumentParser, *, dry_run: bool = True) -> None:
    """Add ``--region``, ``--profile``, ``--endpoint-url``, ``--json`` and maybe ``--dry-run``."""
    group = parser.add_argument_group("AWS")
    group.add_argument("--region", help="the API's region (default: AWS_REGION or the profile's)")
    group.add_argument("--profile", help="a named AWS profile (default: AWS_PROFILE or default)")
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="the API Gateway control-plane endpoint, e.g. a local moto server (default:"
        " botocore's, which honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_API_GATEWAY)",
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
    return {"region": args.region, "profile": args.profile, "endpoint_url": args.endpoint_url}


def render_plan(result: ChangeResult) -> None:
    """Print the calls a dry run would make, one per line."""
    out = console()
    out.print(f"Dry run: {len(result.calls)} AWS call(s) would be made, none was:")
    for call in result.calls:
        out.print(f"  {call}")


def render_messages(result: ChangeResult) -> None:
    """Warnings and notes, on stderr."""
    for warning in result.warnings:
        error_line(f"warning: {warning}")
    for note in result.notes:
        error_line(f"note: {note}")


def render_deployment(result: ChangeResult) -> None:
    """One line for the deployment made, if any."""
    if result.deployment is not None:
        d = result.deployment
        when = f" at {d.created.isoformat(timespec='seconds')}" if d.created else ""
        console().print(f"Deployed stage {d.stage} (deployment {d.id}){when}.")


def finish(result: ChangeResult, args: argparse.Namespace, lines: list[str]) -> int:
    """Print a change result: the JSON document, or the plan, or ``lines`` + deployment."""
    if args.json:
        emit_json(result.to_dict())
        render_messages(result)
        return 0
    if result.dry_run:
        render_plan(result)
    else:
        out = console()
        for line in lines:
            out.print(line)
        render_deployment(result)
    render_messages(result)
    return 0
