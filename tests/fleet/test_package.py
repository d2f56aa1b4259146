"""Packaging: pip download for the Lambda platform (offline, from a wheelhouse), byte-identical."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from privateapi import InvalidInputError
from privateapi.fleet import PackageError, _package, build_package


def _wheel(house: Path, name: str, tag: str, files: dict[str, str]) -> None:
    dist = f"{name}-1.0"
    path = house / f"{name}-1.0-{tag}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for f, text in files.items():
            zf.writestr(f, text)
        zf.writestr(
            f"{dist}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
        )
        zf.writestr(
            f"{dist}.dist-info/WHEEL", f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: {tag}\n"
        )
        zf.writestr(f"{dist}.dist-info/RECORD", "")


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    house = tmp_path / "house"
    house.mkdir()
    _wheel(house, "purelib_dep", "py3-none-any", {"purelib_dep/__init__.py": "X = 1\n"})
    _wheel(
        house,
        "native_dep",
        "cp312-abi3-manylinux2014_aarch64",
        {
            "native_dep/__init__.py": "",
            "native_dep/_x.so": "ELF",
            "native_dep-1.0.data/purelib/extra.py": "",
            "native_dep-1.0.data/scripts/tool": "#!/bin/sh",
        },
    )
    _wheel(
        house, "native_dep", "cp312-abi3-manylinux2014_x86_64", {"native_dep/__init__.py": "x86"}
    )
    _wheel(house, "botocore", "py3-none-any", {"botocore/__init__.py": ""})
    return house


def test_two_builds_are_byte_identical_and_within_limits(wheelhouse: Path, tmp_path: Path) -> None:
    """pip download --platform (offline, --no-index) twice: the same bytes, limits checked."""
    reqs = ["purelib_dep", "native_dep", "botocore"]
    a = build_package(tmp_path / "a.zip", wheelhouse=wheelhouse, requirements=reqs)
    b = build_package(tmp_path / "b.zip", wheelhouse=wheelhouse, requirements=reqs)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert a.sha256 == b.sha256
    assert a.excluded == ("botocore-1.0-py3-none-any.whl",)
    assert "--platform" in a.command and "manylinux2014_aarch64" in a.command
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    assert names == sorted(names)
    assert "native_dep/_x.so" in names and "extra.py" in names
    assert not any(n.startswith("botocore/") for n in names)
    assert not any("scripts" in n or "__pycache__" in n for n in names)
    assert "privateapi/fleet/handler.py" in names and "privateapi_cli/main.py" in names
    assert not any(n.startswith("privateapi/testing/") for n in names)
    for info in zipfile.ZipFile(tmp_path / "a.zip").infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
    assert 0 < a.zipped_bytes < _package.DIRECT_UPLOAD_LIMIT
    x86 = build_package(
        tmp_path / "x.zip",
        wheelhouse=wheelhouse,
        requirements=reqs,
        architecture="x86_64",
        layout="layer",
    )
    with zipfile.ZipFile(tmp_path / "x.zip") as zf:
        assert zf.read("python/native_dep/__init__.py") == b"x86"
    assert x86.sha256 != a.sha256


def test_source_date_epoch_is_honoured(
    wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build_package(tmp_path / "e.zip", wheelhouse=wheelhouse, requirements=["purelib_dep"])
    assert zipfile.ZipFile(tmp_path / "e.zip").infolist()[0].date_time == (2023, 11, 14, 22, 13, 20)


def test_missing_wheel_and_oversize_are_clear_errors(
    wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(PackageError, match="binary wheels") as info:
        build_package(tmp_path / "n.zip", wheelhouse=wheelhouse, requirements=["not_there"])
    assert "wheelhouse" in (info.value.hint or "")
    assert "--wheelhouse" not in (info.value.hint or "")  # library hints never name our flags
    monkeypatch.setattr(_package, "UNZIPPED_LIMIT", 10)
    with pytest.raises(PackageError, match="over Lambda's"):
        build_package(tmp_path / "big.zip", wheelhouse=wheelhouse, requirements=["purelib_dep"])
    monkeypatch.setattr(_package, "UNZIPPED_LIMIT", 10**9)
    monkeypatch.setattr(_package, "DIRECT_UPLOAD_LIMIT", 10)
    res = build_package(tmp_path / "s3.zip", wheelhouse=wheelhouse, requirements=["purelib_dep"])
    assert "from S3" in res.warnings[0]


def test_dry_run_and_bad_input(tmp_path: Path) -> None:
    plan = build_package(tmp_path / "d.zip", dry_run=True)
    assert plan.dry_run and not (tmp_path / "d.zip").exists()
    assert "download" in plan.command and "botocore" not in " ".join(plan.command)
    assert any(c.startswith("httpx") for c in plan.command)
    for kwargs, field in (
        ({"architecture": "mips"}, "architecture"),
        ({"layout": "egg"}, "layout"),
        ({"python_version": "2.7"}, "python_version"),
        ({"wheelhouse": tmp_path / "no"}, "wheelhouse"),
    ):
        with pytest.raises(InvalidInputError) as info:
            build_package(tmp_path / "z.zip", dry_run=True, **kwargs)  # type: ignore[arg-type]
        assert info.value.field == field
