"""Demo marketing templates: a community newsletter and an event invitation, checked by
the same validation as the back-office form (domain.campaigns.templates.parse)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.campaigns import templates as marketing

AUTHOR = "marketing@demo.local"
_FOOTER = ('<p>{{ recruiter_signature }}</p>'
           '<p><a href="{{ preferences_url }}">Email preferences</a> · '
           '<a href="{{ unsubscribe_url }}">Unsubscribe</a></p><p>{{ postal_address }}</p>')
TEMPLATES = (
    {"name": "Community newsletter", "purpose": "community_emails",
     "description": "Monthly news for a talent community.",
     "subject": "{% if community %}{{ community }}: {% endif %}news for {{ first_name }}",
     "html_body": ("<h1>Hi {{ first_name }},</h1>"
                   "<p>Here is what happened in {{ community or 'our community' }} "
                   "this month.</p><ul><li>Two new meetups</li><li>Open roles for people "
                   "who know {{ skills or 'their craft' }}</li></ul>" + _FOOTER)},
    {"name": "Event invitation", "purpose": "event_emails",
     "description": "Invite people to an event (the campaign chooses the event).",
     "subject": "You're invited: {{ event_title }}",
     "html_body": ("<p>Hi {{ first_name }},</p><p>We would love to see you at "
                   "<strong>{{ event_title }}</strong>.</p>" + _FOOTER)},
)


async def write(conn: Any, *, now: datetime) -> int:
    """Insert the demo templates that are not there yet; returns how many were new."""
    count = 0
    for raw in TEMPLATES:
        draft = marketing.parse(raw)
        count += len(await conn.fetch(
            "INSERT INTO marketing_templates (name, description, purpose, subject, html_body, "
            "text_body, text_is_custom, version, created_by, created_at, updated_by, "
            "updated_at) VALUES ($1, $2, $3, $4, $5, '', false, 1, $6, $7, $6, $7) "
            "ON CONFLICT (name) DO NOTHING RETURNING id", draft.name, draft.description,
            draft.purpose, draft.subject, draft.html_body, AUTHOR, now))
    return count
