"""Many probe results → one answer: the matrix, counts per cause, the VPCs that differ.

Input is anything the engines leave behind, as parsed JSON: a fleet result (what the
Lambda probe returns and what ``privateapi fleet compact`` prints on an SSM instance),
a bare doctor report, a list of either, a Step Functions ``ResultWriter`` file (a list of
child executions whose ``Output`` is a JSON string), or a Map state's inline output.
:func:`results_in` finds the fleet results inside; :func:`summarize` aggregates them.
"""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from privateapi.fleet._compact import RESULT_KIND, compact_report
from privateapi.fleet._probe import ReportFormatError, parse_doctor_report

__all__ = [
    "Deviation",
    "FleetSummary",
    "Row",
    "results_in",
    "rows_of",
    "summarize",
]

#: Location facts compared between the VPCs that differ and the others.
_SHARED_FACTS = (
    "ou",
    "account",
    "region",
    "availability_zone",
    "subnet_id",
    "vpc_id",
    "security_group_ids",
    "platform",
    "architecture",
)


@dataclass(frozen=True, slots=True)
class Row:
    """One target as seen from one place."""

    account: str
    region: str
    vpc: str
    az: str
    target: str
    verdict: str
    causes: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    error: str | None = None
    facts: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def place(self) -> tuple[str, str, str, str]:
        """(account, region, VPC, AZ)."""
        return (self.account, self.region, self.vpc, self.az)

    @property
    def outcome(self) -> str:
        """``pass``, ``error``, or the failing causes joined with ``+``."""
        if self.verdict == "pass":
            return "pass"
        if self.verdict == "error":
            return "error"
        return "+".join(self.causes) or "fail (no cause)"


@dataclass(frozen=True)
class Deviation:
    """VPCs whose outcome for one target differs from the majority's."""

    target: str
    outcome: str
    vpcs: tuple[str, ...]
    majority_outcome: str
    majority_count: int
    shared: Mapping[str, str]
    hint: str | None

    @property
    def sentence(self) -> str:
        """One line for people."""
        n = len(self.vpcs)
        what = "pass" if self.outcome == "pass" else f"fail with {self.outcome}"
        if self.outcome == "error":
            what = "could not be probed"
        line = f"{n} VPC{'s' if n != 1 else ''} {what} for {self.target}"
        line += f" (the other {self.majority_count}: {self.majority_outcome})"
        if self.shared:
            line += ": all " + ", ".join(f"{k} {v}" for k, v in self.shared.items())
        if self.hint:
            line += f"; {self.hint}"
        return line

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "target": self.target,
            "outcome": self.outcome,
            "vpcs": list(self.vpcs),
            "majority_outcome": self.majority_outcome,
            "majority_count": self.majority_count,
            "shared": dict(self.shared),
            "hint": self.hint,
            "sentence": self.sentence,
        }


@dataclass(frozen=True)
class FleetSummary:
    """The fleet's answer.

    Attributes:
        rows: one per target per place, in input order.
        targets: the targets, in first-seen order.
        places: (account, region, VPC, AZ), sorted.
        cause_counts: how many rows fail with each cause (most frequent first).
        verdict_counts: rows per verdict.
        deviations: the VPCs that differ from the majority, per target.
        skipped: inputs that were not fleet results (with the reason).
    """

    rows: tuple[Row, ...]
    targets: tuple[str, ...]
    places: tuple[tuple[str, str, str, str], ...]
    cause_counts: Mapping[str, int]
    verdict_counts: Mapping[str, int]
    deviations: tuple[Deviation, ...]
    skipped: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Every target passed from every place."""
        return bool(self.rows) and all(r.verdict == "pass" for r in self.rows)

    @property
    def exit_code(self) -> int:
        """0 when every target passed everywhere, else 1."""
        return 0 if self.ok else 1

    def matrix(self) -> dict[tuple[str, str, str, str], dict[str, str]]:
        """place → target → outcome (the last one seen when a place reports twice)."""
        out: dict[tuple[str, str, str, str], dict[str, str]] = defaultdict(dict)
        for r in self.rows:
            out[r.place][r.target] = r.outcome
        return {p: out[p] for p in self.places}

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        matrix = self.matrix()
        return {
            "kind": "privateapi.fleet/summary",
            "version": 1,
            "ok": self.ok,
            "targets": list(self.targets),
            "counts": {
                "rows": len(self.rows),
                "places": len(self.places),
                "verdicts": dict(self.verdict_counts),
                "causes": dict(self.cause_counts),
            },
            "matrix": [
                {
                    "account": p[0],
                    "region": p[1],
                    "vpc": p[2],
                    "az": p[3],
                    "outcomes": matrix[p],
                }
                for p in self.places
            ],
            "deviations": [d.to_dict() for d in self.deviations],
            "skipped": list(self.skipped),
        }


# --- finding results in what the engines leave ------------------------------------------------
def _is_result(doc: Mapping[str, Any]) -> bool:
    return doc.get("kind") == RESULT_KIND and isinstance(doc.get("reports"), list)


def results_in(
    doc: object, source: str = "input", skipped: list[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Every fleet result inside ``doc`` (see the module doc for the shapes read).

    Documents that are none of those are named in ``skipped`` (when given) and ignored.
    """
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            yield from results_in(item, f"{source}[{i}]", skipped)
        return
    if not isinstance(doc, Mapping):
        if skipped is not None:
            skipped.append(f"{source}: {type(doc).__name__}, not a JSON object")
        return
    if _is_result(doc):
        yield dict(doc)
        return
    if "ExecutionArn" in doc and ("Output" in doc or "Status" in doc):
        yield from _from_child(doc, source, skipped)
    elif "Payload" in doc and "StatusCode" in doc:  # a Lambda Task result kept whole
        yield from results_in(doc["Payload"], f"{source}.Payload", skipped)
    elif "verdict" in doc and "checks" in doc:  # a bare doctor report
        yield from _from_report(doc, source, skipped)
    elif skipped is not None:
        skipped.append(f"{source}: not a fleet result, doctor report or ResultWriter entry")


