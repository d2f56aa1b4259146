"""Every ```python block in docs/*.md runs to completion, unless it says why not.

A block's first line may be a marker comment:

- ``# needs AWS: ...`` or ``# not run: ...``: the block is reported NOT RUN with that reason
  (it calls a real private API or the control plane);
- ``# continues the block above``: the previous block of the page runs first, in the same
  process (the page's example goes on with its names).

Every other block is a program: it runs in its own Python process and must exit 0 (blocks
check what they show with ``assert``). They are meant to use the local gateway on loopback
only; as a belt and braces each runs inside ``unshare -rn`` (a fresh network namespace with
nothing but ``lo``), with instance metadata disabled and no AWS configuration or credentials,
so a block that tried AWS would fail here instead of reaching a network. Where that namespace
cannot be made, the blocks are NOT RUN (never passed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
SKIP = re.compile(r"^# (needs AWS|not run)\b:?\s*(.*)$")
CONTINUES = "# continues the block above"


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    code: str
    skip: str | None  # the reason, for a block that is not run

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def blocks_of(page: str, text: str) -> list[Block]:
    """The python blocks of one page, each with its predecessors joined where it continues."""
    found: list[Block] = []
    for m in FENCE.finditer(text):
        code = m[1]
        first = code.split("\n", 1)[0]
        line = text.count("\n", 0, m.start()) + 1
        skip = SKIP.match(first)
        if first.strip() == CONTINUES:
            assert found, f"{page}:{line} continues a block, but it is the page's first"
            before = found[-1]
            code = before.code + "\n" + code
            found.append(Block(page, line, code, before.skip))
            continue
        found.append(Block(page, line, code, f"{skip[1]}: {skip[2]}" if skip else None))
    return found


def all_blocks() -> list[Block]:
    return [
        b
        for path in sorted((ROOT / "docs").glob("*.md"))
        for b in blocks_of(path.name, path.read_text(encoding="utf-8"))
    ]


BLOCKS = all_blocks()


def _sandbox() -> list[str] | None:
    """The argv prefix that runs a command in a fresh network namespace, or None."""
    if not (shutil.which("unshare") and shutil.which("ip") and shutil.which("sh")):
        return None
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        return None
    # lo starts down in a new namespace; the local gateway binds 127.0.0.2, 127.0.0.3, ...
    return ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]


SANDBOX = _sandbox()


def test_blocks_are_found_and_most_run() -> None:
    pages = {b.page for b in BLOCKS}
    assert {"policy.md", "troubleshooting.md", "testing.md"} <= pages
    running = [b for b in BLOCKS if b.skip is None]
    assert len(running) >= 8, [b.id for b in running]


def test_the_parser_joins_continued_blocks_and_reads_skips() -> None:
    text = (
        "```python\nx = 1\n```\ntext\n```python\n# continues the block above\nassert x == 1\n```\n"
        "```python\n# needs AWS: calls the control plane\nboom()\n```\n"
    )
    first, second, third = blocks_of("p.md", text)
    assert (first.line, first.skip) == (1, None)
    assert second.code.startswith("x = 1\n") and second.code.endswith("assert x == 1\n")
    assert third.skip == "needs AWS: calls the control plane"


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.id)
def test_block_runs(block: Block, tmp_path: Path) -> None:
    if block.skip is not None:
        pytest.skip(f"NOT RUN: {block.id} {block.skip}")
    if SANDBOX is None:
        pytest.skip("NOT RUN: needs unshare -rn (user namespaces) and ip to isolate the block")
    script = tmp_path / f"{block.page.replace('.', '_')}_{block.line}.py"
    script.write_text(block.code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp_path / "no-such-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-such-credentials"),
        HOME=str(tmp_path),
    )
    done = subprocess.run(
        [*SANDBOX, sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"{block.id} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
