"""``privateapi doctor``: find why a private API cannot be reached from here.

Argument parsing and rendering only; every decision is the library's
(:func:`privateapi.doctor.run`). Module-level imports stay light (argparse and
``privateapi_cli._render``) so ``privateapi --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import TYPE_CHECKING, Any, cast

from privateapi_cli._hints import cli_hint, with_flags
from privateapi_cli._lines import Line
from privateapi_cli._render import (
    EXIT_OK,
    UsageError,
    console,
    emit_json,
    flag,
    parse_header,
    style_choices,
)

if TYPE_CHECKING:
    from rich.console import Console

    from privateapi import InvokeTarget
    from privateapi.doctor import Check, DoctorOptions, Report, Result
    from privateapi_cli._lines import Printer

GLYPHS = {
    "pass": ("✔", "PASS", "green"),
    "fail": ("✘", "FAIL", "bold red"),
    "warn": ("!", "WARN", "yellow"),
    "skip": ("-", "SKIP", "dim"),
    "info": ("i", "INFO", "cyan"),
}
ASCII_GLYPHS = {"pass": "+", "fail": "x", "warn": "!", "skip": "-", "info": "i"}


def register(sub: Any) -> None:
    """Add the ``doctor`` command."""
    p = sub.add_parser(
        "doctor",
        help="find why a private API cannot be reached from here",
        description=(
            "Check DNS, TCP 443, TLS (SNI), a live probe, the AWS control plane and the"
            " resource policy for a private API, and say what failed, why, and the fix."
            " Exit codes: 0 verdict pass (warnings allowed), 1 a check failed or the data"
            " path could not be proven, 2 usage error, 3 internal error."
        ),
    )
    p.add_argument("url", nargs="?", help="the invoke URL (any style)")
    p.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="a request header, sent as given (repeatable; Host, x-apigw-api-id,"
        " Authorization, ...)",
    )
    p.add_argument(
        "-d",
        "--data",
        metavar="DATA|@FILE",
        help="a request body for the probe (@FILE reads it from a file)",
    )
    p.add_argument("--api-id", help="the REST API id (instead of a URL)")
    p.add_argument("--region", help="the API's region")
    p.add_argument("--stage", help="the stage name")
    p.add_argument("--vpce-id", help="the execute-api VPC endpoint id")
    p.add_argument("--vpce-dns", help="the endpoint's DNS name (Host / x-apigw-api-id styles)")
    p.add_argument("--domain", help="a private custom domain name")
    p.add_argument("--base-path", help="the custom domain's base path")
    p.add_argument(
        "--style",
        choices=style_choices(),
        metavar="STYLE",
        help="the access style (with --api-id): %(choices)s",
    )
    p.add_argument("--account-id", help="the API owner's account id (policy evaluation)")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("-v", "--verbose", action="store_true", help="show every check's evidence")
    p.add_argument("--list-checks", action="store_true", help="list the checks and exit")
    p.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="ID",
        help="run only this check or group (repeatable; prerequisites run too)",
    )
    p.add_argument("--timeout", type=float, default=3.0, metavar="S", help="per network step")
    p.add_argument("--ca-bundle", metavar="FILE", help="trusted CAs (else AWS_CA_BUNDLE, ...)")
    p.add_argument("--resolver", metavar="IP[:PORT]", help="the VPC resolver to query")
    p.add_argument(
        "--no-system-resolver",
        action="store_true",
        help="resolve the data path with --resolver instead of the system resolver",
    )
    p.add_argument("--connect-to", metavar="HOST[:PORT]", help="connect here instead (SNI kept)")
    p.add_argument("--port", type=int, help="the port to connect to when not 443")
    p.add_argument("--profile", help="the AWS profile")
    p.add_argument("--no-sign", action="store_true", help="probe anonymously")
    p.add_argument("--no-aws", action="store_true", help="skip the AWS control-plane checks")
    p.add_argument(
        "--no-imds",
        action="store_true",
        help="never ask instance metadata (169.254.169.254); AWS_EC2_METADATA_DISABLED=true too",
    )
    p.add_argument("--endpoint-url", help="one endpoint URL for every AWS API (testing)")
    p.add_argument(
        "-X", "--method", default=None, help="the probe's method (default GET, POST with -d)"
    )
    p.add_argument(
        "--path",
        default=None,
        help="override the URL's path and query, below the stage (default: the URL's own)",
    )
    p.add_argument("--policy", metavar="FILE", help="evaluate this saved resource policy")
    p.add_argument(
        "--vpc-cidr",
        action="append",
        default=[],
        metavar="CIDR",
        help="a VPC CIDR counted as private (repeatable)",
    )
    alt = p.add_mutually_exclusive_group()
    alt.add_argument(
        "--alternatives",
        dest="alternatives",
        action="store_true",
        default=None,
        help="always try the other styles, addresses and signing (default: when the call fails)",
    )
    alt.add_argument("--no-alternatives", dest="alternatives", action="store_false")
    color = p.add_mutually_exclusive_group()
    color.add_argument("--color", dest="color", action="store_true", default=None)
    color.add_argument("--no-color", dest="color", action="store_false")
    p.add_argument("--ascii", action="store_true", help="ASCII glyphs only")
    p.set_defaults(handler=run)


# --- arguments -> library objects ------------------------------------------------------------
_URL_IGNORES = ("api_id", "region", "stage", "vpce_dns", "domain", "base_path", "style")


def _body(args: argparse.Namespace) -> bytes | None:
    if args.data is None:
        return None
    if not args.data.startswith("@"):
        return str(args.data).encode()
    path = args.data[1:]
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise UsageError(f"privateapi doctor: --data @{path}: {exc.strerror}") from None


def _method(args: argparse.Namespace) -> str:
    if args.method is not None:
        return str(args.method).upper()
    return "POST" if args.data is not None else "GET"


def build_request(args: argparse.Namespace) -> tuple[Any, InvokeTarget | None]:
    """The caller's request (exactly as given) and, when ids add to it, the style to assume."""
    from privateapi.doctor import CallerRequest, recognise

    headers = tuple(parse_header(h) for h in args.header)
    if not args.url:
        target = build_target(args)
        request = CallerRequest.from_target(
            target, method=_method(args), headers=headers, body=_body(args)
        )
        return request, target
    ignored = [flag(n) for n in _URL_IGNORES if getattr(args, n) is not None]
    if ignored:
        raise UsageError(
            f"privateapi doctor: {', '.join(ignored)} goes with --api-id, not with a URL"
            " (the URL names the API; use -H for the Host / x-apigw-api-id styles)"
        )
    request = CallerRequest(
        args.url,
        method=_method(args),
        headers=headers,
        body=_body(args),
        connect_to=_connect_to(args, CallerRequest(args.url).host),
    )
    known = None
    if args.vpce_id or args.account_id:
        recognised, _ = recognise(request)
        changes = {
            k: v
            for k, v in (("vpce_id", args.vpce_id), ("account_id", args.account_id))
            if v and recognised is not None and getattr(recognised, k) is None
        }
        if recognised is not None and changes:
            known = recognised.restyle(recognised.style, **changes)
    return request, known


