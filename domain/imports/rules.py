"""Pure rules of a people import: reading the file, guessing the mapping, checking one row.

Row numbers are spreadsheet rows (the header is row 1), so a recruiter finds a reported
row in Excel. A row with a problem is skipped as a whole and reported as (row, column,
reason); the other rows are imported.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from domain.people.rules import (
    InvalidEmail,
    InvalidHint,
    clean_name,
    normalise_email,
    normalise_linkedin,
    normalise_phone,
)
from domain.profiles.rules import COUNTRIES, JOB_FUNCTIONS, SENIORITIES

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
# Rows per transaction (and per progress step). Each batch costs ~20 statements
# whatever its size, so small batches are slow: 10,000 rows took 6.1 s per 30,000
# rows where 2,000 took 8.0 s (B10, measured). A batch is a few seconds of work.
BATCH_ROWS = 10_000
FIRST_BATCH_ROWS = 2_000  # of each run: see service._run
MAX_ERRORS_KEPT = 1_000
PREVIEW_ROWS = 20
MAX_TAGS_PER_ROW = 10

IGNORE = "ignore"
FIELDS: dict[str, str] = {
    IGNORE: "Ignore this column",
    "email": "Email (required)",
    "full_name": "Full name",
    "first_name": "First name",
    "last_name": "Last name",
    "phone": "Phone",
    "linkedin": "LinkedIn URL",
    "headline": "Headline",
    "country": "Country (ISO code, e.g. GB)",
    "city": "City",
    "job_function": "Job function",
    "seniority": "Seniority",
    "skills": "Skills (comma or semicolon separated)",
    "tags": "Tags (comma separated)",
}
_ALIASES: dict[str, set[str]] = {
    "email": {"email", "e mail", "email address", "mail", "work email", "attendee email"},
    "full_name": {"name", "full name", "fullname", "attendee name", "candidate name"},
    "first_name": {"first name", "firstname", "given name", "forename", "first"},
    "last_name": {"last name", "lastname", "surname", "family name", "last"},
    "phone": {"phone", "phone number", "mobile", "telephone", "tel", "cell"},
    "linkedin": {"linkedin", "linkedin url", "linkedin profile", "profile url"},
    "headline": {"headline", "title", "job title", "position", "role"},
    "country": {"country", "country code"},
    "city": {"city", "town", "location"},
    "job_function": {"job function", "function", "department"},
    "seniority": {"seniority", "level", "seniority level"},
    "skills": {"skills", "skill", "expertise"},
    "tags": {"tags", "tag", "labels"},
}

# The lawful basis a batch is imported under; each becomes one ledger entry per person
# (purpose SOURCING). None of them is consent to marketing emails: `can_email` looks
# only at community/event purposes, so imported people are not emailed until they
# confirm themselves (double opt-in).
SOURCING = "sourcing"
LAWFUL_BASES: dict[str, str] = {
    "legitimate_interest": "Legitimate interest: sourced from public professional profiles",
    "consent_given_elsewhere": "Consent given elsewhere: they ticked a box (e.g. at an event)",
}
# Ledger action per basis: only consent actually given is recorded as "given".
BASIS_ACTIONS = {"legitimate_interest": "noted", "consent_given_elsewhere": "given"}
LEGITIMATE_INTEREST_TEXT = (
    "We keep your professional details, found in public profiles or lists, to contact you "
    "about jobs that may interest you (legitimate interest). You can ask us to delete them "
    "at any time.")

SUPPRESSED = "This address asked not to be contacted or was erased: not imported."


class FileRejected(ValueError):
    """The file as a whole cannot be imported; the message suits the upload form."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class PersonRow:
    row: int
    email: str
    full_name: str = ""
    phone: str = ""
    linkedin: str = ""
    headline: str = ""
    country: str = ""
    city: str = ""
    job_function: str = ""
    seniority: str = ""
    skills: str = ""
    tags: list[str] = field(default_factory=list)

    def fill_blanks(self, later: PersonRow) -> None:
        """Same email twice in a file: later non-empty values fill what is still blank."""
        for name in ("full_name", "phone", "linkedin", "headline", "country", "city",
                     "job_function", "seniority", "skills"):
            if not getattr(self, name) and getattr(later, name):
                setattr(self, name, getattr(later, name))
        self.tags = list(dict.fromkeys([*self.tags, *later.tags]))


# -- reading the file ------------------------------------------------------------------

