"""``privateapi policy apply``: validate, lint and save a resource policy, then redeploy.

Registered by ``privateapi_cli.commands.policy`` (it calls :func:`register` with its
subparsers). Argument parsing and rendering only (:func:`privateapi.admin.apply_policy`
decides).
"""

from __future__ import annotations

import argparse
from typing import Any

from privateapi_cli._render import UsageError
from privateapi_cli.commands._admin import add_aws_options, admin_command, aws_kwargs, finish
from privateapi_cli.commands.policy import add_policy_input, policy_input


def register(policy_subparsers: Any) -> None:
    """Add ``apply`` under ``privateapi policy``."""
    p = policy_subparsers.add_parser(
        "apply",
        help="save a resource policy on an API and redeploy it",
        description="Validate and lint a resource policy (from FILE, - for stdin, or"
        " --generate), put it on the API, and redeploy the stage: a saved policy does nothing"
        " until the API is deployed. Exit codes: 0 applied, 1 AWS refused, 2 usage error or"
        " invalid policy.",
    )
    add_policy_input(p)
    p.add_argument("--api-id", required=True, help="the REST API id")
    p.add_argument(
        "--generate",
        action="store_true",
        help="apply the recommended policy for --vpce/--vpc instead of a file",
    )
    p.add_argument(
        "--vpce",
        action="extend",
        nargs="+",
        default=[],
        metavar="VPCE_ID",
        help="with --generate: VPC endpoints to allow",
    )
    p.add_argument(
        "--vpc",
        action="extend",
        nargs="+",
        default=[],
        metavar="VPC_ID",
        help="with --generate: VPCs to allow",
    )
    p.add_argument("--stage", help="the stage to redeploy (required unless --no-deploy)")
    p.add_argument(
        "--no-deploy",
        action="store_true",
        help="save the policy without deploying (it takes effect at the next deployment)",
    )
    p.add_argument("--account", help="the API's account id, to lint execute-api:/ short forms")
    add_aws_options(p)
    p.set_defaults(handler=run)


def _document(args: argparse.Namespace) -> Any:
    given = args.file is not None or args.policy_file is not None
    if args.generate == given:
        raise UsageError(
            "policy apply: give either FILE or --generate, not both (FILE may be --policy FILE)"
        )
    if args.generate:
        if not (args.vpce or args.vpc):
            raise UsageError("privateapi policy apply: --generate needs --vpce or --vpc")
        from privateapi.policy import generate

        return generate(args.vpce, args.vpc)
    if args.vpce or args.vpc:
        raise UsageError("privateapi policy apply: --vpce/--vpc go with --generate")
    return policy_input(args)


@admin_command()
def run(args: argparse.Namespace) -> int:
    """Handle ``privateapi policy apply``."""
    from privateapi import admin

    if args.stage is None and not args.no_deploy:
        raise UsageError(
            "privateapi policy apply: --stage is required (or --no-deploy: the policy then"
            " does nothing until the next deployment)"
        )
    document = _document(args)
    result = admin.apply_policy(
        args.api_id,
        document,
        stage=args.stage,
        deploy=not args.no_deploy,
        account=args.account,
        dry_run=args.dry_run,
        **aws_kwargs(args),
    )
    lines = [f"Saved the resource policy on {result.api_id} ({result.region})."]
    return finish(result, args, lines)
