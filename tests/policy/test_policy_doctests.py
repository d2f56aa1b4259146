"""The examples in the public docstrings run and are right."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = (
    "privateapi.policy",
    "privateapi.policy._authorize",
    "privateapi.policy._errors",
    "privateapi.policy._evaluate",
    "privateapi.policy._generate",
    "privateapi.policy._lint",
    "privateapi.policy._model",
    "privateapi.policy._match",
    "privateapi.policy._parse",
    "privateapi.policy._size",
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
