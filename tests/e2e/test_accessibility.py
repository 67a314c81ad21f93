"""axe-core on every portal page (and the back office): no serious or critical violation.

The page list grows with the portal; a page that exists but is not listed here is a gap.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

pytestmark = pytest.mark.e2e

axe = Axe()

ANONYMOUS_PAGES = [
    "/",
    "/communities/engineering",
    "/account/sign-in",
    "/confirm/not-a-real-token",
    "/account/magic/not-a-real-token",
    "/u/not-a-real-token",
    "/preferences/not-a-real-token",
    "/account/deleted",
    "/no/such/page",
    "/backoffice/login",
]
CANDIDATE_PAGES = ["/account", "/account/profile", "/account/preferences", "/account/consent",
                   "/account/data", "/account/delete"]
# Reached from the links in an email, without signing in (real signed tokens).
LINK_PAGES = ["/u/{unsubscribe}", "/preferences/{preferences}",
              "/preferences/{preferences}/consent"]
# {person}: a candidate with a profile, CV, memberships and consent ledger.
STAFF_PAGES = ["/backoffice/candidates", "/backoffice/candidates/{person}", "/backoffice/mail"]
ADMIN_PAGES = ["/backoffice/privacy/requests"]


async def assert_accessible(page: Page, path: str) -> None:
    results = await axe.run(page)
    blocking = [v for v in results.response["violations"]
                if v.get("impact") in {"serious", "critical"}]
    details = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(str(node.get("target")) for node in v["nodes"][:3])
        for v in blocking
    )
    assert not blocking, f"axe found serious/critical violations on {path}:\n{details}"


async def sign_in_candidate(page: Page, base_url: str) -> int:
    from domain.identity.service import person_subject
    from domain.people import service as people
    from domain.ports import SystemClock
    from domain.tokens import service as tokens
    from domain.tokens.signer import Purpose

    clock = SystemClock()
    person = await people.find_or_create(email="cand@example.com", full_name="Cam Candidate",
                                         source="test", now=clock.now())
    token = await tokens.issue(purpose=Purpose.MAGIC_LINK,
                               subject=person_subject(person["id"]), clock=clock)
    await page.goto(f"{base_url}/account/magic/{token}")
    await page.get_by_role("button", name="Sign me in").click()
    await page.wait_for_url(f"{base_url}/account")
    return int(person["id"])


async def candidate_with_history(community: dict) -> int:
    """A member with a profile, a CV, a finished data export and a consent ledger, so the
    pages show their tables, lists and buttons rather than their empty states."""
    from domain.ports import SystemClock
    from domain.privacy import service as privacy
    from domain.profiles import service as profiles
    from tests.e2e.test_portal_journeys import add_member, small_pdf

    clock = SystemClock()
    person_id = await add_member("cand@example.com", "Cam Candidate", community)
    await profiles.update_profile(person_id, profiles.ProfileUpdate(
        full_name="Cam Candidate", headline="Site reliability engineer", city="Leeds",
        country="GB", skills=("python",), unmatched_skills=("Pager wrangling",),
        job_function="engineering", seniority="senior", work_modes=("remote",),
        open_to_opportunities="open", links=("https://github.com/cam",)), clock=clock)
    await profiles.upload_cv(person_id, filename="cam.pdf", data=small_pdf(), clock=clock)
    request_id = await privacy.request_export(person_id=person_id, clock=clock, queue=None)
    await privacy.build_export(request_id, clock=clock, queue=None)
    return person_id


async def test_anonymous_pages_are_accessible(pages, live_server, community):
    page = await pages.new()
    for path in ANONYMOUS_PAGES:
        await page.goto(live_server.url(path))
        await assert_accessible(page, path)


async def test_join_form_with_errors_is_accessible(page, live_server, community):
    await page.goto(live_server.url("/communities/engineering"))
    await page.get_by_role("button", name="Join Engineering").click()
    await page.wait_for_selector(".error-summary, [role=alert]")
    await assert_accessible(page, "/communities/engineering (with errors)")


async def test_signed_in_candidate_pages_are_accessible(page, live_server, community):
    await candidate_with_history(community)
    await sign_in_candidate(page, live_server.base_url)
    for path in CANDIDATE_PAGES:
        await page.goto(live_server.url(path))
        await assert_accessible(page, path)


async def test_candidate_forms_with_errors_are_accessible(page, live_server, community):
    await candidate_with_history(community)
    await sign_in_candidate(page, live_server.base_url)
    await page.goto(live_server.url("/account/profile"))
    await page.get_by_role("textbox", name="Links (optional)").fill("javascript:alert(1)")
    await page.get_by_role("button", name="Save profile").click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, "/account/profile (with errors)")
    await page.goto(live_server.url("/account/delete"))
    await page.get_by_role("button", name="Delete my account").click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, "/account/delete (with errors)")


async def test_pages_reached_from_email_links_are_accessible(pages, live_server, community):
    from urllib.parse import urlsplit

    from domain.preferences import emails as links
    from tests.e2e.test_portal_journeys import add_member

    person_id = await add_member("cand@example.com", "Cam Candidate", community)
    tokens = {
        "unsubscribe": urlsplit(links.unsubscribe_url(
            person_id, "community_emails", "engineering")).path.rsplit("/", 1)[1],
        "preferences": urlsplit(links.preferences_url(person_id)).path.rsplit("/", 1)[1],
    }
    page = await pages.new()
    for template in LINK_PAGES:
        path = template.format(**tokens)
        await page.goto(live_server.url(path))
        await assert_accessible(page, template)
    # And the unsubscribe page once the button was pressed.
    await page.goto(live_server.url(LINK_PAGES[0].format(**tokens)))
    await page.get_by_role("button", name="Unsubscribe").click()
    await page.get_by_role("heading", name="You're unsubscribed").wait_for()
    await assert_accessible(page, "/u/{unsubscribe} (done)")


async def sign_in_staff(page: Page, base_url: str, email: str, password: str,
                        lands_on: str = "/backoffice/candidates") -> None:
    await page.goto(f"{base_url}/backoffice/login")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base_url}{lands_on}")


async def test_back_office_pages_are_accessible(page, live_server, recruiter, community):
    person_id = await candidate_with_history(community)
    await sign_in_staff(page, live_server.base_url, recruiter.email, recruiter.password)
    for template in STAFF_PAGES:
        path = template.format(person=person_id)
        await page.goto(live_server.url(path))
        await assert_accessible(page, path)


async def test_duplicate_review_and_merge_pages_are_accessible(page, live_server, recruiter,
                                                              community):
    from domain.db import fetch
    from domain.dedupe import merge, service
    from domain.ports import SystemClock

    kept, other = [(await fetch(
        "INSERT INTO people (email, full_name, phone, source, created_at, updated_at) "
        "VALUES ($1, 'Ann Smith', '+447911123456', 'portal', now(), now()) RETURNING id",
        email))[0]["id"] for email in ("ann@example.com", "ann.other@example.com")]
    await service.suggest_for(other, SystemClock().now())
    await sign_in_staff(page, live_server.base_url, recruiter.email, recruiter.password)
    for path in ("/backoffice/candidates/duplicates",
                 f"/backoffice/candidates/{kept}/merge/{other}"):
        await page.goto(live_server.url(path))
        await assert_accessible(page, path)
    await merge.merge(kept, other, by=recruiter.email, now=SystemClock().now())
    for path in (f"/backoffice/candidates/{kept}", f"/backoffice/candidates/{other}"):
        await page.goto(live_server.url(path))
        await assert_accessible(page, path)


async def test_admin_pages_are_accessible(page, live_server, community):
    from domain.accounts import service as accounts
    from domain.ports import SystemClock
    from domain.privacy import service as privacy
    from tests.e2e.test_portal_journeys import add_member

    await accounts.create_user(email="admin@test.local", full_name="Ada Admin",
                               roles=["admin"], password="a-long-admin-password",
                               clock=SystemClock())
    await candidate_with_history(community)  # a completed export request
    leaving = await add_member("leaving@example.com", "Lee Leaving", community)
    await privacy.erase_account(person_id=leaving, clock=SystemClock(), queue=None)
    await sign_in_staff(page, live_server.base_url, "admin@test.local", "a-long-admin-password")
    for path in ADMIN_PAGES:
        await page.goto(live_server.url(path))
        await page.get_by_role("table").first.wait_for()  # the requests, not the empty state
        await assert_accessible(page, path)


async def test_event_pages_are_accessible(page, live_server):
    from tests.events_support import create_event

    await create_event(capacity=5)
    for path in ("/events", "/events/meetup"):
        await page.goto(live_server.url(path))
        await assert_accessible(page, path)
    await page.get_by_role("button", name="Register").first.click()
    await page.wait_for_selector("[data-error-summary], .error-summary, [role=alert]")
    await assert_accessible(page, "/events/meetup (with errors)")


async def test_event_check_in_and_attendance_pages_are_accessible(pages, live_server, recruiter):
    """At phone width, as used at the door: search results, a ticket, the walk-in form
    with its errors, the attendance page with an import report, and a results page."""
    from urllib.parse import urlsplit

    from domain.events import service as events
    from domain.events import tickets
    from domain.people import service as people
    from domain.ports import SystemClock
    from tests.events_support import create_event

    event = await create_event(capacity=5)
    ann = await people.find_or_create(email="ann@example.com", full_name="Ann Smith",
                                      source="test", now=SystemClock().now())
    registration = await events.register("meetup", ann["id"], clock=SystemClock(), queue=None)
    page = await pages.new(viewport={"width": 375, "height": 740})
    await sign_in_staff(page, live_server.base_url, recruiter.email, recruiter.password)
    base = f"/backoffice/events/{event['id']}"
    for path in (f"{base}/checkin?q=ann", urlsplit(tickets.ticket_url(registration["id"])).path,
                 f"{base}/attendance", f"{base}/roi/registered"):
        await page.goto(live_server.url(path))
        await assert_accessible(page, path)
    await page.goto(live_server.url(f"{base}/checkin"))
    await page.get_by_role("button", name="Admit and check in").click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, f"{base}/checkin (walk-in with errors)")
    await page.goto(live_server.url(f"{base}/attendance"))
    await page.get_by_label("Attendance file (CSV)").set_input_files(files=[{
        "name": "zoom.csv", "mimeType": "text/csv",
        "buffer": b"email,joined at,minutes\nghost@example.com,2026-12-10 18:00,x\n"}])
    await page.get_by_role("button", name="Import").click()
    await page.get_by_role("heading", name="Nothing was imported").wait_for()
    await assert_accessible(page, f"{base}/attendance (import problems)")


async def test_event_host_pages_are_accessible(page, live_server):
    """What an event host works with at a desk: the list, the form (also with its errors),
    and every tab of an event with registrants, a waiting list and answers."""
    from domain.events import service as events
    from domain.ports import SystemClock
    from tests.e2e.test_event_journeys import person, published_event, staff_login

    host = await staff_login("hana.host@test.local", "Hana Host", "event_host")
    event = await published_event(host.email, "Design critique night", capacity=1)
    for email, name in (("ann@example.com", "Ann Smith"), ("bo@example.com", "Bo Chen")):
        await events.register(event["slug"], await person(email, name), clock=SystemClock(),
                              queue=None, answers={})
    await sign_in_staff(page, live_server.base_url, host.email, host.password,
                        lands_on="/backoffice/events")
    base = f"/backoffice/events/{event['id']}"
    for path in ("/backoffice/events", "/backoffice/events?show=past", "/backoffice/events/new",
                 base, f"{base}/edit", f"{base}/registrations", f"{base}/message",
                 f"{base}/checkin", f"{base}/attendance"):
        await page.goto(live_server.url(path))
        await assert_accessible(page, path)
    await page.goto(live_server.url("/backoffice/events/new"))
    await page.get_by_role("button", name="Create event").click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, "/backoffice/events/new (with errors)")
    await page.goto(live_server.url(f"{base}/message"))
    await page.get_by_role("button", name="Send").click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, f"{base}/message (with errors)")


async def test_event_pages_of_a_registered_candidate_are_accessible(pages, live_server):
    """The ticket page (signed in), and the pages the registration and offer emails link
    to, with the ticket's QR code on them."""
    from urllib.parse import urlsplit

    from domain.db import fetch
    from domain.events import links
    from domain.events import service as events
    from domain.people import service as people
    from domain.ports import SystemClock
    from tests.e2e.test_event_journeys import published_event, staff_login

    host = await staff_login("hana.host@test.local", "Hana Host", "event_host")
    event = await published_event(host.email, "Design critique night", capacity=1)
    page = await pages.new()
    person_id = await sign_in_candidate(page, live_server.base_url)
    clock = SystemClock()
    seat = await events.register(event["slug"], person_id, clock=clock, queue=None)
    waiting = await people.find_or_create(email="bo@example.com", full_name="Bo Chen",
                                          source="test", now=clock.now())
    queued = await events.register(event["slug"], waiting["id"], clock=clock, queue=None)
    await events.cancel(seat["id"], clock=clock, queue=None)  # Bo is offered the seat
    await events.register(event["slug"], person_id, clock=clock, queue=None)  # back in line
    paths = {
        f"/events/{event['slug']}": "/events/{slug} (signed in, waiting)",
        urlsplit(links.manage_url(queued["id"])).path: "/events/registrations/{token}",
        urlsplit(links.offer_url(queued["id"])).path: "/events/offers/{token}",
    }
    for path, name in paths.items():
        await page.goto(live_server.url(path))
        await assert_accessible(page, name)
    await events.accept_offer(queued["id"], clock=clock, queue=None)
    await page.goto(live_server.url(urlsplit(links.manage_url(queued["id"])).path))
    await page.get_by_role("img", name=f"Ticket QR code for {event['title']}").wait_for()
    await assert_accessible(page, "/events/registrations/{token} (with ticket)")
    # The signed-in person's own ticket: give them a seat of their own.
    await events.set_capacity(event["id"], 2, clock=clock, queue=None)
    [mine] = await fetch("SELECT id FROM event_registrations WHERE person = $1", person_id)
    await events.accept_offer(mine["id"], clock=clock, queue=None)
    await page.goto(live_server.url(f"/events/{event['slug']}/ticket"))
    await page.get_by_role("img", name=f"Ticket QR code for {event['title']}").wait_for()
    await assert_accessible(page, "/events/{slug}/ticket")


