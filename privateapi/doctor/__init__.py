"""``privateapi doctor``: find why a private API cannot be reached from here.

The doctor walks the data path the way the application will (DNS → TCP 443 → TLS
with the style's SNI → a live, classified request), looks at the environment (proxies,
hosts file, metadata, credentials), asks AWS's control plane when it can (read-only),
and evaluates the resource policy locally. Each check yields a :class:`Result` with a
stable cause code from :mod:`privateapi._causes` and a concrete fix.

Example:
    >>> from privateapi import InvokeTarget
    >>> from privateapi.doctor import DoctorOptions, run
    >>> t = InvokeTarget.private_dns("a1b2c3d4e5", "us-east-1", "prod")
    >>> report = run(t, DoctorOptions(no_aws=True, timeout=2))   # doctest: +SKIP
    >>> report.verdict                                           # doctest: +SKIP
    'fail'
"""

from __future__ import annotations

from privateapi.doctor._model import (
    DATA_PATH,
    REPORT_VERSION,
    Alternative,
    Check,
    Inference,
    Report,
    Result,
    Status,
)
from privateapi.doctor._net import is_vpc_private
from privateapi.doctor._options import DoctorOptions
from privateapi.doctor._registry import CHECKS, GROUPS, get_check, iter_checks
from privateapi.doctor._runner import run, select_checks

__all__ = [
    "CHECKS",
    "DATA_PATH",
    "GROUPS",
    "REPORT_VERSION",
    "Alternative",
    "Check",
    "DoctorOptions",
    "Inference",
    "Report",
    "Result",
    "Status",
    "get_check",
    "is_vpc_private",
    "iter_checks",
    "run",
    "select_checks",
]
