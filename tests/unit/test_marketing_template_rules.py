"""Marketing template rules: the email HTML allow-list, required footer, merge fields,
hostile templates, the generated text version and one-line subjects."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.campaigns import rules
from domain.sandbox import TemplateProblem

FOOTER = '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> · {{ postal_address }}</p>'
VALUES = dict(rules.SAMPLE_CONTEXT)


def test_sanitise_keeps_email_tags_and_drops_scripts_styles_handlers_and_bad_links():
    source = ('<h1 onclick="x()">Hi</h1><script>alert(1)</script><style>p{}</style>'
              '<p style="color:red">text</p><a href="javascript:alert(1)">bad</a>'
              '<a href="https://ok.example/">ok</a><a href="mailto:a@b.c">mail</a>'
              '<img src="https://img.example/a.png" alt="A" width="10" onerror="x()">'
              '<img src="data:image/png;base64,AAAA" alt="data">'
              '<table><tr><td>cell</td></tr></table><iframe src="https://x"></iframe>')
    clean = rules.sanitise(source)
    for gone in ("<script", "<style", "onclick", "onerror", "style=", "javascript:",
                 "<iframe", "data:image"):
        assert gone not in clean
    for kept in ("<h1>Hi</h1>", 'href="https://ok.example/"', 'href="mailto:a@b.c"',
                 'src="https://img.example/a.png"', 'width="10"', "<td>cell</td>"):
        assert kept in clean


def test_merge_field_links_survive_save_time_cleaning_only():
    source = '<a href="{{ unsubscribe_url }}">u</a>'
    assert 'href="{{ unsubscribe_url }}"' in rules.sanitise(source, allow_merge_fields=True)
    assert "href" not in rules.sanitise(source)


def test_saving_requires_the_unsubscribe_link_and_postal_address():
    assert rules.problems("Hi", "<p>Hi {{ first_name }}</p>" + FOOTER, "") == {}
    errors = rules.problems("Hi", "<p>Hi {{ first_name }}</p>", "")
    assert "{{ unsubscribe_url }}" in errors["html_body"]
    assert "{{ postal_address }}" in errors["html_body"]
    only_link = rules.problems("Hi", '<a href="{{ unsubscribe_url }}">u</a>', "")
    assert "{{ postal_address }}" in only_link["html_body"]
    assert "unsubscribe link" not in only_link["html_body"]
    custom = rules.problems("Hi", FOOTER, "Hi {{ first_name }}")
    assert set(custom) == {"text_body"}
    # A footer inside a branch that never renders does not count.
    hidden = rules.problems("Hi", "{% if false %}" + FOOTER + "{% endif %}", "")
    assert "html_body" in hidden


def test_every_documented_merge_field_renders():
    body = "".join(f"<p>{{{{ {name} }}}}</p>" for name in rules.MERGE_FIELDS)
    assert rules.problems("{{ first_name }} {{ event_title }}", body, "") == {}
    rendered = rules.render_template("{{ first_name }}", body, "", VALUES)
    for value in VALUES.values():
        assert value in rendered.html and value in rendered.text


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ config }}",
    "{% include '/etc/passwd' %}",
    "{{ 'x' * 1000000 }}",
    "{{ 'x'|center(100000000) }}",
    "{% for a in range(999) %}{% for b in range(999) %}{% for c in range(999) %}"
    "{% endfor %}{% endfor %}{% endfor %}",
    "{% for a in range(1000) %}{% for b in range(1000) %}xxxxxxxxxx{% endfor %}{% endfor %}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{{ unknown_field }}",
    "{% if %}",
])
def test_hostile_or_broken_templates_are_refused_per_field(source):
    errors = rules.problems(source, FOOTER + source, "")
    assert set(errors) == {"subject", "html_body"}
    with pytest.raises(TemplateProblem):
        rules.render_template(source, FOOTER, "", VALUES)


def test_names_are_escaped_in_html_and_as_typed_in_text():
    values = VALUES | {"first_name": "<script>alert(1)</script>"}
    rendered = rules.render_template("Hi", "<p>Hi {{ first_name }}</p>" + FOOTER, "", values)
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "Hi <script>alert(1)</script>" in rendered.text


def test_text_version_is_readable_with_link_urls():
    text = rules.html_to_text(
        '<h1>News</h1><p>Hello &amp; welcome,<br>friend.</p><ul><li>One</li><li>Two</li></ul>'
        '<p><a href="https://example.com/x">Read more</a> or '
        '<a href="mailto:a@b.c">write</a></p><img src="https://i/x.png" alt="Logo">')
    assert text == ("News\n\nHello & welcome,\nfriend.\n\n- One\n- Two\n\n"
                    "Read more (https://example.com/x) or write\n\n[Logo]\n")


@pytest.mark.parametrize("name", ["Ann\r\nBcc: victim@example.com", "Ann\nX-Evil: 1",
                                  "Ann\u2028Bcc: a@b.c", "Ann\rTo: a@b.c"])
def test_line_breaks_in_a_subject_never_make_extra_headers(name):
    rendered = rules.render_template("Hi {{ first_name }}", FOOTER, "",
                                     VALUES | {"first_name": name})
    assert "\r" not in rendered.subject and "\n" not in rendered.subject
    assert "\u2028" not in rendered.subject
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = rendered.subject
    message["To"] = "staff@example.com"
    message.set_content(rendered.text)
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert parsed.keys() == ["Subject", "To", "Content-Type", "Content-Transfer-Encoding",
                             "MIME-Version"]


# Pieces of what staff write (and what a merge value may bring), tags outside the
# allow-list, odd attributes and entities included: sanitised, the fast text version
# must equal the HTMLParser one.
_PIECES = st.sampled_from([
    "<p>", "</p>", "<h1>", "</h1>", "<ul>", "<li>", "</li>", "</ul>", "<br>", "<br/>",
    "<table><tr><td>", "</td><th align=\"left\">", "</th></tr></table>", "<hr>",
    '<a href="https://example.com/a?x=1&amp;y=2">', '<a href="mailto:a@b.c">',
    "<a href='https://example.com/\"q\"'>", '<a title="t > u" href="http://e.x/">',
    "<a>", "</a>", '<img src="https://i.example/x.png" alt="A &quot;logo&quot;">',
    '<img alt="no src">', "<div>", "</div>", "<script>x()</script>", "<style>p{}</style>",
    "<!-- note -->", "<b>", "</b>", "<EM>", "</EM>", "<blockquote>", "</blockquote>",
    "&amp;", "&lt;", "&gt;", "&nbsp;", "&#169;", "&eacute;", "&bogus;", "<", ">", "\"",
    " ", "  \n\t ", "\r\n", "Hello", "world", "caf\u00e9", "a > b", "x<y", "\u00a0"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=30))
def test_fast_text_version_equals_the_parser_one_for_sanitised_html(pieces):
    html = rules.sanitise("".join(pieces))
    assert rules.sanitised_html_to_text(html) == rules.html_to_text(html)


def test_fast_text_version_shows_rewritten_links():
    html = rules.sanitise('<p>See <a href="https://example.com/jobs">jobs</a></p>',
                          rewrite=lambda url: "https://t.example/c/abc?x=1&y=2")
    assert rules.sanitised_html_to_text(html) == rules.html_to_text(html) == (
        "See jobs (https://t.example/c/abc?x=1&y=2)\n")