def _from_child(
    doc: Mapping[str, Any], source: str, skipped: list[str] | None
) -> Iterator[dict[str, Any]]:
    # A ResultWriter entry: one child execution; Output is the task's JSON text.
    if doc.get("Status") != "SUCCEEDED" or not isinstance(doc.get("Output"), str):
        if skipped is not None:
            reason = f"{doc.get('Status')}: {doc.get('Error') or ''} {doc.get('Cause') or ''}"
            skipped.append(f"{source}: child execution {reason.strip()}")
        yield from _failed_child(doc)
        return
    try:
        inner = json.loads(doc["Output"])
    except ValueError:
        if skipped is not None:
            skipped.append(f"{source}: Output is not JSON")
        return
    yield from results_in(inner, f"{source}.Output", skipped)


def _from_report(
    doc: Mapping[str, Any], source: str, skipped: list[str] | None
) -> Iterator[dict[str, Any]]:
    try:
        parsed = parse_doctor_report(doc)
    except ReportFormatError as exc:
        if skipped is not None:
            skipped.append(f"{source}: {exc}")
        return
    label = str(parsed.target.get("url") or parsed.target.get("host") or source)
    where = dict(parsed.platform)
    yield {"kind": RESULT_KIND, "where": where, "reports": [compact_report(parsed, label)]}


def _failed_child(doc: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    # A failed child execution still says where it was meant to run (its Input): it is a
    # failure of that place, not something to leave out of the matrix.
    try:
        item = json.loads(doc.get("Input") or "{}")
    except ValueError:
        return
    if not isinstance(item, Mapping):
        return
    probe = item.get("probe")
    if not isinstance(probe, Mapping):
        probe = item
    where = {k: str(v) for k, v in probe.items() if k in ("account", "region", "ou", "function")}
    targets = item.get("targets") or []
    labels = [t if isinstance(t, str) else str((t or {}).get("url", "?")) for t in targets] or ["?"]
    message = f"{doc.get('Status')}: {doc.get('Error') or ''}".strip()
    yield {
        "kind": RESULT_KIND,
        "where": where,
        "reports": [
            {"target": {"label": lab}, "verdict": "error", "causes": [], "error": message}
            for lab in labels
        ],
    }


def _text(value: object, default: str = "?") -> str:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or default
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return default


def rows_of(results: Iterable[Mapping[str, Any]]) -> Iterator[Row]:
    """The rows of fleet results (one per target per result)."""
    for res in results:
        where = res.get("where") if isinstance(res.get("where"), Mapping) else {}
        assert isinstance(where, Mapping)
        facts = {
            k: _text(where.get(k)) for k in _SHARED_FACTS if where.get(k) not in (None, "", [])
        }
        account = _text(where.get("account"))
        region = _text(where.get("region"))
        vpc = _text(where.get("vpc_id"))
        az = _text(where.get("availability_zone"))
        for rep in res.get("reports") or []:
            if not isinstance(rep, Mapping):
                continue
            target = rep.get("target") if isinstance(rep.get("target"), Mapping) else {}
            assert isinstance(target, Mapping)
            causes = rep.get("causes") if isinstance(rep.get("causes"), list) else []
            warnings = rep.get("warnings") if isinstance(rep.get("warnings"), list) else []
            assert isinstance(causes, list)
            assert isinstance(warnings, list)
            verdict = rep.get("verdict")
            yield Row(
                account=account,
                region=region,
                vpc=vpc,
                az=az,
                target=_text(target.get("label") or target.get("url")),
                verdict=verdict if verdict in ("pass", "fail", "error") else "error",
                causes=tuple(str(c) for c in causes),
                warnings=tuple(str(w) for w in warnings),
                error=str(rep["error"]) if rep.get("error") else None,
                facts=facts,
            )


def _hint(outcome: str) -> str | None:
    from privateapi._causes import CAUSES

    first = outcome.split("+", 1)[0]
    c = CAUSES.get(first)
    return c.hint if c else None


def _deviations(rows: list[Row]) -> list[Deviation]:
    by_target: dict[str, dict[str, Row]] = defaultdict(dict)
    for r in rows:
        # One outcome per VPC and target: the worst seen (a VPC passing in one AZ and
        # failing in another fails; the AZ shows in the matrix).
        key = f"{r.account}/{r.region}/{r.vpc}"
        seen = by_target[r.target].get(key)
        if seen is None or (seen.verdict == "pass" and r.verdict != "pass"):
            by_target[r.target][key] = r
    out: list[Deviation] = []
    for target, per_vpc in by_target.items():
        groups: dict[str, list[tuple[str, Row]]] = defaultdict(list)
        for vpc, r in per_vpc.items():
            groups[r.outcome].append((vpc, r))
        if len(groups) < 2:
            continue
        ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        major_outcome, major = ranked[0]
        for outcome, members in ranked[1:]:
            shared: dict[str, str] = {}
            for fact in _SHARED_FACTS:
                values = {r.facts.get(fact) for _, r in members}
                if len(values) != 1 or None in values:
                    continue
                (value,) = values
                if fact == "vpc_id" and len(members) > 1:
                    continue
                majority_values = {r.facts.get(fact) for _, r in major}
                if value not in majority_values:
                    shared[fact] = str(value)
            out.append(
                Deviation(
                    target=target,
                    outcome=outcome,
                    vpcs=tuple(sorted(v for v, _ in members)),
                    majority_outcome=major_outcome,
                    majority_count=len(major),
                    shared=shared,
                    hint=_hint(outcome) if outcome not in ("pass", "error") else None,
                )
            )
    return out


def summarize(results: Iterable[Mapping[str, Any]], skipped: Iterable[str] = ()) -> FleetSummary:
    """Aggregate fleet results into a :class:`FleetSummary`."""
    rows = list(rows_of(results))
    causes: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    targets: dict[str, None] = {}
    places: set[tuple[str, str, str, str]] = set()
    for r in rows:
        verdicts[r.verdict] += 1
        causes.update(set(r.causes))
        targets.setdefault(r.target)
        places.add(r.place)
    return FleetSummary(
        rows=tuple(rows),
        targets=tuple(targets),
        places=tuple(sorted(places)),
        cause_counts=dict(sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))),
        verdict_counts=dict(sorted(verdicts.items())),
        deviations=tuple(_deviations(rows)),
        skipped=tuple(skipped),
    )