async def test_requisition_and_hiring_setup_pages_are_accessible(page, live_server):
    """Every tab of a requisition (pipeline aside), the create form with its errors, and
    hiring setup, as an admin."""
    from domain.accounts import service as accounts
    from domain.ports import SystemClock
    from tests.jobs_support import create_requisition

    await accounts.create_user(email="admin@test.local", full_name="Ada Admin",
                               roles=["admin"], password="a-long-admin-password",
                               clock=SystemClock())
    requisition = await create_requisition()
    await sign_in_staff(page, live_server.base_url, "admin@test.local", "a-long-admin-password")
    base = f"/backoffice/requisitions/{requisition['id']}"
    for path in ("/backoffice/requisitions", "/backoffice/requisitions/new", base,
                 f"{base}/settings", f"{base}/stages", f"{base}/team", "/backoffice/hiring-setup",
                 "/backoffice/hiring-setup/templates/1", "/backoffice/hiring-setup/reasons",
                 "/backoffice/hiring-setup/emails", "/backoffice/hiring-setup/emails/new",
                 "/backoffice/hiring-setup/emails/1"):
        await page.goto(live_server.url(path))
        await assert_accessible(page, path)
    await page.goto(live_server.url("/backoffice/requisitions/new"))
    await page.get_by_role("button", name="Create requisition").click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, "/backoffice/requisitions/new (with errors)")


