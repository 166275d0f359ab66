"""Fetch the explorer's third-party JavaScript at install time: ``python -m app.vendor``.

The repository holds only geokg's own code. ``app/vendor.lock.json`` names each npm package the
explorer page uses (version, tarball URL, the registry's ``sha512`` integrity, licence, and the
files to take); this module downloads each tarball, refuses it unless its digest is the one
recorded, and extracts only the listed files into ``app/static/vendor/<name>/`` (git-ignored),
from where ``app.explore`` serves them. A package whose files are there and whose recorded
integrity matches the lock is not fetched again. ``make run``, ``make test`` and the Docker
image run it; it needs Python alone (no node), and nothing of geokg's beyond this file.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import logging
import os
import sys
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = [
    "LOCK_FILE",
    "MAX_TARBALL_BYTES",
    "VENDOR_DIR",
    "MissingFilesError",
    "Package",
    "VendorError",
    "install",
    "load_lock",
    "main",
    "missing_files",
]

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
LOCK_FILE = PACKAGE_DIR / "vendor.lock.json"
VENDOR_DIR = PACKAGE_DIR / "static" / "vendor"
MAX_TARBALL_BYTES = 32 * 1024 * 1024
"""Largest tarball accepted (cytoscape-fcose's, with its demo GIFs, is about 7.6 MB)."""
FETCH_TIMEOUT_S = 60.0
_STAMP = ".integrity"
"""A file in each package's folder holding the integrity its files were extracted from."""

Fetch = Callable[[str], bytes]


class VendorError(Exception):
    """A package could not be fetched, verified or extracted; the message says which and why."""


class MissingFilesError(VendorError):
    """Files of the lock file are not installed (the service was started without them)."""

    def __init__(self, missing: Sequence[Path]) -> None:
        names = ", ".join(_shown(p) for p in missing)
        super().__init__(
            f"the explorer's JavaScript libraries are not installed ({names} missing): run "
            "`make run`, or `python -m app.vendor` in the repository, then reload the page"
        )
        self.missing = list(missing)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(PACKAGE_DIR.parent))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Package:
    """One row of the lock file."""

    name: str
    version: str
    license: str
    tarball: str
    integrity: str
    files: tuple[str, ...]

    @property
    def folder(self) -> Path:
        return VENDOR_DIR / self.name

    def target(self, member: str) -> Path:
        """Where a listed tarball member is extracted: the package's folder, by base name."""
        return self.folder / PurePosixPath(member).name

    @property
    def targets(self) -> list[Path]:
        return [self.target(member) for member in self.files]


def load_lock(path: Path = LOCK_FILE) -> list[Package]:
    """The packages the lock file lists, checked for the fields each needs."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["packages"]
        packages = [
            Package(
                name=row["name"],
                version=row["version"],
                license=row["license"],
                tarball=row["tarball"],
                integrity=row["integrity"],
                files=tuple(row["files"]),
            )
            for row in rows
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise VendorError(f"{path}: not a readable lock file ({exc})") from None
    for package in packages:
        if not package.integrity.startswith("sha512-") or not package.files:
            raise VendorError(f"{path}: {package.name}: needs a sha512 integrity and files")
        names = [PurePosixPath(f).name for f in package.files]
        if len(set(names)) != len(names) or any(n.startswith(".") for n in names):
            raise VendorError(f"{path}: {package.name}: file names must be distinct, not hidden")
    return packages


def missing_files(packages: Sequence[Package] | None = None) -> list[Path]:
    """The vendored files that are not where the explorer serves them from."""
    chosen = load_lock() if packages is None else packages
    return [path for package in chosen for path in package.targets if not path.is_file()]


def _installed(package: Package) -> bool:
    stamp = package.folder / _STAMP
    try:
        recorded = stamp.read_text(encoding="ascii").strip()
    except OSError:
        return False
    return recorded == package.integrity and all(p.is_file() for p in package.targets)


def _fetch(url: str) -> bytes:
    if not url.startswith("https://"):
        raise VendorError(f"{url}: only https tarball URLs are fetched")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
            body: bytes = response.read(MAX_TARBALL_BYTES + 1)
    except OSError as exc:
        raise VendorError(f"{url}: could not fetch it ({exc})") from None
    if len(body) > MAX_TARBALL_BYTES:
        raise VendorError(f"{url}: larger than {MAX_TARBALL_BYTES} bytes")
    return body


def _integrity(body: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(body).digest()).decode("ascii")


def _members(package: Package, body: bytes) -> dict[str, bytes]:
    """The listed files' contents, read from the verified tarball (regular files only)."""
    wanted = set(package.files)
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
            for member in archive:
                if member.name in wanted and member.isreg():
                    extracted = archive.extractfile(member)
                    if extracted is not None:
                        found[member.name] = extracted.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise VendorError(f"{package.tarball}: not a readable tarball ({exc})") from None
    absent = sorted(wanted - found.keys())
    if absent:
        raise VendorError(f"{package.tarball}: has no file {', '.join(absent)}")
    return found


def _write(path: Path, data: bytes) -> None:
    """Write a file whole or not at all (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(scratch, 0o644)  # readable by the service's own user (mkstemp makes it 0600)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def install_package(package: Package, fetch: Fetch = _fetch) -> bool:
    """Fetch, verify and extract one package; False if it was already in place."""
    if _installed(package):
        return False
    body = fetch(package.tarball)
    digest = _integrity(body)
    if digest != package.integrity:
        raise VendorError(
            f"{package.name} {package.version}: the tarball's integrity is {digest}, "
            f"not {package.integrity} as the lock file records: refused"
        )
    contents = _members(package, body)
    (package.folder / _STAMP).unlink(missing_ok=True)  # stale until every file is written
    for member, data in contents.items():
        _write(package.target(member), data)
    _write(package.folder / _STAMP, package.integrity.encode("ascii") + b"\n")
    return True


def install(packages: Sequence[Package] | None = None, fetch: Fetch = _fetch) -> list[str]:
    """Install every package of the lock file; the lines that say what was done."""
    lines = []
    for package in load_lock() if packages is None else packages:
        fetched = install_package(package, fetch)
        state = "fetched and verified" if fetched else "already in place"
        lines.append(f"{package.name} {package.version} ({package.license}): {state}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m app.vendor [--check]``: install (or only check) the vendored files."""
    parser = argparse.ArgumentParser(prog="python -m app.vendor", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="only list missing files (exit 1 if any)"
    )
    args = parser.parse_args(argv)
    try:
        if args.check:
            absent = missing_files()
            for path in absent:
                sys.stderr.write(f"missing: {path}\n")
            return 1 if absent else 0
        for line in install():
            sys.stderr.write(f"vendor: {line}\n")
    except VendorError as exc:
        sys.stderr.write(f"vendor: error: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
