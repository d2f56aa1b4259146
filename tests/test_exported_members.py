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