async def _ats_world() -> dict:
    """A requisition with an application that has a proposed interview (two slots), a
    submitted scorecard-ready stage and a sent offer, written straight to the tables."""
    from domain.db import fetch, fetchval
    from tests.events_support import person
    from tests.jobs_support import create_application, create_requisition

    requisition = await create_requisition()
    candidate = await person("ana@example.com", "Ana Applicant")
    application = await create_application(requisition["id"], candidate, stage="Interview")
    interview = await fetchval(
        "INSERT INTO interviews (application, stage, title, status, time_zone, location, "
        "duration_minutes, created_by, created_at, updated_at) VALUES ($1, $2, 'Technical "
        "interview', 'proposed', 'Europe/Berlin', 'Room 1', 60, 'admin@test.local', now(), "
        "now()) RETURNING id", application["id"], application["stage"])
    await fetch("INSERT INTO interview_slots (interview, starts_at, ends_at) SELECT $1, "
                "now() + (n || ' days')::interval, now() + (n || ' days')::interval "
                "+ interval '1 hour' FROM generate_series(3, 4) AS n", interview)
    offer = await fetchval(
        "INSERT INTO offers (application, status, title, salary, salary_currency, "
        "start_date, expires_on, letter, created_by, approved_by, created_at, updated_at, "
        "sent_at) VALUES ($1, 'sent', 'Backend engineer', 70000, 'EUR', current_date + 60, "
        "current_date + 14, 'We would love you to join.', 'a@test.local', 'b@test.local', "
        "now(), now(), now()) RETURNING id", application["id"])
    availability = await fetchval(
        "INSERT INTO availability_requests (application, stage, status, time_zone, windows, "
        "note, requested_by, requested_at) VALUES ($1, $2, 'requested', 'Europe/Berlin', "
        "'[]'::jsonb, '', 'a@test.local', now()) RETURNING id", application["id"],
        application["stage"])
    return {"requisition": requisition["id"], "application": application["id"],
            "interview": interview, "offer": offer, "availability": availability}


