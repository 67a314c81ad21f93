"""Interview emails through the real worker into the sink: the .ics parsed back for the
candidate and a panelist, the reschedule's higher SEQUENCE, cancel's METHOD:CANCEL with
the same UID, and the self-scheduling link."""

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

from icalendar import Calendar

from domain.accounts import service as accounts
from domain.interviews import links, rules
from domain.interviews import service as interviews
from tests.events_support import person
from tests.jobs_support import create_application, create_requisition

START = datetime(2026, 11, 10, 13, 30, tzinfo=UTC)


def _invite(message) -> tuple[str, Calendar]:
    parsed = message_from_bytes(message.raw, policy=policy.default)
    parts = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "exactly one calendar attachment"
    return parts[0].get_param("method"), Calendar.from_ical(parts[0].get_payload(decode=True))


async def _scheduled(clock, queue, *, slots: int = 0) -> tuple[int, object]:
    staff = await accounts.create_user(email="pat@corp.test", full_name="Pat Panel",
                                       roles=["recruiter"], password="a-long-test-password",
                                       clock=clock)
    requisition = await create_requisition()
    application = await create_application(requisition["id"],
                                           await person("ann@example.com"), "Interview")
    draft = rules.InterviewDraft(
        title="Technical interview", panelists=[staff.id], duration_minutes=45,
        time_zone="Europe/Paris", location="Room 4", join_url="https://meet.test/room",
        starts_at=None if slots else START,
        slots=[START + timedelta(days=d) for d in range(slots)])
    interview_id = await interviews.schedule(application["id"], draft, by=staff, clock=clock,
                                             queue=queue)
    return interview_id, staff


async def test_candidate_and_panelist_get_the_same_request(clock, queue, mail, worker_burst):
    interview_id, _ = await _scheduled(clock, queue)
    await worker_burst()
    for address in ("ann@example.com", "pat@corp.test"):
        (message,) = mail.find(to=address, subject_contains="Interview")
        method, calendar = _invite(message)
        assert method == "REQUEST" and str(calendar["METHOD"]) == "REQUEST"
        entry = calendar.walk("VEVENT")[0]
        assert str(entry["UID"]) == f"interview-{interview_id}@talentloop"
        assert int(entry["SEQUENCE"]) == 0
        assert str(entry["DTSTART"].dt.tzinfo) == "Europe/Paris"
        assert entry["DTSTART"].dt.hour == 14 and entry["DTEND"].dt.minute == 15
        assert {str(a) for a in entry["ATTENDEE"]} == {"mailto:ann@example.com",
                                                      "mailto:pat@corp.test"}
        assert str(entry["ORGANIZER"]).startswith("mailto:")
        assert "https://meet.test/room" in message.text_body
    (panel_mail,) = mail.find(to="pat@corp.test", subject_contains="Interview")
    assert "/backoffice/applications/" in panel_mail.text_body


async def test_reschedule_resends_and_cancel_removes_with_the_same_uid(clock, queue, mail,
                                                                      worker_burst):
    interview_id, staff = await _scheduled(clock, queue)
    await worker_burst()
    await interviews.reschedule(interview_id, START + timedelta(days=1), "Europe/Paris",
                                by=staff, clock=clock, queue=queue)
    await worker_burst()
    updates = [_invite(m)[1].walk("VEVENT")[0]
               for m in mail.find(to="ann@example.com", subject_contains="Interview")]
    assert sorted(int(entry["SEQUENCE"]) for entry in updates) == [0, 1]
    await interviews.cancel(interview_id, by=staff, clock=clock, queue=queue)
    await worker_burst()
    for address in ("ann@example.com", "pat@corp.test"):
        (cancelled,) = mail.find(to=address, subject_contains="cancelled")
        method, calendar = _invite(cancelled)
        entry = calendar.walk("VEVENT")[0]
        assert method == "CANCEL" and str(calendar["METHOD"]) == "CANCEL"
        assert str(entry["UID"]) == f"interview-{interview_id}@talentloop"
        assert int(entry["SEQUENCE"]) == 2 and str(entry["STATUS"]) == "CANCELLED"


async def test_offered_slots_send_the_candidate_a_signed_link(clock, queue, mail,
                                                             worker_burst):
    interview_id, _ = await _scheduled(clock, queue, slots=2)
    await worker_burst()
    (message,) = mail.find(to="ann@example.com", subject_contains="Choose a time")
    token = re.search(r"/interviews/([\w.\-]+)", message.text_body).group(1)
    assert links.interview_from_token(token) == interview_id
    assert not mail.find(to="pat@corp.test")
