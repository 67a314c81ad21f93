"""Reference data every installation needs (not demo data): run after migrations."""

from __future__ import annotations

from domain.consent import service as consent
from domain.consent.rules import COMMUNITY_EMAILS, EVENT_EMAILS
from domain.pipeline.rules import JOB_PROCESSING
from domain.ports import Clock
from domain.profiles.service import ensure_skills
from domain.requisitions.defaults import ensure_hiring_defaults

COMMUNITY_CONSENT_TEXT = (
    "Yes, I want to join this talent community. {company} may email me about roles, events "
    "and news that match my interests, and keep my name, email address and interests for "
    "that purpose. I can change my preferences or leave at any time with one click from any "
    "email, and I can ask for a copy of my data or its deletion."
)

EVENT_NEWS_CONSENT_TEXT = (
    "Yes, {company} may email me about upcoming recruiting events, meetups and webinars, "
    "and keep my name and email address for that purpose. Registering for this event does "
    "not depend on it. I can stop these emails at any time with one click from any of them."
)

JOB_PROCESSING_CONSENT_TEXT = (
    "I agree that {company} may use the information in this application (my name, contact "
    "details, CV and answers) to consider me for this job, and keep it for as long as the law "
    "requires hiring records to be kept. It is shared only with the people hiring for this "
    "role. This does not sign me up for any emails other than those about this application."
)


async def ensure_reference_data(*, clock: Clock, company_name: str) -> None:
    await consent.ensure_text(
        purpose=COMMUNITY_EMAILS,
        body=COMMUNITY_CONSENT_TEXT.format(company=company_name),
        now=clock.now(),
    )
    await consent.ensure_text(
        purpose=EVENT_EMAILS,
        body=EVENT_NEWS_CONSENT_TEXT.format(company=company_name),
        now=clock.now(),
    )
    await consent.ensure_text(
        purpose=JOB_PROCESSING,
        body=JOB_PROCESSING_CONSENT_TEXT.format(company=company_name),
        now=clock.now(),
    )
    await consent.ensure_consent_policies(now=clock.now())
    await ensure_skills()
    await ensure_hiring_defaults(now=clock.now())
