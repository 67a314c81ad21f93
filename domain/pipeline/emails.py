"""Render context for the application emails (registered in domain.mail.contexts)."""

from __future__ import annotations

from domain.people.rules import first_name
from domain.pipeline import queries
from domain.ports import Clock
from settings import get_settings


async def application_email_context(template: str, stored: dict, *, clock: Clock) -> dict:
    settings = get_settings()
    view = await queries.confirmation_view(int(stored["application_id"]))
    return {
        "person_name": first_name(view["full_name"]),
        "job_title": view["title"],
        "job_url": f"{settings.base_url}/jobs/{view['slug']}",
        "applications_url": f"{settings.base_url}/account/applications",
        "sign_in_url": f"{settings.base_url}/account/sign-in",
    }


EMAIL_CONTEXTS = {"application_received": application_email_context}
