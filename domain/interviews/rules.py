"""What a recruiter types into the interview and scorecard forms, checked: pure, no I/O.

Times arrive as local wall-clock values in a chosen time zone (as in the event form,
`domain.events.drafts`) and are kept as UTC instants; an interview either has one fixed
time or 2-10 slots the candidate chooses from through a signed link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import mean

from domain.events.drafts import ZONES, _is_web_link, _local_time, _text, _zone

MIN_SLOTS, MAX_SLOTS = 2, 10
MAX_PANEL = 10
DURATIONS = (15, 30, 45, 60, 90, 120, 180, 240)
RATINGS = {1: "Strong no", 2: "No", 3: "Yes", 4: "Strong yes"}
RECOMMENDATIONS = {"strong_no": "Strong no", "no": "No", "yes": "Yes",
                   "strong_yes": "Strong yes"}
MAX_NOTES = 5000
TIME_ZONES = ZONES


@dataclass(frozen=True)
class InterviewDraft:
    title: str
    panelists: list[int]
    duration_minutes: int
    time_zone: str
    location: str
    join_url: str
    starts_at: datetime | None  # a fixed time, or None when slots are offered
    slots: list[datetime]

    @property
    def status(self) -> str:
        return "scheduled" if self.starts_at else "proposed"

    @property
    def ends_at(self) -> datetime | None:
        return self.starts_at + timedelta(minutes=self.duration_minutes) \
            if self.starts_at else None


def parse_interview(raw: dict, *, staff_by_email: dict[str, int],
                    now: datetime) -> tuple[InterviewDraft | None, dict[str, str]]:
    """`raw` holds strings, `slots` a list of strings; `staff_by_email` the people who may
    sit on the panel. Returns the draft or the errors keyed by the form's field names."""
    errors: dict[str, str] = {}
    title = _text(raw.get("title"))
    if not title:
        errors["title"] = "Give the interview a title."
    elif len(title) > 200:
        errors["title"] = "Use at most 200 characters."
    panelists = _panelists(raw.get("panelists"), staff_by_email, errors)
    duration = _duration(raw.get("duration_minutes"), errors)
    zone = _zone(str(raw.get("time_zone") or ""), errors)
    location = _text(raw.get("location"))
    join_url = str(raw.get("join_url") or "").strip()
    if len(location) > 200:
        errors["location"] = "Use at most 200 characters."
    if join_url and not _is_web_link(join_url):
        errors["join_url"] = "Enter a full https:// link."
    if not location and not join_url and "location" not in errors:
        errors["location"] = "Say where it takes place, or give a join link."
    starts_at, slots = _times(raw, zone, now, errors)
    if errors or zone is None or duration is None:
        return None, errors
    return InterviewDraft(title=title, panelists=panelists, duration_minutes=duration,
                          time_zone=zone.key, location=location, join_url=join_url,
                          starts_at=starts_at, slots=slots), {}


def parse_new_time(raw: dict, *, now: datetime) -> tuple[tuple[datetime, str] | None,
                                                        dict[str, str]]:
    """A reschedule: a new fixed start in a chosen zone."""
    errors: dict[str, str] = {}
    zone = _zone(str(raw.get("time_zone") or ""), errors)
    start = _local_time(raw.get("starts_at"), zone, "starts_at", errors, required=True)
    if start and start <= now:
        errors["starts_at"] = "Choose a time in the future."
    if errors or zone is None or start is None:
        return None, errors
    return (start, zone.key), {}


def parse_new_slots(raw: dict, *, now: datetime) -> tuple[tuple[list[datetime], str] | None,
                                                        dict[str, str]]:
    """A reschedule by offering the candidate new times to choose from."""
    errors: dict[str, str] = {}
    zone = _zone(str(raw.get("time_zone") or ""), errors)
    _, slots = _times({**raw, "mode": "slots"}, zone, now, errors)
    if errors or zone is None:
        return None, errors
    return (slots, zone.key), {}


