"""The probe as a Lambda function: ``privateapi.fleet.handler.handler``.

Event (every key but ``targets`` optional)::

    {
      "targets": ["https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
                  {"url": "https://vpce-...vpce.amazonaws.com/prod",
                   "headers": {"x-apigw-api-id": "a1b2c3d4e5"},
                   "checks": ["http"], "timeout": 3, "path": "/health"}],
      "timeout": 3,                      # default seconds per network step
      "labels": {"account": "111122223333", "ou": "ou-ab12-cdef3456"},
      "limit": "sfn",                    # or "ssm", or a number of characters
      "where": true                      # false: skip the configuration look-ups
    }

Answer: a fleet result (``kind`` ``privateapi.fleet/result``): where the probe ran
(account, region, function, VPC, the subnet and AZ of this run when they can be told,
security groups), and for each target its verdict, the cause codes of failing checks
and the checks themselves, trimmed to fit the engines' limits (see ``_compact``).

Pure Python: no ``dig``, no subprocess; the doctor's own resolvers and sockets. Bad
input never raises out of the handler: an unreadable event gives a result whose
verdict is ``error`` and whose ``error`` says what was wrong, a bad target an ``error``
entry, and the other targets still run.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from privateapi._errors import InvalidInputError
from privateapi.fleet._compact import (
    MAX_TARGETS,
    RESULT_KIND,
    RESULT_VERSION,
    compact_report,
    error_report,
    fit,
    limit_for,
)
from privateapi.fleet._probe import (
    ProbeSpec,
    doctor_budget,
    parse_doctor_report,
    run_doctor,
)

__all__ = ["handler", "probe", "where_it_ran"]

_EVENT_KEYS = frozenset(("targets", "timeout", "labels", "limit", "where"))
#: Doctor runs in parallel inside one invocation (each is itself a few threads).
_PARALLEL = 4
#: Seconds kept back from the function's remaining time to serialise and return.
_RESERVE = 3.0


def _function_arn_parts(context: Any) -> dict[str, str]:
    arn = getattr(context, "invoked_function_arn", None)
    if not isinstance(arn, str):
        return {}
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        return {}
    return {"partition": parts[1], "region": parts[3], "account": parts[4], "function": parts[6]}


def where_it_ran(
    context: Any = None,
    environ: Mapping[str, str] | None = None,
    *,
    local_addresses: tuple[str, ...] = (),
    lookup: bool = True,
) -> dict[str, Any]:
    """Where this probe runs: account, region, function, VPC, subnets, AZ.

    From the invocation's ARN and the Lambda environment, then (``lookup``) the
    function's own configuration (``lambda:GetFunctionConfiguration``: VPC, subnets,
    security groups) and its subnets (``ec2:DescribeSubnets``: AZ and CIDR, so the
    subnet holding this run's source address is named). A look-up that fails is noted
    in ``notes`` and costs nothing else: the probe still runs.
    """
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {"platform": "lambda" if env.get("AWS_LAMBDA_FUNCTION_NAME") else "local"}
    arn = _function_arn_parts(context)
    out.update({k: v for k, v in arn.items() if k != "partition"})
    if "region" not in out and env.get("AWS_REGION"):
        out["region"] = env["AWS_REGION"]
    if "function" not in out and env.get("AWS_LAMBDA_FUNCTION_NAME"):
        out["function"] = env["AWS_LAMBDA_FUNCTION_NAME"]
    notes: list[str] = []
    if lookup and out.get("function") and out.get("region"):
        _configuration(out, notes, local_addresses)
    if notes:
        out["notes"] = notes
    return out


def _configuration(out: dict[str, Any], notes: list[str], local: tuple[str, ...]) -> None:
    import ipaddress

    from privateapi.fleet._aws_calls import AwsSession, FleetAwsError

    aws = AwsSession(region=out["region"])
    try:
        conf = aws.call("lambda", "GetFunctionConfiguration", FunctionName=out["function"])
    except (FleetAwsError, InvalidInputError) as exc:
        notes.append(f"function configuration not read: {exc}")
        return
    vpc = conf.get("VpcConfig") or {}
    if vpc.get("VpcId"):
        out["vpc_id"] = vpc["VpcId"]
    subnets = [s for s in vpc.get("SubnetIds") or [] if isinstance(s, str)]
    if subnets:
        out["subnet_ids"] = subnets
    if vpc.get("SecurityGroupIds"):
        out["security_group_ids"] = list(vpc["SecurityGroupIds"])
    if conf.get("Architectures"):
        out["architecture"] = conf["Architectures"][0]
    if not subnets:
        return
    try:
        answer = aws.call("ec2", "DescribeSubnets", SubnetIds=subnets)
    except FleetAwsError as exc:
        notes.append(f"subnets not described: {exc}")
        return
    described = answer.get("Subnets") or []
    azs = sorted({s.get("AvailabilityZone") for s in described if s.get("AvailabilityZone")})
    if len(azs) == 1:
        out["availability_zone"] = azs[0]
    for s in described:
        try:
            net = ipaddress.ip_network(str(s.get("CidrBlock")), strict=False)
            if any(ipaddress.ip_address(a) in net for a in local):
                out["subnet_id"] = s.get("SubnetId")
                out["availability_zone"] = s.get("AvailabilityZone")
                out["subnet_cidr"] = str(net)
        except ValueError:
            continue
    if "subnet_id" not in out and len(subnets) > 1:
        notes.append(
            "which of the function's subnets this run used is unknown (no source address"
            " matched a subnet CIDR)"
        )


def probe(
    targets: list[ProbeSpec | str | Mapping[str, Any]],
    *,
    deadline: float | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Run the doctor for each target (at most :data:`MAX_TARGETS`), in parallel.

    ``deadline`` is a ``time.monotonic()`` instant: a target whose doctor run could not
    finish before it is not started and gets an ``error`` entry saying so.
    """
    specs: list[ProbeSpec | dict[str, Any]] = []
    for i, item in enumerate(targets):
        if isinstance(item, ProbeSpec):
            specs.append(item)
            continue
        try:
            specs.append(ProbeSpec.from_event(item))
        except InvalidInputError as exc:
            label = item if isinstance(item, str) else f"targets[{i}]"
            specs.append(error_report(str(label), f"bad target: {exc}"))
    lock = threading.Lock()

    def one(spec: ProbeSpec | dict[str, Any]) -> dict[str, Any]:
        if isinstance(spec, dict):
            return spec
        need = doctor_budget(spec)
        with lock:
            left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left < need:
            return error_report(
                spec.label,
                f"not run: {max(left, 0):.0f}s of the function's time were left and a doctor"
                f" run with timeout {spec.timeout:g}s may take {need:.0f}s (raise the"
                " function's timeout or send fewer targets per invocation)",
            )
        try:
            doc = run_doctor(spec, environ=environ)
        except InvalidInputError as exc:
            return error_report(spec.label, f"bad target: {exc}")
        return compact_report(parse_doctor_report(doc), spec.label)

    with ThreadPoolExecutor(max_workers=_PARALLEL, thread_name_prefix="fleet-probe") as pool:
        return list(pool.map(one, specs))


def _result(
    where: Mapping[str, Any],
    reports: list[dict[str, Any]],
    labels: Mapping[str, Any],
    error: str | None = None,
) -> dict[str, Any]:
    ok = bool(reports) and all(r.get("verdict") == "pass" for r in reports) and error is None
    doc: dict[str, Any] = {
        "kind": RESULT_KIND,
        "version": RESULT_VERSION,
        "verdict": "pass" if ok else ("error" if error else "fail"),
        "where": {
            **dict(where),
            **{f"label_{k}" if k in where else k: v for k, v in labels.items()},
        },
        "reports": reports,
    }
    if error:
        doc["error"] = error
    return doc


def _read_event(event: object) -> tuple[list[Any], float, dict[str, str], int, bool]:
    if isinstance(event, str | bytes):
        import json

        try:
            event = json.loads(event)
        except ValueError:
            raise InvalidInputError("event", "(not JSON)", "a JSON object with 'targets'") from None
    if not isinstance(event, Mapping):
        raise InvalidInputError("event", type(event).__name__, "an object with 'targets'")
    unknown = sorted(str(k) for k in event if k not in _EVENT_KEYS)
    if unknown:
        raise InvalidInputError("event key", unknown[0], "one of " + ", ".join(sorted(_EVENT_KEYS)))
    targets = event.get("targets")
    if isinstance(targets, str):
        targets = [targets]
    if not isinstance(targets, list) or not targets:
        raise InvalidInputError("targets", targets, "a non-empty list of URLs or target objects")
    if len(targets) > MAX_TARGETS:
        raise InvalidInputError(
            "targets", f"{len(targets)} targets", f"at most {MAX_TARGETS} per invocation"
        )
    timeout = event.get("timeout", 3.0)
    labels = event.get("labels") or {}
    if not isinstance(labels, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str | int) and not isinstance(v, bool)
        for k, v in labels.items()
    ):
        raise InvalidInputError("labels", labels, "an object of name -> string")
    if "where" in event and not isinstance(event["where"], bool):
        raise InvalidInputError("where", event["where"], "true or false")
    limit = limit_for(event.get("limit"))
    items = [
        {"timeout": timeout, **t} if isinstance(t, Mapping) else {"url": t, "timeout": timeout}
        for t in targets
    ]
    return (
        items,
        timeout,
        {k: str(v) for k, v in labels.items()},
        limit,
        bool(event.get("where", True)),
    )


def handler(event: object, context: Any = None) -> dict[str, Any]:
    """The Lambda entry point (see the module doc for the event and the answer)."""
    import json

    started = time.monotonic()
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    deadline = None
    if callable(remaining):
        deadline = started + max(0.0, remaining() / 1000.0 - _RESERVE)
    try:
        items, _timeout, labels, limit, lookup = _read_event(event)
    except InvalidInputError as exc:
        where = where_it_ran(context, lookup=False)
        return dict(json.loads(fit(_result(where, [], {}, error=str(exc)), limit_for("ssm"))))
    reports = probe(items, deadline=deadline)
    local = tuple(sorted({r["local_address"] for r in reports if r.get("local_address")}))
    where = where_it_ran(context, local_addresses=local, lookup=lookup)
    doc = _result(where, reports, labels)
    doc["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    return dict(json.loads(fit(doc, limit)))