# --- the static HTML page ---------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1b1b}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}
table{border-collapse:collapse;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3;position:sticky;top:0}
td.pass{background:#e3f5e1}td.fail{background:#fbe0de}td.error{background:#fff1c7}
td.none{background:#fafafa;color:#999}
.ok{color:#1d7a1d}.bad{color:#b3261e}code{font-size:.9em}
"""


def to_html(summary: FleetSummary, title: str = "privateapi fleet report") -> str:
    """A static, self-contained HTML page (no scripts, no external resources)."""
    e = html.escape
    matrix = summary.matrix()
    verdict = (
        '<p class="ok">Every target passed from every place.</p>'
        if summary.ok
        else f'<p class="bad">{summary.verdict_counts.get("fail", 0)} failing and'
        f" {summary.verdict_counts.get('error', 0)} unprobed of {len(summary.rows)} results.</p>"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        verdict,
        f"<p>{len(summary.places)} places (account / region / VPC / AZ), {len(summary.targets)}"
        f" target(s), {len(summary.rows)} results.</p>",
    ]
    if summary.deviations:
        parts.append("<h2>Where the fleet differs</h2><ul>")
        parts += [f"<li>{e(d.sentence)}</li>" for d in summary.deviations]
        parts.append("</ul>")
    if summary.cause_counts:
        parts.append("<h2>Causes</h2><table><tr><th>cause</th><th>results</th></tr>")
        parts += [
            f"<tr><td><code>{e(c)}</code></td><td>{n}</td></tr>"
            for c, n in summary.cause_counts.items()
        ]
        parts.append("</table>")
    parts.append("<h2>Matrix</h2><table><tr><th>account</th><th>region</th><th>VPC</th><th>AZ</th>")
    parts += [f"<th>{e(t)}</th>" for t in summary.targets]
    parts.append("</tr>")
    for place in summary.places:
        cells = matrix[place]
        parts.append("<tr>" + "".join(f"<td>{e(v)}</td>" for v in place))
        for t in summary.targets:
            outcome = cells.get(t)
            if outcome is None:
                parts.append('<td class="none">-</td>')
            else:
                css = outcome if outcome in ("pass", "error") else "fail"
                parts.append(f'<td class="{css}">{e(outcome)}</td>')
        parts.append("</tr>")
    parts.append("</table>")
    if summary.skipped:
        parts.append("<h2>Not read</h2><ul>")
        parts += [f"<li>{e(s)}</li>" for s in summary.skipped]
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
