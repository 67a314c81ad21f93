"""Who on the team contacted a person recently, so a colleague does not reach out twice.

Definition: a staff member "contacted" a person when, within the last RECENT_DAYS days,
  - they scheduled an interview for one of the person's applications
    (interviews.created_at, by interviews.created_by), or
  - an offer they prepared was sent to the person (offers.sent_at, by offers.created_by),
  - or the audit log records them emailing the person: an entry whose action is one of
    EMAIL_ACTIONS (or ends in ".emailed" / ".email_sent") with subject "person:<id>" or
    "application:<id>" of one of the person's applications, or a pipeline bulk email
    ("application.bulk_email", subject "requisition:<id>") whose detail lists one of them.
Event host messages go to every registrant of an event, so they are not a personal
contact and are left out. Every branch reads by an index (applications.person,
interviews_application, offers_application, audit_subject_idx on the person's,
applications' and requisitions' subjects) and the window is bounded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.db import fetch

RECENT_DAYS = 14
EMAIL_ACTIONS = ("application.emailed", "person.emailed", "pipeline.email_sent")

_VERBS = {"interview": "scheduled an interview with them", "offer": "sent them an offer",
          "email": "emailed them"}


async def recent(person_id: int, now: datetime, *, excluding: str = "") -> list[dict]:
    """The latest contact per staff member other than `excluding` (an email), newest
    first, with `text` like "Priya Patel (priya@…) emailed them 3 days ago"."""
    since = now - timedelta(days=RECENT_DAYS)
    rows = await fetch(
        "WITH apps AS (SELECT id FROM applications WHERE person = $1), "
        "touches AS ("
        " SELECT i.created_by AS actor, i.created_at AS at, 'interview' AS kind "
        " FROM interviews i WHERE i.application IN (SELECT id FROM apps) AND i.created_at >= $2"
        " UNION ALL SELECT o.created_by, o.sent_at, 'offer' FROM offers o "
        " WHERE o.application IN (SELECT id FROM apps) AND o.sent_at >= $2"
        " UNION ALL SELECT e.actor, e.occurred_at, 'email' FROM audit_entries e "
        " WHERE e.subject = ANY(ARRAY['person:' || $1::text] || "
        "   ARRAY(SELECT 'application:' || id::text FROM apps)) AND e.occurred_at >= $2 "
        "   AND (e.action = ANY($4::text[]) OR e.action LIKE '%.emailed' "
        "        OR e.action LIKE '%.email_sent')"
        " UNION ALL SELECT e.actor, e.occurred_at, 'email' FROM applications a "
        " JOIN audit_entries e ON e.subject = 'requisition:' || a.requisition::text "
        " WHERE a.person = $1 AND e.action = 'application.bulk_email' "
        "   AND e.occurred_at >= $2 AND e.detail -> 'applications' @> to_jsonb(a.id)) "
        "SELECT DISTINCT ON (lower(t.actor)) t.actor, t.at, t.kind, s.full_name "
        "FROM touches t LEFT JOIN staff_users s ON lower(s.email) = lower(t.actor) "
        "WHERE t.actor <> '' AND lower(t.actor) <> lower($3) AND t.at <= $5 "
        "ORDER BY lower(t.actor), t.at DESC",
        person_id, since, excluding, list(EMAIL_ACTIONS), now)
    rows.sort(key=lambda row: row["at"], reverse=True)
    return [dict(row, text=_text(row, now), actor_key=row["actor"].lower()) for row in rows]


def _ago(at: datetime, now: datetime) -> str:
    days = (now - at).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


def _text(row: dict, now: datetime) -> str:
    who = f"{row['full_name']} ({row['actor']})" if row["full_name"] else row["actor"]
    return f"{who} {_VERBS.get(row['kind'], 'contacted them')} {_ago(row['at'], now)}"
