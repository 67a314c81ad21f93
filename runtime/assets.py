"""Install the pinned front-end assets into static/vendor/ without needing npm.

package-lock.json pins each package's version and sha512 integrity; the tarball comes
from the npm registry and is verified before a single file is extracted. `package.json`
says which files of which package end up in static/vendor/ ("vendor" key).

Usage: python -m runtime.assets
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
DEFAULT_REGISTRY = "https://registry.npmjs.org"


class AssetError(Exception):
    pass


def _registry() -> str:
    return (os.environ.get("NPM_CONFIG_REGISTRY") or DEFAULT_REGISTRY).rstrip("/")


def tarball_url(name: str, version: str) -> str:
    basename = name.rsplit("/", 1)[-1]
    return f"{_registry()}/{name}/-/{basename}-{version}.tgz"


def verify(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm not in {"sha512", "sha384", "sha256"}:
        raise AssetError(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise AssetError("downloaded tarball does not match package-lock.json integrity")


def _download(url: str) -> bytes:
    if not url.startswith("https://"):
        raise AssetError(f"refusing a non-https registry URL: {url}")
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - https only
        return response.read()


def _extract(data: bytes, member: str, target: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        try:
            source = archive.extractfile(f"package/{member}")
        except KeyError as exc:
            raise AssetError(f"{member} is not in the package") from exc
        if source is None:
            raise AssetError(f"{member} is not a regular file")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read())


def vendor_target(root: Path, destination: str) -> Path:
    """Where a vendored file goes: always inside static/vendor/ (a package may now spread
    over sub-folders, e.g. qr-scanner's script and its worker side by side)."""
    vendor = (root / "static" / "vendor").resolve()
    target = (vendor / destination).resolve()
    if not target.is_relative_to(vendor) or target == vendor:
        raise AssetError(f"vendor destination {destination!r} is outside static/vendor/")
    return target


def install(root: Path = ROOT) -> list[Path]:
    manifest = json.loads((root / "package.json").read_text())
    lock = json.loads((root / "package-lock.json").read_text())["packages"]
    written = []
    for name, files in manifest["vendor"].items():
        pinned = lock.get(f"node_modules/{name}")
        if pinned is None:
            raise AssetError(f"{name} is not pinned in package-lock.json")
        data = _download(tarball_url(name, pinned["version"]))
        verify(data, pinned["integrity"])
        for member, destination in files.items():
            target = vendor_target(root, destination)
            _extract(data, member, target)
            written.append(target)
    return written


def main() -> int:
    try:
        for path in install():
            print(f"installed {path.relative_to(ROOT)}")
    except (AssetError, OSError) as exc:
        print(f"talentloop: error: front-end assets: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
