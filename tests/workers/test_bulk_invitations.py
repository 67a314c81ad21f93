"""A bulk invitation with the real worker, Redis and SMTP sink: only the person with
event-email consent receives it, as marketing mail (List-Unsubscribe), with the event's
link; a large action runs as the registered task and the export clean-up is a cron job."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from domain.accounts import service as accounts
from domain.accounts.service import Staff
from domain.bulk import service as bulk
from domain.consent import service as consent
from domain.db import fetch
from tests.events_support import create_event, person
from workers.settings import WorkerSettings

pytestmark = pytest.mark.usefixtures("clean_state")


def test_the_tasks_are_registered():
    names = {f.__name__ for f in WorkerSettings.functions}
    assert {"run_bulk_action", "expire_bulk_exports"} <= names
    assert any(job.name.endswith("expire_bulk_exports") for job in WorkerSettings.cron_jobs)


async def test_only_consenting_people_are_invited(clock, queue, mail, worker_burst):
    user = await accounts.create_user(email="rita@corp.test", full_name="Rita",
                                      roles=["recruiter"], password="a-long-test-password",
                                      clock=clock)
    await create_event("summit", capacity=50, starts_at=datetime(2031, 3, 1, 17, tzinfo=UTC))
    yes, no = await person("yes@example.com", "Yves Yes"), await person("no@example.com")
    text = await consent.current_text("event_emails")
    await consent.give(person_id=yes, purpose="event_emails", scope="all", text_id=text["id"],
                       method="double_opt_in", now=clock.now())
    bulk_id = await bulk.start("invite_to_event", {"person_ids": [yes, no]},
                               {"event": "summit"},
                               staff=Staff(user.id, user.email, "Rita", ("recruiter",)),
                               now=clock.now(), queue=queue)
    await worker_burst()
    assert mail.find(to="no@example.com") == []
    [stored] = mail.find(to="yes@example.com")
    message = BytesParser(policy=policy.default).parsebytes(stored.raw.split(b"\n", 1)[1])
    assert "summit" in str(message["Subject"]).lower()
    assert message.get_all("List-Unsubscribe")
    assert "/events/summit" in message.get_body(("plain",)).get_content()
    [action] = await fetch("SELECT changed, message FROM bulk_actions WHERE id = $1", bulk_id)
    assert action["changed"] == 1 and "no event-email consent: 1" in action["message"]
