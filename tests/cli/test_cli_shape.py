"""The command line's shape: it parses and renders through the public API only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import privateapi_cli
from privateapi_cli import main as cli_main

CLI_DIR = Path(privateapi_cli.__file__).parent
MODULES = sorted(CLI_DIR.rglob("*.py"))


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """Every ``import X`` / ``from X import a, b`` in a file (TYPE_CHECKING blocks too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, list[str], int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((a.name, [], node.lineno) for a in node.names)
    return found


def _is_private_library_module(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "privateapi" and any(p.startswith("_") for p in parts[1:])


def test_the_scanner_catches_a_private_import(tmp_path: Path) -> None:
    """The check itself can fail: it flags the forms a private import takes."""
    sample = tmp_path / "bad.py"
    sample.write_text(
        "from privateapi._errors import X\nimport privateapi.doctor._options\n"
        "from privateapi import doctor\n"
    )
    flagged = [m for m, _, _ in _imports(sample) if _is_private_library_module(m)]
    assert flagged == ["privateapi._errors", "privateapi.doctor._options"]


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(CLI_DIR)) for p in MODULES])
def test_no_cli_module_imports_a_private_library_module(path: Path) -> None:
    """The CLI imports ``privateapi`` and its public subpackages, never ``_modules``."""
    bad = [
        f"line {line}: {module}"
        for module, _, line in _imports(path)
        if _is_private_library_module(module)
    ]
    assert bad == []


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(CLI_DIR)) for p in MODULES])
def test_no_command_imports_another_commands_privates(path: Path) -> None:
    """A command takes only another command module's public names (demo: render, not _console)."""
    bad = [
        f"line {line}: {module}.{name}"
        for module, names, line in _imports(path)
        if module.startswith("privateapi_cli.commands.")
        and not module.rsplit(".", 1)[1].startswith("_")
        for name in names
        if name.startswith("_")
    ]
    assert bad == []


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(CLI_DIR)) for p in MODULES])
def test_no_private_attribute_of_a_library_module(path: Path) -> None:
    """No ``admin._x`` / ``privateapi._x`` attribute access either."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [
        f"line {n.lineno}: {n.value.id}.{n.attr}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute)
        and isinstance(n.value, ast.Name)
        and n.value.id in {"privateapi", "admin", "doctor", "policy", "fleet", "testing"}
        and n.attr.startswith("_")
    ]
    assert bad == []


def test_one_console_factory() -> None:
    """rich ``Console(`` is constructed in one place, ``_render.console``."""
    makers = [
        str(p.relative_to(CLI_DIR))
        for p in MODULES
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "Console"
    ]
    assert makers == ["_render.py"]


@pytest.mark.parametrize("name", cli_main.COMMANDS)
def test_every_command_in_commands_loads(name: str) -> None:
    """Each COMMANDS entry is a module with register()."""
    assert callable(cli_main.load_command(name))


def test_a_typo_in_commands_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name that names no module is an import error, not a silently missing command."""
    monkeypatch.setattr(cli_main, "COMMANDS", (*cli_main.COMMANDS, "doctr"))
    with pytest.raises(ModuleNotFoundError):
        cli_main.build_parser()


def test_a_module_without_register_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module that exists but has no register() is refused too."""
    monkeypatch.setattr(cli_main, "COMMANDS", ("_admin",))
    with pytest.raises(ImportError, match="register"):
        cli_main.build_parser()


def test_version_and_help_list_the_same_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """``--version`` names the commands ``--help`` offers, in the same order."""
    with pytest.raises(SystemExit):
        cli_main.main(["--version"])
    version = capsys.readouterr().out
    listed = version.split("commands:", 1)[1].strip().split(", ")
    with pytest.raises(SystemExit):
        cli_main.main(["--help"])
    help_text = capsys.readouterr().out
    offered = [
        line.split()[0]
        for line in help_text.split("COMMAND\n", 1)[-1].splitlines()
        if line.startswith("    ") and not line.startswith("     ")
    ]
    assert listed == list(cli_main.COMMANDS)
    assert offered == listed
