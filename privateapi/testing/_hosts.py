"""What a ``Host`` names, the way API Gateway reads it behind a VPC endpoint.

(Routes, the methods and paths of an API, are in :mod:`._routes`; this module only
classifies host names.)

Order (API Gateway documents each rule, not their precedence):

1. ``x-apigw-api-id`` names the API, whatever the ``Host`` (observed with NLB names).
   When ``Host`` names a different API too, the header wins here: unverified (open
   question 5 of the reference).
2. ``Host: {api}.execute-api.{region}.{suffix}``: the private DNS name (or the ``Host``
   override of the endpoint-DNS style).
3. ``Host: {api}-{vpce}.execute-api...``: the Route 53 alias.
4. ``Host`` equal to a private custom domain name: the domain's base path mappings.
5. anything else → 403 ``Forbidden``.

The TLS server name never routes: only ``Host`` and the header do (reference §1.3).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from privateapi._errors import InvalidInputError
from privateapi._names import format_host_port, parse_host_port

__all__ = ["HostMatch", "match_host", "split_stage", "strip_port"]


@dataclass(frozen=True, slots=True)
class HostMatch:
    """What the ``Host`` (or header) names: an API (maybe via an alias) or a custom domain."""

    kind: Literal["api", "alias", "domain", "none"]
    api_id: str | None = None
    vpce_id: str | None = None
    domain: str | None = None
    region: str | None = None


def strip_port(host: str) -> str:
    """``Host`` without its ``:port`` (IPv6 brackets kept), lower-case.

    A malformed value comes back as given (lower-case): it names no API and routes to 403.
    """
    value = host.strip().lower()
    try:
        name, _ = parse_host_port(value, field="Host")
    except InvalidInputError:
        return value
    return format_host_port(name)


_EXEC = re.compile(
    r"(?P<api>[a-z0-9]{10})(?:-(?P<vpce>vpce-[0-9a-f]{8}(?:[0-9a-f]{9})?))?"
    r"\.execute-api\.(?P<region>[a-z0-9-]+)\.(?P<suffix>.+)"
)


# A pure function of (Host, suffix, domain names) that runs on every request: a test suite
# or a benchmark sends few distinct hosts.
@functools.lru_cache(maxsize=256)
def match_host(host: str, dns_suffix: str, domains: frozenset[str]) -> HostMatch:
    """Classify a ``Host`` value (port stripped)."""
    name = strip_port(host).rstrip(".")
    if name in domains:
        return HostMatch("domain", domain=name)
    m = _EXEC.fullmatch(name)
    if m is None or m.group("suffix") != dns_suffix:
        return HostMatch("none")
    kind: Literal["api", "alias"] = "alias" if m.group("vpce") else "api"
    return HostMatch(kind, api_id=m.group("api"), vpce_id=m.group("vpce"), region=m.group("region"))


def split_stage(raw_path: str) -> tuple[str | None, str]:
    """``/prod/pets/1`` → ``("prod", "/pets/1")``; ``/`` → ``(None, "/")``."""
    path = raw_path or "/"
    parts = path.lstrip("/").split("/", 1)
    if not parts[0]:
        return None, "/"
    return parts[0], "/" + (parts[1] if len(parts) > 1 else "")
