"""The house rules of the gateway's rooms, checked on the source (AST, not grep)."""

from __future__ import annotations

import ast
from pathlib import Path

import privateapi

ROOT = Path(privateapi.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_library_proper_never_imports_testing() -> None:
    """privateapi.testing sits above the library: nothing below imports it."""
    offenders = {
        str(p.relative_to(ROOT)): sorted(
            m for m in _imports(p) if m.startswith("privateapi.testing")
        )
        for p in ROOT.rglob("*.py")
        if "testing" not in p.relative_to(ROOT).parts
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_demo_uses_the_doctor() -> None:
    """The gateway's rooms use targets, policy, causes and signing; the demo also the doctor."""
    users = sorted(
        p.name
        for p in (ROOT / "testing").glob("*.py")
        if any(m.startswith("privateapi.doctor") for m in _imports(p))
    )
    assert users == ["_demo.py"]
    private = sorted(
        m for m in _imports(ROOT / "testing" / "_demo.py") if m.startswith("privateapi.doctor._")
    )
    assert private == []  # the doctor's public API only
