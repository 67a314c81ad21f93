"""CV files: what a file really is (judged by its bytes, never its name or the type the
browser claims) and where it is kept (outside static/, under a random name)."""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from settings import get_settings

MAX_CV_BYTES = 10 * 1024 * 1024
# A .docx is a ZIP: a tiny archive can inflate to gigabytes (a zip bomb), so the declared
# sizes are capped and the parts we read are read with a cap too.
MAX_DOCX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_DOCX_ENTRIES = 2_000
MAX_CONTENT_TYPES_BYTES = 256 * 1024

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx"}
_DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"

NOT_A_CV = "Upload your CV as a PDF or a Word document (.docx). This file is neither."
TOO_LARGE = "Your CV must be 10 MB or smaller. Try saving it as a PDF with smaller images."
UNPACKS_TOO_LARGE = "That Word document is far too large once unpacked. Save it as a PDF."
DAMAGED = "That file looks damaged. Save it again as a PDF or .docx and try once more."
_KEY = re.compile(r"[0-9a-f]{32}")


class RejectedFile(ValueError):
    """The upload is not an acceptable CV; the message is safe to show."""


def sniff(data: bytes) -> str:
    """The content type of an acceptable CV, or RejectedFile."""
    if not data:
        raise RejectedFile("That file is empty.")
    if len(data) > MAX_CV_BYTES:
        raise RejectedFile(TOO_LARGE)
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        _check_docx(data)
        return DOCX
    raise RejectedFile(NOT_A_CV)


def _check_docx(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_sizes(infos)
            names = {info.filename for info in infos}
            if not {"[Content_Types].xml", "word/document.xml"} <= names:
                raise RejectedFile(NOT_A_CV)
            content_types = _read_capped(archive, "[Content_Types].xml", MAX_CONTENT_TYPES_BYTES)
            if _DOCX_MAIN not in content_types or "word/vbaProject.bin" in names:
                # .docm (macros) and templates declare another main part type.
                raise RejectedFile(NOT_A_CV)
            _read_capped(archive, "word/document.xml", MAX_DOCX_UNCOMPRESSED)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError,
            NotImplementedError, RuntimeError) as exc:  # RuntimeError: encrypted entries
        raise RejectedFile(DAMAGED) from exc


def _check_sizes(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_DOCX_ENTRIES:
        raise RejectedFile(NOT_A_CV)
    if sum(info.file_size for info in infos) > MAX_DOCX_UNCOMPRESSED:
        raise RejectedFile(UNPACKS_TOO_LARGE)


def _read_capped(archive: zipfile.ZipFile, name: str, cap: int) -> bytes:
    """Read one member, refusing it as soon as it inflates past `cap`: the sizes in the
    archive's directory are whatever its author wrote there."""
    chunks: list[bytes] = []
    total = 0
    with archive.open(name) as member:
        while chunk := member.read(64 * 1024):
            total += len(chunk)
            if total > cap:
                raise RejectedFile(UNPACKS_TOO_LARGE)
            chunks.append(chunk)
    return b"".join(chunks)


def display_name(filename: str, content_type: str) -> str:
    """A harmless name to show and to offer on download: no path, no control characters,
    and the extension of what the file really is."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", filename or ""))[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    safe = " ".join(re.sub(r"[^\w .()\-]+", " ", stem).split()).strip(" .-")
    return (safe[:100].rstrip(" .-") or "cv") + EXTENSIONS[content_type]


@dataclass(frozen=True)
class StoredFile:
    key: str
    sha256: str
    size: int


# Relative to VAR_DIR; the privacy registry names the same place for export and erasure.
CV_SUBDIR = "uploads/cv"


def cv_directory() -> Path:
    return get_settings().var_dir / CV_SUBDIR


def _ensure_directory() -> Path:
    directory = cv_directory()
    for level in (directory.parent, directory):
        level.mkdir(mode=0o700, parents=True, exist_ok=True)
        level.chmod(0o700)  # only the app's user may list or read uploads
    return directory


def save(data: bytes) -> StoredFile:
    """Write the bytes under a fresh random name (blocking: call it in a thread)."""
    key = secrets.token_hex(16)
    target = _ensure_directory() / key
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return StoredFile(key, hashlib.sha256(data).hexdigest(), len(data))


def path_of(key: str) -> Path:
    # Keys come from our own rows, but a path is built from them: never let one escape.
    if not _KEY.fullmatch(key):
        raise ValueError("not a storage key")
    return cv_directory() / key


def remove(key: str) -> None:
    path_of(key).unlink(missing_ok=True)
