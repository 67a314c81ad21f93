"""The event form as posted: strings in, the raw dict `domain.events.drafts` checks.

Questions arrive as numbered fields (questions-0-label, questions-0-kind, …); the form
always offers one empty row, and "Add another question" re-renders with one more.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from litestar.datastructures import FormMultiDict

from domain.events.drafts import MAX_QUESTIONS

_FIELDS = ("title", "description", "kind", "starts_at", "ends_at", "time_zone", "venue",
           "join_url", "capacity", "registration_deadline", "offer_hours")


def raw_event(form: FormMultiDict) -> dict:
    raw: dict = {name: str(form.get(name, ""))[:25_000] for name in _FIELDS}
    raw["communities"] = [str(value) for value in form.getall("communities", [])][:100]
    raw["habitual_no_shows_waitlisted"] = form.get("habitual_no_shows_waitlisted") == "yes"
    count = str(form.get("question_rows", "0"))
    rows = int(count) if count.isdigit() else 0
    raw["questions"] = [
        {part: str(form.get(f"questions-{index}-{part}", ""))[:2000]
         for part in ("key", "label", "kind", "choices")}
        | {"required": form.get(f"questions-{index}-required") == "yes"}
        for index in range(min(rows, MAX_QUESTIONS + 5))
    ]
    return raw


def form_values(event: dict) -> dict:
    """An existing event as the form shows it: local wall-clock times in its zone."""
    zone = ZoneInfo(event["time_zone"] or "UTC")

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if moment else ""

    return {
        **{name: event.get(name) or "" for name in _FIELDS},
        "starts_at": local(event["starts_at"]), "ends_at": local(event["ends_at"]),
        "registration_deadline": local(event.get("registration_deadline")),
        "capacity": "" if event.get("capacity") is None else str(event["capacity"]),
        "offer_hours": str(event.get("offer_hours") or 48),
        "communities": [str(c) for c in event.get("communities") or []],
        "habitual_no_shows_waitlisted": bool(event.get("habitual_no_shows_waitlisted")),
        "questions": [{**q, "choices": ", ".join(q.get("choices") or [])}
                      for q in event.get("questions") or []],
    }


def new_event_values(now: datetime, time_zone: str = "UTC") -> dict:
    """Sensible defaults: two weeks ahead at 18:00 for two hours, in person."""
    zone = ZoneInfo(time_zone)
    start = (now.astimezone(zone) + timedelta(days=14)).replace(hour=18, minute=0, second=0,
                                                                microsecond=0)
    return {"title": "", "description": "", "kind": "in_person", "time_zone": time_zone,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "registration_deadline": "", "venue": "", "join_url": "", "capacity": "",
            "offer_hours": "48", "communities": [], "habitual_no_shows_waitlisted": False,
            "questions": []}


def with_blank_question(values: dict, extra: int = 1) -> dict:
    questions = list(values.get("questions") or [])
    questions += [{"key": "", "label": "", "kind": "text", "choices": "", "required": False}
                  for _ in range(extra)]
    return {**values, "questions": questions}
