"""``privateapi url``: build the invoke URL of every access style, or parse one."""

from __future__ import annotations

import argparse
from typing import Any

from privateapi_cli._render import (
    EXIT_OK,
    UsageError,
    console,
    emit_json,
    flag,
    parse_header,
    style_choices,
)


def register(sub: Any) -> None:
    """Add the ``url`` command."""
    p = sub.add_parser(
        "url",
        help="build invoke URLs for every access style, or parse one",
        description=(
            "Print every access style the given facts allow (URL, headers, TLS server name),"
            " and for the others what is missing. With --parse, recognise a URL instead."
        ),
    )
    p.add_argument("--api-id", help="the REST API id (10 letters or digits)")
    p.add_argument("--region", help="the API's region, e.g. us-east-1")
    p.add_argument("--stage", help="the stage name, e.g. prod")
    p.add_argument("--vpce-id", help="the execute-api VPC endpoint id (for the alias style)")
    p.add_argument(
        "--vpce-dns",
        help="the endpoint's DNS name (for the Host and x-apigw-api-id styles; it cannot be"
        " derived from the id)",
    )
    p.add_argument("--domain", help="a private custom domain name")
    p.add_argument("--base-path", help="the custom domain's base path mapping")
    p.add_argument("--account-id", help="the API owner's account id (for resource ARNs)")
    p.add_argument("--connect-to", metavar="HOST[:PORT]", help="open the TCP connection here")
    p.add_argument(
        "--style",
        choices=style_choices(),
        metavar="STYLE",
        help="print only this style: %(choices)s",
    )
    p.add_argument("--parse", metavar="URL", help="recognise the target of an invoke URL")
    p.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="a request header, with --parse (Host, x-apigw-api-id)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handle ``privateapi url``."""
    if args.parse is not None:
        return _parse(args)
    if args.header:
        raise UsageError("privateapi url: -H/--header goes with --parse")
    missing = [flag(n) for n in ("api_id", "region", "stage") if not getattr(args, n)]
    if missing:
        raise UsageError(f"privateapi url: missing {', '.join(missing)} (or use --parse URL)")
    from privateapi import available_styles

    options = available_styles(
        api_id=args.api_id,
        region=args.region,
        stage=args.stage,
        vpce_id=args.vpce_id,
        vpce_dns=args.vpce_dns,
        domain=args.domain,
        base_path=args.base_path,
        connect_to=args.connect_to,
        account_id=args.account_id,
    )
    if args.style:
        options = [o for o in options if o.style == args.style]
        _require_built(options[0] if options else None, args.style)
    if args.json:
        emit_json(
            {
                "styles": [o.to_dict() for o in options if o.target is not None],
                "not_built": [_not_built(o) for o in options if o.target is None],
            }
        )
        return EXIT_OK
    _print_options(options)
    return EXIT_OK


def _require_built(option: Any, style: str) -> None:
    """``--style S`` that cannot be built is a usage error (exit 2) naming the flags it needs."""
    if option is not None and option.target is not None:
        return
    missing = list(option.missing) if option is not None else []
    needs = ", ".join(flag(m) for m in missing) or "more facts"
    note = f" ({option.note})" if option is not None and option.note else ""
    raise UsageError(f"url --style {style} needs {needs}{note}")


def _not_built(option: Any) -> dict[str, Any]:
    doc: dict[str, Any] = option.to_dict()
    doc["flags"] = [flag(m) for m in option.missing]
    return doc


def _print_options(options: list[Any]) -> None:
    out = console()
    for option in options:
        if option.target is None:
            needs = ", ".join(f"{m} ({flag(m)})" for m in option.missing)
            out.print(f"- {option.style}: not built, missing {needs}: {option.note}")
            continue
        out.print(f"✔ {option.style}")
        _print_target(out, option.target, indent="    ")
        if option.note:
            out.print(f"    note         {option.note}")


def _print_target(out: Any, target: Any, indent: str = "") -> None:
    """The lines every rendering of a target shares: URL, headers, TLS name, connect address."""
    out.print(f"{indent}url          {target.base_url}")
    for name, value in target.headers.items():
        out.print(f"{indent}header       {name}: {value}")
    out.print(f"{indent}tls name     {target.server_name}")
    if target.connect_to:
        out.print(f"{indent}connect to   {target.connect_host}:{target.connect_port}")


def _parse(args: argparse.Namespace) -> int:
    from privateapi import split_url

    headers = [parse_header(h) for h in args.header]
    target, rest = split_url(args.parse, headers)
    data = target.to_dict()
    data["path"] = rest
    if args.json:
        emit_json(data)
        return EXIT_OK
    out = console()
    out.print(f"style        {target.style}{'' if target.is_private else ' (PUBLIC endpoint)'}")
    for key in ("api_id", "region", "stage", "vpce_id", "vpce_dns", "domain", "base_path"):
        if key in data:
            out.print(f"{key:<12} {data[key]}")
    _print_target(out, target)
    if rest:
        out.print(f"path         {rest}")
    if not target.is_private:
        out.print(
            "warning      this is a public API URL: a private API is never reached through it,"
            " and from a VPC with private DNS on it answers 403 Forbidden"
        )
    return EXIT_OK
