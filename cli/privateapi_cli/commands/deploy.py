"""``privateapi deploy``: create a deployment of a private API's stage.

Argument parsing and rendering only (:func:`privateapi.admin.deploy` decides).
"""

from __future__ import annotations

import argparse
from typing import Any

from privateapi_cli.commands._admin import add_aws_options, admin_command, aws_kwargs, finish


def register(sub: Any) -> None:
    """Add the ``deploy`` command."""
    p = sub.add_parser(
        "deploy",
        help="deploy a private API to a stage (after a policy or endpoint change)",
        description="Create a deployment of the API to a stage, creating the stage if needed."
        " A private API without a resource policy cannot be deployed; that is refused with"
        " the reason before any change. Exit codes: 0 deployed, 1 AWS refused, 2 usage error.",
    )
    p.add_argument("--api-id", required=True, help="the REST API id")
    p.add_argument("--stage", required=True, help="the stage to deploy, e.g. prod")
    p.add_argument("--description", help="the deployment's description")
    add_aws_options(p)
    p.set_defaults(handler=run)


@admin_command()
def run(args: argparse.Namespace) -> int:
    """Handle ``privateapi deploy``."""
    from privateapi import admin

    result = admin.deploy(
        args.api_id,
        args.stage,
        args.description,
        dry_run=args.dry_run,
        **aws_kwargs(args),
    )
    return finish(result, args, [])
