"""``privateapi fleet``: can every VPC of the organisation reach this private API?

The doctor rides on engines AWS already runs; this package makes deploying, running
and reading it one call each:

- :mod:`privateapi.fleet.handler`: the probe as a Lambda function (pure Python);
- :func:`build_package`: a reproducible zip/layer of the probe for Lambda (and SSM);
- :func:`probe_template`, :func:`stackset_template`, :func:`coordinator_template`,
  :func:`ssm_document`, :func:`ssm_template`: CloudFormation and the SSM document;
- :func:`start_run`, :func:`send_command`, :func:`invoke_probes`: start a run;
- :func:`load_results`, :func:`summarize`, :func:`to_html`: read what came back;
- :func:`fit`, :func:`compact_result`: the compact result every engine can carry.

Importing this package imports neither botocore nor the doctor; they load on use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from privateapi.fleet._aggregate import Deviation, FleetSummary, Row, summarize, to_html
    from privateapi.fleet._aws_calls import AwsCall, AwsSession, FleetAwsError
    from privateapi.fleet._collect import compact_result, load_results, parse_documents
    from privateapi.fleet._compact import MAX_TARGETS, SFN_LIMIT, SSM_LIMIT, fit, limit_for
    from privateapi.fleet._package import PackageError, PackageResult, build_package
    from privateapi.fleet._probe import ProbeSpec, ReportFormatError, parse_doctor_report
    from privateapi.fleet._run import (
        RunResult,
        invoke_probes,
        probes_from_stack_set,
        send_command,
        start_run,
    )
    from privateapi.fleet._templates import (
        coordinator_template,
        probe_template,
        ssm_document,
        ssm_template,
        stackset_template,
        to_json,
    )

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        ["Deviation", "FleetSummary", "Row", "summarize", "to_html"], "privateapi.fleet._aggregate"
    ),
    **dict.fromkeys(["AwsCall", "AwsSession", "FleetAwsError"], "privateapi.fleet._aws_calls"),
    **dict.fromkeys(
        ["MAX_TARGETS", "SFN_LIMIT", "SSM_LIMIT", "fit", "limit_for"], "privateapi.fleet._compact"
    ),
    **dict.fromkeys(
        ["compact_result", "load_results", "parse_documents"], "privateapi.fleet._collect"
    ),
    **dict.fromkeys(
        ["PackageError", "PackageResult", "build_package"], "privateapi.fleet._package"
    ),
    **dict.fromkeys(
        ["ProbeSpec", "ReportFormatError", "parse_doctor_report"], "privateapi.fleet._probe"
    ),
    **dict.fromkeys(
        ["RunResult", "invoke_probes", "probes_from_stack_set", "send_command", "start_run"],
        "privateapi.fleet._run",
    ),
    **dict.fromkeys(
        [
            "coordinator_template",
            "probe_template",
            "ssm_document",
            "ssm_template",
            "stackset_template",
            "to_json",
        ],
        "privateapi.fleet._templates",
    ),
}

__all__ = [
    "MAX_TARGETS",
    "SFN_LIMIT",
    "SSM_LIMIT",
    "AwsCall",
    "AwsSession",
    "Deviation",
    "FleetAwsError",
    "FleetSummary",
    "PackageError",
    "PackageResult",
    "ProbeSpec",
    "ReportFormatError",
    "Row",
    "RunResult",
    "build_package",
    "compact_result",
    "coordinator_template",
    "fit",
    "invoke_probes",
    "limit_for",
    "load_results",
    "parse_doctor_report",
    "parse_documents",
    "probe_template",
    "probes_from_stack_set",
    "send_command",
    "ssm_document",
    "ssm_template",
    "stackset_template",
    "start_run",
    "summarize",
    "to_html",
    "to_json",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'privateapi.fleet' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
