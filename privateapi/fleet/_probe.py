"""The fleet's one door to the doctor: one call into it, one parser of its JSON.

Everything the fleet knows about the doctor is here, so that a change in the doctor
(its options, its report's shape) is absorbed in one place:

- :func:`run_doctor` turns a :class:`ProbeSpec` (one target of a Lambda event) into the
  doctor's report as JSON-ready data (``Report.to_dict()``);
- :func:`parse_doctor_report` reads such a document (from the Lambda probe, from
  ``privateapi doctor --json`` on an SSM-managed instance, from a file) into a
  :class:`DoctorReport`, reading only ``target``, ``verdict``, ``not_checked`` and
  ``checks[].{id,status,cause,summary,evidence,hint}`` and ignoring every other field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from privateapi._errors import InvalidInputError

__all__ = [
    "DoctorCheck",
    "DoctorReport",
    "ProbeSpec",
    "ReportFormatError",
    "parse_doctor_report",
    "run_doctor",
]

_FACTS = (
    "api_id",
    "region",
    "stage",
    "style",
    "vpce_id",
    "vpce_dns",
    "domain",
    "base_path",
    "account_id",
)
# Knobs of the doctor a fleet event may set. The network ones (resolver, port,
# connect_to, ca_bundle) exist for tests and for VPCs with a custom resolver.
_NETWORK = ("resolver", "use_system_resolver", "port", "connect_to", "ca_bundle", "vpc_cidrs")
_OPTIONS = ("headers", "checks", "timeout", "method", "path", "sign", "aws", *_NETWORK)
_KEYS = frozenset(("url", *_FACTS, *_OPTIONS))
MAX_TIMEOUT = 60.0


class ReportFormatError(InvalidInputError):
    """A document that is not a doctor report (or a fleet result) we can read."""


@dataclass(frozen=True)
class ProbeSpec:
    """One target of a probe event, validated.

    Attributes:
        target: the target as given (``url`` + ``headers``, or the facts).
        timeout: seconds for each network step (at most 60).
        checks: run only these checks (and their prerequisites).
        method, path: the probe's request.
        sign: sign the probe with the function's credentials.
        aws: run the read-only control-plane checks (the role needs the optional
            ``apigateway:GET`` / ``ec2:Describe*`` statements).
        network: resolver / port / connect_to / ca_bundle / use_system_resolver /
            vpc_cidrs, passed to the doctor as they are.
    """

    target: Mapping[str, Any]
    timeout: float = 3.0
    checks: tuple[str, ...] = ()
    method: str = "GET"
    path: str = "/"
    sign: bool = True
    aws: bool = False
    network: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """A short name of the target for reports (its URL, or its facts)."""
        if "url" in self.target:
            return str(self.target["url"])
        return " ".join(f"{k}={self.target[k]}" for k in _FACTS if k in self.target)

    @classmethod
    def from_event(cls, item: object, default_timeout: float = 3.0) -> ProbeSpec:
        """Validate one element of an event's ``targets`` (a URL string or an object)."""
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, Mapping):
            raise InvalidInputError("target", item, "a URL or an object with 'url' or the facts")
        unknown = sorted(str(k) for k in item if k not in _KEYS)
        if unknown:
            raise InvalidInputError("target key", unknown[0], "one of " + ", ".join(sorted(_KEYS)))
        has_facts = all(k in item for k in ("api_id", "region", "stage")) or "domain" in item
        if "url" not in item and not has_facts:
            raise InvalidInputError(
                "target", dict(item), "'url', or 'api_id' + 'region' + 'stage', or 'domain'"
            )
        target: dict[str, Any] = {k: item[k] for k in ("url", *_FACTS) if k in item}
        headers = item.get("headers") or {}
        if not isinstance(headers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise InvalidInputError("headers", headers, "an object of header name -> value")
        if headers:
            target["headers"] = dict(headers)
        timeout = item.get("timeout", default_timeout)
        if (
            not isinstance(timeout, int | float)
            or isinstance(timeout, bool)
            or not (0 < timeout <= MAX_TIMEOUT and math.isfinite(timeout))
        ):
            raise InvalidInputError(
                "timeout", timeout, f"seconds, more than 0 and at most {MAX_TIMEOUT:g}"
            )
        checks = item.get("checks") or ()
        if isinstance(checks, str) or not all(isinstance(c, str) for c in checks):
            raise InvalidInputError("checks", checks, "a list of check ids or groups")
        for flag in ("sign", "aws", "use_system_resolver"):
            if flag in item and not isinstance(item[flag], bool):
                raise InvalidInputError(flag, item[flag], "true or false")
        network = {k: item[k] for k in _NETWORK if k in item}
        return cls(
            target=target,
            timeout=float(timeout),
            checks=tuple(checks),
            method=str(item.get("method", "GET")),
            path=str(item.get("path", "/")),
            sign=bool(item.get("sign", True)),
            aws=bool(item.get("aws", False)),
            network=network,
        )

    def invoke_target(self) -> Any:
        """The :class:`~privateapi.InvokeTarget` (raises ``InvalidInputError`` if wrong)."""
        t = dict(self.target)
        connect_to = self.network.get("connect_to")
        build = self._from_url if "url" in t else self._from_facts
        target = build(t, connect_to)
        port = self.network.get("port")
        if port is None:
            return target
        # Where to connect is the target's (the doctor's options say only how to run):
        # the port goes onto connect_to, keeping its host or the URL's own name.
        from privateapi._names import format_host_port, parse_host_port

        host = parse_host_port(target.connect_to)[0] if target.connect_to else target.host
        return target.with_connect_to(format_host_port(host, int(port)))

    @staticmethod
    def _from_url(t: dict[str, Any], connect_to: Any) -> Any:
        from dataclasses import replace

        from privateapi._targets import parse_url

        target = parse_url(str(t["url"]), t.get("headers") or None)
        changes: dict[str, Any] = {k: t[k] for k in ("vpce_id", "account_id") if k in t}
        if connect_to is not None:
            changes["connect_to"] = connect_to
        return replace(target, **changes) if changes else target

    @staticmethod
    def _from_facts(t: dict[str, Any], connect_to: Any) -> Any:
        from privateapi._errors import InvalidInputError
        from privateapi._targets import InvokeTarget, Style

        style = t.pop("style", None)
        if style is None:
            style = (
                "custom_domain"
                if t.get("domain")
                else "api_id_header"
                if t.get("vpce_dns")
                else "vpce_alias"
                if t.get("vpce_id")
                else "private_dns"
            )
        t.pop("headers", None)
        try:
            style = Style(style)
        except ValueError:
            raise InvalidInputError(
                "style", style, "one of " + ", ".join(s.value for s in Style)
            ) from None
        return InvokeTarget(style, connect_to=connect_to, **t)

    def doctor_options(self, environ: Mapping[str, str] | None = None) -> Any:
        """The doctor's options for this target."""
        from privateapi.doctor import DoctorOptions

        net = dict(self.network)
        net.pop("connect_to", None)
        net.pop("port", None)  # on the target (invoke_target), not an option
        if "vpc_cidrs" in net:
            net["vpc_cidrs"] = tuple(net["vpc_cidrs"])
        return DoctorOptions(
            timeout=self.timeout,
            checks=self.checks,
            method=self.method,
            path=self.path,
            sign=self.sign,
            no_aws=not self.aws,
            environ=environ,
            **net,
        )


def run_doctor(spec: ProbeSpec, *, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run the doctor for one target: its report as JSON-ready data.

    The fleet's only call into :mod:`privateapi.doctor`. Raises ``InvalidInputError`` for
    a target or option the doctor refuses (the caller turns it into an error entry).
    """
    from privateapi.doctor import run

    report = run(spec.invoke_target(), spec.doctor_options(environ))
    doc: dict[str, Any] = report.to_dict()
    return doc


@dataclass(frozen=True)
class DoctorCheck:
    """One check of a doctor report, as the fleet reads it."""

    id: str
    status: str
    cause: str | None = None
    summary: str = ""
    hint: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DoctorReport:
    """A doctor report, as the fleet reads it (extra fields are ignored)."""

    target: Mapping[str, Any]
    verdict: str
    checks: tuple[DoctorCheck, ...]
    not_checked: tuple[str, ...] = ()
    duration_ms: float = 0.0

    def check(self, check_id: str) -> DoctorCheck | None:
        """The check with this id, if it ran."""
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def local_address(self) -> str | None:
        """This host's source address towards the endpoint (from ``tcp.connect``)."""
        tcp = self.check("tcp.connect")
        if tcp is None:
            return None
        value = tcp.evidence.get("local_address")
        if isinstance(value, str):
            return value
        for conn in tcp.evidence.get("connections") or []:
            if isinstance(conn, Mapping) and isinstance(conn.get("local_address"), str):
                return str(conn["local_address"])
        return None

    @property
    def platform(self) -> dict[str, Any]:
        """Where the doctor ran, as ``env.platform`` found it (EC2 / ECS / Lambda)."""
        env = self.check("env.platform")
        if env is None:
            return {}
        keys = (
            "platform",
            "region",
            "availability_zone",
            "instance_id",
            "vpc_id",
            "subnet_id",
            "local_ipv4",
            "function",
        )
        return {k: env.evidence[k] for k in keys if isinstance(env.evidence.get(k), str)}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def parse_doctor_report(doc: object) -> DoctorReport:
    """Read a doctor ``--json`` document (tolerant of fields it does not know).

    Raises :class:`ReportFormatError` naming what is missing when ``doc`` is not a
    doctor report.
    """
    if not isinstance(doc, Mapping):
        raise ReportFormatError("doctor report", type(doc).__name__, "a JSON object")
    verdict = doc.get("verdict")
    if not isinstance(verdict, str) or not verdict:
        raise ReportFormatError("verdict", verdict, "a string such as 'pass' or 'fail'")
    raw_checks = doc.get("checks", [])
    if not isinstance(raw_checks, list):
        raise ReportFormatError("checks", type(raw_checks).__name__, "a list of checks")
    checks = []
    for i, c in enumerate(raw_checks):
        if not isinstance(c, Mapping) or not isinstance(c.get("id"), str):
            raise ReportFormatError(f"checks[{i}]", c, "an object with 'id' and 'status'")
        status = c.get("status")
        if not isinstance(status, str):
            raise ReportFormatError(f"checks[{i}].status", status, "a status word")
        cause = c.get("cause")
        evidence = c.get("evidence")
        hint = c.get("hint")
        checks.append(
            DoctorCheck(
                id=c["id"],
                status=status,
                cause=cause if isinstance(cause, str) and cause else None,
                summary=_text(c.get("summary")),
                hint=hint if isinstance(hint, str) else None,
                evidence=evidence if isinstance(evidence, Mapping) else {},
            )
        )
    target = doc.get("target")
    not_checked = doc.get("not_checked")
    duration = doc.get("duration_ms")
    return DoctorReport(
        target=target if isinstance(target, Mapping) else {},
        verdict=verdict,
        checks=tuple(checks),
        not_checked=tuple(x for x in not_checked if isinstance(x, str))
        if isinstance(not_checked, list)
        else (),
        duration_ms=float(duration) if isinstance(duration, int | float) else 0.0,
    )


def doctor_budget(spec: ProbeSpec) -> float:
    """The longest one doctor run may take for ``spec``, in seconds.

    Mirrors the doctor runner's own bound (its longest dependency chain, dns → tcp →
    tls → http → policy, at about one timeout each, plus a margin); kept here so the
    fleet's knowledge of the doctor stays in this module.
    """
    return 8 * spec.timeout + 10.0
