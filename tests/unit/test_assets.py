import base64
import hashlib

import pytest

from runtime.assets import AssetError, tarball_url, vendor_target, verify


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_matching_tarball_passes():
    verify(b"package bytes", integrity(b"package bytes"))


def test_tampered_tarball_is_refused():
    with pytest.raises(AssetError, match="integrity"):
        verify(b"package bytes, altered", integrity(b"package bytes"))


def test_weak_algorithms_are_refused():
    with pytest.raises(AssetError, match="unsupported"):
        verify(b"x", "sha1-" + base64.b64encode(hashlib.sha1(b"x").digest()).decode())  # noqa: S324


def test_tarball_urls_follow_the_registry_layout(monkeypatch):
    monkeypatch.delenv("NPM_CONFIG_REGISTRY", raising=False)
    assert tarball_url("htmx.org", "2.0.11") == \
        "https://registry.npmjs.org/htmx.org/-/htmx.org-2.0.11.tgz"
    assert tarball_url("@scope/pkg", "1.0.0").endswith("/@scope/pkg/-/pkg-1.0.0.tgz")


def test_vendored_files_stay_inside_static_vendor(tmp_path):
    assert vendor_target(tmp_path, "qr-scanner/qr-scanner.umd.min.js") == \
        (tmp_path / "static" / "vendor" / "qr-scanner" / "qr-scanner.umd.min.js").resolve()
    for escape in ("../../asgi.py", "/etc/passwd", "qr-scanner/../../x.js", "."):
        with pytest.raises(AssetError, match="outside"):
            vendor_target(tmp_path, escape)