async def test_job_and_ats_link_pages_are_accessible(page, live_server):
    """The job board, the apply form with its errors, and the pages candidates reach from
    interview, offer and event-news emails (real signed links)."""
    from urllib.parse import urlsplit

    from domain.consent import service as consent
    from domain.consent.rules import EVENT_EMAILS
    from domain.db import fetchval
    from domain.events.news import pending_confirm_url
    from domain.interviews.links import availability_url, scheduling_url
    from domain.offers.links import response_url
    from domain.ports import SystemClock

    world = await _ats_world()
    for path in ("/jobs", "/jobs/backend-engineer", "/jobs/backend-engineer/apply"):
        response = await page.goto(live_server.url(path))
        assert response is not None and response.status == 200, path
        await assert_accessible(page, path)
    await page.get_by_role("button", name="Send my application").click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, "/jobs/{slug}/apply (with errors)")
    person_id = await fetchval("SELECT id FROM people WHERE email = 'ana@example.com'")
    text = await consent.current_text(EVENT_EMAILS)
    await consent.record(person_id=person_id, purpose=EVENT_EMAILS, scope="all",
                         text_id=text["id"], action="requested", method="web_form",
                         at=SystemClock().now())
    links = {"/interviews/{token}": scheduling_url(world["interview"]),
             "/offers/{token}": response_url(world["offer"]),
             "/interviews/availability/{token}": availability_url(world["availability"]),
             "/events/news/{token}": await pending_confirm_url(person_id)}
    for name, url in links.items():
        response = await page.goto(live_server.url(urlsplit(url).path))
        assert response is not None and response.status == 200, name  # the real page
        await assert_accessible(page, name)


async def test_pipeline_and_compliance_pages_are_accessible(page, live_server):
    """The pipeline list and board, an application with its interview, scorecard and
    offer pages, and the admin audit log, EEO report and requisition metrics."""
    from domain.accounts import service as accounts
    from domain.ports import SystemClock

    await accounts.create_user(email="admin@test.local", full_name="Ada Admin",
                               roles=["admin"], password="a-long-admin-password",
                               clock=SystemClock())
    world = await _ats_world()
    await sign_in_staff(page, live_server.base_url, "admin@test.local", "a-long-admin-password")
    requisition, application = world["requisition"], world["application"]
    for path in (f"/backoffice/requisitions/{requisition}/pipeline",
                 f"/backoffice/requisitions/{requisition}/board",
                 f"/backoffice/requisitions/{requisition}/metrics",
                 f"/backoffice/applications/{application}",
                 f"/backoffice/applications/{application}/interviews/new",
                 f"/backoffice/applications/{application}/scorecard",
                 f"/backoffice/applications/{application}/offer",
                 "/backoffice/audit", "/backoffice/reports/eeo"):
        response = await page.goto(live_server.url(path))
        assert response is not None and response.status == 200, path
        await assert_accessible(page, path)


