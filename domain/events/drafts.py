"""What a host types into the event form, checked: pure rules, no I/O.

Times arrive as local wall-clock values in the event's time zone (that is how a host
thinks of "18:30 in Paris") and are stored as UTC instants.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.events.rules import KINDS

QUESTION_KINDS = {"text": "Text", "choice": "Choice", "yes_no": "Yes / no"}
MAX_QUESTIONS = 20
MAX_CHOICES = 20
MAX_DESCRIPTION = 20_000
MAX_OFFER_HOURS = 14 * 24
ZONES = sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC")


@dataclass
class Question:
    key: str
    label: str
    kind: str = "text"
    choices: list[str] = field(default_factory=list)
    required: bool = False

    def as_json(self) -> dict:
        return {"key": self.key, "label": self.label, "kind": self.kind,
                "choices": self.choices, "required": self.required}


@dataclass
class EventDraft:
    title: str
    description: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    venue: str
    join_url: str
    capacity: int | None
    registration_deadline: datetime | None
    offer_hours: int
    communities: list[int]
    habitual_no_shows_waitlisted: bool
    questions: list[Question]


def parse_draft(raw: dict, *, known_communities: set[int]) -> tuple[EventDraft | None,
                                                                  dict[str, str]]:
    """`raw` holds strings (and lists for communities/questions). Returns the draft or
    the per-field errors, keyed by the form's field names."""
    errors: dict[str, str] = {}
    title = _text(raw.get("title"))
    if not title:
        errors["title"] = "Give the event a title."
    elif len(title) > 200:
        errors["title"] = "Use at most 200 characters."
    description = str(raw.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"Use at most {MAX_DESCRIPTION:,} characters."
    kind = str(raw.get("kind") or "")
    if kind not in KINDS:
        errors["kind"] = "Choose virtual, in person or hybrid."
    zone = _zone(str(raw.get("time_zone") or ""), errors)
    starts_at = _local_time(raw.get("starts_at"), zone, "starts_at", errors, required=True)
    ends_at = _local_time(raw.get("ends_at"), zone, "ends_at", errors, required=True)
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = "The end must be after the start."
    elif starts_at and ends_at and ends_at - starts_at > timedelta(days=14):
        errors["ends_at"] = "An event can last at most 14 days."
    deadline = _local_time(raw.get("registration_deadline"), zone, "registration_deadline",
                           errors, required=False)
    if deadline and starts_at and deadline > starts_at:
        errors["registration_deadline"] = "Registration must close before the event starts."
    venue = _text(raw.get("venue"))
    if len(venue) > 200:
        errors["venue"] = "Use at most 200 characters."
    elif kind in ("in_person", "hybrid") and not venue:
        errors["venue"] = "Say where it takes place."
    join_url = str(raw.get("join_url") or "").strip()
    if join_url and not _is_web_link(join_url):
        errors["join_url"] = "Enter a full https:// link."
    elif kind in ("virtual", "hybrid") and not join_url:
        errors["join_url"] = "Give the link people use to join (shown only to registered people)."
    capacity = _whole(raw.get("capacity"), "capacity", errors, low=1, high=100_000,
                      required=False)
    offer_hours = _whole(raw.get("offer_hours") or "48", "offer_hours", errors, low=1,
                         high=MAX_OFFER_HOURS, required=True)
    communities = _communities(raw.get("communities") or [], known_communities, errors)
    questions = _questions(raw.get("questions") or [], errors)
    if errors or zone is None or starts_at is None or ends_at is None or offer_hours is None:
        return None, errors
    return EventDraft(
        title=title, description=description, kind=kind, starts_at=starts_at,
        ends_at=ends_at, time_zone=zone.key, venue=venue, join_url=join_url,
        capacity=capacity, registration_deadline=deadline, offer_hours=offer_hours,
        communities=communities,
        habitual_no_shows_waitlisted=bool(raw.get("habitual_no_shows_waitlisted")),
        questions=questions), {}


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:60].strip("-") or "event"


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


