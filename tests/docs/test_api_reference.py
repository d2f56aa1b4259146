"""The API reference documents every public name, and the built site stays self-contained.

The pages come from ``docs/gen_reference.py`` (one ``::: module.Name`` per name of each
public module's ``__all__``); the text comes from the docstrings, read by griffe with the
project's extension (``docs/griffe_ext.py``), exactly as mkdocstrings reads them.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
REQUIRED_MODULES = {
    "privateapi",
    "privateapi.policy",
    "privateapi.doctor",
    "privateapi.testing",
    "privateapi.admin",
    "privateapi.fleet",
    "privateapi.requests",
}


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return _load("gen_reference", DOCS / "gen_reference.py")


@pytest.fixture(scope="module")
def api_pages(gen: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("reference")
    assert gen.main([str(out)]) == 0
    return {p.name: p.read_text(encoding="utf-8") for p in (out / "api").glob("*.md")}


@pytest.fixture(scope="module")
def griffe_package() -> Any:
    griffe = pytest.importorskip("griffe", reason="NOT RUN: griffe (mkdocstrings) not installed")
    ext = _load("griffe_ext", DOCS / "griffe_ext.py")
    return griffe.load(
        "privateapi",
        search_paths=[str(ROOT)],
        extensions=griffe.load_extensions(ext.ApiDocs),
        resolve_aliases=True,
        resolve_external=False,
    )


def _all_names(gen: ModuleType) -> list[tuple[str, str]]:
    return [(m, n) for m, _page, _what in gen.API_MODULES for n in gen.public_names(m)]


def test_every_public_module_has_a_page(gen: ModuleType, api_pages: dict[str, str]) -> None:
    modules = {m for m, _page, _what in gen.API_MODULES}
    assert modules >= REQUIRED_MODULES
    for module, page, _what in gen.API_MODULES:
        assert page in api_pages, f"no reference page for {module}"
        assert f"({page})" in api_pages["index.md"]
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for _module, page, _what in gen.API_MODULES:
        assert f"reference/api/{page}" in nav, f"reference/api/{page} is not in the nav"


def test_every_name_of_all_is_on_its_page(gen: ModuleType, api_pages: dict[str, str]) -> None:
    missing = []
    for module, page, _what in gen.API_MODULES:
        entries = set(re.findall(r"^::: (\S+)$", api_pages[page], flags=re.MULTILINE))
        for name in importlib.import_module(module).__all__:
            if name.startswith("__"):
                continue  # __version__: a plain string, named in the page's text
            if f"{module}.{name}" not in entries:
                missing.append(f"{module}.{name}")
    assert not missing, f"public names missing from the API reference: {missing}"
    assert "privateapi.__version__" in api_pages["privateapi.md"]


def test_every_public_name_has_a_docstring(gen: ModuleType, griffe_package: Any) -> None:
    undocumented = []
    for module, name in _all_names(gen):
        # the package object is `privateapi`: members are addressed below it
        obj = griffe_package[f"{module}.{name}".split(".", 1)[1]]
        target = obj.final_target if obj.is_alias else obj
        if target.docstring is None or not target.docstring.value.strip():
            undocumented.append(f"{module}.{name} ({target.filepath}:{target.lineno})")
    assert not undocumented, (
        "public names without a docstring (add one, or a `#:` comment above a constant):"
        f" {undocumented}"
    )


def test_the_griffe_extension_reads_comment_docs(griffe_package: Any) -> None:
    import griffe

    # MAX_POLICY_CHARS is documented only by its `#:` comment: plain griffe sees nothing,
    # the extension finds the comment
    plain = griffe.load("privateapi.policy._size", search_paths=[str(ROOT)])
    assert plain["MAX_POLICY_CHARS"].docstring is None
    doc = griffe_package["policy.MAX_POLICY_CHARS"].final_target.docstring
    assert doc is not None
    assert "limit on a REST API resource policy" in doc.value


def test_invoke_target_constructors_have_examples_that_run() -> None:
    from privateapi import InvokeTarget

    constructors = [
        name
        for name, member in vars(InvokeTarget).items()
        if isinstance(member, classmethod) and not name.startswith("_")
    ]
    assert {"private_dns", "vpce_alias", "host_header", "api_id_header", "custom_domain"} <= set(
        constructors
    )
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for name in constructors:
        fn = getattr(InvokeTarget, name)
        doc = inspect.getdoc(fn) or ""
        assert ">>>" in doc, f"InvokeTarget.{name} has no example in its docstring"
        for test in finder.find(fn, f"InvokeTarget.{name}", globs={"InvokeTarget": InvokeTarget}):
            result = runner.run(test, out=lambda _text: None)
            assert result.attempted > 0
            assert result.failed == 0, f"the example of InvokeTarget.{name} is wrong"


def test_theme_uses_system_fonts() -> None:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    theme = text.split("\ntheme:", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"^\s+font: false$", theme, flags=re.MULTILINE)


@pytest.mark.slow
def test_built_site_fetches_no_google_fonts(gen: ModuleType, tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="NOT RUN: mkdocs not installed")
    pytest.importorskip("mkdocstrings", reason="NOT RUN: mkdocstrings not installed")
    assert gen.main([str(DOCS / "reference")]) == 0  # where mkdocs reads them (gitignored)
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    pages = list(site.rglob("*.html"))
    assert pages
    assert (site / "reference" / "api" / "privateapi" / "index.html").is_file()
    for path in [*pages, *site.rglob("*.css"), *site.rglob("*.js")]:
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle in ("fonts.googleapis", "fonts.gstatic"):
            assert needle not in text, f"{path.relative_to(site)} refers to {needle}"


LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("path", _doc_files(), ids=lambda p: p.name)
def test_no_link_leaves_the_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    bad = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("file:"):
            continue  # an external web page (https:, mailto:) is fine; a file: URL is not
        if target.startswith("#"):
            continue
        file_part = target.split("#", 1)[0]
        resolved = (path.parent / file_part).resolve()
        if target.startswith(("/", "file:")) or not resolved.is_relative_to(ROOT):
            bad.append(target)
    # Plain-text mentions too: the shared folder and absolute checkout paths are not the user's
    bad += re.findall(r"\.\./shared\b|/work/\S+", text)
    assert not bad, f"{path.name} points outside the repository: {bad}"
