"""Where the team's shared, third-party test data lives, and what a test does without it.

The conformance corpora (SigV4 suites, iam-simulate's policy cases) are read at test time
from ``../shared/conformance/`` beside the checkout and never copied into the repository
(their licences: ``../shared/conformance/README.md``). A user's fresh clone has no
``../shared``, so a test that needs it is marked::

    @pytest.mark.conformance("iam-policy")          # paths under ../shared/conformance

and the root ``conftest.py`` reports it **NOT RUN** (a skip whose reason starts
``NOT RUN:`` and names the path it looked for) when a path is missing: never failed,
never passed. ``make conformance`` runs only these tests and sets
``PRIVATEAPI_REQUIRE_CONFORMANCE=1``, which turns a missing path into a failure, so CI
cannot pass them by not finding the data. ``PRIVATEAPI_SHARED`` points at another
``shared`` folder.

A plain module (not a conftest), imported by the root conftest and by test helpers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The team's shared folder: ``$PRIVATEAPI_SHARED``, or ``shared`` beside the checkout.
SHARED = Path(os.environ.get("PRIVATEAPI_SHARED") or REPO.parent / "shared").resolve()
CONFORMANCE = SHARED / "conformance"
#: Set (to anything) to make missing conformance data fail the tests that need it.
REQUIRE = "PRIVATEAPI_REQUIRE_CONFORMANCE"


def missing(parts: Iterable[str], root: Path = CONFORMANCE) -> Path | None:
    """The first of ``root / part`` that does not exist, or ``None`` when all do."""
    for part in parts:
        path = root / part
        if not path.exists():
            return path
    return None


def not_run_reason(path: Path) -> str:
    """The skip reason for a test whose data is not at ``path``."""
    return (
        f"NOT RUN: {path} not found (third-party conformance data, read from ../shared beside"
        " the checkout and never copied into the repository; `make conformance` runs these"
        " tests where it exists)"
    )


def required() -> bool:
    """Whether missing data must fail the tests (``make conformance``, CI)."""
    return bool(os.environ.get(REQUIRE))
