"""Starting a fleet run: the state machine, SSM Run Command, or the probes directly.

- :func:`probes_from_stack_set`: where the probe is deployed (``ListStackInstances``):
  one probe per account and region, labelled with its OU.
- :func:`start_run`: ``StartExecution`` of the coordinator with the probes and targets.
- :func:`send_command`: ``SendCommand`` of the SSM document to instances by tag.
- :func:`invoke_probes`: ``Invoke`` each probe function directly (small fleets, a test).

Targets are checked before any call, so a bad URL costs no AWS call. With a dry-run
:class:`~privateapi.fleet.AwsSession` the calls are recorded and none is made.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from privateapi._errors import InvalidInputError
from privateapi.fleet._aws_calls import AwsCall, AwsSession, FleetAwsError
from privateapi.fleet._compact import MAX_TARGETS, RESULT_KIND, error_report
from privateapi.fleet._probe import ProbeSpec
from privateapi.fleet._templates import PROBE_FUNCTION

__all__ = ["RunResult", "invoke_probes", "probes_from_stack_set", "send_command", "start_run"]

#: Step Functions refuses an execution input over 256 KiB.
MAX_INPUT = 256 * 1024
_LAMBDA_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$"
)
_TAG = re.compile(r"^[^=]{1,128}=[^=]{0,256}$")


@dataclass(frozen=True)
class RunResult:
    """What a run command did (or, in a dry run, would do)."""

    calls: tuple[AwsCall, ...]
    dry_run: bool
    execution_arn: str | None = None
    command_id: str | None = None
    probes: int = 0
    results: tuple[Mapping[str, Any], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "dry_run": self.dry_run,
            "calls": [c.to_dict() for c in self.calls],
            "execution_arn": self.execution_arn,
            "command_id": self.command_id,
            "probes": self.probes,
            "results": [dict(r) for r in self.results],
        }


def _check_targets(targets: Sequence[Any], timeout: float) -> list[Any]:
    if not targets:
        raise InvalidInputError("targets", [], "at least one invoke URL")
    if len(targets) > MAX_TARGETS:
        raise InvalidInputError(
            "targets", f"{len(targets)} targets", f"at most {MAX_TARGETS} per run"
        )
    for t in targets:
        item = {"url": t} if isinstance(t, str) else dict(t)
        item.setdefault("timeout", timeout)
        ProbeSpec.from_event(item).invoke_target()  # raises naming what is wrong
    return list(targets)


def probes_from_stack_set(
    aws: AwsSession,
    stack_set_name: str,
    *,
    function_name: str = PROBE_FUNCTION,
    call_as: str = "SELF",
    partition: str = "aws",
) -> list[dict[str, Any]]:
    """One probe per stack instance of the StackSet whose stack is current."""
    if call_as not in ("SELF", "DELEGATED_ADMIN"):
        raise InvalidInputError("call_as", call_as, "SELF or DELEGATED_ADMIN")
    probes: list[dict[str, Any]] = []
    listing = aws.pages(
        "cloudformation",
        "ListStackInstances",
        {"StackSetName": stack_set_name, "CallAs": call_as},
        param="NextToken",
        next_key="NextToken",
    )
    for page in listing:
        for s in page.get("Summaries") or []:
            if s.get("Status") != "CURRENT":
                continue
            account, region = s.get("Account"), s.get("Region")
            labels = {"account": account, "region": region}
            if s.get("OrganizationalUnitId"):
                labels["ou"] = s["OrganizationalUnitId"]
            arn = f"arn:{partition}:lambda:{region}:{account}:function:{function_name}"
            probes.append({"function": arn, "labels": labels})
    return probes


def _check_probes(probes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in probes:
        fn = p.get("function")
        if not isinstance(fn, str) or not _LAMBDA_ARN.fullmatch(fn):
            raise InvalidInputError("probe function", fn, "a Lambda function ARN")
        labels = p.get("labels") or {}
        out.append({"function": fn, "labels": {str(k): str(v) for k, v in labels.items()}})
    return out


def start_run(
    aws: AwsSession,
    state_machine_arn: str,
    probes: Sequence[Mapping[str, Any]],
    targets: Sequence[Any],
    *,
    timeout: float = 3.0,
    name: str | None = None,
) -> RunResult:
    """Start the coordinator: one Distributed Map item per probe."""
    if not re.fullmatch(
        r"arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}",
        state_machine_arn or "",
    ):
        raise InvalidInputError("state_machine", state_machine_arn, "a state machine ARN")
    targets = _check_targets(targets, timeout)
    items = _check_probes(probes)
    if not items and not aws.dry_run:
        raise InvalidInputError(
            "probes", [], "at least one probe (is the StackSet deployed anywhere?)"
        )
    text = json.dumps({"probes": items, "targets": targets, "timeout": timeout})
    if len(text.encode()) > MAX_INPUT:
        raise InvalidInputError(
            "probes",
            f"{len(items)} probes",
            f"an execution input under {MAX_INPUT:,} bytes (start several runs)",
        )
    run_name = name or f"fleet-{uuid.uuid4().hex[:12]}"
    answer = aws.call(
        "stepfunctions",
        "StartExecution",
        stateMachineArn=state_machine_arn,
        name=run_name,
        input=text,
    )
    return RunResult(
        calls=tuple(aws.calls),
        dry_run=aws.dry_run,
        execution_arn=None if answer is None else answer.get("executionArn"),
        probes=len(items),
    )


def send_command(
    aws: AwsSession,
    document_name: str,
    tags: Sequence[str],
    targets: Sequence[str],
    *,
    artifact_url: str,
    doctor_args: str = "--no-aws",
    max_concurrency: str = "10%",
    max_errors: str = "100%",
    output_bucket: str | None = None,
    timeout_seconds: int = 900,
) -> RunResult:
    """``SendCommand`` the SSM document to the managed instances with these tags."""
    if not tags or not all(_TAG.fullmatch(t) for t in tags):
        raise InvalidInputError("tag", list(tags), "KEY=VALUE (at least one)")
    targets = _check_targets(targets, 3.0)
    if not all(isinstance(t, str) for t in targets):
        raise InvalidInputError("targets", targets, "invoke URLs (SSM runs the doctor per URL)")
    by_key: dict[str, list[str]] = {}
    for t in tags:
        k, _, v = t.partition("=")
        by_key.setdefault(f"tag:{k}", []).append(v)
    params: dict[str, Any] = {
        "DocumentName": document_name,
        "Targets": [{"Key": k, "Values": v} for k, v in by_key.items()],
        "Parameters": {
            "ArtifactUrl": [artifact_url],
            "Targets": [" ".join(targets)],
            "DoctorArgs": [doctor_args],
        },
        "MaxConcurrency": max_concurrency,
        "MaxErrors": max_errors,
        "TimeoutSeconds": timeout_seconds,
        "Comment": "privateapi fleet run",
    }
    if output_bucket:
        params["OutputS3BucketName"] = output_bucket
        params["OutputS3KeyPrefix"] = "privateapi-fleet/"
    answer = aws.call("ssm", "SendCommand", **params)
    command_id = None if answer is None else answer["Command"]["CommandId"]
    return RunResult(calls=tuple(aws.calls), dry_run=aws.dry_run, command_id=command_id)


def _invoke_one(
    aws: AwsSession, probe: Mapping[str, Any], payload: dict[str, Any]
) -> dict[str, Any]:
    event = {**payload, "labels": probe.get("labels") or {}}
    try:
        answer = aws.call(
            "lambda", "Invoke", FunctionName=probe["function"], Payload=json.dumps(event).encode()
        )
    except FleetAwsError as exc:
        return _unprobed(probe, payload, str(exc))
    if answer is None:
        return {}
    body = answer["Payload"].read(7 * 1024 * 1024)
    if answer.get("FunctionError"):
        return _unprobed(
            probe, payload, f"the probe failed ({answer['FunctionError']}): {body[:300]!r}"
        )
    try:
        doc = json.loads(body)
    except ValueError:
        return _unprobed(probe, payload, "the probe answered something that is not JSON")
    if not isinstance(doc, dict) or doc.get("kind") != RESULT_KIND:
        return _unprobed(probe, payload, "the probe's answer is not a fleet result")
    return doc


def _unprobed(probe: Mapping[str, Any], payload: Mapping[str, Any], message: str) -> dict[str, Any]:
    labels = dict(probe.get("labels") or {})
    targets = payload.get("targets") or []
    return {
        "kind": RESULT_KIND,
        "verdict": "error",
        "where": {**labels, "function": str(probe.get("function"))},
        "reports": [
            error_report(t if isinstance(t, str) else str(t.get("url")), message) for t in targets
        ],
    }


def invoke_probes(
    aws: AwsSession,
    probes: Sequence[Mapping[str, Any]],
    targets: Sequence[Any],
    *,
    timeout: float = 3.0,
    parallel: int = 8,
) -> RunResult:
    """Invoke each probe function (``RequestResponse``) and collect the fleet results."""
    if not isinstance(parallel, int) or not 1 <= parallel <= 64:
        raise InvalidInputError("parallel", parallel, "a whole number from 1 to 64")
    targets = _check_targets(targets, timeout)
    items = _check_probes(probes)
    payload = {"targets": targets, "timeout": timeout, "limit": "sfn"}
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="fleet-invoke") as pool:
        results = list(pool.map(lambda p: _invoke_one(aws, p, payload), items))
    return RunResult(
        calls=tuple(aws.calls),
        dry_run=aws.dry_run,
        probes=len(items),
        results=tuple(r for r in results if r),
    )
