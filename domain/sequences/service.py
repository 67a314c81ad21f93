"""Enrolment lifecycle actions a person or another context triggers one at a time:
pause on reply, resume, exit. The scheduler (scheduler.py) moves enrolments set-based."""

from __future__ import annotations

from datetime import datetime

from domain.audit import service as audit
from domain.db import fetch, transaction


async def pause_for_reply(person_id: int, *, send_id: int | None, at: datetime) -> int:
    """A reply from the person was matched (by the tracking context): pause their active
    enrolments so no further step goes out before a recruiter has read it. With `send_id`
    of a sequence email only that send's enrolment is paused; otherwise every active
    enrolment of the person (also when the send was a campaign's). Returns how many were
    paused; a recruiter resumes them."""
    async with transaction():
        rows = await fetch(
            "UPDATE sequence_enrollments e SET state = 'paused', paused_reason = 'replied', "
            "updated_at = $3 WHERE e.person = $1 AND e.state = 'active' "
            "AND e.id = coalesce((SELECT enrollment FROM marketing_sends WHERE id = $2), e.id) "
            "RETURNING e.id, e.sequence",
            person_id, send_id, at)
        for row in rows:
            await audit.record(action="sequence.enrollment_paused", at=at,
                               actor="system", subject=f"enrollment:{row['id']}",
                               detail={"sequence_id": row["sequence"], "reason": "replied",
                                       "person_id": person_id, "send_id": send_id})
        return len(rows)