def _connect_to(args: argparse.Namespace, url_host: str) -> str | None:
    """``--connect-to``, with ``--port`` as its port (the URL's host when only a port is given)."""
    from privateapi import format_host_port, parse_host_port

    if args.port is None:
        return args.connect_to  # type: ignore[no-any-return]
    host = parse_host_port(args.connect_to)[0] if args.connect_to else url_host
    return format_host_port(host, args.port)


def build_target(args: argparse.Namespace) -> InvokeTarget:
    """The target from ids (``--api-id``, ``--region``, ``--stage``, ...)."""
    from privateapi import InvokeTarget, Style, infer_style

    style = (
        Style(args.style)
        if args.style
        else infer_style(vpce_id=args.vpce_id, vpce_dns=args.vpce_dns, domain=args.domain)
    )
    missing = [flag(n) for n in ("api_id", "region", "stage") if not getattr(args, n)]
    if missing and any(n in style.requires for n in ("api_id", "region", "stage")):
        raise UsageError(f"privateapi doctor: give a URL, or {', '.join(missing)}")
    target = InvokeTarget(
        style,
        api_id=args.api_id,
        region=args.region,
        stage=args.stage,
        vpce_id=args.vpce_id,
        vpce_dns=args.vpce_dns,
        domain=args.domain,
        base_path=args.base_path,
        account_id=args.account_id,
        connect_to=None,
    )
    return (
        target.with_connect_to(_connect_to(args, target.host))
        if (args.connect_to or args.port)
        else target
    )


