"""The one console factory: colour flags and variables, and a plain stderr off a terminal."""

from __future__ import annotations

import argparse
import io
import sys

import pytest

from privateapi_cli._render import console


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _args(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(**{"color": None, "json": False, **kw})


def _render(c: object) -> str:
    from rich.console import Console

    assert isinstance(c, Console)
    with c.capture() as cap:
        c.print("x", style="bold red")
    return cap.get()


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def test_off_a_terminal_no_colour_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """stdout a pipe: no escapes."""
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert "\x1b[" not in _render(console(_args()))


def test_color_flag_forces_colour_on_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    """--color colours a pipe, as FORCE_COLOR does."""
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert "\x1b[" in _render(console(_args(color=True)))
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in _render(console(_args()))


def test_no_color_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    """--no-color beats FORCE_COLOR and a terminal; NO_COLOR alone drops colour on a tty."""
    monkeypatch.setattr(sys, "stdout", _Tty())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[31" not in _render(console(_args(color=False)))
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[31" not in _render(console(_args()))


def test_stderr_off_a_terminal_is_plain_even_with_force_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """FORCE_COLOR or --color never put escapes (or spinners) on a redirected stderr."""
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setenv("FORCE_COLOR", "1")
    for args in (_args(), _args(color=True)):
        err = console(args, stderr=True)
        assert not err.is_terminal  # rich draws status spinners and progress only on one
        assert "\x1b[" not in _render(err)


def test_stderr_under_json_is_plain_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """With --json nothing but the document and plain lines: no escapes on stderr."""
    monkeypatch.setattr(sys, "stderr", _Tty())
    assert console(_args(), stderr=True).is_terminal
    err = console(_args(json=True), stderr=True)
    assert not err.is_terminal
    assert "\x1b[" not in _render(err)


def test_markup_in_data_is_not_interpreted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bracketed data (policy JSON, IPv6) prints as it is."""
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    c = console(_args())
    with c.capture() as cap:
        c.print("[bold]x[/bold] [::1]:443 :smile:")
    assert cap.get() == "[bold]x[/bold] [::1]:443 :smile:\n"
