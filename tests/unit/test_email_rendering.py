from email import policy
from email.parser import BytesParser

from workers.emails import EmailRenderer, email_environment

CONTEXT = {
    "person_name": "<script>alert(1)</script>",
    "community_name": "Engineering & Data",
    "confirm_url": "http://testserver/confirm/abc.def",
    "community_url": "http://testserver/communities/engineering",
    "expires_days": 7,
}


def renderer() -> EmailRenderer:
    return EmailRenderer(sender="Acme <careers@acme.example>", company_name="Acme",
                         postal_address="1 Market St")


def test_email_environment_autoescapes_html_but_not_text():
    env = email_environment()
    assert env.autoescape("body.html") is True
    assert env.autoescape("subject.txt") is False


def test_confirmation_email_escapes_names_in_html():
    subject, text, html = renderer().render("community_confirm", CONTEXT)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert CONTEXT["confirm_url"] in text and CONTEXT["confirm_url"] in html
    assert "Engineering" in subject and "\n" not in subject


def test_message_has_both_parts_and_headers():
    message = renderer().build("community_confirm", CONTEXT, to="ann@example.com", email_id=9)
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert parsed["To"] == "ann@example.com"
    assert parsed["X-Talentloop-Email-Id"] == "9"
    assert parsed.get_body(("plain",)) is not None
    assert parsed.get_body(("html",)) is not None
    assert "1 Market St" in parsed.get_body(("html",)).get_content()


def test_already_member_email_renders():
    subject, text, html = renderer().render("community_already_member", CONTEXT)
    assert "already" in (subject + text).lower()
    assert CONTEXT["community_url"] in html