def build_options(args: argparse.Namespace) -> DoctorOptions:
    """The doctor options from the flags."""
    from privateapi.doctor import DoctorOptions

    # DoctorOptions checks the timeout and parses the resolver (the one place for both).
    resolver = args.resolver
    if args.no_system_resolver and resolver is None:
        raise UsageError("privateapi doctor: --no-system-resolver needs --resolver")
    policy = None
    if args.policy:
        try:
            with open(args.policy, encoding="utf-8") as fh:
                policy = fh.read()
        except OSError as exc:
            raise UsageError(f"privateapi doctor: --policy {args.policy}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(
                f"privateapi doctor: --policy {args.policy}: not UTF-8 text; expected a JSON policy"
            ) from None
    if args.ca_bundle:
        try:
            with open(args.ca_bundle, "rb"):
                pass
        except OSError as exc:
            raise UsageError(
                f"privateapi doctor: --ca-bundle {args.ca_bundle}: {exc.strerror}"
            ) from None
    return DoctorOptions(
        resolver=resolver,
        use_system_resolver=not args.no_system_resolver,
        timeout=args.timeout,
        path=args.path,
        ca_bundle=args.ca_bundle,
        sign=not args.no_sign,
        profile=args.profile,
        no_aws=args.no_aws,
        imds=not args.no_imds,
        endpoint_url=args.endpoint_url,
        checks=tuple(args.check),
        vpc_cidrs=tuple(args.vpc_cidr),
        policy=policy,
        alternatives=args.alternatives,
    )


# --- rendering ---------------------------------------------------------------------------------
def _console(args: argparse.Namespace, *, stderr: bool = False) -> Printer:
    # The one console factory (colour flags, NO_COLOR/FORCE_COLOR, stderr only on a TTY);
    # the doctor prints only Lines, so a pipe gets them without rich being loaded.
    return console(args, stderr=stderr, lines=True)


def _badge(status: str, ascii_only: bool) -> tuple[str, str]:
    glyph, word, style = GLYPHS[status]
    if ascii_only:
        glyph = ASCII_GLYPHS[status]
    return f"{glyph} {word}", style


def _evidence_lines(evidence: Any, indent: str) -> list[str]:
    lines: list[str] = []
    for key, value in evidence.items():
        if isinstance(value, str) and "\n" in value:
            lines.append(f"{indent}{key}:")
            lines.extend(f"{indent}  {ln}" for ln in value.splitlines())
        elif isinstance(value, dict) and any(
            isinstance(v, str) and "\n" in v for v in value.values()
        ):
            lines.append(f"{indent}{key}:")
            lines.extend(_evidence_lines(value, indent + "  "))
        else:
            lines.append(f"{indent}{key}: {json.dumps(value, default=str, ensure_ascii=False)}")
    return lines


def render(report: Report, out: Printer, *, verbose: bool, ascii_only: bool) -> None:
    """The human view of a report."""
    from privateapi import cause as get_cause
    from privateapi.doctor import GROUPS

    t = report.target
    header = Line("privateapi doctor  ", style="bold")
    header.append(str(t.get("url")))
    out.print(header)
    detail = f"  style {t.get('style')} · SNI {t.get('server_name')} · connect {t.get('connect')}"
    if t.get("headers"):
        detail += " · " + ", ".join(f"{k}: {v}" for k, v in t["headers"].items())
    out.print(Line(detail, style="dim"))
    width = max((len(r.check_id) for r in report.results), default=10)
    for group, heading in GROUPS.items():
        rows = [r for r in report.results if r.check_id.split(".", 1)[0] == group]
        if not rows:
            continue
        out.print()
        out.print(Line(heading, style="bold underline"))
        for r in rows:
            badge, style = _badge(str(r.status), ascii_only)
            line = Line("  ")
            line.append(badge, style=style)
            line.append(f"  {r.check_id.ljust(width)}  ")
            line.append(with_flags(r.summary))
            out.print(line)
            pad = " " * (12 + width)  # under the summary column
            if r.cause and str(r.status) in ("fail", "warn"):
                out.print(Line(f"{pad}cause: {r.cause} — {get_cause(r.cause).title}", style="dim"))
                if r.hint:
                    out.print(Line(f"{pad}fix:   {cli_hint(r.cause, with_flags(r.hint))}"))
            if verbose and r.evidence:
                for ln in _evidence_lines(r.evidence, pad):
                    out.print(Line(ln, style="dim"))
    out.print()
    from privateapi_cli.commands._alternatives import render_alternatives

    render_alternatives(report, out, ascii_only=ascii_only)
    _render_summary(report, out, ascii_only=ascii_only)


