"""Offers without I/O: the state machine and the checks on what a recruiter types.

status: draft → pending_approval → approved → sent → accepted | declined | withdrawn |
expired. An edit in pending_approval or approved returns the offer to draft, because the
approver approved the terms they saw, not the new ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

CURRENCIES = ("EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CAD", "AUD")
PERIODS = {"year": "per year", "month": "per month", "hour": "per hour"}
MAX_LETTER = 20000
MAX_SALARY = 100_000_000

EDITABLE = ("draft", "pending_approval", "approved")
FINAL = ("accepted", "declined", "withdrawn", "expired")
# Action → (statuses it starts from, status it leads to).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (("draft",), "pending_approval"),
    "approve": (("pending_approval",), "approved"),
    "reject": (("pending_approval",), "draft"),
    "send": (("approved",), "sent"),
    "accept": (("sent",), "accepted"),
    "decline": (("sent",), "declined"),
    "withdraw": (("sent",), "withdrawn"),
    "expire": (("sent",), "expired"),
}
AUTHOR_CANNOT_APPROVE = ("You wrote this offer, so someone else must approve it: "
                         "approval is a second person's check.")


def next_status(action: str, status: str) -> str | None:
    """The status after `action`, or None when the action does not apply to `status`."""
    sources, target = TRANSITIONS[action]
    return target if status in sources else None


def refusal(action: str, status: str) -> str:
    label = status.replace("_", " ")
    return f"This offer is {label}; it cannot be {_PAST[action]} now."


_PAST = {"submit": "submitted for approval", "approve": "approved",
         "reject": "sent back", "send": "sent", "accept": "accepted",
         "decline": "declined", "withdraw": "withdrawn", "expire": "expired"}


def may_approve(author: str, approver: str) -> bool:
    return author.strip().lower() != approver.strip().lower()


# The zone whose midnight ends a response deadline day. Settings have no company time
# zone, so it is UTC (the same everywhere an offer's deadline is checked).
COMPANY_TIME_ZONE = "UTC"


def deadline_today(now: datetime, zone: str = COMPANY_TIME_ZONE) -> date:
    """Today's date where deadlines are counted."""
    return now.astimezone(ZoneInfo(zone)).date()


def is_past_deadline(expires_on: date | None, today: date) -> bool:
    """The deadline day itself still counts: the candidate may answer until its end."""
    return expires_on is not None and today > expires_on


@dataclass(frozen=True)
class OfferDraft:
    title: str
    salary: int
    salary_currency: str
    salary_period: str
    start_date: date
    expires_on: date
    letter: str


def _date(raw: object, field: str, errors: dict[str, str]) -> date | None:
    text = str(raw or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = "Give a date (YYYY-MM-DD)."
        return None


def parse_offer(raw: dict, *, today: date) -> tuple[OfferDraft | None, dict[str, str]]:
    """`raw` holds the form's strings. Returns the draft or errors by field name."""
    errors: dict[str, str] = {}
    title = " ".join(str(raw.get("title") or "").split())
    if not title:
        errors["title"] = "Give the position's title."
    elif len(title) > 200:
        errors["title"] = "Use at most 200 characters."
    salary_text = str(raw.get("salary") or "").replace(",", "").replace(" ", "")
    salary = int(salary_text) if salary_text.isdigit() and len(salary_text) <= 9 else 0
    if not 0 < salary <= MAX_SALARY:
        errors["salary"] = "Give the salary as a whole number above zero."
    currency = str(raw.get("salary_currency") or "").strip().upper()
    if currency not in CURRENCIES:
        errors["salary_currency"] = "Choose a currency from the list."
    period = str(raw.get("salary_period") or "").strip()
    if period not in PERIODS:
        errors["salary_period"] = "Choose a period from the list."
    start = _date(raw.get("start_date"), "start_date", errors)
    expires = _date(raw.get("expires_on"), "expires_on", errors)
    if expires and expires < today:
        errors["expires_on"] = "The response deadline cannot be in the past."
    if start and expires and start < expires:
        errors["start_date"] = "The start date must be on or after the response deadline."
    letter = str(raw.get("letter") or "").replace("\r\n", "\n").strip()
    if not letter:
        errors["letter"] = "Write the offer letter."
    elif len(letter) > MAX_LETTER:
        errors["letter"] = f"Use at most {MAX_LETTER} characters."
    if errors or start is None or expires is None:
        return None, errors
    return OfferDraft(title, salary, currency, period, start, expires, letter), {}


def salary_text(salary: int | None, currency: str, period: str) -> str:
    if not salary:
        return ""
    return f"{salary:,} {currency} {PERIODS.get(period, period)}"


def subject(offer_id: int) -> str:
    return f"offer:{offer_id}"


def offer_id(subject_text: str) -> int | None:
    kind, _, value = subject_text.partition(":")
    return int(value) if kind == "offer" and value.isdigit() and len(value) <= 12 else None
