"""Styled lines that print without rich where no style could show.

The doctor's human view is lines of text with a few styles (bold, dim, a coloured
badge). On a terminal rich draws them; into a pipe or a file with no colour forced,
rich would write the bare text, so :class:`PlainConsole` writes it directly and the
command never imports rich (a sixth of the doctor's start-up). :class:`Line` is the one
line type both accept: rich renders it through ``__rich__`` as a ``rich.text.Text``
with the same spans, and the tests hold both outputs equal.
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rich.text import Text

__all__ = ["Line", "PlainConsole", "Printer"]

# The control characters rich.text.Text removes from what it is given (bell, backspace,
# vertical tab, form feed, carriage return): the plain view removes the same ones.
_STRIP = dict.fromkeys((7, 8, 11, 12, 13))


class Line:
    """One line: a base style, then text runs each with an optional style.

    Example:
        >>> Line("privateapi doctor  ", style="bold").append("https://x/").plain
        'privateapi doctor  https://x/'
    """

    __slots__ = ("_runs", "style")

    def __init__(self, text: str = "", style: str = "") -> None:
        self.style = style
        self._runs: list[tuple[str, str]] = [(text, "")] if text else []

    def append(self, text: str, style: str = "") -> Line:
        """Add a run (returns the line, so calls chain)."""
        self._runs.append((text, style))
        return self

    @property
    def plain(self) -> str:
        """The text without styles, control characters removed as rich removes them."""
        return "".join(text for text, _ in self._runs).translate(_STRIP)

    def __rich__(self) -> Text:
        from rich.text import Text

        out = Text(style=self.style)
        for text, style in self._runs:
            out.append(text, style=style or None)
        return out


class Printer(Protocol):
    """What the doctor's renderers print to: a rich ``Console`` or a :class:`PlainConsole`."""

    @property
    def is_terminal(self) -> bool:
        """Whether this prints to a terminal (live progress draws only there)."""
        ...

    def print(self, *objects: Any) -> None:
        """Print ``objects`` (lines or strings) separated by spaces, then a newline."""
        ...


class PlainConsole:
    """Prints :class:`Line` objects and strings as bare text, for pipes and files."""

    def __init__(self, *, stderr: bool = False, file: IO[str] | None = None) -> None:
        self._file = file
        self._stderr = stderr

    @property
    def is_terminal(self) -> bool:
        """Never: a plain console is chosen only where no terminal is."""
        return False

    @property
    def file(self) -> IO[str]:
        """The stream written to (looked up late, so a replaced ``sys.stdout`` is used)."""
        if self._file is not None:
            return self._file
        return sys.stderr if self._stderr else sys.stdout

    def print(self, *objects: Any) -> None:
        """Write ``objects`` as text, separated by spaces, then a newline."""
        text = " ".join(
            o.plain if isinstance(o, Line) else str(o).translate(_STRIP) for o in objects
        )
        self.file.write((_expand_tabs(text) if "\t" in text else text) + "\n")


def _cells(char: str) -> int:
    # Close to rich's cell table for what a report holds: wide East Asian characters take
    # two cells, control characters and combining marks none. Only tab stops depend on it.
    import unicodedata

    if unicodedata.combining(char) or unicodedata.category(char) == "Cc":
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _expand_tabs(text: str, tab_size: int = 8) -> str:
    """Tabs to spaces as rich expands them: to the next multiple of ``tab_size`` cells."""
    out: list[str] = []
    for line in text.split("\n"):
        column, parts = 0, []
        for char in line:
            if char == "\t":
                # rich turns the tab into one space, then pads to the next stop.
                spaces = 1 + (-(column + 1) % tab_size)
                parts.append(" " * spaces)
                column += spaces
            else:
                parts.append(char)
                column += 1 if " " <= char <= "~" else _cells(char)
        out.append("".join(parts))
    return "\n".join(out)
