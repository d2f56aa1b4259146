"""Run every example as ``make test`` does: each in its own process, with a time limit.

Each ``examples/*.py`` script (except this one) runs as ``python SCRIPT`` and must exit 0;
``examples/service_tests/`` runs under pytest. A line per example says whether it passed,
and the output of a failed one is shown. Exit 0 when every example passed, 1 otherwise.

Run: ``python examples/run_all.py [NAME ...]`` (names select examples, e.g. ``doctor_ci``).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMEOUT = 120.0


def examples() -> list[tuple[str, list[str]]]:
    """(name, argv) for every example, in a stable order."""
    found = [
        (path.stem, [sys.executable, str(path)])
        for path in sorted(HERE.glob("*.py"))
        if path.name != Path(__file__).name
    ]
    suite = HERE / "service_tests"
    if suite.is_dir():
        found.append(
            (
                "service_tests",
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)],
            )
        )
    return found


def run(name: str, argv: list[str]) -> bool:
    """Run one example; print one line, and its output if it failed."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            argv, cwd=HERE.parent, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        print(f"FAIL  {name}: no answer within {TIMEOUT:g} s")
        for stream in (exc.stdout, exc.stderr):
            if stream:
                text = stream if isinstance(stream, str) else stream.decode(errors="replace")
                print(text.rstrip())
        return False
    elapsed = time.perf_counter() - started
    if done.returncode == 0:
        print(f"ok    {name} ({elapsed:.1f} s)")
        return True
    print(f"FAIL  {name}: exit {done.returncode} ({elapsed:.1f} s)")
    print(done.stdout.rstrip())
    print(done.stderr.rstrip())
    return False


def main(argv: list[str]) -> int:
    selected = [(n, a) for n, a in examples() if not argv or n in argv]
    unknown = set(argv) - {n for n, _ in selected}
    if unknown:
        print(f"no such example: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    results = [run(name, args) for name, args in selected]
    failed = results.count(False)
    print(f"examples: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
