"""``privateapi doctor``: find why a private API cannot be reached from here.

The doctor walks the caller's own data path (DNS as the application resolves it,
hosts file included → TCP → TLS with the URL's host as SNI → the caller's own request,
through the caller's proxy when one applies, classified), looks at the environment (proxies,
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
from privateapi.doctor._options import DoctorOptions, parse_resolver
from privateapi.doctor._probe import ProbeResult, probe
from privateapi.doctor._proxy import ProxyChoice, no_proxy_matches, proxy_for
from privateapi.doctor._registry import CHECKS, GROUPS, get_check, iter_checks
from privateapi.doctor._request import CallerRequest, recognise
from privateapi.doctor._runner import run, select_checks

__all__ = [
    "CHECKS",
    "DATA_PATH",
    "GROUPS",
    "REPORT_VERSION",
    "Alternative",
    "CallerRequest",
    "Check",
    "DoctorOptions",
    "Inference",
    "ProbeResult",
    "ProxyChoice",
    "Report",
    "Result",
    "Status",
    "get_check",
    "is_vpc_private",
    "iter_checks",
    "no_proxy_matches",
    "parse_resolver",
    "probe",
    "proxy_for",
    "recognise",
    "run",
    "select_checks",
]