async def test_pool_pages_are_accessible(page, live_server):
    """The pool list, the new-pool form with its errors, a static pool with members, a
    dynamic pool, and the segment list and builder (drawn by its script)."""
    from domain.accounts import service as accounts
    from domain.pools import rules as pool_rules
    from domain.pools import service as pools
    from domain.ports import SystemClock
    from tests.events_support import person

    now = SystemClock().now()
    staff = await accounts.create_user(email="rita@test.local", full_name="Rita Recruiter",
                                       roles=["recruiter"], password="a-long-test-password",
                                       clock=SystemClock())
    pool = await pools.create(pool_rules.parse_pool({"name": "Backend folks"}),
                              owner_id=staff.id, by=staff.email, now=now)
    people = [await person(f"pooled{i}@example.com", f"Pooled {i}") for i in range(3)]
    await pools.add_people(pool, people, source="manual", by=staff.email, at=now)
    await sign_in_staff(page, live_server.base_url, "rita@test.local", "a-long-test-password")
    from domain.segments import service as segments

    segment = await segments.save(None, name="Germans", description="", visibility="shared",
                                  definition={"match": "all", "conditions": [
                                      {"field": "country", "op": "in", "value": ["DE"]},
                                      {"match": "any", "conditions": [
                                          {"field": "skills", "op": "any",
                                           "value": ["python"]}]}]},
                                  owner_id=staff.id, by=staff.email, now=now)
    dynamic = await segments.to_dynamic_pool(
        {"id": segment, "name": "Germans", "description": "", "visibility": "shared",
         "definition": {"match": "all", "conditions": [
             {"field": "country", "op": "in", "value": ["DE"]}]}},
        owner_id=staff.id, by=staff.email, now=now)
    for path in ("/backoffice/pools", "/backoffice/pools/new", f"/backoffice/pools/{pool}",
                 f"/backoffice/pools/{dynamic}", "/backoffice/segments",
                 "/backoffice/segments/new", f"/backoffice/segments/{segment}"):
        response = await page.goto(live_server.url(path))
        assert response is not None and response.status == 200, path
        await assert_accessible(page, path)
    await page.goto(live_server.url("/backoffice/pools/new"))
    await page.get_by_role("button", name="Create pool").click()
    await assert_accessible(page, "new pool with errors")


async def test_skills_pages_are_accessible(page, live_server):
    """The taxonomy list, a skill with its usage, the new-skill form with its errors, a
    merge preview, and the unmatched text review."""
    from domain.accounts import service as accounts
    from domain.db import fetchval
    from domain.ports import SystemClock
    from domain.profiles import service as profiles
    from tests.events_support import person

    await accounts.create_user(email="admin@test.local", full_name="Ada Admin",
                               roles=["admin"], password="a-long-admin-password",
                               clock=SystemClock())
    await profiles.update_profile(await person("pat@example.com", "Pat"), profiles.ProfileUpdate(
        full_name="Pat", skills=("pytorch",), unmatched_skills=("Pager wrangling",)),
        clock=SystemClock())
    ml = await fetchval("SELECT id FROM skills WHERE slug = 'machine-learning'")
    await sign_in_staff(page, live_server.base_url, "admin@test.local", "a-long-admin-password")
    for path in ("/backoffice/skills", "/backoffice/skills?q=torch", "/backoffice/skills/new",
                 f"/backoffice/skills/{ml}", f"/backoffice/skills/{ml}/merge",
                 f"/backoffice/skills/{ml}/merge?into=data-science",
                 "/backoffice/skills/unmatched"):
        response = await page.goto(live_server.url(path))
        assert response is not None and response.status == 200, path
        await assert_accessible(page, path)
    await page.goto(live_server.url("/backoffice/skills/new"))
    await page.get_by_role("button", name="Add skill").click()
    await assert_accessible(page, "new skill with errors")


