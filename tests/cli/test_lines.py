"""The doctor's plain view (no rich) prints exactly what rich prints into a pipe."""

from __future__ import annotations

import argparse
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from privateapi.doctor import Report, Result, Status
from privateapi_cli import _render
from privateapi_cli._lines import Line, PlainConsole
from privateapi_cli.commands.doctor import render


def _rich_pipe() -> Console:
    # What the factory builds for a pipe without colour (a StringIO is no terminal).
    return Console(file=io.StringIO(), markup=False, emoji=False, highlight=False, soft_wrap=True)


def _both(report: Report, *, verbose: bool, ascii_only: bool) -> tuple[str, str]:
    rich_out = _rich_pipe()
    render(report, rich_out, verbose=verbose, ascii_only=ascii_only)
    plain_file = io.StringIO()
    render(report, PlainConsole(file=plain_file), verbose=verbose, ascii_only=ascii_only)
    return rich_out.file.getvalue(), plain_file.getvalue()  # type: ignore[attr-defined]


_TEXT = st.text(
    alphabet=st.sampled_from([*"ab \t\r\x07\x08\x0b\x0c\x1b[]é✔—:/\\\"'{}", "漢", "\u0301"]),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(
    summary=_TEXT,
    hint=_TEXT,
    evidence=st.dictionaries(st.sampled_from(["a", "b", "multi"]), _TEXT, max_size=3),
    status=st.sampled_from(list(Status)),
    verbose=st.booleans(),
    ascii_only=st.booleans(),
    not_checked=st.sampled_from([(), ("tls.handshake",)]),
)
def test_a_report_prints_the_same_with_and_without_rich(
    summary: str,
    hint: str,
    evidence: dict[str, str],
    status: Status,
    verbose: bool,
    ascii_only: bool,
    not_checked: tuple[str, ...],
) -> None:
    results = [
        Result(check_id="dns.lookup", status=Status.PASS, summary="resolved"),
        Result(
            check_id="http.probe",
            status=status,
            summary=summary,
            cause="http.explicit-deny" if status in (Status.FAIL, Status.WARN) else None,
            hint=hint or None,
            evidence=evidence,
        ),
    ]
    report = Report(
        target={
            "url": "https://abcde12345.execute-api.us-east-1.amazonaws.com/prod/",
            "style": "private_dns",
        },
        results=tuple(results),
        verdict="pass" if status is Status.PASS else "fail",
        not_checked=not_checked,
    )
    rich_text, plain_text = _both(report, verbose=verbose, ascii_only=ascii_only)
    assert plain_text == rich_text


@settings(max_examples=200, deadline=None)
@given(runs=st.lists(st.tuples(_TEXT, st.sampled_from(["", "bold", "dim", "red"])), max_size=4))
def test_a_line_is_rich_text_with_the_same_spans(runs: list[tuple[str, str]]) -> None:
    line, text = Line(style="bold"), Text(style="bold")
    for run, style in runs:
        line.append(run, style)
        text.append(run, style=style or None)
    assert line.plain == text.plain
    assert line.__rich__().spans == text.spans


def _args(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(color=None, json=False, **kw)


def test_the_factory_skips_rich_only_where_rich_would_print_bare_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_render, "_isatty", lambda stream: False)
    assert isinstance(_render.console(_args(), lines=True), PlainConsole)
    assert not isinstance(_render.console(_args(), lines=False), PlainConsole)
    forced = argparse.Namespace(color=True, json=False)
    assert isinstance(_render.console(forced, lines=True), Console)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert isinstance(_render.console(_args(), lines=True), Console)
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setattr(_render, "_isatty", lambda stream: True)
    assert isinstance(_render.console(_args(), lines=True), Console)
    # stderr under --json never draws: plain even on a terminal
    assert isinstance(
        _render.console(argparse.Namespace(color=None, json=True), stderr=True, lines=True),
        PlainConsole,
    )