def _zone(name: str, errors: dict[str, str]) -> ZoneInfo | None:
    if name not in ZONES:
        errors["time_zone"] = "Choose a time zone from the list."
        return None
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        errors["time_zone"] = "Choose a time zone from the list."
        return None


def _local_time(value: object, zone: ZoneInfo | None, name: str, errors: dict[str, str], *,
                required: bool) -> datetime | None:
    text = str(value or "").strip()
    if not text:
        if required:
            errors[name] = "Enter a date and time."
        return None
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        errors[name] = "Enter a date and time like 2026-12-10 18:30."
        return None
    if zone is None:
        return None
    return local.replace(tzinfo=zone) if local.tzinfo is None else local


def _is_web_link(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.netloc) and len(url) <= 500 \
        and not any(ch.isspace() for ch in url)


def _whole(value: object, name: str, errors: dict[str, str], *, low: int, high: int,
           required: bool) -> int | None:
    text = str(value or "").strip()
    if not text:
        if required:
            errors[name] = "Enter a number."
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        errors[name] = f"Enter a whole number from {low:,} to {high:,}."
        return None
    return int(text)


def _communities(values: list, known: set[int], errors: dict[str, str]) -> list[int]:
    chosen = {int(v) for v in values if str(v).isdigit()}
    if chosen - known or len(chosen) != len(values):
        errors["communities"] = "Choose communities from the list."
    return sorted(chosen & known)


def _questions(rows: list[dict], errors: dict[str, str]) -> list[Question]:
    """Blank rows are dropped (the form always offers an empty one); keys stay stable so
    answers given before an edit still belong to their question."""
    questions: list[Question] = []
    used: set[str] = set()
    for index, row in enumerate(rows):
        label = _text(row.get("label"))
        if not label:
            continue
        field_name = f"questions-{index}"
        kind = str(row.get("kind") or "text")
        choices = [_text(c) for c in str(row.get("choices") or "").split(",") if _text(c)]
        if kind not in QUESTION_KINDS:
            errors[field_name] = "Choose a kind of answer."
        elif len(label) > 300:
            errors[field_name] = "Use at most 300 characters for a question."
        elif kind == "choice" and not 2 <= len(choices) <= MAX_CHOICES:
            errors[field_name] = f"Give 2 to {MAX_CHOICES} choices, separated by commas."
        key = str(row.get("key") or "")
        if not re.fullmatch(r"q[0-9]{1,4}", key) or key in used:
            key = _next_key(used | {str(r.get("key") or "") for r in rows})
        used.add(key)
        questions.append(Question(key=key, label=label, kind=kind,
                                  choices=choices if kind == "choice" else [],
                                  required=bool(row.get("required"))))
    if len(questions) > MAX_QUESTIONS:
        errors["questions"] = f"Ask at most {MAX_QUESTIONS} questions."
    return questions


def _next_key(used: set[str]) -> str:
    number = 1
    while f"q{number}" in used:
        number += 1
    return f"q{number}"


def answer_problems(questions: list[dict], answers: dict[str, str]) -> tuple[dict[str, str],
                                                                            dict[str, str]]:
    """Check a registrant's answers: (clean answers, errors keyed `answer-<key>`)."""
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for question in questions:
        key, field_name = question["key"], f"answer-{question['key']}"
        value = " ".join(str(answers.get(key) or "").split())
        if not value:
            if question.get("required"):
                errors[field_name] = "Answer this question."
            continue
        if question["kind"] == "choice" and value not in question.get("choices", []):
            errors[field_name] = "Choose one of the options."
        elif question["kind"] == "yes_no" and value not in ("yes", "no"):
            errors[field_name] = "Choose yes or no."
        elif len(value) > 1000:
            errors[field_name] = "Use at most 1,000 characters."
        else:
            clean[key] = value
    return clean, errors