async def test_pool_review_and_bulk_pages_are_accessible(page, live_server, recruiter):
    """The rapid review queue (a person, and its end), the bulk confirmation (and with its
    errors) and a finished bulk action's page."""
    from domain.accounts.service import Staff
    from domain.bulk import service as bulk
    from domain.db import fetch
    from domain.pools import service as pools
    from domain.ports import SystemClock
    from tests.events_support import person

    now = SystemClock().now()
    owner = (await fetch("SELECT id FROM staff_users WHERE email = $1",
                         recruiter.email))[0]["id"]
    pool = await pools.create({"name": "Review me", "description": "", "visibility": "shared",
                               "stages": ["lead", "ready"]}, owner_id=owner,
                              by=recruiter.email, now=now)
    someone = await person("rev@example.com", "Rev Iewee")
    await pools.add_people(pool, [someone], source="manual", by=recruiter.email, at=now)
    done = await bulk.start("export_csv", {"person_ids": [someone]}, {},
                            staff=Staff(owner, recruiter.email, "R", ("recruiter",)),
                            now=now, queue=None)
    await sign_in_staff(page, live_server.base_url, recruiter.email, recruiter.password)
    for path in (f"/backoffice/pools/{pool}/review", f"/backoffice/pools/{pool}/review?stage=ready",
                 f"/backoffice/bulk/new?pool={pool}", f"/backoffice/bulk/{done}"):
        response = await page.goto(live_server.url(path))
        assert response is not None and response.status == 200, path
        await assert_accessible(page, path)
    await page.goto(live_server.url(f"/backoffice/bulk/new?pool={pool}"))
    await page.get_by_role("button", name="Confirm").click()
    await assert_accessible(page, "bulk confirmation with errors")


async def test_people_import_pages_are_accessible(page, live_server):
    """The import list, the upload form with its error, the mapping page with its preview
    (a row with problems) and a finished import with its progress and row errors."""
    from domain.accounts import service as accounts
    from domain.imports import service as imports
    from domain.ports import SystemClock

    clock = SystemClock()
    await accounts.create_user(email="rita@test.local", full_name="Rita Recruiter",
                               roles=["recruiter"], password="a-long-test-password", clock=clock)
    data = b"Email,Name,Phone\nann@example.com,Ann Lee,\nnot-an-email,Bo,call me\n"
    mapped = await imports.upload(filename="list.csv", data=data, by="rita@test.local",
                                  clock=clock)
    done = await imports.upload(filename="done.csv", data=data, by="rita@test.local",
                                clock=clock)
    await imports.save_mapping(done, {"column-0": "email", "column-1": "full_name",
                                      "column-2": "phone",
                                      "lawful_basis": "legitimate_interest"},
                               by="rita@test.local", clock=clock)
    await imports.start(done, by="rita@test.local", clock=clock, queue=None)
    await imports.run(done, clock=clock)
    await sign_in_staff(page, live_server.base_url, "rita@test.local", "a-long-test-password")
    for path in ("/backoffice/imports", "/backoffice/imports/new",
                 f"/backoffice/imports/{mapped}", f"/backoffice/imports/{done}"):
        response = await page.goto(live_server.url(path))
        assert response is not None and response.status == 200, path
        await assert_accessible(page, path)
    await page.goto(live_server.url("/backoffice/imports/new"))
    await page.get_by_role("button", name="Upload and map columns").click()
    await assert_accessible(page, "upload form with an error")


async def test_staff_administration_pages_are_accessible(page, live_server):
    """The staff list, the invite form (also with its errors), a colleague's page (with its
    two-factor reset and SSO unlink forms), your sessions, and the set-your-password page
    an invitation links to (and its problem page)."""
    from domain.accounts import admin as staff_admin
    from domain.accounts import service as accounts
    from domain.accounts.rules import InviteDraft
    from domain.db import fetch
    from domain.ports import SystemClock
    from domain.tokens import service as tokens
    from domain.tokens.signer import Purpose

    clock = SystemClock()
    boss = await accounts.create_user(email="admin@test.local", full_name="Ada Admin",
                                      roles=["admin"], password="a-long-admin-password",
                                      clock=clock)
    invited = await staff_admin.invite(
        InviteDraft("nia@test.local", "Nia New", ("recruiter",)), clock=clock, queue=None,
        actor=staff_admin.Actor(boss.id, boss.email, "127.0.0.1"))
    token = await tokens.issue(purpose=Purpose.STAFF_INVITE, subject=f"staff:{invited}",
                               clock=clock)
    for path in (f"/backoffice/invitations/{token}", "/backoffice/invitations/not-a-real-token"):
        await page.goto(live_server.url(path))
        await assert_accessible(page, path)
    # Two-factor on and a linked identity, so the colleague's page shows its reset and
    # unlink forms.
    await fetch("UPDATE staff_users SET totp_enabled_at = now() WHERE id = $1", invited)
    await fetch("INSERT INTO staff_identities (staff, issuer, subject, created_at) "
                "VALUES ($1, 'https://idp.test.local', 'nia-subject', now())", invited)
    await page.get_by_role("link", name="Go to sign-in").click()
    await sign_in_staff(page, live_server.base_url, "admin@test.local", "a-long-admin-password")
    for path in ("/backoffice/staff", "/backoffice/staff/invite", f"/backoffice/staff/{invited}",
                 f"/backoffice/staff/{boss.id}", "/backoffice/account/sessions"):
        response = await page.goto(live_server.url(path))
        assert response is not None and response.status == 200, path
        await assert_accessible(page, path)
    await page.goto(live_server.url("/backoffice/staff/invite"))
    await page.get_by_role("button", name="Send invitation").click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, "invite form with errors")
    await page.goto(live_server.url(f"/backoffice/staff/{invited}"))
    await page.get_by_role("button", name="Disable account").click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, "disable form with errors")
    await page.goto(live_server.url(f"/backoffice/staff/{invited}"))
    await page.get_by_role("button", name="Reset two-factor").click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, "two-factor reset form with errors")


