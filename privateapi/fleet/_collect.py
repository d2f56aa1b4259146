"""Reading results back: local files, S3 (ResultWriter runs), an execution's output, SSM.

Sources (one string each, as the command line takes them):

- a file or folder (``.json`` documents or JSON Lines), or ``-`` for stdin;
- ``s3://bucket/prefix``: a ResultWriter run (its ``manifest.json`` is followed), or
  every ``.json`` object under the prefix;
- a Step Functions execution ARN: ``DescribeExecution``; its output is either the Map's
  ``ResultWriterDetails`` (the manifest in S3 is followed) or the results inline;
- ``ssm:COMMAND_ID``: every invocation of the command (``ListCommandInvocations``), then
  each instance's stdout (``GetCommandInvocation``; it holds at most 24,000 characters,
  which the compact result always fits).

Everything read is bounded: object and file sizes, object counts, invocation counts.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from privateapi._errors import InvalidInputError
from privateapi.fleet._aggregate import results_in
from privateapi.fleet._aws_calls import AwsSession
from privateapi.fleet._compact import RESULT_KIND, RESULT_VERSION, SSM_LIMIT, compact_report, fit
from privateapi.fleet._probe import parse_doctor_report
from privateapi.fleet._templates import DOCUMENT_STEP

__all__ = ["compact_result", "load_results", "parse_documents"]

MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
MAX_OBJECTS = 100_000
MAX_INVOCATIONS = 50_000


def compact_result(
    doctor_documents: Sequence[Any],
    *,
    labels: Mapping[str, str] | None = None,
    limit: int = SSM_LIMIT,
) -> str:
    """One fleet result from ``privateapi doctor --json`` documents (the SSM path).

    Where it ran comes from the reports' ``env.platform`` check (instance metadata: region,
    AZ, instance, VPC, subnet). A document that is not a doctor report becomes an
    ``error`` entry, so a crashed doctor still shows in the matrix.
    """
    from privateapi.fleet._compact import error_report
    from privateapi.fleet._probe import ReportFormatError

    reports: list[dict[str, Any]] = []
    where: dict[str, Any] = {}
    for i, doc in enumerate(doctor_documents):
        try:
            parsed = parse_doctor_report(doc)
        except ReportFormatError as exc:
            reports.append(error_report(f"report {i + 1}", f"not a doctor report: {exc}"))
            continue
        where = where or parsed.platform
        label = str(parsed.target.get("url") or parsed.target.get("host") or f"report {i + 1}")
        reports.append(compact_report(parsed, label))
    verdict = "pass" if reports and all(r["verdict"] == "pass" for r in reports) else "fail"
    result = {
        "kind": RESULT_KIND,
        "version": RESULT_VERSION,
        "verdict": verdict,
        "where": {**where, **dict(labels or {})},
        "reports": reports,
    }
    return fit(result, limit)


def parse_documents(text: str, source: str) -> list[Any]:
    """JSON text (one document) or JSON Lines (one document a line)."""
    text = text.strip()
    if not text:
        return []
    try:
        return [json.loads(text)]
    except ValueError:
        pass
    docs = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                docs.append(json.loads(line))
            except ValueError:
                raise InvalidInputError(
                    "report", f"{source} line {n}", "JSON (one document, or one per line)"
                ) from None
    return docs


def _read_local(source: str) -> Iterable[tuple[str, str]]:
    if source == "-":
        yield "stdin", sys.stdin.read(MAX_DOCUMENT_BYTES)
        return
    path = Path(source)
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file()
        )
        if not files:
            raise InvalidInputError(
                "report folder", source, "a folder holding .json or .jsonl files"
            )
    elif path.is_file():
        files = [path]
    else:
        raise InvalidInputError(
            "report source",
            source,
            "a file, a folder, -, s3://BUCKET/PREFIX, an execution ARN or ssm:COMMAND_ID",
        )
    for f in files:
        if f.stat().st_size > MAX_DOCUMENT_BYTES:
            raise InvalidInputError("report file", str(f), f"at most {MAX_DOCUMENT_BYTES:,} bytes")
        yield str(f), f.read_text(encoding="utf-8", errors="replace")


def _split_s3(url: str) -> tuple[str, str]:
    rest = url[len("s3://") :]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise InvalidInputError("s3 source", url, "s3://BUCKET/PREFIX")
    return bucket, prefix


def _get_object(aws: AwsSession, bucket: str, key: str) -> str:
    answer = aws.call("s3", "GetObject", Bucket=bucket, Key=key)
    if answer is None:  # dry run
        return ""
    body = answer["Body"]
    try:
        data = body.read(MAX_DOCUMENT_BYTES + 1)
    finally:
        body.close()
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidInputError(
            "s3 object", f"s3://{bucket}/{key}", f"at most {MAX_DOCUMENT_BYTES:,} bytes"
        )
    return bytes(data).decode("utf-8", "replace")


def _manifest_keys(manifest: Mapping[str, Any]) -> list[str]:
    files = manifest.get("ResultFiles") or {}
    keys: list[str] = []
    for status in ("SUCCEEDED", "FAILED", "PENDING"):
        for entry in files.get(status) or []:
            if isinstance(entry, Mapping) and isinstance(entry.get("Key"), str):
                keys.append(entry["Key"])
    return keys


def _read_s3(aws: AwsSession, url: str) -> Iterable[tuple[str, str]]:
    bucket, prefix = _split_s3(url)
    if prefix.endswith("manifest.json"):
        yield from _follow_manifest(aws, bucket, prefix)
        return
    keys: list[str] = []
    listing = aws.pages(
        "s3",
        "ListObjectsV2",
        {"Bucket": bucket, "Prefix": prefix},
        param="ContinuationToken",
        next_key="NextContinuationToken",
    )
    for page in listing:
        keys += [o["Key"] for o in page.get("Contents") or []]
        if len(keys) > MAX_OBJECTS:
            raise InvalidInputError("s3 prefix", url, f"at most {MAX_OBJECTS:,} objects")
        if not page.get("IsTruncated"):
            break
    manifests = [k for k in keys if k.endswith("/manifest.json") or k == "manifest.json"]
    if manifests:
        for m in sorted(manifests):
            yield from _follow_manifest(aws, bucket, m)
        return
    for key in sorted(k for k in keys if k.endswith((".json", ".jsonl"))):
        yield f"s3://{bucket}/{key}", _get_object(aws, bucket, key)


def _follow_manifest(aws: AwsSession, bucket: str, key: str) -> Iterable[tuple[str, str]]:
    text = _get_object(aws, bucket, key)
    if not text:
        return
    manifest = json.loads(text)
    target_bucket = manifest.get("DestinationBucket") or bucket
    for k in _manifest_keys(manifest):
        yield f"s3://{target_bucket}/{k}", _get_object(aws, target_bucket, k)


def _read_execution(aws: AwsSession, arn: str) -> Iterable[tuple[str, str]]:
    answer = aws.call("stepfunctions", "DescribeExecution", executionArn=arn)
    if answer is None:
        return
    status = answer.get("status")
    output = answer.get("output")
    if status != "SUCCEEDED" or not isinstance(output, str):
        raise InvalidInputError(
            "execution", arn, f"a finished execution (it is {status}; wait for SUCCEEDED)"
        )
    doc = json.loads(output)
    details = doc.get("ResultWriterDetails") if isinstance(doc, Mapping) else None
    if isinstance(details, Mapping) and details.get("Bucket") and details.get("Key"):
        yield from _follow_manifest(aws, str(details["Bucket"]), str(details["Key"]))
        return
    yield arn, output


def _read_ssm(
    aws: AwsSession,
    command_id: str,
    instance_ids: Sequence[str] = (),
    plugin_name: str | None = DOCUMENT_STEP,
) -> Iterable[tuple[str, Any]]:
    instances = list(instance_ids)
    if not instances:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"CommandId": command_id}
            if token:
                params["NextToken"] = token
            page = aws.call("ssm", "ListCommandInvocations", **params)
            if page is None:
                return
            instances += [
                i["InstanceId"] for i in page.get("CommandInvocations") or [] if i.get("InstanceId")
            ]
            if len(instances) > MAX_INVOCATIONS:
                raise InvalidInputError(
                    "command", command_id, f"at most {MAX_INVOCATIONS:,} invocations"
                )
            token = page.get("NextToken")
            if not token:
                break
    for instance in sorted(set(instances)):
        params = {"CommandId": command_id, "InstanceId": instance}
        if plugin_name:
            params["PluginName"] = plugin_name
        inv = aws.call("ssm", "GetCommandInvocation", **params)
        if inv is None:
            continue
        yield f"ssm:{command_id}/{instance}", inv


def _ssm_results(source: str, inv: Mapping[str, Any], skipped: list[str]) -> list[dict[str, Any]]:
    instance = str(inv.get("InstanceId") or "?")
    status = inv.get("Status")
    out = str(inv.get("StandardOutputContent") or "")
    results: list[dict[str, Any]] = []
    if out.strip():
        try:
            results = list(results_in(json.loads(out), source, skipped))
        except ValueError:
            skipped.append(f"{source}: stdout is not JSON (truncated at 24,000 characters?)")
    if not results:
        # Nothing readable: the instance still belongs in the matrix, as not probed.
        message = f"SSM {status}: {(inv.get('StandardErrorContent') or '').strip()[:200]}".strip()
        results = [
            {
                "kind": RESULT_KIND,
                "where": {"instance_id": instance, "platform": "ec2"},
                "reports": [
                    {"target": {"label": "?"}, "verdict": "error", "causes": [], "error": message}
                ],
            }
        ]
    for r in results:
        where = r.setdefault("where", {})
        where.setdefault("instance_id", instance)
    return results


def load_results(
    sources: Sequence[str],
    *,
    aws: AwsSession | None = None,
    instance_ids: Sequence[str] = (),
    plugin_name: str | None = DOCUMENT_STEP,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every fleet result in ``sources``, and what was skipped (with the reason).

    ``instance_ids`` limits an ``ssm:`` source to those instances (and spares the
    ``ListCommandInvocations``); ``plugin_name`` is the document step whose output is read
    (our document's ``runDoctor``; ``None`` for a one-step document).
    """
    if not sources:
        raise InvalidInputError(
            "report source", None, "at least one file, folder, s3:// URL, execution ARN or ssm:ID"
        )
    results: list[dict[str, Any]] = []
    skipped: list[str] = []
    for source in sources:
        remote = source.startswith(("s3://", "arn:", "ssm:"))
        if remote and aws is None:
            aws = AwsSession()
        if source.startswith("ssm:"):
            assert aws is not None
            for name, inv in _read_ssm(aws, source[4:], instance_ids, plugin_name):
                results += _ssm_results(name, inv, skipped)
            continue
        if source.startswith("s3://"):
            assert aws is not None
            texts: Iterable[tuple[str, str]] = _read_s3(aws, source)
        elif source.startswith("arn:") and ":execution:" in source:
            assert aws is not None
            texts = _read_execution(aws, source)
        elif source.startswith("arn:"):
            raise InvalidInputError(
                "report source", source, "a Step Functions execution ARN (…:execution:…)"
            )
        else:
            texts = _read_local(source)
        for name, text in texts:
            for doc in parse_documents(text, name):
                results += list(results_in(doc, name, skipped))
    return results, skipped
