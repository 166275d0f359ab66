"""The installer of the explorer's JavaScript (``python -m app.vendor``), against a fake
registry: only verified tarballs, only the listed files; and the lock file it follows."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from app import vendor

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _package(body: bytes, files: tuple[str, ...] = ("package/lib.js",)) -> vendor.Package:
    digest = base64.b64encode(hashlib.sha512(body).digest()).decode()
    return vendor.Package(
        name="lib",
        version="1.0.0",
        license="MIT",
        tarball="https://registry.example/lib-1.0.0.tgz",
        integrity=f"sha512-{digest}",
        files=files,
    )


@pytest.fixture
def vendor_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path)
    return tmp_path


def test_installer_extracts_only_the_listed_files_once(vendor_dir: Path) -> None:
    body = _tarball({"package/lib.js": b"lib();", "package/demo.gif": b"GIF"})
    package = _package(body)
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return body

    assert vendor.install([package], fetch) == ["lib 1.0.0 (MIT): fetched and verified"]
    assert (vendor_dir / "lib" / "lib.js").read_bytes() == b"lib();"
    assert not (vendor_dir / "lib" / "demo.gif").exists()
    assert vendor.install([package], fetch) == ["lib 1.0.0 (MIT): already in place"]
    assert len(fetched) == 1
    assert vendor.missing_files([package]) == []


def test_installer_refuses_a_tarball_whose_digest_differs(vendor_dir: Path) -> None:
    package = _package(_tarball({"package/lib.js": b"lib();"}))
    tampered = _tarball({"package/lib.js": b"steal();"})
    with pytest.raises(vendor.VendorError, match="integrity"):
        vendor.install([package], lambda url: tampered)
    assert not (vendor_dir / "lib" / "lib.js").exists()


def test_installer_names_a_listed_file_the_tarball_lacks(vendor_dir: Path) -> None:
    body = _tarball({"package/other.js": b""})
    with pytest.raises(vendor.VendorError, match=r"package/lib\.js"):
        vendor.install([_package(body)], lambda url: body)


def test_the_lock_names_version_licence_and_integrity_and_the_readme_lists_them() -> None:
    lock = json.loads(vendor.LOCK_FILE.read_text(encoding="utf-8"))
    packages = vendor.load_lock()
    assert [p.name for p in packages] == [row["name"] for row in lock["packages"]]
    for package in packages:
        assert package.tarball.startswith(f"https://registry.npmjs.org/{package.name}/-/")
        assert package.tarball.endswith(f"-{package.version}.tgz")
        assert package.integrity.startswith("sha512-") and package.license
        assert f"| {package.name} | {package.version} | {package.license} |" in README
