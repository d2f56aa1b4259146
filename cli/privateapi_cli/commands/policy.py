"""``privateapi policy``: explain, lint and generate API Gateway resource policies.

Other commands hang off the same ``policy`` parser: if a module
``privateapi_cli.commands.policy_apply`` exists, its ``register(policy_subparsers)`` is
called with the ``policy`` subparsers object (see :func:`register`), so ``policy apply``
can be added without touching this file.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import TYPE_CHECKING, Any

from privateapi_cli import _render

if TYPE_CHECKING:
    from privateapi.policy import ApiContext, Decision, LintWarning

#: Modules that may add subcommands under ``privateapi policy``; each is optional.
EXTENSIONS: tuple[str, ...] = ("privateapi_cli.commands.policy_apply",)

_OUTCOME_TITLE = {
    "allow": "ALLOW",
    "explicit_deny": "EXPLICIT DENY",
    "implicit_deny": "IMPLICIT DENY",
}


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``policy`` and its subcommands; returns the ``policy`` parser.

    The ``policy`` subparsers object is passed to each module in :data:`EXTENSIONS` that
    can be imported, as ``module.register(policy_subparsers)``.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "policy",
        help="explain, lint, generate or apply a private API resource policy",
        description="Evaluate a resource policy as AWS would, lint it for private-API traps,"
        " or generate the recommended one.",
    )
    parser.set_defaults(handler=_usage(parser))
    sub = parser.add_subparsers(
        dest="policy_command", metavar="SUBCOMMAND", parser_class=type(parser)
    )
    add_subcommands(sub)
    for name in EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def add_subcommands(sub: Any) -> None:
    """Add ``explain``, ``lint`` and ``generate`` to a subparsers object."""
    explain = sub.add_parser(
        "explain",
        help="evaluate a policy for one call and say why",
        description="Evaluate a resource policy for one call: allow (exit 0), explicit or"
        " implicit deny (exit 1), with the deciding statements and, for a deny, the near"
        " misses.",
    )
    add_policy_input(explain)
    explain.add_argument(
        "--resource",
        required=True,
        metavar="ARN",
        help="the execute-api ARN called (or STAGE/METHOD/PATH with --api-id/--region/--account)",
    )
    explain.add_argument(
        "--principal",
        default="anonymous",
        metavar="ARN|anonymous",
        help="the caller (default: anonymous)",
    )
    explain.add_argument(
        "--action",
        default="execute-api:Invoke",
        metavar="ACTION",
        help="default: execute-api:Invoke",
    )
    explain.add_argument("--vpce", metavar="VPCE_ID", help="aws:SourceVpce of the call")
    explain.add_argument("--vpc", metavar="VPC_ID", help="aws:SourceVpc of the call")
    explain.add_argument(
        "--source-ip",
        metavar="IP",
        help="the client's private address (aws:VpcSourceIp; aws:SourceIp is absent behind"
        " a VPC endpoint)",
    )
    explain.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another condition key; repeat a key for a multivalued one",
    )
    _api_arguments(explain)
    explain.add_argument("--json", action="store_true", help="print one JSON document")
    explain.set_defaults(handler=run_explain)

    lint = sub.add_parser(
        "lint",
        help="warn about private-API policy traps",
        description="Warn about known traps (exit 0: none, 1: warnings).",
    )
    add_policy_input(lint)
    _api_arguments(lint)
    lint.add_argument("--json", action="store_true", help="print one JSON document")
    lint.set_defaults(handler=run_lint)

    generate = sub.add_parser(
        "generate",
        help="print the recommended private API policy",
        description="Print the recommended policy: Allow execute-api:Invoke, and Deny every"
        " call that comes through none of the given VPC endpoints / VPCs.",
    )
    generate.add_argument(
        "--vpce", action="extend", nargs="+", default=[], metavar="VPCE_ID", help="VPC endpoint ids"
    )
    generate.add_argument(
        "--vpc", action="extend", nargs="+", default=[], metavar="VPC_ID", help="VPC ids"
    )
    generate.add_argument(
        "--principal",
        action="extend",
        nargs="+",
        default=[],
        metavar="ARN",
        help="allow only these IAM principals",
    )
    generate.add_argument(
        "--stage",
        action="extend",
        nargs="+",
        default=[],
        metavar="STAGE",
        help="allow only these stages",
    )
    generate.add_argument(
        "--method",
        action="extend",
        nargs="+",
        default=[],
        metavar="METHOD",
        help="allow only these HTTP methods",
    )
    _api_arguments(generate)
    generate.set_defaults(handler=run_generate)


def add_policy_input(parser: argparse.ArgumentParser) -> None:
    """The policy file, taken one way by explain, lint and apply: FILE, ``-``, or --policy."""
    parser.add_argument("file", nargs="?", metavar="FILE", help="policy JSON file, or - for stdin")
    parser.add_argument(
        "--policy", dest="policy_file", metavar="FILE", help="the same as FILE (either one)"
    )


def policy_input(args: argparse.Namespace, *, required: bool = True) -> str | None:
    """The policy text from FILE / ``-`` / ``--policy`` (one of them, or both the same)."""
    given = [p for p in (args.file, args.policy_file) if p is not None]
    if len(given) == 2 and given[0] != given[1]:
        raise _render.UsageError(
            f"policy: FILE {given[0]!r} and --policy {given[1]!r} disagree: give the policy once"
        )
    if not given:
        if not required:
            return None
        raise _render.UsageError(
            "policy: no policy given: expected FILE, - (standard input) or --policy FILE"
        )
    return _render.read_text_input(given[0], "policy file")


def _api_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("API (for execute-api:/... short forms and ARN checks)")
    group.add_argument("--api-id", metavar="ID")
    group.add_argument("--region", metavar="REGION")
    group.add_argument("--account", metavar="ACCOUNT_ID")


def _usage(parser: argparse.ArgumentParser) -> Any:
    def run(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return _render.EXIT_USAGE

    return run


def _api(args: argparse.Namespace) -> ApiContext | None:
    given = {"--api-id": args.api_id, "--region": args.region, "--account": args.account}
    if not any(given.values()):
        return None
    missing = [k for k, v in given.items() if not v]
    if missing:
        raise _render.UsageError(
            f"privateapi policy: {', '.join(missing)} missing: --api-id, --region and --account"
            " go together"
        )
    from privateapi import validate_account_id, validate_api_id, validate_region
    from privateapi.policy import ApiContext

    return ApiContext(
        region=validate_region(args.region),
        account=validate_account_id(args.account),
        api_id=validate_api_id(args.api_id),
    )


def _context(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise _render.UsageError(f"privateapi policy: --context {pair!r}: expected KEY=VALUE")
        key = key.strip()
        if key in out:
            # A repeated key is a multivalued one.
            previous = out[key]
            out[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[key] = value
    return out


def run_explain(args: argparse.Namespace) -> int:
    """``privateapi policy explain``."""
    from privateapi.policy import Request, evaluate, parse_policy

    api = _api(args)
    policy = parse_policy(str(policy_input(args)))
    resource = args.resource
    if not resource.startswith("arn:"):
        if api is None:
            raise _render.UsageError(
                "privateapi policy: --resource is not an ARN; give the full execute-api ARN, or"
                " STAGE/METHOD/PATH with --api-id, --region and --account"
            )
        resource = api.arn(resource.removeprefix("execute-api:/"))
    request = Request.for_private_api(
        resource,
        principal=args.principal,
        action=args.action,
        vpce=args.vpce,
        vpc=args.vpc,
        source_ip=args.source_ip,
        context=_context(args.context),
    )
    decision = evaluate(policy, request, api=api)
    if args.json:
        _render.emit_json(decision.to_dict())
    else:
        _print_decision(decision)
    return _render.EXIT_OK if decision.allowed else _render.EXIT_FAILURE


def _print_decision(decision: Decision) -> None:
    out = _render.console()
    req = decision.request
    out.print(
        f"{_OUTCOME_TITLE[decision.outcome]}: {req.principal} → {req.action} on {req.resource}"
    )
    by_ref = {s.ref: s for s in decision.statements}
    if decision.deciding:
        label = "Denied by" if decision.outcome == "explicit_deny" else "Allowed by"
        for ref in decision.deciding:
            result = by_ref[ref]
            conditions = [f"{c.operator} {c.key}: {c.detail}" for c in result.conditions]
            why = f" — {'; '.join(conditions)}" if conditions else ""
            out.print(f"{label} {ref}{why}")
        if decision.delegated:
            out.print(
                "Note: the Allow names the caller only through its account, which delegates to"
                " the caller's identity policies (it does not allow by itself)."
            )
    else:
        out.print("No statement applies: nothing allows this call.")
    # For an implicit deny, the Allows one element away are what to fix.
    misses = [s for s in decision.near_misses if s.effect == "Allow"]
    if decision.outcome == "implicit_deny" and misses:
        out.print("Near misses (one element away from applying):")
        for result in misses:
            failed = result.failed[0]
            out.print(f"  {result.ref} [{result.effect}] {failed.element}: {failed.detail}")
    out.print("Statements:")
    for result in decision.statements:
        mark = "✔" if result.applies else "✘"
        if result.applies:
            summary = "applies"
        else:
            summary = "; ".join(f"{e.element}: {e.detail}" for e in result.failed)
        out.print(f"  {mark} {result.ref} [{result.effect}] {summary}")


def run_lint(args: argparse.Namespace) -> int:
    """``privateapi policy lint``."""
    from privateapi.policy import lint

    api = _api(args)
    warnings = lint(str(policy_input(args)), api=api)
    if args.json:
        _render.emit_json({"warnings": [w.to_dict() for w in warnings], "count": len(warnings)})
    else:
        _print_warnings(warnings)
    return _render.EXIT_FAILURE if warnings else _render.EXIT_OK


def _print_warnings(warnings: tuple[LintWarning, ...]) -> None:
    out = _render.console()
    if not warnings:
        out.print("✔ no warnings")
        return
    for warning in warnings:
        out.print(f"✘ {warning}")
    out.print(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}")


def run_generate(args: argparse.Namespace) -> int:
    """``privateapi policy generate``."""
    from privateapi.policy import generate

    if not args.vpce and not args.vpc:
        raise _render.UsageError("privateapi policy generate: give at least one --vpce or --vpc")
    document = generate(
        args.vpce,
        args.vpc,
        principals=args.principal,
        stages=args.stage,
        methods=args.method,
        api=_api(args),
    )
    _render.emit_json(document)
    return _render.EXIT_OK
