"""docs/recipes.md's checked blocks run, as written, against ``privateapi lab``.

A block is checked when an HTML comment right above its fence names it:
``<!-- recipe: NAME; creds: session; expect: TEXT -->`` (``creds`` and ``expect`` optional).
The page's ``setup`` block (reading ``lab.json``) runs first in every script; ``creds:
session`` then switches to a session credential (with ``AWS_SESSION_TOKEN``), which the
test adds to the lab's configuration. A block passes when it exits 0 and prints ``expect``.

Everything runs inside ``unshare -rnm`` (a fresh network and mount namespace, only ``lo``),
where ``/etc/hosts`` names the lab's hosts and the lab serves port 443, so commands without
a connect override (awscurl) work too and nothing can reach a real network or resolver.
Without ``unshare``/``ip``/``curl`` or user namespaces the tests are NOT RUN, never passed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1].parent
PAGE = ROOT / "docs" / "recipes.md"
CONFIG = ROOT / "examples" / "lab" / "recipes.toml"
DRIVER = Path(__file__).with_name("recipes_netns.py")
MARK = re.compile(r"^<!-- recipe: (?P<meta>[^>]*?) -->\n```bash\n(?P<code>.*?)^```$", re.M | re.S)
SESSION = """
export AWS_ACCESS_KEY_ID="$(python3 -c 'import json; print(json.load(open("lab.json"))["credentials"][1]["access_key_id"])')"
export AWS_SECRET_ACCESS_KEY="$(python3 -c 'import json; print(json.load(open("lab.json"))["credentials"][1]["secret_access_key"])')"
export AWS_SESSION_TOKEN="$(python3 -c 'import json; print(json.load(open("lab.json"))["credentials"][1]["session_token"])')"
"""  # noqa: E501 - shell lines


def recipes(text: str) -> dict[str, dict[str, str]]:
    """Every checked block of the page: name -> {"code", "creds", "expect"}."""
    found: dict[str, dict[str, str]] = {}
    for m in MARK.finditer(text):
        name, *pairs = (part.strip() for part in m["meta"].split(";"))
        meta = dict(pair.split(": ", 1) for pair in pairs)
        assert set(meta) <= {"creds", "expect"}, f"recipe {name}: unknown keys {meta}"
        assert name not in found, f"recipe {name} appears twice"
        found[name] = {"code": m["code"], "creds": meta.get("creds", "long-term"), **meta}
    return found


BLOCKS = recipes(PAGE.read_text(encoding="utf-8"))


def test_the_page_has_checked_recipes_for_each_tool() -> None:
    assert "setup" in BLOCKS
    text = "\n".join(b["code"] for b in BLOCKS.values())
    for tool in ("curl ", "--aws-sigv4", "x-amz-security-token", "awscurl ", "privateapi invoke",
                 "privateapi doctor"):  # fmt: skip
        assert tool in text, f"no checked recipe uses {tool!r}"
    # every fenced bash block on the page is checked (console blocks are for AWS)
    assert PAGE.read_text(encoding="utf-8").count("```bash") == len(BLOCKS)


def _random_key(prefix: str) -> str:
    return prefix + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))


def _config(tmp: Path) -> Path:
    """The page's lab config plus two random credentials (long-term, then a session)."""
    extra = f"""
[[credentials]]
access_key_id = "{_random_key("AKIA")}"
secret_access_key = "{secrets.token_hex(20)}"

[[credentials]]
access_key_id = "{_random_key("ASIA")}"
secret_access_key = "{secrets.token_hex(20)}"
session_token = "{secrets.token_urlsafe(48)}"
arn = "arn:aws:sts::123456789012:assumed-role/app/recipes"
"""
    path = tmp / "recipes.toml"
    path.write_text(CONFIG.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def _missing() -> list[str]:
    need = ["unshare", "ip", "curl", "bash"]
    missing = [tool for tool in need if not shutil.which(tool)]
    bindir = Path(sys.executable).parent
    missing += [tool for tool in ("awscurl", "privateapi") if not (bindir / tool).exists()]
    if not missing:
        probe = subprocess.run(
            ["unshare", "-rnm", "true"], capture_output=True, text=True, check=False
        )
        if probe.returncode != 0:
            missing.append(f"user namespaces (unshare -rnm: {probe.stderr.strip()})")
    return missing


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    missing = _missing()
    if missing:
        pytest.skip(
            "NOT RUN: the recipes run in a network namespace and need " + ", ".join(missing)
        )
    tmp = tmp_path_factory.mktemp("recipes")
    setup = BLOCKS["setup"]["code"]
    scripts = [
        {
            "name": name,
            "script": setup + (SESSION if block["creds"] == "session" else "") + block["code"],
        }
        for name, block in BLOCKS.items()
        if name != "setup"
    ]
    spec = tmp / "spec.json"
    spec.write_text(json.dumps({"config": str(_config(tmp)), "blocks": scripts}))
    bindir = str(Path(sys.executable).parent)  # privateapi and awscurl of this venv
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run(
        ["unshare", "-rnm", "--propagation", "private", sys.executable, str(DRIVER), str(spec)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {r["name"]: r for r in json.loads(done.stdout)["results"]}


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in BLOCKS if n != "setup"])
def test_recipe_works(results: dict[str, dict[str, Any]], name: str) -> None:
    result = results[name]
    output = f"stdout: {result['stdout'][-2000:]}\nstderr: {result['stderr'][-2000:]}"
    assert result["rc"] == 0, output
    expect = BLOCKS[name].get("expect")
    if expect:
        assert expect in result["stdout"], output


def test_the_parser_reads_marks() -> None:
    page = (
        "<!-- recipe: one; creds: session; expect: OK -->\n```bash\necho OK\n```\n"
        "```bash\nnot checked\n```\n"
    )
    assert recipes(page) == {"one": {"code": "echo OK\n", "creds": "session", "expect": "OK"}}
