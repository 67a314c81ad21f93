"""The application form: who applies (guests only), the answers and the consent box."""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar.datastructures import FormMultiDict

from domain.people.rules import InvalidHint, normalise_linkedin, normalise_phone
from domain.pipeline import rules
from portal.forms import EventGuestForm

MAX_ANSWER = 2000


@dataclass
class ApplyForm:
    full_name: str = ""
    email: str = ""
    consent: bool = False
    consent_text_id: str = ""
    phone: str = ""
    linkedin: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: FormMultiDict, questions: list[dict]) -> ApplyForm:
        return cls(
            full_name=str(data.get("full_name", "")), email=str(data.get("email", "")),
            consent=data.get("consent") == "yes",
            consent_text_id=str(data.get("consent_text_id", "")),
            phone=str(data.get("phone", ""))[:60], linkedin=str(data.get("linkedin", ""))[:300],
            answers={q["key"]: str(data.get(f"answer-{q['key']}", ""))[:MAX_ANSWER]
                     for q in questions},
        )

    def values(self) -> dict:
        return {"full_name": self.full_name, "email": self.email, "consent": self.consent,
                "phone": self.phone, "linkedin": self.linkedin}

    def hints(self) -> tuple[str, str]:
        """The optional phone (E.164) and LinkedIn URL, normalised; '' when not given or
        not readable (then `errors` names the field)."""
        phone = linkedin = ""
        try:
            phone = normalise_phone(self.phone)
        except InvalidHint as exc:
            self.errors["phone"] = str(exc)
        if self.linkedin.strip():
            linkedin = normalise_linkedin(self.linkedin)
            if not linkedin:
                self.errors["linkedin"] = ("Enter the address of your LinkedIn profile, like "
                                           "https://www.linkedin.com/in/your-name.")
        return phone, linkedin

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
        self.hints()
        if not self.consent:
            self.errors["consent"] = "Tick the box to agree, so we can consider your application."
        elif self.consent_text_id != str(consent_text_id):
            self.errors["consent"] = "Our consent text has changed. Please read it again."
        return None if self.errors else cleaned
