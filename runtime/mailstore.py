"""Reading what the development mail sink stored: list, find and parse messages.

The Maildir is written by runtime.mailsink.MailSink; the back office's Mail outbox and the
tests read it through MailStore. Keys are validated, so a URL can never name a path.
"""

from __future__ import annotations

import builtins
import email.utils
import mailbox
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from pathlib import Path
from typing import Any, NamedTuple

ENVELOPE_HEADER = "X-Envelope-To"


def open_maildir(path: Path) -> mailbox.Maildir:
    # mailbox.Maildir(create=True) only creates tmp/new/cur when the directory itself is
    # missing; an existing empty directory (made by hand, or by a volume mount) would
    # fail on the first delivery.
    for sub in ("", "tmp", "new", "cur"):
        (path / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
    return mailbox.Maildir(path, factory=None, create=False)


class Attachment(NamedTuple):
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class StoredMessageSummary:
    key: str
    subject: str
    from_: str
    to: str
    date: datetime  # Date header (timezone-aware); the receive time when absent/invalid
    size: int  # bytes on disk
    envelope_to: tuple[str, ...]  # SMTP recipients, Bcc included


@dataclass(frozen=True)
class StoredMessage(StoredMessageSummary):
    headers: list[tuple[str, str]]
    text_body: str | None
    html_body: str | None
    raw: bytes  # as stored: our X-Envelope-To line, then the bytes received
    attachments: list[Attachment]


# Names mailbox.Maildir generates: "<secs>.M<usecs>P<pid>Q<n>.<host>" where the host has
# "/" and ":" escaped as "\057" and "\072". No slash can pass, so no path can be formed.
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\\-]{0,250}$")
_KEY_TIME = re.compile(r"^(\d+)\.M(\d+)P\d+Q(\d+)\.")


