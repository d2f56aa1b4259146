"""The public API: everything in __all__ resolves, and nothing private leaks."""

from __future__ import annotations

import subprocess
import sys

import pytest

import privateapi


def test_all_names_resolve() -> None:
    """Every name in privateapi.__all__ is importable from privateapi."""
    for name in privateapi.__all__:
        assert getattr(privateapi, name) is not None, name
    assert sorted(dir(privateapi)) == sorted(privateapi.__all__)


def test_unknown_attribute() -> None:
    """A missing attribute raises AttributeError with its name."""
    with pytest.raises(AttributeError, match="nope"):
        _ = privateapi.nope  # type: ignore[attr-defined]


def test_import_is_cheap() -> None:
    """`import privateapi` imports neither httpx nor botocore."""
    code = "import sys, privateapi; print([m for m in ('httpx', 'botocore') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version() -> None:
    """__version__ comes from the installed metadata."""
    assert privateapi.__version__[0].isdigit()


def test_missing_value_reads_as_missing() -> None:
    """InvalidInputError for a None value says 'missing', not "None is not valid"."""
    err = privateapi.InvalidInputError("region", None, "an AWS region")
    assert str(err) == "region is missing: expected an AWS region"
    assert str(privateapi.InvalidInputError("stage", "", "a stage")) == (
        "stage '' is not valid: expected a stage"
    )


def _type_checking_imports() -> dict[str, set[str]]:
    """The names the ``if TYPE_CHECKING:`` block of privateapi/__init__.py imports, by module."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(privateapi.__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name)
        if node.test.id == "TYPE_CHECKING"
    )
    found: dict[str, set[str]] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module, ast.dump(node)
        for alias in node.names:
            # `X as X` is what makes mypy --strict treat the name as re-exported.
            assert alias.asname == alias.name, f"{alias.name}: write '{alias.name} as {alias.name}'"
            found.setdefault(node.module, set()).add(alias.name)
    return found


def test_type_checking_block_mirrors_the_export_list() -> None:
    """_EXPORTS is the one list; the block type checkers read names the same names."""
    exports = privateapi._EXPORTS
    expected = {module: set(names) for module, names in exports.items()}
    mirror = _type_checking_imports()
    lines = [
        f"    from {module} import {name} as {name}"
        for module, names in sorted(exports.items())
        for name in sorted(names)
    ]
    assert mirror == expected, "the TYPE_CHECKING block should read:\n" + "\n".join(lines)
    names = [name for names in exports.values() for name in names]
    assert len(names) == len(set(names)), "a name is exported twice"
    assert sorted(privateapi.__all__) == sorted([*names, "__version__"])


def test_each_export_lives_where_the_list_says() -> None:
    """Every name is defined (or re-exported) by the module _EXPORTS names for it."""
    import importlib

    for module, names in privateapi._EXPORTS.items():
        mod = importlib.import_module(module)
        for name in names:
            assert getattr(mod, name) is getattr(privateapi, name), (module, name)
