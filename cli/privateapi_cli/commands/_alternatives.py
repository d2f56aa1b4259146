"""The doctor's "What would work" section: rendering only (the library decides).

The library hands over each alternative as data, with the request a client sends;
the command line that reproduces it is the CLI's business (the library never names
flags), so it is built here.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from privateapi_cli._lines import Line

if TYPE_CHECKING:
    from privateapi.doctor import Alternative, Report
    from privateapi_cli._lines import Printer

__all__ = ["command_line", "render_alternatives"]


def command_line(request: Mapping[str, Any]) -> str:
    """``privateapi invoke ...`` for an alternative's request (URL, headers, pinning, signing)."""
    parts = ["privateapi", "invoke"]
    method = str(request.get("method") or "GET").upper()
    if method != "GET":
        parts += ["-X", method]
    parts.append(str(request["url"]))
    for name, value in (request.get("headers") or {}).items():
        parts += ["-H", f"{name}: {value}"]
    if request.get("connect_to"):
        parts += ["--connect-to", str(request["connect_to"])]
    if not request.get("signed", True):
        parts.append("--no-sign")
    return shlex.join(parts)


#: A failing alternative's summary is cut here in the human view (``--json`` has it all).
_SHORT = 160


def _line(alt: Alternative) -> str:
    if alt.works:
        return f"{alt.label} works: use {alt.python}"
    summary = alt.summary if len(alt.summary) <= _SHORT else alt.summary[: _SHORT - 1] + "…"
    if alt.step is None:
        return f"{alt.label}: {summary}"
    return f"{alt.label}: {alt.cause or alt.step} — {summary}"


def render_alternatives(report: Report, out: Printer, *, ascii_only: bool) -> None:
    """Print the section (nothing when the alternatives did not run)."""
    if not report.alternatives:
        return
    ok, bad, note = ("+", "x", "!") if ascii_only else ("✔", "✘", "!")
    out.print(Line("What would work", style="bold underline"))
    for alt in report.alternatives:
        line = Line("  ")
        line.append(ok if alt.works else bad, style="green" if alt.works else "red")
        line.append("  " + _line(alt), style="" if alt.works else "dim")
        out.print(line)
        if alt.works:
            out.print(Line("       " + command_line(alt.request)))
    if not report.working:
        out.print(Line("  nothing the known facts allow works from here", style="bold red"))
    for inf in report.inferences:
        line = Line("  ")
        line.append(note, style="yellow")
        line.append(f"  {inf.summary} ({inf.cause})")
        out.print(line)
    out.print()