class MailStore:
    """Read access to the sink's Maildir, newest message first."""

    def __init__(self, maildir: Path):
        self.maildir = Path(maildir)
        self._box = open_maildir(self.maildir)
        # mailbox.Maildir caches its table of contents; web handlers may share one store
        # across threads.
        self._lock = threading.Lock()
        self._parser = BytesParser(policy=policy.default)

    def count(self) -> int:
        with self._lock:
            return len(self._box)

    def list(self, limit: int = 50, offset: int = 0) -> list[StoredMessageSummary]:
        keys = self._keys_newest_first()[max(offset, 0) : max(offset, 0) + max(limit, 0)]
        summaries = (self._summary(key, raw) for key, raw in self._read_many(keys))
        return list(summaries)

    def get(self, key: str) -> StoredMessage | None:
        """The message stored under `key`; None for unknown or malformed keys."""
        if not isinstance(key, str) or not _KEY.match(key):
            return None
        raw = self._read(key)
        return None if raw is None else self._full(key, raw)

    def find(self, to: str, subject_contains: str | None = None) -> builtins.list[StoredMessage]:
        """Messages for address `to` (envelope, To or Cc), newest first.

        Address and subject match case-insensitively; the subject by substring.
        """
        wanted = (email.utils.parseaddr(to)[1] or to).strip().casefold()
        needle = subject_contains.casefold() if subject_contains is not None else None
        found = []
        for key, raw in self._read_many(self._keys_newest_first()):
            headers = self._parse(raw, headers_only=True)
            if needle is not None and needle not in _header_text(headers, "Subject").casefold():
                continue
            if wanted in _recipients(headers):
                found.append(self._full(key, raw))
        return found

    def clear(self) -> None:
        with self._lock:
            for key in list(self._box.keys()):
                self._box.discard(key)

    # -- internals -------------------------------------------------------------------------

    def _keys_newest_first(self) -> builtins.list[str]:
        with self._lock:
            keys = list(self._box.keys())
        return sorted(keys, key=self._received_sort_key, reverse=True)

    def _received_sort_key(self, key: str) -> tuple[int, int, int, str]:
        # Receive order comes from the key (seconds, microseconds, per-process counter),
        # not from the Date header, which the sender sets.
        match = _KEY_TIME.match(key)
        if match is not None:
            return int(match[1]), int(match[2]), int(match[3]), key
        return int(self._mtime(key)), 0, 0, key

    def _mtime(self, key: str) -> float:
        # Files dropped into the Maildir by other tools have arbitrary names.
        # A MaildirMessage's date is its file's modification time.
        try:
            with self._lock:
                return float(self._box.get_message(key).get_date())
        except (KeyError, OSError):
            return 0.0

    def _received_at(self, key: str) -> datetime:
        match = _KEY_TIME.match(key)
        if match is not None:
            return datetime.fromtimestamp(int(match[1]) + int(match[2]) / 1e6, tz=UTC)
        return datetime.fromtimestamp(self._mtime(key), tz=UTC)

    def _read(self, key: str) -> bytes | None:
        try:
            with self._lock:
                return self._box.get_bytes(key)
        except (KeyError, OSError):
            # KeyError: not in the Maildir listing (how a forged key ends);
            # OSError: deleted between listing and reading.
            return None

    def _read_many(self, keys: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        for key in keys:
            raw = self._read(key)
            if raw is not None:
                yield key, raw

    def _parse(self, raw: bytes, *, headers_only: bool) -> EmailMessage:
        message = self._parser.parsebytes(raw, headersonly=headers_only)
        assert isinstance(message, EmailMessage)
        return message

    def _summary(self, key: str, raw: bytes) -> StoredMessageSummary:
        message = self._parse(raw, headers_only=True)
        return StoredMessageSummary(**self._summary_fields(key, raw, message))

    def _summary_fields(self, key: str, raw: bytes, message: EmailMessage) -> dict[str, Any]:
        envelope = _addresses(_header_values(message, ENVELOPE_HEADER))
        return {
            "key": key,
            "subject": _header_text(message, "Subject"),
            "from_": _header_text(message, "From"),
            "to": _header_text(message, "To"),
            "date": _header_date(message) or self._received_at(key),
            "size": len(raw),
            "envelope_to": tuple(envelope),
        }

    def _full(self, key: str, raw: bytes) -> StoredMessage:
        message = self._parse(raw, headers_only=False)
        text_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
        return StoredMessage(
            **self._summary_fields(key, raw, message),
            headers=_decoded_headers(message),
            text_body=_text_content(text_part),
            html_body=_text_content(html_part),
            raw=raw,
            attachments=list(_attachments(message, skip=(text_part, html_part))),
        )


def _decoded_headers(message: EmailMessage) -> list[tuple[str, str]]:
    """(name, decoded value) pairs in order; undecodable values are kept as received.

    policy.default decodes RFC 2047 words and parses addresses when a value is fetched;
    a header broken badly enough to make that raise must not hide the whole message.
    """
    headers = []
    for name, raw_value in message.raw_items():
        try:
            value = str(message.policy.header_fetch_parse(name, raw_value))
        except Exception:  # any parse failure: show the value as received
            value = str(raw_value)
        headers.append((name, value))
    return headers


def _header_values(message: EmailMessage, name: str) -> list[str]:
    wanted = name.lower()
    return [value for key, value in _decoded_headers(message) if key.lower() == wanted]


def _header_text(message: EmailMessage, name: str) -> str:
    values = _header_values(message, name)
    return values[0] if values else ""


def _header_date(message: EmailMessage) -> datetime | None:
    value = _header_text(message, "Date")
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" (zone unknown) parses naive; UTC keeps all dates comparable.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _addresses(header_values: Sequence[str]) -> list[str]:
    pairs = email.utils.getaddresses(list(header_values))
    return [address for _name, address in pairs if address]


def _recipients(message: EmailMessage) -> set[str]:
    """Casefolded addresses from the envelope (Bcc included), To and Cc."""
    values = [
        *_header_values(message, ENVELOPE_HEADER),
        *_header_values(message, "To"),
        *_header_values(message, "Cc"),
    ]
    return {address.casefold() for address in _addresses(values)}


def _text_content(part: MIMEPart | None) -> str | None:
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        # Unknown or lying charset: show the bytes as well as we can.
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else None
    if not isinstance(content, str):
        return None
    # SMTP transports lines as CRLF; readers (templates, test assertions) expect "\n".
    return content.replace("\r\n", "\n")


def _attachments(message: EmailMessage, *, skip: Sequence[MIMEPart | None]) -> Iterator[Attachment]:
    for part in message.walk():
        if part.is_multipart() or any(part is body for body in skip):
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if (
            filename is None
            and disposition != "attachment"
            and part.get_content_maintype() == "text"
        ):
            continue  # an alternative text part, not a file
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        yield Attachment(filename or "", part.get_content_type(), size)


# -- standalone -------------------------------------------------------------------------


