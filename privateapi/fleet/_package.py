"""``privateapi fleet package``: a reproducible Lambda zip (or layer) of the probe.

The zip holds privateapi (without ``privateapi.testing``), its command line (the SSM
document runs ``python3 -m privateapi_cli``) and the binary wheels of its dependencies
for the Lambda runtime's platform, downloaded by pip with ``--platform``,
``--python-version``, ``--implementation cp`` and ``--only-binary=:all:``. What the
Python runtimes already ship is left out (boto3, botocore and their dependencies).

Two builds from the same wheels are byte-identical: entries are sorted, every
timestamp is 1980-01-01 (or ``SOURCE_DATE_EPOCH``), modes are fixed, nothing of the
build machine (user, time, absolute path, ``__pycache__``) enters the archive.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from privateapi._errors import InvalidInputError, PrivateApiError

__all__ = [
    "EXCLUDED",
    "PLATFORMS",
    "PackageError",
    "PackageResult",
    "build_package",
    "pip_command",
    "probe_requirements",
    "write_zip",
]

#: pip ``--platform`` tags per Lambda architecture. The Python 3.12+ runtimes run on
#: Amazon Linux 2023 (glibc 2.34), so manylinux2014 (glibc 2.17) and 2_28 wheels load.
PLATFORMS: dict[str, tuple[str, ...]] = {
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
}
#: Distributions the Lambda Python runtimes include (boto3 and botocore with their
#: dependencies). Which versions a runtime ships changes with AWS's updates
#: (unverified here): privateapi needs botocore >= 1.35.
EXCLUDED = frozenset(
    ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
)
#: Lambda's quotas: a zip uploaded directly is at most 50 MB; function and layers
#: unzipped at most 250 MB (262,144,000 bytes).
DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 262_144_000
_PIP_TIMEOUT = 900.0
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class PackageError(PrivateApiError):
    """The package could not be built (pip failed, too large, a bad wheel)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self._hint = hint

    @property
    def hint(self) -> str | None:
        """What to change."""
        return self._hint


@dataclass(frozen=True)
class PackageResult:
    """What was built (or, in a dry run, would be)."""

    path: str | None
    architecture: str
    layout: str
    python_version: str
    command: tuple[str, ...]
    wheels: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    files: int = 0
    zipped_bytes: int = 0
    unzipped_bytes: int = 0
    sha256: str | None = None
    warnings: tuple[str, ...] = ()
    dry_run: bool = False
    calls: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "path": self.path,
            "architecture": self.architecture,
            "layout": self.layout,
            "python_version": self.python_version,
            "command": list(self.command),
            "wheels": list(self.wheels),
            "excluded": list(self.excluded),
            "files": self.files,
            "zipped_bytes": self.zipped_bytes,
            "unzipped_bytes": self.unzipped_bytes,
            "sha256": self.sha256,
            "limits": {
                "direct_upload_bytes": DIRECT_UPLOAD_LIMIT,
                "unzipped_bytes": UNZIPPED_LIMIT,
            },
            "warnings": list(self.warnings),
            "dry_run": self.dry_run,
            "aws_calls": list(self.calls),
        }


def _name(requirement: str) -> str:
    import re

    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return (m.group(1) if m else requirement).lower().replace("_", "-").replace(".", "-")


def probe_requirements() -> tuple[str, ...]:
    """privateapi's own dependencies, without extras and without what Lambda ships."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        reqs = requires("privateapi") or []
    except PackageNotFoundError:  # pragma: no cover - a bare checkout
        raise PackageError(
            "privateapi's metadata is missing, so its dependencies are unknown",
            hint="Install privateapi (pip install -e .) before packaging.",
        ) from None
    return tuple(r for r in reqs if "extra ==" not in r and _name(r) not in EXCLUDED)


def pip_command(
    dest: str,
    requirements: Sequence[str],
    *,
    architecture: str,
    python_version: str,
    wheelhouse: str | None = None,
) -> list[str]:
    """The ``pip download`` command for the probe's wheels."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--dest",
        dest,
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        python_version,
    ]
    for tag in PLATFORMS[architecture]:
        cmd += ["--platform", tag]
    if wheelhouse is not None:
        cmd += ["--no-index", "--find-links", wheelhouse]
    return [*cmd, *requirements]


def _source_files(package: str) -> Iterable[tuple[str, Path]]:
    import importlib

    root = Path(importlib.import_module(package).__file__ or "").parent
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root.parent).as_posix()
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        if rel.startswith("privateapi/testing/"):
            continue  # the local gateway is for tests, not for the probe
        yield rel, path


def _metadata(version: str) -> bytes:
    return (
        f"Metadata-Version: 2.1\nName: privateapi\nVersion: {version}\n"
        "Summary: privateapi probe package (built by privateapi fleet package)\n"
    ).encode()


def _from_wheel(wheel: Path, excluded: set[str]) -> Iterable[tuple[str, bytes, bool]]:
    dist = _name(wheel.name.split("-", 1)[0])
    if dist in EXCLUDED:
        excluded.add(wheel.name)
        return
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            name = info.filename
            parts = name.split("/")
            if parts[0].endswith(".data"):
                if len(parts) > 2 and parts[1] in ("purelib", "platlib"):
                    name = "/".join(parts[2:])
                else:
                    continue  # scripts, headers, data: not importable, not needed
            if "__pycache__" in name.split("/") or name.endswith((".pyc", ".pyo")):
                continue
            if name.startswith("/") or ".." in name.split("/"):
                raise PackageError(f"wheel {wheel.name} holds an unsafe path {info.filename!r}")
            executable = bool((info.external_attr >> 16) & 0o111)
            yield name, zf.read(info), executable


