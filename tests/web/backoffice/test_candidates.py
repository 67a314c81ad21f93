import re

from domain.db import fetch
from tests.web.portal.test_communities import confirmation_path, join


async def test_login_rejects_wrong_password_without_revealing_accounts(browser, staff_user):
    await browser.get("/backoffice/login")
    wrong = await browser.submit("/backoffice/login",
                                 {"email": "recruiter@test.local", "password": "nope"})
    unknown = await browser.submit("/backoffice/login",
                                   {"email": "ghost@test.local", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 422
    message = "That email and password do not match an active account."
    assert message in wrong.text and message in unknown.text
    audit = await fetch("SELECT action, actor FROM audit_entries ORDER BY id")
    assert [a["action"] for a in audit] == ["staff.login_failed", "staff.login_failed"]


async def test_session_id_is_rotated_at_sign_in(browser, staff_user):
    await browser.get("/backoffice/login")
    browser.client.cookies.set("tl_staff", "planted-by-attacker", domain="testserver.local",
                               path="/backoffice")
    response = await browser.submit(
        "/backoffice/login", {"email": "recruiter@test.local", "password": "a-long-test-password"})
    assert response.status_code == 303
    issued = re.search(r"tl_staff=([^;]+)", response.headers["set-cookie"]).group(1)
    assert issued not in {"planted-by-attacker", "null"}
    assert (await browser.get("/backoffice/candidates")).status_code == 200


async def test_sign_out_ends_the_session(signed_in):
    page = await signed_in.get("/backoffice/candidates")
    assert page.status_code == 200
    await signed_in.submit("/backoffice/logout", {})
    assert (await signed_in.get("/backoffice/candidates")).status_code == 303


async def test_open_redirects_are_refused(browser, staff_user):
    await browser.get("/backoffice/login")
    response = await browser.submit("/backoffice/login", {
        "email": "recruiter@test.local", "password": "a-long-test-password",
        "next": "https://evil.example/"})
    assert response.headers["location"] == "/backoffice/"


async def test_roles_without_permission_get_403(browser, clock):
    from domain.accounts import service as accounts

    await accounts.create_user(email="hm@test.local", full_name="H M", roles=["hiring_manager"],
                               password="a-long-test-password", clock=clock)
    await browser.get("/backoffice/login")
    await browser.submit("/backoffice/login",
                         {"email": "hm@test.local", "password": "a-long-test-password"})
    response = await browser.get("/backoffice/candidates")
    assert response.status_code == 403
    denied = await fetch(
        "SELECT action FROM audit_entries WHERE action = 'staff.permission_denied'")
    assert len(denied) == 1


async def test_person_joined_on_portal_appears_with_timeline(signed_in, community, mail,
                                                             worker_burst):
    await join(signed_in, name="<script>alert('x')</script> Ann", email="ann@example.com")
    path = await confirmation_path(mail, worker_burst)
    await signed_in.get(path)
    await signed_in.submit(path, {})

    listing = await signed_in.get("/backoffice/candidates?q=ann@exam")
    assert "ann@example.com" in listing.text
    assert "<script>alert" not in listing.text and "&lt;script&gt;" in listing.text
    person_id = (await fetch("SELECT id FROM people"))[0]["id"]
    detail = await signed_in.get(f"/backoffice/candidates/{person_id}")
    assert detail.status_code == 200
    assert "<script>alert" not in detail.text
    for expected in ("Consent given", "Consent requested", "Joined a community", "Email"):
        assert expected in detail.text, expected
    # Consent evidence (IP, user agent) stays in the ledger, out of recruiters' pages.
    assert "203.0.113.7" not in detail.text
    assert "python-httpx" not in detail.text


async def test_candidate_list_filters_and_pages_by_keyset(signed_in, community):
    await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "SELECT 'p' || i || '@example.com', 'Person ' || i, 'test', "
        "now() - (i || ' minutes')::interval, now() FROM generate_series(1, 120) i"
    )
    first = await signed_in.get("/backoffice/candidates")
    assert first.text.count("@example.com</") >= 50 or "p1@example.com" in first.text
    next_url = re.search(r'href="(/backoffice/candidates\?after=[^"]+)"', first.text).group(1)
    second = await signed_in.get(next_url.replace("&amp;", "&"),
                                 headers={"hx-request": "true"})
    assert second.status_code == 200
    assert "p51@example.com" in second.text and "p1@example.com" not in second.text
    assert "<html" not in second.text, "htmx requests get only the rows"
    damaged = await signed_in.get("/backoffice/candidates?after=%%%")
    assert damaged.status_code == 422


async def test_unknown_person_is_a_404_page(signed_in):
    response = await signed_in.get("/backoffice/candidates/999999")
    assert response.status_code == 404


async def test_mail_outbox_lists_and_shows_sink_messages_safely(signed_in, community, mail,
                                                                worker_burst):
    await join(signed_in, name="<b>Bold</b> Ann", email="ann@example.com")
    await worker_burst()
    listing = await signed_in.get("/backoffice/mail")
    assert listing.status_code == 200
    key = re.search(r'href="/backoffice/mail/([^"/]+)"', listing.text).group(1)
    detail = await signed_in.get(f"/backoffice/mail/{key}")
    assert "Confirm" in detail.text and "ann@example.com" in detail.text
    frame = await signed_in.get(f"/backoffice/mail/{key}/html")
    assert frame.status_code == 200
    assert "sandbox" in frame.headers["content-security-policy"]
    assert "script-src" not in frame.headers["content-security-policy"]
    assert (await signed_in.get("/backoffice/mail/..%2F..%2Fetc%2Fpasswd")).status_code == 404


async def test_anonymised_people_are_not_listed(signed_in):
    await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) VALUES "
        "('kept@example.com', 'Kept', 'test', now(), now()), "
        "('erased-99@invalid', '', 'test', now(), now())")
    listing = await signed_in.get("/backoffice/candidates")
    assert "kept@example.com" in listing.text
    assert "erased-99@invalid" not in listing.text
