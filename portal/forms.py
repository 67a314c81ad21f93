"""Portal form parsing and validation: loose input in, typed request or field errors out."""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar.datastructures import FormMultiDict

from domain.communities.service import JoinRequest
from domain.people.rules import InvalidEmail, clean_name, normalise_email

MAX_NAME = 200


@dataclass
class JoinForm:
    full_name: str = ""
    email: str = ""
    interests: list[str] = field(default_factory=list)
    consent: bool = False
    consent_text_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: FormMultiDict) -> JoinForm:
        return cls(
            full_name=str(data.get("full_name", "")),
            email=str(data.get("email", "")),
            interests=[str(value) for value in data.getall("interests", [])],
            consent=data.get("consent") == "yes",
            consent_text_id=str(data.get("consent_text_id", "")),
        )

    def values(self) -> dict:
        return {"full_name": self.full_name, "email": self.email, "interests": self.interests}

    def validate(self, *, community: dict, consent_text: dict, ip: str, user_agent: str
                 ) -> JoinRequest | None:
        name = clean_name(self.full_name, max_length=MAX_NAME + 1)
        if not name:
            self.errors["full_name"] = "Enter your name."
        elif len(name) > MAX_NAME:
            self.errors["full_name"] = f"Use at most {MAX_NAME} characters."
        try:
            email = normalise_email(self.email)
        except InvalidEmail as exc:
            self.errors["email"] = str(exc)
        unknown = set(self.interests) - set(community["interest_options"] or [])
        if unknown:
            self.errors["interests"] = "Choose interests from the list."
        if not self.consent:
            self.errors["consent"] = "Tick the box to agree, so we can email you the link."
        elif self.consent_text_id != str(consent_text["id"]):
            # The wording changed while the form was open: consent to text nobody saw is
            # not consent, so ask again with the current wording.
            self.errors["consent"] = "Our consent text has changed. Please read it again."
        if self.errors:
            return None
        return JoinRequest(
            slug=community["slug"], email=email, full_name=name,
            interests=tuple(dict.fromkeys(self.interests)),
            consent_text_id=int(consent_text["id"]), ip=ip, user_agent=user_agent,
        )
