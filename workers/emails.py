"""Email rendering: templates/email/<name>/{subject.txt, body.txt, body.html}.

A separate Jinja environment from the web one, and it must autoescape HTML too:
Jinja's default is autoescape off, which would let a person's name inject markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from settings import get_settings

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


class _UnfoldedHeader(UnstructuredHeader, BaseHeader):
    """A header written on one line. Folding a long URL (longer than 78 characters and
    without spaces) turns it into RFC 2047 encoded words, which mail providers do not
    decode in List-Unsubscribe; RFC 5322 allows lines up to 998 characters."""

    max_count = 1

    def fold(self, *, policy: Any) -> str:
        return f"{self.name}: {self}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _UnfoldedHeader)
_HEADERS.map_to_type("list-unsubscribe-post", _UnfoldedHeader)
MESSAGE_POLICY = policy.default.clone(header_factory=_HEADERS)


def add_list_unsubscribe(message: EmailMessage, url: str, mailto: str | None = None) -> None:
    """RFC 2369 + RFC 8058 one-click unsubscribe, for marketing mail only: exactly one
    http(s) URI (plus an optional mailto) and the One-Click POST marker."""
    unsafe = set("<>, \r\n")
    if not url.startswith(("https://", "http://")) or unsafe & set(url + (mailto or "")):
        raise ValueError("List-Unsubscribe needs one absolute http(s) URL")
    targets = ([f"<mailto:{mailto}>"] if mailto else []) + [f"<{url}>"]
    message["List-Unsubscribe"] = ", ".join(targets)
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"


def email_environment(directory: Path = TEMPLATES) -> Environment:
    return Environment(
        loader=FileSystemLoader(directory),
        # A production worker only sees new templates after a restart (a deploy), so it
        # need not stat() each template and its layout for every email it renders (B5:
        # ~2% of a campaign send's CPU). In development an edited template shows at once.
        auto_reload=not get_settings().is_production,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class EmailRenderer:
    def __init__(self, *, sender: str, company_name: str, postal_address: str,
                 environment: Environment | None = None) -> None:
        self.env = environment or email_environment()
        self.sender = sender
        self.common = {"company_name": company_name, "postal_address": postal_address}

    def render(self, template: str, context: dict) -> tuple[str, str, str]:
        data = {**self.common, **context}
        subject = self.env.get_template(f"email/{template}/subject.txt").render(data)
        text = self.env.get_template(f"email/{template}/body.txt").render(data)
        html = self.env.get_template(f"email/{template}/body.html").render(data)
        # Header injection guard: a subject is one line, whatever the data contained.
        return " ".join(subject.split()), text, html

    def build(self, template: str, context: dict, *, to: str, email_id: int,
              list_unsubscribe: str | None = None,
              list_unsubscribe_mailto: str | None = None,
              attachments: Sequence[dict] = ()) -> EmailMessage:
        subject, text, html = self.render(template, context)
        message = EmailMessage(policy=MESSAGE_POLICY)
        message["Subject"] = subject
        message["From"] = self.sender
        message["To"] = to
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(idstring=f"tl{email_id}", domain="talentloop.local")
        message["X-Talentloop-Email-Id"] = str(email_id)
        message["Auto-Submitted"] = "auto-generated"
        if list_unsubscribe:
            add_list_unsubscribe(message, list_unsubscribe, list_unsubscribe_mailto)
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        # Inline images first: they join the HTML part (multipart/related) before the
        # other attachments turn the whole message into multipart/mixed.
        for attachment in sorted(attachments, key=lambda item: "content_id" not in item):
            _attach(message, attachment)
        return message


def _attach(message: EmailMessage, attachment: dict) -> None:
    """`{filename, content_type, data: bytes, params?, content_id?}`; params such as a
    calendar METHOD go on the Content-Type, where mail clients look for them. With a
    content_id the part is an inline image of the HTML body, which shows it as
    `<img src="cid:CONTENT_ID">`."""
    maintype, _, subtype = attachment["content_type"].partition("/")
    if "content_id" in attachment:
        html_part = message.get_body(preferencelist=("related", "html"))
        if html_part is None:
            raise ValueError("an inline image needs the HTML body")
        html_part.add_related(attachment["data"], maintype=maintype, subtype=subtype,
                              cid=f"<{attachment['content_id']}>",
                              filename=attachment["filename"], disposition="inline")
        return
    message.add_attachment(attachment["data"], maintype=maintype, subtype=subtype,
                           filename=attachment["filename"],
                           params=attachment.get("params") or {})
