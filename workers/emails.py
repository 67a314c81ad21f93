"""Email rendering: templates/email/<name>/{subject.txt, body.txt, body.html}.

A separate Jinja environment from the web one, and it must autoescape HTML too:
Jinja's default is autoescape off, which would let a person's name inject markup.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def email_environment(directory: Path = TEMPLATES) -> Environment:
    return Environment(
        loader=FileSystemLoader(directory),
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

    def build(self, template: str, context: dict, *, to: str, email_id: int) -> EmailMessage:
        subject, text, html = self.render(template, context)
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.sender
        message["To"] = to
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(idstring=f"tl{email_id}", domain="talentloop.local")
        message["X-Talentloop-Email-Id"] = str(email_id)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message
