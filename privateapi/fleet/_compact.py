"""The compact fleet result: always within the engines' limits, always valid JSON.

A probe's answer travels through engines with hard ceilings: SSM returns at most
24,000 characters of a command's stdout (``GetCommandInvocation``), a Step Functions
state holds at most 256 KiB. :func:`fit` serialises a result and, while it is too
large, trims it step by step: evidence first (long values, then the evidence of
passing checks, then all evidence), then summaries and hints, then passing checks,
then every check's detail. The verdict and the cause codes of every target stay; only
input no real doctor produces (more targets or causes than a probe ever reports) ends
in the last step, which keeps whole targets while they fit and counts the rest.

The text is ASCII-only (``ensure_ascii``), so characters and bytes are the same count
and one limit serves both engines.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MAX_TARGETS",
    "RESULT_KIND",
    "RESULT_VERSION",
    "SFN_LIMIT",
    "SSM_LIMIT",
    "compact_report",
    "dumps",
    "error_report",
    "fit",
    "limit_for",
]

RESULT_KIND = "privateapi.fleet/result"
RESULT_VERSION = 1
#: GetCommandInvocation's StandardOutputContent holds at most 24,000 characters; one
#: is kept for the newline the command prints after the JSON.
SSM_LIMIT = 24_000 - 1
#: A Step Functions state's input or output is at most 256 KiB (262,144 bytes). 8 KiB
#: are kept for what the Lambda Task adds around the payload (StatusCode,
#: ExecutedVersion, SDK metadata) before ``OutputPath`` picks it: unverified how much
#: of the wrapper counts against the limit, so the margin is generous.
SFN_LIMIT = 256 * 1024 - 8 * 1024
#: Targets per probe event: with the doctor's ~16 checks, 20 reports at their most
#: compact (label, verdict, causes) fit SSM's 24,000 characters with room to spare.
MAX_TARGETS = 20

_SHORT_TEXT = 200
_SHORT_LIST = 10
_SHORT_DEPTH = 3
_LABEL = 200
_SUMMARY = 160
_QUIET = frozenset(("pass", "info", "skip"))


def dumps(doc: Any) -> str:
    """The wire form: ASCII only, ``json.dumps``'s default separators.

    The default separators are what a Lambda runtime's ``json.dumps`` of the returned
    object produces too (unverified for every runtime; the compact form would be
    smaller, never larger), so the size measured here is the size that travels.
    """
    return json.dumps(doc, ensure_ascii=True, default=str)


def limit_for(value: object) -> int:
    """A size limit from ``"ssm"``, ``"sfn"`` or a number of characters (≥ 1,024)."""
    from privateapi._errors import InvalidInputError

    if value in (None, "sfn"):
        return SFN_LIMIT
    if value == "ssm":
        return SSM_LIMIT
    if isinstance(value, int) and not isinstance(value, bool) and 1024 <= value <= 6 * 1024 * 1024:
        return value
    raise InvalidInputError("limit", value, "'ssm', 'sfn' or a number of characters from 1024")


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def compact_report(doctor: Any, label: str) -> dict[str, Any]:
    """One target's entry of a fleet result, from a parsed doctor report."""
    causes = _unique([c.cause for c in doctor.checks if c.status == "fail" and c.cause])
    warnings = _unique([c.cause for c in doctor.checks if c.status == "warn" and c.cause])
    target = {"label": label}
    for key in ("style", "url", "host", "api_id", "vpce_id", "region", "stage"):
        value = doctor.target.get(key)
        if isinstance(value, str):
            target[key] = value
    checks = []
    for c in doctor.checks:
        entry: dict[str, Any] = {"id": c.id, "status": c.status}
        if c.cause:
            entry["cause"] = c.cause
        if c.summary:
            entry["summary"] = c.summary
        if c.hint and c.status in ("fail", "warn"):
            entry["hint"] = c.hint
        if c.evidence:
            entry["evidence"] = dict(c.evidence)
        checks.append(entry)
    out: dict[str, Any] = {"target": target, "verdict": doctor.verdict, "causes": causes}
    if warnings:
        out["warnings"] = warnings
    if doctor.not_checked:
        out["not_checked"] = list(doctor.not_checked)
    out["checks"] = checks
    if doctor.local_address:
        out["local_address"] = doctor.local_address
    return out


def error_report(label: str, message: str) -> dict[str, Any]:
    """The entry of a target the doctor could not run for (bad input, no time left)."""
    return {"target": {"label": label}, "verdict": "error", "causes": [], "error": message}


