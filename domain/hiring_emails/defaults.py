"""The hiring email templates every installation starts with. Idempotent: a template that
exists (possibly edited by an admin) is left alone. The Standard stage template and the
seeded rejection reasons name these keys (domain.requisitions.defaults)."""

from __future__ import annotations

from datetime import datetime

from domain.db import fetch

MOVED_TO_SCREEN = "moved-to-screen"
MOVED_TO_INTERVIEW = "moved-to-interview"
REJECTION_STANDARD = "rejection-standard"
REJECTION_POSITION_FILLED = "rejection-position-filled"
REJECTION_NOT_NOW = "rejection-not-a-fit-now"

_GREETING = "{% if first_name %}Hi {{ first_name }},{% else %}Hello,{% endif %}\n\n"
_SIGN_OFF = "\n\nBest regards,\n\nThe {{ company }} hiring team"

# (key, name, purpose, subject, body)
DEFAULT_TEMPLATES = (
    (MOVED_TO_SCREEN, "Moved to screening", "stage",
     "Your application for {{ job_title }} is under review",
     _GREETING + "Thank you for applying for **{{ job_title }}**. Your application is now "
     "with the hiring team, who will read it carefully.\n\nWe will get back to you as soon "
     "as we can, whatever the outcome. You can follow where things stand on "
     "[your applications page]({{ applications_url }})." + _SIGN_OFF),
    (MOVED_TO_INTERVIEW, "Invited to interview", "stage",
     "Next step for {{ job_title }}: interviews",
     _GREETING + "Good news: we would like to get to know you better and invite you to "
     "interview for **{{ job_title }}**.\n\nWe will be in touch shortly to find a time that "
     "works for you. Meanwhile, you can see your application's status on "
     "[your applications page]({{ applications_url }})." + _SIGN_OFF),
    (REJECTION_STANDARD, "Rejection: standard", "rejection",
     "Your application for {{ job_title }}",
     _GREETING + "Thank you for your interest in **{{ job_title }}** and for the time you "
     "spent on your application.\n\nAfter careful consideration, we have decided not to "
     "move forward with your application. This was not an easy decision, and it is not a "
     "judgement of your worth.\n\nWe wish you the very best in your search." + _SIGN_OFF),
    (REJECTION_POSITION_FILLED, "Rejection: position filled", "rejection",
     "Update on {{ job_title }}",
     _GREETING + "Thank you for applying for **{{ job_title }}**. We want to let you know "
     "that the position has now been filled, so we are closing the other applications, "
     "including yours.\n\nWe are grateful for your interest, and we would be glad to see "
     "you apply again for another of our roles." + _SIGN_OFF),
    (REJECTION_NOT_NOW, "Rejection: not a fit right now", "rejection",
     "Your application for {{ job_title }}",
     _GREETING + "Thank you for applying for **{{ job_title }}**. We will not take your "
     "application further for this role: right now, what the team needs and your "
     "experience do not quite match.\n\nThat can change. We would be glad to hear from "
     "you again for a future opening." + _SIGN_OFF),
)
# Seeded rejection reason → its template (reasons an admin adds start with none).
REASON_TEMPLATES = {
    "Not enough experience": REJECTION_NOT_NOW, "Skills mismatch": REJECTION_NOT_NOW,
    "Position filled": REJECTION_POSITION_FILLED,
    "Other candidate chosen": REJECTION_STANDARD, "Failed assessment": REJECTION_STANDARD,
}
# Standard stage template: stage name → the email sent on entering it.
STAGE_TEMPLATES = {"Screen": MOVED_TO_SCREEN, "Interview": MOVED_TO_INTERVIEW}


async def ensure_templates(*, now: datetime) -> None:
    await fetch(
        "INSERT INTO hiring_email_templates (key, name, purpose, subject, body, is_active, "
        "updated_by, created_at, updated_at) SELECT k, n, p, s, b, true, 'setup', $6, $6 "
        "FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], "
        "$5::text[]) AS t(k, n, p, s, b) ON CONFLICT (key) DO NOTHING",
        *[list(column) for column in zip(*DEFAULT_TEMPLATES, strict=True)], now)