def _render_summary(report: Report, out: Printer, *, ascii_only: bool) -> None:
    from privateapi import cause as get_cause

    out.print(Line("Summary", style="bold underline"))
    for r in report.failed:
        badge, style = _badge("fail", ascii_only)
        line = Line("  ")
        line.append(badge, style=style)
        title = get_cause(r.cause).title if r.cause else r.summary
        line.append(f"  {r.check_id}: {r.cause} — {title}")
        out.print(line)
        if r.hint:
            out.print(Line(f"           fix: {cli_hint(r.cause, with_flags(r.hint))}"))
    warned = [r for r in report.results if str(r.status) == "warn"]
    for r in warned:
        badge, style = _badge("warn", ascii_only)
        line = Line("  ")
        line.append(badge, style=style)
        line.append(f"  {r.check_id}: {r.cause or ''} — {r.summary}")
        out.print(line)
    if not report.failed and not warned and not report.not_checked:
        out.print(Line("  every check on the data path passed; nothing failed"))
    if report.not_checked:
        out.print(
            Line(
                f"  not checked: {', '.join(report.not_checked)} — the data path is not proven",
                style="yellow",
            )
        )
    counts = report.counts
    parts = [
        f"{counts['pass']} passed",
        f"{counts['fail']} failed",
        f"{counts['warn']} warning{'s' if counts['warn'] != 1 else ''}",
        f"{counts['skip']} skipped",
        f"{counts['info']} info",
    ]
    verdict = Line()
    word = "PASS" if report.verdict == "pass" else "FAIL"
    verdict.append(word, style="bold green" if word == "PASS" else "bold red")
    verdict.append(f"  {' · '.join(parts)}  ({report.duration_ms / 1000:.1f} s)")
    out.print(verdict)


def render_checks(checks: list[Check], out: Printer) -> None:
    """``--list-checks``."""
    width = max(len(c.id) for c in checks)
    for c in checks:
        line = Line(f"{c.id.ljust(width)}  ")
        line.append(c.title)
        if c.needs:
            line.append(f"  (needs {', '.join(c.needs)})", style="dim")
        if c.aws:
            line.append("  [AWS]", style="dim")
        out.print(line)


class _Progress:
    """A one-line live progress on stderr, only when stderr is a terminal."""

    def __init__(self, err: Printer, total: int) -> None:
        self.total = total
        self.done = 0
        self._lock = threading.Lock()
        # Only a terminal console draws a live status, and only rich's is one.
        live = cast("Console", err).status if err.is_terminal else None
        self._status = live(f"running {total} checks…") if live is not None else None

    def __enter__(self) -> _Progress:
        if self._status is not None:
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()

    def __call__(self, result: Result) -> None:
        with self._lock:
            self.done += 1
            if self._status is not None:
                self._status.update(f"{self.done}/{self.total} checks done ({result.check_id})")


#: Library option/field names whose flag is not simply ``--name``.
_FLAG_OF = {
    "url": "URL",
    "header": "-H/--header",
    "vpc_cidr": "--vpc-cidr",
    "resolver port": "--resolver",
    "ca_bundle": "--ca-bundle",
}


def run(args: argparse.Namespace) -> int:
    """Handle ``privateapi doctor``."""
    from privateapi import InvalidInputError
    from privateapi.doctor import CHECKS, select_checks
    from privateapi.doctor import run as run_doctor

    if args.list_checks:
        chosen = list(select_checks(CHECKS, args.check)) if args.check else list(CHECKS)
        if args.json:
            emit_json([c.to_dict() for c in chosen])
        else:
            render_checks(chosen, _console(args))
        return EXIT_OK
    try:
        request, known = build_request(args)
        options = build_options(args)
    except InvalidInputError as exc:
        # The library validates once and names its field; the CLI names the flag.
        raise UsageError(
            f"privateapi doctor: {_FLAG_OF.get(exc.field, flag(exc.field))}: {exc}"
        ) from None
    total = len(select_checks(CHECKS, options.checks))
    err = _console(args, stderr=True)
    with _Progress(err, total) as progress:
        report = run_doctor(request, options, on_result=progress, recognised=known)
    if args.json:
        emit_json(report.to_dict())
    else:
        render(report, _console(args), verbose=args.verbose, ascii_only=args.ascii)
    sys.stdout.flush()
    return report.exit_code