async def test_marketing_template_pages_are_accessible(page, live_server):
    """The template list, the form with its errors, an edit form, and the preview for a
    person without consent (warning, sandboxed iframe, text version)."""
    from domain.accounts import service as accounts
    from domain.campaigns import templates as marketing
    from domain.ports import SystemClock
    from tests.events_support import person

    staff = await accounts.create_user(email="mia@test.local", full_name="Mia Marketing",
                                       roles=["marketing"], password="a-long-test-password",
                                       clock=SystemClock())
    template = await marketing.create(marketing.parse({
        "name": "Newsletter", "purpose": "community_emails", "subject": "News",
        "html_body": '<h1>Hi {{ first_name }}</h1><p><a href="{{ unsubscribe_url }}">'
                     "Unsubscribe</a> {{ postal_address }}</p>"}),
        by=staff, clock=SystemClock())
    ann = await person("ann.marketing@example.com", "Ann Example")
    await sign_in_staff(page, live_server.base_url, "mia@test.local", "a-long-test-password")
    base = "/backoffice/campaigns/templates"
    for path in (base, f"{base}/new", f"{base}/{template}", f"{base}/{template}/preview",
                 f"{base}/{template}/preview?q=ann&person={ann}"):
        response = await page.goto(live_server.url(path))
        assert response is not None and response.status == 200, path
        await assert_accessible(page, path)
    await page.goto(live_server.url(f"{base}/new"))
    await page.get_by_role("button", name="Save").click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, "new marketing template with errors")


async def test_integration_sso_and_security_pages_are_accessible(page, live_server):
    """API tokens (list, form with its errors), webhooks (list, form, a subscription, its
    delivery log), the SSO policy page and the two-factor page."""
    from domain.accounts import service as accounts
    from domain.db import fetch
    from domain.ports import SystemClock

    boss = await accounts.create_user(email="admin@test.local", full_name="Ada Admin",
                                      roles=["admin"], password="a-long-admin-password",
                                      clock=SystemClock())
    await fetch("INSERT INTO api_tokens (name, token_hash, prefix, scopes, created_by, "
                "created_at) VALUES ('BI export', repeat('a', 64), 'tl_abcdefg', "
                "'{people:read}', $1, now())", boss.id)
    hook = (await fetch(
        "INSERT INTO webhook_subscriptions (url, description, event_types, secret, owner, "
        "created_at, updated_at) VALUES ('https://hooks.example.com/in', 'HRIS', "
        "'{person.created}', 'secret', $1, now(), now()) RETURNING id", boss.id))[0]["id"]
    await sign_in_staff(page, live_server.base_url, "admin@test.local", "a-long-admin-password")
    for path in ("/backoffice/integrations/tokens", "/backoffice/integrations/tokens/new",
                 "/backoffice/integrations/webhooks", "/backoffice/integrations/webhooks/new",
                 f"/backoffice/integrations/webhooks/{hook}",
                 f"/backoffice/integrations/webhooks/{hook}/edit",
                 f"/backoffice/integrations/webhooks/{hook}/deliveries",
                 "/backoffice/sso", "/backoffice/account/security"):
        response = await page.goto(live_server.url(path))
        assert response is not None and response.status == 200, path
        await assert_accessible(page, path)
    await page.goto(live_server.url("/backoffice/integrations/tokens/new"))
    await page.get_by_role("button", name="Create token").click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, "token form with errors")


async def test_sequence_pages_are_accessible(page, live_server):
    """The sequence list, the step editor (new, with errors, a saved sequence with every
    kind of step), the enrolments with a person found, and My tasks."""
    from domain.accounts import service as accounts
    from domain.db import execute
    from domain.ports import SystemClock
    from domain.sequences import enrolment
    from tests.sequences_support import consenting, email, live_sequence

    clock = SystemClock()
    await accounts.create_user(email="rita@test.local", full_name="Rita Recruiter",
                               roles=["recruiter"], password="a-long-test-password",
                               clock=clock)
    steps = [email("hello", "pause"),
             {"key": "pause", "type": "wait", "amount": 3, "unit": "days",
              "window": "weekdays_9_17", "next": "check"},
             {"key": "check", "type": "condition", "test": "opened", "step": "hello",
              "then": "split", "else": "call"},
             {"key": "split", "type": "branch", "cases": [
                 {"test": "band", "band": "hot", "next": "tag"}], "default": "done"},
             {"key": "tag", "type": "tag", "tag": "warm lead", "next": "done"},
             {"key": "call", "type": "task", "kind": "call", "title": "Call",
              "assignee": "", "due_days": 2, "next": "done"},
             {"key": "done", "type": "end"}]
    sequence_id = await live_sequence(steps, clock, name="Autumn nurture")
    ann = await consenting("ann@example.com", clock)
    await enrolment.enrol(sequence_id, [ann], reason="manual", now=clock.now())
    await execute("INSERT INTO recruiter_tasks (person, kind, title, assignee, created_at) "
                  "VALUES ($1, 'call', 'Call Ann', 'rita@test.local', now())", ann)
    await sign_in_staff(page, live_server.base_url, "rita@test.local", "a-long-test-password")
    base = "/backoffice/sequences"
    for path in (base, f"{base}/new", f"{base}/{sequence_id}",
                 f"{base}/{sequence_id}/enrollments?q=ann", "/backoffice/tasks"):
        response = await page.goto(live_server.url(path))
        assert response is not None and response.status == 200, path
        await assert_accessible(page, path)
    await page.goto(live_server.url(f"{base}/new"))
    await page.get_by_role("button", name="Save", exact=True).last.click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, "new sequence with errors")