def decode(data: bytes) -> str:
    """UTF-8 with or without a BOM; anything else is refused with a way out."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected("The file is not UTF-8 text. In Excel, save it as "
                           "“CSV UTF-8 (comma delimited)”.") from exc


def sniff_delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def clean_filename(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return clean_name(name, max_length=200) or "people.csv"


def check_upload(data: bytes) -> tuple[list[str], str, int]:
    """(headers, delimiter, data rows) of an acceptable file, else FileRejected."""
    if not data.strip():
        raise FileRejected("That file is empty.")
    if len(data) > MAX_BYTES:
        raise FileRejected(f"The file must be {MAX_BYTES // 1024 // 1024} MB or smaller.")
    if b"\0" in data[:65536] or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRejected("That is not a CSV file. Export the list as CSV (UTF-8).")
    text = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first)
    try:
        headers = [clean_name(h, max_length=80) for h in next(csv.reader([first],
                                                                          delimiter=delimiter))]
    except (csv.Error, StopIteration) as exc:
        raise FileRejected("The first line must be a header row naming the columns.") \
            from exc
    if len(headers) < 1 or not any(headers) or len(set(headers)) != len(headers) or \
            "" in headers:
        raise FileRejected("The first line must be a header row with a distinct name for "
                           "every column.")
    rows = count_rows(text, delimiter)
    if rows < 1:
        raise FileRejected("The file has a header row but no people.")
    if rows > MAX_ROWS:
        raise FileRejected(f"The file has {rows:,} rows; split it into files of at most "
                           f"{MAX_ROWS:,}.")
    return headers, delimiter, rows


def records(text: str, delimiter: str) -> Iterator[list[str]]:
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise FileRejected(f"The file is not valid CSV: {exc}.") from exc


def count_rows(text: str, delimiter: str) -> int:
    """How many rows data_rows yields, without building them."""
    return sum(1 for number, cells in enumerate(records(text, delimiter), start=1)
               if number > 1 and any(cell.strip() for cell in cells))


def data_rows(text: str, delimiter: str,
              headers: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {header: cell}) for every row after the header; blank
    lines are not rows (but count in the numbering, as in a spreadsheet)."""
    for number, cells in enumerate(records(text, delimiter), start=1):
        if number == 1:
            continue
        if not any(cell.strip() for cell in cells):
            continue
        yield number, dict(zip(headers, cells, strict=False))


# -- mapping ---------------------------------------------------------------------------

def _key(header: str) -> str:
    return " ".join(re.sub(r"[_\-.]+", " ", header.casefold()).split())


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Each column's likely field by its name; each field at most once, the rest ignored."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        key = _key(header)
        found = next((name for name, aliases in _ALIASES.items()
                      if name not in taken and key in aliases), IGNORE)
        if found != IGNORE:
            taken.add(found)
        mapping[header] = found
    return mapping


def check_mapping(mapping: dict[str, str]) -> list[str]:
    """Problems with a mapping, in words for the form; empty when it can be imported."""
    problems = []
    used = [field_ for field_ in mapping.values() if field_ != IGNORE]
    if any(field_ not in FIELDS for field_ in used):
        problems.append("Choose a field from the list for every column.")
    if "email" not in used:
        problems.append("Map one column to Email: it is how people are recognised.")
    doubled = sorted({f for f in used if used.count(f) > 1})
    if doubled:
        problems.append("Map each field to one column only: "
                        + ", ".join(FIELDS.get(f, f) for f in doubled) + ".")
    return problems


# -- one row ---------------------------------------------------------------------------

_FAST_LOCAL = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*")


@lru_cache(maxsize=20_000)
def _domain(domain: str) -> str | None:
    try:
        return normalise_email(f"x@{domain}").split("@", 1)[1]
    except InvalidEmail:
        return None


def fast_email(raw: str) -> str:
    """normalise_email with a shortcut for plain ASCII addresses: the domain is checked
    once per distinct domain (cached), the local part by a dot-atom pattern. Anything
    unusual goes through the full check; the results are the same (unit-tested)."""
    text = raw.strip()
    local, at, domain = text.rpartition("@")
    if at and len(text) <= 254 and len(local) <= 64 and _FAST_LOCAL.fullmatch(local):
        checked = _domain(domain)
        if checked is not None:
            return f"{local.lower()}@{checked}"
    return normalise_email(text)


