"""The doctor's data model: statuses, checks, results and the report.

Everything here is plain data (frozen dataclasses) so that one :class:`Report` feeds
the human view, ``--json`` and the generated documentation alike. Rendering lives in
the CLI; decisions live in the check modules.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from privateapi._causes import cause as _cause
from privateapi.doctor._facts import PROBE_VIA_PROXY

if TYPE_CHECKING:
    from privateapi.doctor._context import Context

__all__ = [
    "DATA_PATH",
    "REPORT_VERSION",
    "Alternative",
    "Check",
    "Inference",
    "Report",
    "Result",
    "Status",
]

#: The version of the ``--json`` document.
REPORT_VERSION = 1

#: The checks that prove the data path. A ``pass`` verdict needs each of them to have
#: run and passed (``warn`` counts as passed: the step worked, with a caveat).
DATA_PATH: tuple[str, ...] = ("dns.lookup", "tcp.connect", "tls.handshake", "http.probe")
#: The checks that judge the direct path from this host to the endpoint. When the call
#: goes through a proxy that carries it (the probe got its answer through the tunnel),
#: their failures describe a path the call does not take: warnings, not the verdict.
DIRECT_PATH: tuple[str, ...] = (
    "env.hosts",
    "dns.lookup",
    "dns.vpc",
    "tcp.connect",
    "tls.handshake",
)


class Status(enum.StrEnum):
    """The outcome of one check."""

    PASS = "pass"  # noqa: S105 - a status word, not a password
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    INFO = "info"


@dataclass(frozen=True)
class Result:
    """What one check found.

    Attributes:
        check_id: the check's stable id (``tls.handshake``).
        status: pass, warn, fail, skip or info.
        summary: one line for people.
        cause: a code from :mod:`privateapi._causes` when the status is warn or fail.
        evidence: what the check saw (JSON-compatible), shown in full with ``-v``.
        hint: the concrete fix (defaults to the cause's hint).
        duration_ms: how long the check ran.
        data: facts handed to dependent checks; never serialized.
    """

    check_id: str
    status: Status
    summary: str
    cause: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict, hash=False)
    hint: str | None = None
    duration_ms: float = 0.0
    data: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.cause is not None:
            _cause(self.cause)  # unknown codes are a programming error: fail loudly
        elif self.status in (Status.WARN, Status.FAIL):
            # Every warning and failure says why, as a stable code: a bug otherwise.
            raise ValueError(f"a {self.status} result needs a cause code: {self.summary!r}")

    @property
    def ok(self) -> bool:
        """Whether the step worked (pass, or warn: worked with a caveat)."""
        return self.status in (Status.PASS, Status.WARN)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the result (one element of the report's ``checks``)."""
        doc = _cause(self.cause).doc_url if self.cause else None
        return {
            "id": self.check_id,
            "status": str(self.status),
            "summary": self.summary,
            "cause": self.cause,
            "evidence": dict(self.evidence),
            "hint": self.hint,
            "doc": doc,
            "duration_ms": round(self.duration_ms, 1),
        }


CheckFunc = Callable[["Context"], Result]


@dataclass(frozen=True)
class Check:
    """One diagnostic step, as data.

    Attributes:
        id: stable id, ``group.name``.
        group: env, dns, tcp, tls, http, aws or policy.
        title: what the check looks at, for listings.
        needs: checks that must have run and worked first; if one failed or was
            skipped, this check is skipped with the reason.
        after: checks whose results this one reads when present (ordering only).
        causes: the cause codes this check can report.
        aws: whether the check calls AWS APIs (skipped with ``no_aws``; it never fails
            merely because AWS cannot be reached).
        follows_proxy: whether the check takes the caller's proxy path when there is one:
            then its ``needs`` on the direct path (:data:`DIRECT_PATH`) do not gate it.
        func: the implementation (``Context -> Result``).
    """

    id: str
    group: str
    title: str
    needs: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    causes: tuple[str, ...] = ()
    aws: bool = False
    #: Whether the check needs the recognised access style (API id, stage, endpoint);
    #: skipped with the reason when the URL names none.
    needs_target: bool = False
    follows_proxy: bool = False
    func: CheckFunc | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The check's description (``--list-checks --json``, the docs reference)."""
        return {
            "id": self.id,
            "group": self.group,
            "title": self.title,
            "needs": list(self.needs),
            "after": list(self.after),
            "causes": list(self.causes),
            "aws": self.aws,
            "needs_target": self.needs_target,
            "follows_proxy": self.follows_proxy,
        }


@dataclass(frozen=True)
class Alternative:
    """One other way of making the call that the doctor tried, and how it went.

    Attributes:
        kind: ``style`` (another access style), ``address`` (the caller's call through
            one of the resolved addresses alone) or ``signing`` (signed vs unsigned).
        label: what was tried, for people (``the {api}-{vpce} alias``).
        style: the access style of ``target``.
        target: the target tried (:meth:`InvokeTarget.to_dict`).
        works: whether the call got a usable answer from API Gateway.
        cause: the cause code of the failure (``None`` when it works).
        step: the data-path check that decided (``dns.lookup`` ... ``http.probe``).
        status: the HTTP status, when an answer came back.
        summary: that check's one-line summary.
        python: a Python expression building the same target (``InvokeTarget.vpce_alias(...)``).
        request: what a client sends: ``url``, ``headers``, ``connect_to`` (``host:port`` or
            ``None``) and ``signed``, for a command line.
        address: for ``address`` alternatives, the one address connected to.
        zone: its Availability Zone, when the endpoint's zonal names told it.
        duration_ms: how long the attempt took.
    """

    kind: str
    label: str
    style: str
    target: Mapping[str, Any] = field(hash=False)
    works: bool
    cause: str | None
    step: str | None
    status: int | None
    summary: str
    python: str
    request: Mapping[str, Any] = field(hash=False)
    address: str | None = None
    zone: str | None = None
    duration_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.cause is not None:
            _cause(self.cause)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (one element of the report's ``alternatives``)."""
        return {
            "kind": self.kind,
            "label": self.label,
            "style": self.style,
            "works": self.works,
            "cause": self.cause,
            "step": self.step,
            "status": self.status,
            "summary": self.summary,
            "python": self.python,
            "request": dict(self.request),
            "address": self.address,
            "zone": self.zone,
            "target": dict(self.target),
            "duration_ms": round(self.duration_ms, 1),
        }


@dataclass(frozen=True)
class Inference:
    """A diagnosis no single probe shows, read from the pattern of the alternatives.

    Attributes:
        cause: the cause code it points at.
        summary: one line for people (says "likely" when it is an inference).
        likely: ``True`` when inferred from a pattern rather than seen directly.
        basis: the labels of the alternatives it rests on.
        reference: where the rule comes from (a section of the reference), if anywhere.
    """

    cause: str
    summary: str
    likely: bool = True
    basis: tuple[str, ...] = ()
    reference: str | None = None

    def __post_init__(self) -> None:
        _cause(self.cause)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (one element of the report's ``inferences``)."""
        return {
            "cause": self.cause,
            "summary": self.summary,
            "likely": self.likely,
            "basis": list(self.basis),
            "reference": self.reference,
            "doc": _cause(self.cause).doc_url,
        }


@dataclass(frozen=True)
class Report:
    """The doctor's answer: every result, the verdict, and what was not checked.

    Attributes:
        target: a description of the target (style, URL, host, SNI, ...).
        results: one result per check that was selected, in registry order.
        verdict: ``pass`` only when the whole data path ran and worked and nothing failed.
        not_checked: data-path steps that did not run (skipped or not selected); a
            verdict is never ``pass`` while this is non-empty.
        duration_ms: wall time of the run.
        alternatives: other ways of making the call that were tried ("what would work"),
            empty when they did not run.
        inferences: what the pattern of the alternatives points at.
    """

    target: Mapping[str, Any]
    results: tuple[Result, ...]
    verdict: str
    not_checked: tuple[str, ...] = ()
    duration_ms: float = 0.0
    alternatives: tuple[Alternative, ...] = ()
    inferences: tuple[Inference, ...] = ()

    @property
    def working(self) -> tuple[Alternative, ...]:
        """The alternatives that work, in the order tried."""
        return tuple(a for a in self.alternatives if a.works)

    @property
    def failed(self) -> tuple[Result, ...]:
        """The failing results, in order."""
        return tuple(r for r in self.results if r.status is Status.FAIL)

    @property
    def counts(self) -> dict[str, int]:
        """How many results have each status."""
        out = {str(s): 0 for s in Status}
        for r in self.results:
            out[str(r.status)] += 1
        return out

    def result(self, check_id: str) -> Result | None:
        """The result of one check, if it ran."""
        for r in self.results:
            if r.check_id == check_id:
                return r
        return None

    @property
    def exit_code(self) -> int:
        """0 when the verdict is pass, else 1 (usage errors are the caller's 2)."""
        return 0 if self.verdict == "pass" else 1

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        return {
            "version": REPORT_VERSION,
            "target": dict(self.target),
            "verdict": self.verdict,
            "counts": self.counts,
            "not_checked": list(self.not_checked),
            "duration_ms": round(self.duration_ms, 1),
            "checks": [r.to_dict() for r in self.results],
            "alternatives": [a.to_dict() for a in self.alternatives],
            "inferences": [i.to_dict() for i in self.inferences],
        }


def through_proxy(results: Mapping[str, Result]) -> bool:
    """Whether the caller's call went through a proxy and got its answer there."""
    probe = results.get("http.probe")
    return probe is not None and probe.ok and bool(probe.data.get(PROBE_VIA_PROXY.key))


def direct_failures_as_warnings(results: Mapping[str, Result]) -> dict[str, Result]:
    """Under a proxy that carries the call, the direct path's failures become warnings.

    The caller's client never resolves or connects to the endpoint itself when a proxy
    tunnels the call; the direct checks still ran, as contrast ("direct fails, the proxy
    works"), and say so.
    """
    out = dict(results)
    if not through_proxy(results):
        return out
    for cid in DIRECT_PATH:
        r = out.get(cid)
        if r is not None and r.status is Status.FAIL:
            out[cid] = replace(
                r,
                status=Status.WARN,
                summary="the direct path only (the call goes through the proxy, which works): "
                + r.summary,
            )
    return out


def compute_verdict(results: Mapping[str, Result]) -> tuple[str, tuple[str, ...]]:
    """The verdict and the data-path steps not proven, from results by id.

    Through a proxy the caller's data path is the proxied probe; the direct steps are
    contrast and prove nothing either way.
    """
    path = ("http.probe",) if through_proxy(results) else DATA_PATH
    not_checked = tuple(
        cid
        for cid in path
        if cid not in results or results[cid].status in (Status.SKIP, Status.INFO)
    )
    proven = all(cid in results and results[cid].ok for cid in path)
    failed = any(r.status is Status.FAIL for r in results.values())
    verdict = "pass" if proven and not failed else "fail"
    return verdict, not_checked


def with_timing(result: Result, check_id: str, duration_ms: float) -> Result:
    """The result stamped with its check id and duration."""
    return replace(result, check_id=check_id, duration_ms=duration_ms)
