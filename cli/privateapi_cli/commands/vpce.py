"""``privateapi vpce associate|disassociate``: manage the VPC endpoints of a private API.

Argument parsing and rendering only (:mod:`privateapi.admin` decides). With ``--wait`` the
``{api}-{vpce}`` alias names are polled in DNS; a progress bar is drawn on stderr when it
is a terminal, never otherwise.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from privateapi_cli._render import EXIT_FAILURE, UsageError, console, emit_json, error_line
from privateapi_cli.commands._admin import (
    add_aws_options,
    admin_command,
    aws_kwargs,
    finish,
    flagged,
    render_error,
)

if TYPE_CHECKING:
    from privateapi.admin import AliasPoll, AliasResolution, ChangeResult


def register(sub: Any) -> None:
    """Add the ``vpce`` command and its ``associate``/``disassociate`` subcommands."""
    p = sub.add_parser(
        "vpce",
        help="associate or disassociate VPC endpoints with a private API",
        description="Associate VPC endpoints with a private API (which gives each one the"
        " {api}-{vpce}.execute-api.{region} alias name) or remove them. AWS asks for a"
        " redeployment after either: use --redeploy STAGE.",
    )
    p.set_defaults(handler=_usage(p))
    actions = p.add_subparsers(dest="vpce_command", metavar="SUBCOMMAND", parser_class=type(p))
    for name, verb in (("associate", "associate"), ("disassociate", "remove")):
        a = actions.add_parser(
            name,
            help=f"{verb} VPC endpoints {'with' if name == 'associate' else 'from'} an API",
            description=f"{verb.capitalize()} VPC endpoints"
            f" {'with' if name == 'associate' else 'from'} a private API"
            " (update-rest-api on /endpointConfiguration/vpcEndpointIds), then optionally"
            " redeploy a stage. Exit codes: 0 done, 1 AWS refused or the alias did not"
            " resolve in time, 2 usage error.",
        )
        a.add_argument("--api-id", required=True, help="the REST API id")
        a.add_argument(
            "--vpce-id",
            required=True,
            action="append",
            metavar="VPCE_ID",
            help="a VPC endpoint id (repeat for several)",
        )
        a.add_argument("--redeploy", metavar="STAGE", help="redeploy this stage afterwards")
        if name == "associate":
            a.add_argument(
                "--wait",
                action="store_true",
                help="poll DNS until every alias name resolves (bounded by --timeout)",
            )
            a.add_argument(
                "--timeout",
                type=float,
                default=300.0,
                metavar="SECONDS",
                help="how long --wait polls (default 300)",
            )
            a.add_argument(
                "--interval",
                type=float,
                default=5.0,
                metavar="SECONDS",
                help="seconds between DNS polls (default 5)",
            )
            a.add_argument(
                "--resolver",
                metavar="IP[:PORT]",
                help="the DNS server --wait asks (default: the nameservers of /etc/resolv.conf)",
            )
        add_aws_options(a)
        a.set_defaults(handler=run, vpce_action=name)


def _usage(parser: argparse.ArgumentParser) -> Any:
    def show(args: argparse.Namespace) -> int:
        from privateapi_cli._render import EXIT_USAGE

        parser.print_help(sys.stderr)
        return EXIT_USAGE

    return show


#: The wait's own options (vpce associate's --timeout is the DNS wait's, not AWS's).
_WAIT_FLAGS = {"timeout": "--timeout", "interval": "--interval", "resolver": "--resolver"}


@admin_command(stage="--redeploy")
def run(args: argparse.Namespace) -> int:
    """Handle ``privateapi vpce associate|disassociate``."""
    from privateapi import admin

    wait = getattr(args, "wait", False)
    if getattr(args, "resolver", None) is not None and not wait:
        raise UsageError("privateapi vpce associate: --resolver goes with --wait")
    if wait:
        with flagged(args, **_WAIT_FLAGS):  # refused before any change is made
            admin.validate_alias_wait(
                timeout=args.timeout, interval=args.interval, resolver=args.resolver
            )
    change = (
        admin.associate_endpoints
        if args.vpce_action == "associate"
        else admin.disassociate_endpoints
    )
    result = change(
        args.api_id,
        args.vpce_id,
        redeploy_stage=args.redeploy,
        dry_run=args.dry_run,
        **aws_kwargs(args),
    )
    if not wait or result.dry_run:
        return finish(result, args, _lines(result))
    return _wait(result, args)


def _lines(result: ChangeResult) -> list[str]:
    verb = "Associated" if result.action == "associate" else "Disassociated"
    lines = []
    if result.changed:
        ids = ", ".join(e.vpce_id for e in result.endpoints)
        lines.append(f"{verb} {ids} {'with' if verb == 'Associated' else 'from'} {result.api_id}.")
    now = ", ".join(result.vpc_endpoint_ids) or "none"
    lines.append(f"Endpoints associated with {result.api_id} ({result.region}): {now}")
    if result.action == "associate":
        for e in result.endpoints:
            lines.append(f"  {e.vpce_id}  {e.alias_url}")
    return lines


def _wait(result: ChangeResult, args: argparse.Namespace) -> int:
    from privateapi import admin

    found: list[AliasResolution] = []
    failure: admin.AliasNotResolvedError | None = None
    interactive = sys.stderr.isatty() and not args.json
    if not args.json:
        finish(result, args, _lines(result), skip=("wait_for_alias",))
    for endpoint in result.endpoints:
        if not interactive:
            error_line(
                f"waiting up to {args.timeout:g} s for {endpoint.alias_hostname} to resolve..."
            )
        try:
            found.append(_wait_one(result, endpoint.vpce_id, args, interactive))
        except admin.AliasNotResolvedError as exc:
            failure = exc
            break
    if args.json:
        doc = result.to_dict()
        doc["wait"] = {
            "resolved": failure is None,
            "aliases": [f.to_dict() for f in found],
            "error": str(failure) if failure else None,
        }
        emit_json(doc)
    else:
        out = console()
        for f in found:
            out.print(
                f"{f.hostname} resolves to {', '.join(f.addresses)}"
                f" (after {f.elapsed:.1f} s, {f.attempts} poll(s))."
            )
    if failure is not None:
        render_error(failure)
        return EXIT_FAILURE
    return 0


def _wait_one(
    result: ChangeResult, vpce_id: str, args: argparse.Namespace, interactive: bool
) -> AliasResolution:
    from privateapi import admin

    def wait(progress: Any = None) -> AliasResolution:
        return admin.wait_for_alias(
            result.api_id,
            vpce_id,
            result.region,
            timeout=args.timeout,
            interval=args.interval,
            resolver=args.resolver,
            progress=progress,
        )

    if not interactive:
        return wait()
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeRemainingColumn(),
        console=console(args, stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(f"waiting for {vpce_id}", total=args.timeout)

        def update(poll: AliasPoll) -> None:
            bar.update(
                task,
                completed=poll.elapsed,
                description=f"{poll.hostname}: {poll.answer} (poll {poll.attempt})",
            )

        return wait(update)
