"""``privateapi demo``: the doctor's real reports against a local private API Gateway."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from privateapi_cli._render import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    add_color_options,
    console,
    emit_json,
)

if TYPE_CHECKING:
    from privateapi.testing import DemoCase


def register(sub: Any) -> None:
    """Add the ``demo`` command."""
    p = sub.add_parser(
        "demo",
        help="run the doctor against a local gateway: one healthy API, a few broken ones",
        description=(
            "Start a local private API Gateway on loopback (no AWS, nothing leaves the"
            " machine) with a healthy API and classic breakages (policy deny, endpoint not"
            " associated, wrong TLS name), and print the doctor's report for each. Exit 0"
            " when every diagnosis came out as expected."
        ),
    )
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("-v", "--verbose", action="store_true", help="show every check's evidence")
    p.add_argument("--timeout", type=float, default=2.0, metavar="S", help="per network step")
    add_color_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handle ``privateapi demo``."""
    from rich.text import Text

    from privateapi.testing import run_demo
    from privateapi_cli.commands.doctor import render

    out = console(args)

    def show(case: DemoCase) -> None:
        if args.json:
            return
        title = Text(f"━━ demo: {case.name} ", style="bold")
        title.append(case.description, style="dim")
        out.print(title)
        render(case.report, out, verbose=args.verbose, ascii_only=args.ascii)
        verdict = "as expected" if case.as_expected else "NOT as expected"
        out.print(Text(f"   (expected {case.expected_verdict.upper()}: {verdict})", style="dim"))
        out.print()

    try:
        import trustme  # noqa: F401 - the local gateway's CA; only checking it is installed
    except ImportError:  # pragma: no cover - the test environment has it
        raise UsageError(
            "privateapi demo needs the local gateway: pip install 'privateapi[testing]'"
        ) from None
    cases = run_demo(timeout=args.timeout, on_case=show)
    if args.json:
        emit_json({"version": 1, "cases": [c.to_dict() for c in cases]})
    ok = all(c.as_expected for c in cases)
    if not args.json:
        good = sum(c.as_expected for c in cases)
        out.print(Text(f"demo: {good}/{len(cases)} scenarios diagnosed as expected", style="bold"))
    return EXIT_OK if ok else EXIT_FAILURE