# --- trimming ---------------------------------------------------------------------------------
def _shorten(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return value if len(value) <= _SHORT_TEXT else value[:_SHORT_TEXT] + "...[trimmed]"
    if isinstance(value, Mapping):
        if depth >= _SHORT_DEPTH:
            return "...[trimmed]"
        items = list(value.items())
        out = {str(k)[:_SHORT_TEXT]: _shorten(v, depth + 1) for k, v in items[:_SHORT_LIST]}
        if len(items) > _SHORT_LIST:
            out["..."] = f"{len(items) - _SHORT_LIST} more trimmed"
        return out
    if isinstance(value, list | tuple):
        if depth >= _SHORT_DEPTH:
            return "...[trimmed]"
        head = [_shorten(v, depth + 1) for v in value[:_SHORT_LIST]]
        if len(value) > _SHORT_LIST:
            head.append(f"{len(value) - _SHORT_LIST} more trimmed")
        return head
    return value


def _cut(text: object, size: int) -> object:
    if isinstance(text, str) and len(text) > size:
        return text[:size] + "..."
    return text


def _each_check(result: dict[str, Any]) -> Any:
    for rep in result.get("reports", []):
        yield from rep.get("checks", [])


def _step_shorten_evidence(result: dict[str, Any]) -> None:
    for c in _each_check(result):
        if "evidence" in c:
            c["evidence"] = _shorten(c["evidence"])


def _step_drop_quiet_evidence(result: dict[str, Any]) -> None:
    for c in _each_check(result):
        if c.get("status") in _QUIET:
            c.pop("evidence", None)


def _step_drop_evidence(result: dict[str, Any]) -> None:
    for c in _each_check(result):
        c.pop("evidence", None)


def _step_cut_words(result: dict[str, Any]) -> None:
    for c in _each_check(result):
        for key in ("summary", "hint"):
            if key in c:
                c[key] = _cut(c[key], _SUMMARY)
    for rep in result.get("reports", []):
        if "error" in rep:
            rep["error"] = _cut(rep["error"], _SUMMARY)


def _step_drop_quiet_checks(result: dict[str, Any]) -> None:
    for rep in result.get("reports", []):
        if "checks" in rep:
            rep["checks"] = [c for c in rep["checks"] if c.get("status") not in _QUIET]


def _step_drop_checks(result: dict[str, Any]) -> None:
    for rep in result.get("reports", []):
        rep.pop("checks", None)


def _step_minimal_targets(result: dict[str, Any]) -> None:
    for rep in result.get("reports", []):
        target = rep.get("target") or {}
        rep["target"] = {"label": _cut(target.get("label", ""), _LABEL)}
        rep.pop("not_checked", None)
    where = result.get("where")
    if isinstance(where, dict):
        result["where"] = {
            k: _cut(v, 100) for k, v in where.items() if isinstance(v, str | int | float | bool)
        }


_STEPS = (
    _step_shorten_evidence,
    _step_drop_quiet_evidence,
    _step_drop_evidence,
    _step_cut_words,
    _step_drop_quiet_checks,
    _step_drop_checks,
    _step_minimal_targets,
)


def _last_resort(result: dict[str, Any], limit: int) -> str:
    # Only input no real probe produces gets here (see MAX_TARGETS): keep whole targets
    # (verdict and causes) while they fit and count the others, so the JSON stays valid
    # and says plainly that it is incomplete.
    reports = result.get("reports", [])
    shell: dict[str, Any] = {
        "kind": result.get("kind", RESULT_KIND),
        "version": result.get("version", RESULT_VERSION),
        "verdict": result.get("verdict", "fail"),
        "where": {},
        "reports": [],
        "trimmed": len(_STEPS) + 1,
        "omitted": len(reports),
        "size_limit": limit,
    }
    for rep in reports:
        entry = {
            "target": {"label": _cut((rep.get("target") or {}).get("label", ""), 40)},
            "verdict": rep.get("verdict"),
            "causes": rep.get("causes", []),
        }
        shell["reports"].append(entry)
        shell["omitted"] -= 1
        if len(dumps(shell)) > limit:
            shell["reports"].pop()
            shell["omitted"] += 1
            break
    text = dumps(shell)
    if len(text) > limit:  # not even the shell fits: a limit below 1,024 is refused earlier
        text = dumps({"kind": RESULT_KIND, "verdict": shell["verdict"], "omitted": len(reports)})
    return text


def fit(result: Mapping[str, Any], limit: int = SFN_LIMIT) -> str:
    """The result as JSON text of at most ``limit`` characters (see the module doc).

    The returned document records how far it was trimmed (``trimmed``: 0 = not at all)
    and the limit it was fitted to (``size_limit``).
    """
    doc: dict[str, Any] = json.loads(dumps(result))  # a private deep copy, JSON types only
    doc["trimmed"] = 0
    doc["size_limit"] = limit
    text = dumps(doc)
    for level, step in enumerate(_STEPS, start=1):
        if len(text) <= limit:
            return text
        step(doc)
        doc["trimmed"] = level
        text = dumps(doc)
    if len(text) <= limit:
        return text
    return _last_resort(doc, limit)