def _fixed_time() -> tuple[int, int, int, int, int, int]:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return _FIXED_TIME
    try:
        t = time.gmtime(max(int(epoch), 315532800))  # zip times start in 1980
    except ValueError:
        raise InvalidInputError("SOURCE_DATE_EPOCH", epoch, "seconds since 1970") from None
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def write_zip(entries: dict[str, tuple[bytes, bool]], out: Path) -> tuple[int, str]:
    """Write a deterministic zip of ``{archive name: (data, executable)}``.

    Returns the zip's size and SHA-256.
    """
    stamp = _fixed_time()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(entries):
            data, executable = entries[name]
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3  # unix, so the mode below is honoured
            info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    blob = buf.getvalue()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    tmp.write_bytes(blob)
    tmp.replace(out)
    return len(blob), hashlib.sha256(blob).hexdigest()


def _check_package_options(
    architecture: str,
    layout: str,
    python_version: str,
    wheelhouse: str | os.PathLike[str] | None,
) -> None:
    import re

    if architecture not in PLATFORMS:
        raise InvalidInputError("architecture", architecture, "arm64 or x86_64")
    if layout not in ("function", "layer"):
        raise InvalidInputError("layout", layout, "function or layer")
    if not isinstance(python_version, str) or not re.fullmatch(r"3\.1[1-9]", python_version):
        raise InvalidInputError("python_version", python_version, "3.11 or newer, e.g. 3.12")
    if wheelhouse is not None and not Path(wheelhouse).is_dir():
        raise InvalidInputError("wheelhouse", str(wheelhouse), "a folder of .whl files")


def _downloaded(
    reqs: Sequence[str], architecture: str, python_version: str, house: str | None
) -> tuple[list[Path], dict[str, tuple[bytes, bool]], set[str]]:
    """pip's wheels for the platform: the wheels, the files they bring, what was left out."""
    with tempfile.TemporaryDirectory(prefix="privateapi-fleet-") as tmp:
        cmd = pip_command(
            tmp, reqs, architecture=architecture, python_version=python_version, wheelhouse=house
        )
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=_PIP_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise PackageError(f"pip download did not finish within {_PIP_TIMEOUT:.0f}s") from None
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "is ignored" not in ln]
            raise PackageError(
                "pip could not download binary wheels for "
                f"{architecture} / Python {python_version}: " + " | ".join(lines[-3:]),
                hint="Build from a wheelhouse: a folder of the wheels (pip download --platform ..."
                " on a machine that reaches the index), or check pip's index settings.",
            )
        wheels = sorted(Path(tmp).glob("*.whl"))
        entries: dict[str, tuple[bytes, bool]] = {}
        excluded: set[str] = set()
        for wheel in wheels:
            for name, data, executable in _from_wheel(wheel, excluded):
                entries[name] = (data, executable)
    return wheels, entries, excluded


def build_package(
    output: str | os.PathLike[str] | None = None,
    *,
    architecture: str = "arm64",
    python_version: str = "3.12",
    layout: str = "function",
    wheelhouse: str | os.PathLike[str] | None = None,
    requirements: Sequence[str] | None = None,
    dry_run: bool = False,
) -> PackageResult:
    """Build the probe's zip (``layout="function"``) or layer (``"layer"``: under ``python/``).

    Args:
        output: the zip to write (default ``dist/privateapi-fleet-{arch}.zip``).
        architecture: ``arm64`` or ``x86_64`` (the function's ``Architectures``).
        python_version: the runtime's version (``3.12`` for ``python3.12``).
        wheelhouse: a folder of wheels to use instead of the package index (offline).
        requirements: the distributions to bundle (default: privateapi's dependencies).
        dry_run: return the pip command, download and write nothing.
    """
    _check_package_options(architecture, layout, python_version, wheelhouse)
    reqs = tuple(requirements) if requirements is not None else probe_requirements()
    out = (
        Path(output)
        if output is not None
        else Path("dist") / f"privateapi-fleet-{architecture}.zip"
    )
    house = str(wheelhouse) if wheelhouse is not None else None
    shown = pip_command(
        "WHEELS", reqs, architecture=architecture, python_version=python_version, wheelhouse=house
    )
    plan = PackageResult(
        path=str(out),
        architecture=architecture,
        layout=layout,
        python_version=python_version,
        command=tuple(shown),
        dry_run=True,
    )
    if dry_run:
        return plan
    wheels, entries, excluded = _downloaded(reqs, architecture, python_version, house)
    from privateapi import __version__

    for package in ("privateapi", "privateapi_cli"):
        for rel, path in _source_files(package):
            entries[rel] = (path.read_bytes(), False)
    entries[f"privateapi-{__version__}.dist-info/METADATA"] = (_metadata(__version__), False)
    if layout == "layer":
        entries = {f"python/{k}": v for k, v in entries.items()}
    unzipped = sum(len(d) for d, _ in entries.values())
    warnings: list[str] = []
    if unzipped > UNZIPPED_LIMIT:
        raise PackageError(
            f"the package unzips to {unzipped:,} bytes, over Lambda's {UNZIPPED_LIMIT:,}"
            " (function and layers together)"
        )
    size, digest = write_zip(entries, out)
    if size > DIRECT_UPLOAD_LIMIT:
        warnings.append(
            f"the zip is {size:,} bytes, over the {DIRECT_UPLOAD_LIMIT:,} of a direct upload:"
            " deploy it from S3 (the templates do)"
        )
    return replace(
        plan,
        dry_run=False,
        wheels=tuple(w.name for w in wheels if w.name not in excluded),
        excluded=tuple(sorted(excluded)),
        files=len(entries),
        zipped_bytes=size,
        unzipped_bytes=unzipped,
        sha256=digest,
        warnings=tuple(warnings),
    )