def _panelists(value: object, staff_by_email: dict[str, int],
               errors: dict[str, str]) -> list[int]:
    emails = value if isinstance(value, list) else str(value or "").replace(";", ",").split(",")
    chosen = [str(email).strip().lower() for email in emails if str(email).strip()]
    unknown = [email for email in chosen if email not in staff_by_email]
    if not chosen:
        errors["panelists"] = "Choose at least one interviewer."
    elif unknown:
        errors["panelists"] = (f"Not on the hiring team or an active recruiter or hiring "
                               f"manager: {', '.join(unknown[:3])}.")
    elif len(set(chosen)) > MAX_PANEL:
        errors["panelists"] = f"Choose at most {MAX_PANEL} interviewers."
    return sorted({staff_by_email[email] for email in chosen if email in staff_by_email})


def _duration(value: object, errors: dict[str, str]) -> int | None:
    text = str(value or "").strip()
    if not text.isdigit() or int(text) not in DURATIONS:
        errors["duration_minutes"] = "Choose a duration from the list."
        return None
    return int(text)


def _times(raw: dict, zone, now: datetime,
           errors: dict[str, str]) -> tuple[datetime | None, list[datetime]]:
    if raw.get("mode") == "slots":
        values = [v for v in raw.get("slots") or [] if str(v).strip()]
        slots = [_local_time(v, zone, "slots", errors, required=True) for v in values]
        found = sorted({slot for slot in slots if slot is not None})
        if "slots" in errors:
            return None, []
        if not MIN_SLOTS <= len(found) <= MAX_SLOTS or len(found) != len(values):
            errors["slots"] = f"Offer {MIN_SLOTS} to {MAX_SLOTS} different times."
        elif found[0] <= now:
            errors["slots"] = "Offer times in the future."
        return None, found
    if raw.get("mode") != "fixed":
        errors["mode"] = "Choose a fixed time or times for the candidate to pick from."
        return None, []
    start = _local_time(raw.get("starts_at"), zone, "starts_at", errors, required=True)
    if start and start <= now:
        errors["starts_at"] = "Choose a time in the future."
    return start, []


@dataclass(frozen=True)
class ScorecardDraft:
    ratings: dict[str, tuple[int, str]]  # attribute → (rating 1-4, note)
    recommendation: str
    notes: str
    submit: bool


def parse_scorecard(raw: dict, attributes: list[str]) -> tuple[ScorecardDraft | None,
                                                                dict[str, str]]:
    """A draft may be partial; submitting needs every attribute rated and a
    recommendation. Fields: `rating-<i>`, `note-<i>` (i = attribute's position)."""
    errors: dict[str, str] = {}
    submit = raw.get("action") == "submit"
    ratings: dict[str, tuple[int, str]] = {}
    for index, attribute in enumerate(attributes):
        value = str(raw.get(f"rating-{index}") or "").strip()
        note = str(raw.get(f"note-{index}") or "").strip()
        if len(note) > 1000:
            errors[f"note-{index}"] = "Use at most 1,000 characters."
        if value in {"1", "2", "3", "4"}:
            ratings[attribute] = (int(value), note)
        elif value:
            errors[f"rating-{index}"] = "Rate from 1 to 4."
        elif submit:
            errors[f"rating-{index}"] = f"Rate {attribute} before submitting."
    recommendation = str(raw.get("recommendation") or "")
    if recommendation and recommendation not in RECOMMENDATIONS:
        errors["recommendation"] = "Choose a recommendation from the list."
    elif submit and not recommendation:
        errors["recommendation"] = "Choose an overall recommendation before submitting."
    notes = str(raw.get("notes") or "").strip()
    if len(notes) > MAX_NOTES:
        errors["notes"] = f"Use at most {MAX_NOTES:,} characters."
    if errors:
        return None, errors
    return ScorecardDraft(ratings=ratings, recommendation=recommendation, notes=notes,
                          submit=submit), {}


def others_visible(my_status: str | None) -> bool:
    """Others' scores stay hidden until one has submitted one's own, so nobody anchors
    on a colleague's judgement."""
    return my_status == "submitted"


def average(ratings: list[int]) -> float | None:
    return round(mean(ratings), 2) if ratings else None


def subject(interview_id: int) -> str:
    return f"interview:{interview_id}"


def interview_id(subject_text: str) -> int | None:
    kind, _, number = subject_text.partition(":")
    return int(number) if kind == "interview" and number.isdigit() else None
