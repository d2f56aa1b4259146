"""A griffe extension for the API reference (loaded by ``mkdocs.yml``, used by the tests).

Two conventions of this code base that griffe does not know on its own:

- ``#:`` comments above a module constant or type alias are its documentation (the
  Sphinx convention the modules use); griffe only reads a string literal *after* an
  assignment, so such names showed no text at all.
- Docstrings use a singular ``Example:`` heading, which griffe's Google parser does not
  know as a section (only ``Examples:``): it became an admonition whose doctest output
  (``['a', 'b']``, ``[1]``) Markdown read as reference links, failing ``--strict``.

Doing this at load time keeps every docstring as written, including names other modules
export later.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import griffe

_HEADING = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)


def comment_doc(obj: griffe.Object) -> str | None:
    """The ``#:`` comment block right above ``obj``'s first line, or ``None``."""
    path = obj.filepath
    if obj.lineno is None or not isinstance(path, Path):
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[str] = []
    index = obj.lineno - 2  # lineno is 1-based: the line above the assignment
    while index >= 0 and lines[index].lstrip().startswith("#:"):
        found.append(lines[index].lstrip()[2:].strip())
        index -= 1
    return "\n".join(reversed(found)) or None


class ApiDocs(griffe.Extension):
    """Take ``#:`` comments as attribute docstrings; render ``Example:`` as code."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Fix one object's docstring (called once the object tree is built)."""
        if obj.is_attribute and (obj.docstring is None or not obj.docstring.value.strip()):
            text = comment_doc(obj)
            if text:
                obj.docstring = griffe.Docstring(text, lineno=obj.lineno, parent=obj)
        if obj.docstring is not None:
            obj.docstring.value = _HEADING.sub(r"\1Examples:", obj.docstring.value)
