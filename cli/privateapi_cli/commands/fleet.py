"""``privateapi fleet``: the doctor across every VPC of an organisation.

Argument parsing and rendering only; every decision is ``privateapi.fleet``'s.
Module-level imports stay light (argparse and ``privateapi_cli._render``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from privateapi_cli._render import UsageError, console, emit_json, error_line

if TYPE_CHECKING:
    from privateapi.fleet import AwsSession, FleetSummary

TEMPLATES = ("probe", "stackset", "coordinator", "ssm")
_MATRIX_ROWS = 200


def _aws_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("AWS")
    group.add_argument("--region", help="the region to call (default: AWS_REGION or the profile's)")
    group.add_argument("--profile", help="a named AWS profile")
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="one endpoint for every AWS API called, e.g. a local moto server (default:"
        " botocore's, which honours AWS_ENDPOINT_URL)",
    )
    _common(p)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="print the AWS calls, make none")
    p.add_argument("--json", action="store_true", help="print one JSON document")


def register(sub: Any) -> None:
    """Add the ``fleet`` command and its subcommands."""
    p = sub.add_parser(
        "fleet",
        help="run the doctor from every VPC of an organisation and read one answer",
        description="Deploy the doctor as a Lambda probe in every account (StackSet), run it"
        " through Step Functions Distributed Map or SSM Run Command, and aggregate the reports."
        " Exit codes: 0 done (report: every target passed), 1 a target failed or AWS refused,"
        " 2 usage error.",
    )
    fs = p.add_subparsers(dest="fleet_command", metavar="SUBCOMMAND", parser_class=type(p))
    p.set_defaults(handler=lambda args: _help(p))

    _add_package(fs)
    _add_template(fs)
    _add_run(fs)
    _add_report(fs)
    _add_compact(fs)


def _add_package(fs: Any) -> None:
    pk = fs.add_parser("package", help="build the probe's reproducible Lambda zip (or layer)")
    pk.add_argument("--arch", choices=("arm64", "x86_64"), default="arm64", help="default arm64")
    pk.add_argument("--layer", action="store_true", help="a layer (files under python/)")
    pk.add_argument("--python-version", default="3.12", help="the runtime's Python (3.12)")
    pk.add_argument("--wheelhouse", metavar="DIR", help="take wheels from DIR, not the index")
    pk.add_argument("-o", "--output", metavar="FILE", help="default dist/privateapi-fleet-ARCH.zip")
    _common(pk)
    pk.set_defaults(handler=run_package)


def _add_template(fs: Any) -> None:
    tp = fs.add_parser("template", help="print a CloudFormation template or the SSM document")
    tp.add_argument("kind", choices=TEMPLATES, help="which template")
    tp.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    tp.add_argument("--ou", action="append", default=[], metavar="OU", help="stackset: an OU id")
    tp.add_argument(
        "--regions", default="", metavar="R,R", help="stackset: regions, comma-separated"
    )
    tp.add_argument("--code-bucket", default="", help="stackset: S3 bucket of the probe zip")
    tp.add_argument("--code-key", default="", help="stackset: key of the probe zip")
    tp.add_argument("--coordinator-account", help="stackset: the account allowed to invoke")
    tp.add_argument(
        "--delegated-admin", action="store_true", help="stackset: CallAs DELEGATED_ADMIN"
    )
    tp.add_argument("--arch", choices=("arm64", "x86_64"), default="arm64")
    tp.add_argument(
        "--invoke-arn",
        action="append",
        default=[],
        metavar="ARN",
        help="probe: allow execute-api:Invoke on ARN (signed probes; repeatable)",
    )
    tp.add_argument(
        "--control-plane",
        action="store_true",
        help="probe: allow read-only apigateway:GET and ec2:Describe* (the doctor's AWS checks)",
    )
    tp.add_argument(
        "--plain-parameters",
        action="store_true",
        help="probe: take subnet/security group ids directly, not from SSM parameters",
    )
    tp.add_argument("--max-concurrency", type=int, default=40, help="coordinator: default 40")
    tp.add_argument("--document-only", action="store_true", help="ssm: the document, no stack")
    _common(tp)
    tp.set_defaults(handler=run_template)


def _add_run(fs: Any) -> None:
    rn = fs.add_parser("run", help="start a run: the state machine, SSM by tag, or direct invokes")
    rn.add_argument("targets", nargs="+", metavar="URL", help="invoke URLs to probe")
    how = rn.add_mutually_exclusive_group(required=True)
    how.add_argument("--state-machine", metavar="ARN", help="start this coordinator")
    how.add_argument("--ssm-tag", action="append", metavar="KEY=VALUE", help="SSM by tag")
    how.add_argument("--invoke", action="store_true", help="invoke each probe directly, wait")
    rn.add_argument("--stack-set", metavar="NAME", help="probes: the StackSet's instances")
    rn.add_argument("--call-as", choices=("SELF", "DELEGATED_ADMIN"), default="SELF")
    rn.add_argument("--probe", action="append", default=[], metavar="ARN", help="a probe function")
    rn.add_argument("--function-name", default="privateapi-fleet-probe", help="the probes' name")
    rn.add_argument("--timeout", type=float, default=3.0, metavar="S", help="per network step")
    rn.add_argument("--document", default="privateapi-fleet-doctor", help="ssm: the document")
    rn.add_argument("--artifact-url", help="ssm: S3 URL of the probe zip")
    rn.add_argument("--doctor-args", default="--no-aws", help="ssm: extra doctor options")
    rn.add_argument("--output-bucket", help="ssm: also keep full output in this bucket")
    rn.add_argument("--save", metavar="FILE", help="invoke: write the results here (JSON)")
    _aws_options(rn)
    rn.set_defaults(handler=run_run)


def _add_report(fs: Any) -> None:
    rp = fs.add_parser("report", help="aggregate results: matrix, counts, the VPCs that differ")
    rp.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="a file or folder, -, s3://BUCKET/PREFIX, an execution ARN, or ssm:COMMAND_ID",
    )
    rp.add_argument("--html", metavar="FILE", help="also write a static HTML page")
    rp.add_argument("--instance-id", action="append", default=[], help="ssm: only these")
    rp.add_argument("--all", action="store_true", help="print every matrix row")
    _aws_options(rp)
    rp.set_defaults(handler=run_report)


def _add_compact(fs: Any) -> None:
    cp = fs.add_parser("compact", help="doctor --json reports → one compact fleet result")
    cp.add_argument("reports", nargs="+", metavar="FILE", help="doctor --json documents (or -)")
    cp.add_argument("--limit", default="ssm", help="ssm (24,000), sfn (256 KiB) or characters")
    cp.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    cp.set_defaults(handler=run_compact)


def _help(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return 2


def _session(args: argparse.Namespace) -> AwsSession:
    from privateapi.fleet import AwsSession

    return AwsSession(
        region=args.region,
        profile=args.profile,
        endpoint_url=args.endpoint_url,
        dry_run=args.dry_run,
    )


def _plan(calls: Any, note: str | None = None) -> None:
    out = console()
    calls = list(calls)
    out.print(f"Dry run: {len(calls)} AWS call(s) would be made, none was:")
    for call in calls:
        out.print(f"  {call}")
    if note:
        out.print(note)


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
        error_line(f"wrote {output}")
    else:
        sys.stdout.write(text)


# --- package -----------------------------------------------------------------------------------
def run_package(args: argparse.Namespace) -> int:
    """Handle ``privateapi fleet package``."""
    from privateapi.fleet import build_package

    result = build_package(
        args.output,
        architecture=args.arch,
        python_version=args.python_version,
        layout="layer" if args.layer else "function",
        wheelhouse=args.wheelhouse,
        dry_run=args.dry_run,
    )
    if args.json:
        emit_json(result.to_dict())
        return 0
    out = console()
    if result.dry_run:
        _plan([], "Would run (no AWS call, nothing downloaded or written):")
        out.print("  " + " ".join(result.command))
        out.print(f"  then write {result.path}")
        return 0
    out.print(
        f"Built {result.path} ({result.layout}, {result.architecture},"
        f" Python {result.python_version})"
    )
    out.print(
        f"  {result.files} files, {result.zipped_bytes:,} bytes zipped,"
        f" {result.unzipped_bytes:,} unzipped"
    )
    out.print("  Lambda limits: 50 MB zipped for a direct upload, 250 MB unzipped: within them")
    out.print(f"  sha256 {result.sha256}")
    out.print(
        f"  {len(result.wheels)} wheels; left out (in the runtime): boto3, botocore and their deps"
    )
    for w in result.warnings:
        error_line(f"warning: {w}")
    return 0


# --- template ----------------------------------------------------------------------------------
def run_template(args: argparse.Namespace) -> int:
    """Handle ``privateapi fleet template``."""
    from privateapi import fleet

    probe = fleet.probe_template(
        invoke_arns=args.invoke_arn,
        control_plane=args.control_plane,
        plain_parameters=args.plain_parameters,
    )
    if args.kind == "probe":
        doc: Any = probe
    elif args.kind == "stackset":
        regions = [r.strip() for r in args.regions.split(",") if r.strip()]
        missing = [
            flag
            for flag, value in (
                ("--ou", args.ou),
                ("--regions", regions),
                ("--code-bucket", args.code_bucket),
                ("--code-key", args.code_key),
            )
            if not value
        ]
        if missing:
            raise UsageError(f"privateapi fleet template stackset: give {', '.join(missing)}")
        doc = fleet.stackset_template(
            args.ou,
            regions,
            code_bucket=args.code_bucket,
            code_key=args.code_key,
            coordinator_account=args.coordinator_account,
            architecture=args.arch,
            delegated_admin=args.delegated_admin,
            probe=probe,
        )
    elif args.kind == "coordinator":
        doc = fleet.coordinator_template(max_concurrency=args.max_concurrency)
    else:
        doc = fleet.ssm_document() if args.document_only else fleet.ssm_template()
    if args.dry_run:  # on stderr: stdout holds the template alone
        error_line("Dry run: 0 AWS calls would be made, none was (a template is only printed).")
    _write(fleet.to_json(doc), args.output)
    return 0


# --- run ---------------------------------------------------------------------------------------
def run_run(args: argparse.Namespace) -> int:
    """Handle ``privateapi fleet run``."""
    from privateapi import fleet

    aws = _session(args)
    if args.ssm_tag:
        if not args.artifact_url:
            raise UsageError(
                "privateapi fleet run --ssm-tag: give --artifact-url (the probe zip in S3)"
            )
        result = fleet.send_command(
            aws,
            args.document,
            args.ssm_tag,
            args.targets,
            artifact_url=args.artifact_url,
            doctor_args=args.doctor_args,
            output_bucket=args.output_bucket,
        )
        done = (
            f"Sent command {result.command_id}; read it with:"
            f" privateapi fleet report ssm:{result.command_id}"
        )
    else:
        if not args.stack_set and not args.probe:
            raise UsageError("privateapi fleet run: give --stack-set NAME or --probe ARN")
        probes = [{"function": arn, "labels": {}} for arn in args.probe]
        if args.stack_set:
            probes += fleet.probes_from_stack_set(
                aws, args.stack_set, function_name=args.function_name, call_as=args.call_as
            )
        if args.invoke:
            result = fleet.invoke_probes(aws, probes, args.targets, timeout=args.timeout)
            if args.save and not result.dry_run:
                Path(args.save).write_text(
                    json.dumps(list(result.results), indent=1), encoding="utf-8"
                )
            done = f"Invoked {result.probes} probe(s)."
        else:
            result = fleet.start_run(
                aws, args.state_machine, probes, args.targets, timeout=args.timeout
            )
            done = (
                f"Started {result.execution_arn} over {result.probes} probe(s); when it has"
                f" finished: privateapi fleet report {result.execution_arn}"
            )
    if args.json:
        emit_json(result.to_dict())
    elif result.dry_run:
        _plan(result.calls)
    else:
        console().print(done)
        if args.invoke and not args.save:
            summary = fleet.summarize(result.results)
            render_summary(summary, show_all=False)
            return summary.exit_code
    return 0


# --- report ------------------------------------------------------------------------------------
def run_report(args: argparse.Namespace) -> int:
    """Handle ``privateapi fleet report``."""
    from privateapi import fleet

    aws = _session(args)
    results, skipped = fleet.load_results(args.sources, aws=aws, instance_ids=args.instance_id)
    if args.dry_run:
        _plan(aws.calls, "(a dry run lists the first calls only: later ones depend on answers)")
        return 0
    for s in skipped:
        error_line(f"note: not read: {s}")
    summary = fleet.summarize(results, skipped)
    if not summary.rows:
        raise UsageError("privateapi fleet report: no fleet results in the sources given")
    if args.html:
        Path(args.html).write_text(fleet.to_html(summary), encoding="utf-8")
        error_line(f"wrote {args.html}")
    if args.json:
        emit_json(summary.to_dict())
    else:
        render_summary(summary, show_all=args.all)
    return summary.exit_code


def render_summary(summary: FleetSummary, *, show_all: bool) -> None:
    """The human form of a fleet summary."""
    out = console()
    v = summary.verdict_counts
    out.print(
        f"Fleet: {len(summary.places)} places (account/region/VPC/AZ), {len(summary.targets)}"
        f" target(s), {len(summary.rows)} results: {v.get('pass', 0)} pass,"
        f" {v.get('fail', 0)} fail, {v.get('error', 0)} not probed"
    )
    if summary.cause_counts:
        out.print("Causes:")
        width = max(len(c) for c in summary.cause_counts)
        for c, n in summary.cause_counts.items():
            out.print(f"  {c:<{width}}  {n}")
    if summary.deviations:
        out.print("Where the fleet differs:")
        for d in summary.deviations:
            out.print(f"  {d.sentence}")
    matrix = summary.matrix()
    rows = sorted(matrix.items(), key=lambda kv: all(o == "pass" for o in kv[1].values()))
    out.print("Matrix (failing places first):")
    for t_i, t in enumerate(summary.targets, start=1):
        out.print(f"  [{t_i}] {t}")
    shown = rows if show_all else rows[:_MATRIX_ROWS]
    for place, cells in shown:
        outcomes = "  ".join(
            f"[{i}] {cells.get(t, '-')}" for i, t in enumerate(summary.targets, start=1)
        )
        out.print(f"  {' / '.join(place)}  {outcomes}")
    if len(rows) > len(shown):
        out.print(f"  ... {len(rows) - len(shown)} more places (--all, --json or --html)")
    out.print("Every target passed from every place." if summary.ok else "Some targets fail.")


# --- compact -----------------------------------------------------------------------------------
def run_compact(args: argparse.Namespace) -> int:
    """Handle ``privateapi fleet compact`` (what the SSM document runs on an instance)."""
    from privateapi.fleet import compact_result, limit_for, parse_documents

    limit: Any = args.limit
    if limit not in ("ssm", "sfn"):
        try:
            limit = int(limit)
        except ValueError:
            raise UsageError(
                f"privateapi fleet compact: --limit {args.limit!r}: ssm, sfn or a number"
            ) from None
    labels = {}
    for item in args.label:
        k, sep, val = item.partition("=")
        if not sep or not k:
            raise UsageError(f"privateapi fleet compact: --label {item!r}: expected KEY=VALUE")
        labels[k] = val
    docs: list[Any] = []
    for name in args.reports:
        text = sys.stdin.read() if name == "-" else _read(name)
        try:
            docs += parse_documents(text, name) or [None]
        except ValueError:
            docs.append(None)  # a crashed doctor: an error entry, not a failed command
    sys.stdout.write(compact_result(docs, labels=labels, limit=limit_for(limit)) + "\n")
    return 0


def _read(name: str) -> str:
    try:
        return Path(name).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"privateapi fleet compact: {name}: {exc.strerror}") from None