def _clean(raw: str, max_length: int = 200) -> str:
    """clean_name, with a shortcut for the usual plain ASCII text (same result)."""
    if raw.isascii() and raw.isprintable() and "  " not in raw:
        return raw.strip()[:max_length]
    return clean_name(raw, max_length=max_length)


@lru_cache(maxsize=1_000)
def _choice(value: str, choices: tuple[tuple[str, str], ...]) -> str | None:
    wanted = _key(value)
    for key, label in choices:
        if wanted in (_key(key), _key(label)):
            return key
    return None


def parse_row(number: int, cells: dict[str, str],
              mapping: dict[str, str]) -> tuple[PersonRow | None, list[RowError]]:
    """One row as it will be imported, or None and the reasons it will be skipped."""
    return RowParser(mapping)(number, cells)


class RowParser:
    """parse_row for one mapping, with what every row shares worked out once: which
    column holds which field, and (for the run of one file) the phone numbers and
    choices already read. A file often repeats a switchboard number or a level; each
    distinct value is checked once. The caches live as long as the parser (one run),
    so no personal data outlives the import."""

    MAX_CACHED = 100_000

    def __init__(self, mapping: dict[str, str]) -> None:
        # As by_field did: a field mapped twice (check_mapping refuses it) takes the
        # last column.
        self.columns = {f: col for col, f in mapping.items() if f != IGNORE}
        self.phones: dict[str, tuple[str, str]] = {}

    def _phone(self, raw: str) -> tuple[str, str]:
        """(E.164 or '', the error message or '') of normalise_phone, once per value."""
        found = self.phones.get(raw)
        if found is None:
            try:
                found = (normalise_phone(raw), "")
            except InvalidHint as exc:
                found = ("", str(exc))
            if len(self.phones) < self.MAX_CACHED:
                self.phones[raw] = found
        return found

    def __call__(self, number: int,
                 cells: dict[str, str]) -> tuple[PersonRow | None, list[RowError]]:
        columns = self.columns
        get = cells.get
        value = {f: (get(col) or "").strip() for f, col in columns.items()}.get
        errors: list[RowError] = []
        raw = value("email", "")
        try:
            email = fast_email(raw)
        except InvalidEmail as exc:
            errors.append(RowError(number, columns.get("email", "email"),
                                   "no email address" if not raw else str(exc)))
            email = ""
        person = PersonRow(number, email)
        person.full_name = _clean(value("full_name", "")) or _clean(
            f"{value('first_name', '')} {value('last_name', '')}")
        person.headline = _clean(value("headline", ""), max_length=200)
        person.city = _clean(value("city", ""), max_length=120)
        person.skills = value("skills", "")[:2000]
        person.linkedin = normalise_linkedin(value("linkedin", ""))
        raw = value("phone", "")
        if raw:
            person.phone, problem = self._phone(raw)
            if problem:
                errors.append(RowError(number, columns.get("phone", ""), problem))
        _check_codes(person, value, columns, errors)
        raw = value("tags", "")
        tags = list(dict.fromkeys(" ".join(t.split()) for t in raw.split(",") if t.strip())) \
            if raw else []
        if any(len(t) > 60 for t in tags) or len(tags) > MAX_TAGS_PER_ROW:
            errors.append(RowError(number, columns.get("tags", ""),
                                   "At most 10 tags of 60 characters each."))
        person.tags = tags
        return (None, errors) if errors else (person, [])


def _check_codes(person: PersonRow, value: Callable[[str, str], str],
                 columns: dict[str, str], errors: list[RowError]) -> None:
    raw = value("country", "")
    if raw:
        code = _country(raw)
        if code:
            person.country = code
        else:
            errors.append(RowError(person.row, columns.get("country", ""),
                                   "Not a country (use a code like GB)."))
    for name, choices in (("job_function", JOB_FUNCTIONS), ("seniority", SENIORITIES)):
        raw = value(name, "")
        if raw:
            found = _choice(raw, choices)
            if found is None:
                errors.append(RowError(person.row, columns.get(name, ""),
                                       f"Unknown {name.replace('_', ' ')} “{raw[:40]}”."))
            else:
                setattr(person, name, found)


@lru_cache(maxsize=1_000)
def _country(raw: str) -> str:
    """The ISO code of a code or an English country name (any case), '' when unknown.
    Cached: a file names a few dozen countries at most, and the values are not personal."""
    upper = raw.upper()
    if upper in COUNTRIES:
        return upper
    return next((c for c, name in COUNTRIES.items() if name.casefold() == raw.casefold()), "")
