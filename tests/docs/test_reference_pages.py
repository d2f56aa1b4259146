"""The generated reference pages cover the code they are generated from."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from privateapi import iter_causes

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_reference", ROOT / "docs" / "gen_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("reference")
    assert _generator().main([str(out)]) == 0
    return {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.md")}


def test_every_cause_has_its_anchor(pages: dict[str, str]) -> None:
    text = pages["causes.md"]
    for c in iter_causes():
        assert f"### `{c.code}` {{ #{c.anchor} }}" in text
        assert c.doc_url.endswith(f"causes.md#{c.anchor}")


def test_every_check_is_listed_with_links_to_its_causes(pages: dict[str, str]) -> None:
    from privateapi.doctor import iter_checks

    text = pages["checks.md"]
    anchors = set(re.findall(r"\{ #([a-z0-9-]+) \}", pages["causes.md"]))
    for check in iter_checks():
        assert f"### `{check.id}`" in text
        for code in check.causes:
            assert f"(causes.md#{code.replace('.', '-')})" in text
            assert code.replace(".", "-") in anchors


def test_every_command_is_in_the_cli_page(pages: dict[str, str]) -> None:
    from privateapi_cli.main import build_parser

    text = pages["cli.md"]
    assert build_parser().format_usage().split()[1] in text
    for command in ("vpce associate", "vpce disassociate", "deploy", "status", "policy apply"):
        assert f"`privateapi {command}`" in text


def test_docs_links_point_at_existing_cause_anchors() -> None:
    anchors = {c.anchor for c in iter_causes()}
    for page in (ROOT / "docs").glob("*.md"):
        for anchor in re.findall(r"reference/causes\.md#([a-z0-9-]+)", page.read_text()):
            assert anchor in anchors, f"{page.name} links to unknown cause anchor #{anchor}"


def test_every_style_is_in_the_styles_page(pages: dict[str, str]) -> None:
    from privateapi import Style

    text = pages["styles.md"]
    for style in Style:
        assert f"## `{style.value}` {{ #{style.value.replace('_', '-')} }}" in text
        assert f"`{style.spec.url_form}`" in text
