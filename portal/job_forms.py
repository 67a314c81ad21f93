"""The application form: who applies (guests only), the answers and the consent box."""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar.datastructures import FormMultiDict

from domain.pipeline import rules
from portal.forms import EventGuestForm

MAX_ANSWER = 2000


@dataclass
class ApplyForm:
    full_name: str = ""
    email: str = ""
    consent: bool = False
    consent_text_id: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: FormMultiDict, questions: list[dict]) -> ApplyForm:
        return cls(
            full_name=str(data.get("full_name", "")), email=str(data.get("email", "")),
            consent=data.get("consent") == "yes",
            consent_text_id=str(data.get("consent_text_id", "")),
            answers={q["key"]: str(data.get(f"answer-{q['key']}", ""))[:MAX_ANSWER]
                     for q in questions},
        )

    def values(self) -> dict:
        return {"full_name": self.full_name, "email": self.email, "consent": self.consent}

    def validate(self, *, questions: list[dict], consent_text_id: int,
                 guest: bool) -> tuple[str, str] | None:
        """(email, name) for a guest, ('', '') for a signed-in candidate, or None with
        `errors` set. The screening answers are checked here only to show every problem
        at once; the service checks them again."""
        cleaned: tuple[str, str] | None = ("", "")
        if guest:
            # Same name and email rules as every other guest form on the portal.
            identity = EventGuestForm(full_name=self.full_name, email=self.email)
            cleaned = identity.validate()
            self.errors.update(identity.errors)
        self.errors.update(rules.screen(questions, self.answers).errors)
        if not self.consent:
            self.errors["consent"] = "Tick the box to agree, so we can consider your application."
        elif self.consent_text_id != str(consent_text_id):
            self.errors["consent"] = "Our consent text has changed. Please read it again."
        return None if self.errors else cleaned
