"""``privateapi status``: what the control plane says about a private API.

Argument parsing and rendering only (:func:`privateapi.admin.status` decides).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from privateapi_cli._render import console, emit_json
from privateapi_cli.commands._admin import add_aws_options, admin_command, aws_kwargs

if TYPE_CHECKING:
    from privateapi.admin import ApiStatus


def register(sub: Any) -> None:
    """Add the ``status`` command."""
    p = sub.add_parser(
        "status",
        help="show a private API's endpoints, stages, policy and custom domains",
        description="Show the endpoint type, the associated VPC endpoints and their alias"
        " URLs, the stages and their last deployment, who the resource policy lets in (and"
        " its lint warnings), and private custom domains with their access associations."
        " Reads only (apigateway:GET). Exit codes: 0 shown, 1 AWS refused, 2 usage error.",
    )
    p.add_argument("--api-id", required=True, help="the REST API id")
    p.add_argument(
        "--no-domains",
        action="store_true",
        help="skip the custom domain lookups (which list every domain of the account)",
    )
    add_aws_options(p, dry_run=False)
    p.set_defaults(handler=run)


@admin_command()
def run(args: argparse.Namespace) -> int:
    """Handle ``privateapi status``."""
    from privateapi import admin

    st = admin.status(args.api_id, include_domains=not args.no_domains, **aws_kwargs(args))
    if args.json:
        emit_json(st.to_dict())
    else:
        render(st)
    return 0


def render(st: ApiStatus) -> None:
    """The human form of a status."""
    out = console()
    name = f" {st.name!r}" if st.name else ""
    out.print(f"API {st.api_id}{name} ({st.region})")
    kind = "/".join(st.endpoint_types) or "unknown"
    out.print(f"  endpoint type: {kind}" + ("" if st.is_private else "  (not a private API)"))
    if st.disable_execute_api_endpoint:
        out.print("  default execute-api endpoint: disabled")
    _render_endpoints_and_stages(out, st)
    _render_policy(out, st)
    _render_domains(out, st)
    for note in st.notes:
        out.print(f"note: {note}")


def _render_endpoints_and_stages(out: Any, st: ApiStatus) -> None:
    out.print(f"Associated VPC endpoints ({len(st.endpoints)}):")
    for e in st.endpoints:
        out.print(f"  {e.vpce_id}  {e.alias_url}")
    if not st.endpoints:
        out.print("  none (the {api}-{vpce} alias style is not available)")
    out.print(f"Stages ({len(st.stages)}):")
    for s in st.stages:
        when = s.last_deployed.isoformat(timespec="seconds") if s.last_deployed else "unknown"
        out.print(f"  {s.name}  deployment {s.deployment_id}  last deployed {when}")
    if not st.stages:
        out.print("  none (deploy with: privateapi deploy --api-id ID --stage STAGE)")


def _render_policy(out: Any, st: ApiStatus) -> None:
    out.print("Resource policy:")
    if not st.policy.present:
        out.print("  none: a private API without a policy cannot be deployed or called")
    elif st.policy.error:
        out.print(f"  unreadable: {st.policy.error}")
    for line in st.policy.who_may_call:
        out.print(f"  {line}")
    for warning in st.policy.warnings:
        out.print(f"  warning: {warning}")


def _render_domains(out: Any, st: ApiStatus) -> None:
    if st.custom_domains:
        out.print("Private custom domains:")
        for d in st.custom_domains:
            ident = f" ({d.domain_name_id})" if d.domain_name_id else ""
            out.print(f"  {d.domain_name}{ident}  base paths: {', '.join(d.base_paths)}")
            if d.associations_checked:
                vpces = ", ".join(d.access_associations) or "none found"
            else:
                vpces = "not checked (see the note below)"
            out.print(f"    access associations: {vpces}")