async def test_campaign_and_sequence_report_pages_are_accessible(page, live_server):
    """The demo's finished campaign report (every figure group, skipped reasons, links),
    its drill-down pages, the welcome series report and one of its steps' people."""
    from domain.db import fetchval
    from domain.demo.service import seed_demo
    from domain.ports import SystemClock

    await seed_demo(clock=SystemClock(), people=300, staff_password="a-long-demo-password")
    campaign = await fetchval("SELECT id FROM campaigns WHERE state = 'finished'")
    sequence = await fetchval("SELECT id FROM sequences WHERE name = 'Welcome series'")
    await sign_in_staff(page, live_server.base_url, "recruiter@demo.local",
                        "a-long-demo-password")
    report = f"/backoffice/campaigns/{campaign}/report"
    steps = f"/backoffice/sequences/{sequence}/report"
    for path in (report, f"{report}/people?figure=clicked",
                 f"{report}/people?figure=skipped&reason=frequency_cap",
                 f"{report}/people?figure=hired", steps,
                 f"{steps}/people?step=welcome&figure=opened"):
        response = await page.goto(live_server.url(path))
        assert response is not None and response.status == 200, path
        await assert_accessible(page, path)


async def test_campaign_pages_are_accessible(page, live_server, community):
    """The campaign list, the form (new, with errors, edit with a CSV report), the campaign
    page with its eligibility forecast, the approval screen, the preview, the sends in
    doubt and the marketing settings."""
    from domain.accounts import service as accounts
    from domain.campaigns import campaigns
    from domain.campaigns import templates as marketing
    from domain.db import fetch
    from domain.ports import SystemClock

    clock = SystemClock()
    boss = await accounts.create_user(email="ada@test.local", full_name="Ada Admin",
                                      roles=["admin"], password="a-long-admin-password",
                                      clock=clock)
    author = await accounts.create_user(email="rita@test.local", full_name="Rita Recruiter",
                                        roles=["recruiter"], password="a-long-test-password",
                                        clock=clock)
    template = await marketing.create(marketing.parse({
        "name": "Invite", "purpose": "community_emails", "subject": "Hi {{ first_name }}",
        "html_body": '<p>Hi {{ first_name }}</p><p><a href="{{ unsubscribe_url }}">'
                     "Unsubscribe</a> {{ postal_address }}</p>"}), by=boss, clock=clock)
    draft = await campaigns.parse({"name": "Winter meetup", "template": str(template),
                                   "audience_kind": "community",
                                   "community_slug": "engineering", "send_mode": "now",
                                   "zone_mode": "fixed", "time_zone": "Europe/Paris"})
    campaign = await campaigns.create(draft, by=author, clock=clock)
    await campaigns.submit(campaign, by=author, clock=clock)
    person = (await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) VALUES "
        "('ann.c@example.com', 'Ann Example', 'test', now(), now()) RETURNING id"))[0]["id"]
    await fetch("INSERT INTO marketing_sends (campaign, person, state, claimed_at, created_at) "
                "VALUES ($1, $2, 'in_doubt', now(), now())", campaign, person)
    await sign_in_staff(page, live_server.base_url, "ada@test.local", "a-long-admin-password")
    base = "/backoffice/campaigns"
    for path in (base, f"{base}/new", f"{base}/{campaign}", f"{base}/{campaign}/edit",
                 f"{base}/{campaign}/approve", f"{base}/{campaign}/preview?q=ann",
                 f"{base}/{campaign}/preview?person={person}", f"{base}/{campaign}/in-doubt",
                 f"{base}/settings"):
        response = await page.goto(live_server.url(path))
        assert response is not None and response.status == 200, path
        if path == f"{base}/{campaign}":
            await page.wait_for_selector("#eligibility")  # the forecast, loaded by htmx
        await assert_accessible(page, path)
    await page.goto(live_server.url(f"{base}/new"))
    await page.get_by_role("button", name="Save").click()
    await page.wait_for_selector("[data-error-summary]")
    await assert_accessible(page, "new campaign with errors")
    await page.goto(live_server.url(f"{base}/{campaign}/edit"))
    await page.set_input_files("#f-file", files=[{
        "name": "people.csv", "mimeType": "text/csv",
        "buffer": b"email\nann.c@example.com\nnobody@example.com\n"}])
    await page.get_by_role("button", name="Upload").click()
    await page.wait_for_selector("text=1 people matched")
    await assert_accessible(page, "campaign CSV upload report")
