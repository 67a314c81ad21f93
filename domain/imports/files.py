"""Uploaded import files: kept under the var directory by a random key, read by the
task, removed when the import ends (they hold personal data of people not yet in the
CRM, so they must not linger)."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from settings import get_settings

IMPORT_SUBDIR = "uploads/imports"
_KEY = re.compile(r"[0-9a-f]{32}")


def directory() -> Path:
    return get_settings().var_dir / IMPORT_SUBDIR


def save(data: bytes) -> str:
    """Write the bytes under a fresh random key (blocking: call it in a thread)."""
    target_dir = directory()
    for level in (target_dir.parent, target_dir):
        level.mkdir(mode=0o700, parents=True, exist_ok=True)
        level.chmod(0o700)
    key = secrets.token_hex(16)
    descriptor = os.open(target_dir / key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return key


def path_of(key: str) -> Path:
    if not _KEY.fullmatch(key):
        raise ValueError("not a storage key")
    return directory() / key


def read(key: str) -> bytes:
    return path_of(key).read_bytes()


def remove(key: str) -> None:
    path_of(key).unlink(missing_ok=True)
