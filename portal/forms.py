"""Portal form parsing and validation: loose input in, typed request or field errors out."""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar.datastructures import FormMultiDict

from domain.communities.service import JoinRequest
from domain.people.rules import InvalidEmail, clean_name, normalise_email
from domain.profiles import rules as profile_rules
from domain.profiles.service import ProfileUpdate

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


PROFILE_TEXT_LIMITS = {"full_name": MAX_NAME, "headline": 200, "city": 120}
PROFILE_CHOICES = {
    "job_function": profile_rules.JOB_FUNCTIONS, "seniority": profile_rules.SENIORITIES,
    "open_to_opportunities": profile_rules.OPEN_STATUSES,
}


@dataclass
class ProfileForm:
    """The candidate's profile. Links come one per line and skills as free text; skills
    are matched to the taxonomy here (unknown ones are kept as typed)."""

    full_name: str = ""
    headline: str = ""
    city: str = ""
    country: str = ""
    time_zone: str = ""
    links: str = ""
    skills: str = ""
    job_function: str = ""
    seniority: str = ""
    work_modes: list[str] = field(default_factory=list)
    open_to_relocation: bool = False
    open_to_opportunities: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: FormMultiDict) -> ProfileForm:
        def text(name: str) -> str:
            return str(data.get(name, ""))[:4000]  # bounded, it is echoed back on errors

        return cls(
            full_name=text("full_name"), headline=text("headline"), city=text("city"),
            country=text("country"), time_zone=text("time_zone"), links=text("links"),
            skills=text("skills"), job_function=text("job_function"),
            seniority=text("seniority"), open_to_opportunities=text("open_to_opportunities"),
            work_modes=[str(value) for value in data.getall("work_modes", [])][:10],
            open_to_relocation=data.get("open_to_relocation") == "yes",
        )

    @classmethod
    def from_profile(cls, row: dict) -> ProfileForm:
        keys = ("full_name", "headline", "city", "country", "time_zone", "job_function",
                "seniority", "open_to_opportunities")
        return cls(**{key: row.get(key) or "" for key in keys},
                   links="\n".join(row.get("links") or []), skills=row.get("skills_text", ""),
                   work_modes=list(row.get("work_modes") or []),
                   open_to_relocation=bool(row.get("open_to_relocation")))

    def values(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if key != "errors"}

    def validate(self, *, skill_index: profile_rules.SkillIndex) -> ProfileUpdate | None:
        texts = self._texts()
        self._check_choices()
        links = self._links()
        skills, unmatched = self._skills(skill_index)
        if self.errors:
            return None
        return ProfileUpdate(
            **texts, country=self.country, time_zone=self.time_zone, links=tuple(links),
            skills=tuple(skills), unmatched_skills=tuple(unmatched),
            job_function=self.job_function, seniority=self.seniority,
            work_modes=tuple(mode for mode, _ in profile_rules.WORK_MODES
                             if mode in self.work_modes),
            open_to_relocation=self.open_to_relocation,
            open_to_opportunities=self.open_to_opportunities,
        )

    def _texts(self) -> dict[str, str]:
        cleaned = {}
        for name, limit in PROFILE_TEXT_LIMITS.items():
            cleaned[name] = clean_name(getattr(self, name), max_length=limit + 1)
            if len(cleaned[name]) > limit:
                self.errors[name] = f"Use at most {limit} characters."
        if not cleaned["full_name"]:
            self.errors["full_name"] = "Enter your name."
        return cleaned

    def _check_choices(self) -> None:
        if self.country and self.country not in profile_rules.COUNTRIES:
            self.errors["country"] = "Choose a country from the list."
        if self.time_zone and self.time_zone not in profile_rules.time_zones():
            self.errors["time_zone"] = "Choose a time zone from the list."
        for name, choices in PROFILE_CHOICES.items():
            if getattr(self, name) and getattr(self, name) not in dict(choices):
                self.errors[name] = "Choose an option from the list."
        if not set(self.work_modes) <= set(dict(profile_rules.WORK_MODES)):
            self.errors["work_modes"] = "Choose remote, hybrid or on-site."

    def _links(self) -> list[str]:
        links, problems = profile_rules.clean_links(self.links.splitlines())
        if problems:
            self.errors["links"] = " ".join(problems)
        return links

    def _skills(self, index: profile_rules.SkillIndex) -> tuple[list[str], list[str]]:
        try:
            return profile_rules.normalise_skills([self.skills], index)
        except profile_rules.InvalidSkills as exc:
            self.errors["skills"] = str(exc)
            return [], []


@dataclass
class PreferencesForm:
    """The preference centre: cadence, channels and a pause (1-26 weeks, 'resume', or
    blank to keep things as they are), plus helpers for the per-community forms."""

    cadence: str = ""
    channels: list[str] = field(default_factory=list)
    pause: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: FormMultiDict) -> PreferencesForm:
        return cls(cadence=str(data.get("cadence", "")),
                   channels=[str(value) for value in data.getall("channels", [])][:10],
                   pause=str(data.get("pause", "")).strip())

    def values(self) -> dict:
        return {"cadence": self.cadence, "channels": self.channels, "pause": self.pause}

    def validate(self) -> dict | None:
        """Keyword arguments for preferences.save_contact_preferences, or None."""
        from domain.preferences.rules import preference_errors

        weeks = int(self.pause) if self.pause.isdigit() and len(self.pause) < 4 else None
        if self.pause not in ("", "resume") and weeks is None:
            self.errors["pause"] = "Choose how long to pause for."
        self.errors.update(preference_errors(self.cadence, self.channels, weeks))
        if self.errors:
            return None
        return {"cadence": self.cadence, "channels": list(dict.fromkeys(self.channels)),
                "pause_weeks": weeks, "resume": self.pause == "resume"}

    @staticmethod
    def interests(data: FormMultiDict) -> list[str]:
        return [str(value) for value in data.getall("interests", [])][:50]

    @staticmethod
    def consent_errors(data: FormMultiDict, consent_text: dict) -> dict[str, str]:
        """The consent box for joining while signed in: ticked, against the current text."""
        if data.get("consent") != "yes":
            return {"consent": "Tick the box to agree, so we can add you to the community."}
        if str(data.get("consent_text_id", "")) != str(consent_text["id"]):
            return {"consent": "Our consent text has changed. Please read it again."}
        return {}

    @staticmethod
    def consent_target(data: FormMultiDict) -> tuple[str, str, int]:
        """(purpose, scope, consent_text_id) of a withdraw or give-again button."""
        raw_text_id = str(data.get("consent_text_id", ""))
        return (str(data.get("purpose", ""))[:40], str(data.get("scope", ""))[:80],
                int(raw_text_id) if raw_text_id.isdigit() and len(raw_text_id) < 10 else 0)


@dataclass
class EventGuestForm:
    """Registering for an event without signing in: a name and an email (registering is
    not consent to marketing; `event_news` is the separate, optional box)."""

    full_name: str = ""
    email: str = ""
    event_news: bool = False
    consent_text_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: FormMultiDict) -> EventGuestForm:
        return cls(full_name=str(data.get("full_name", "")), email=str(data.get("email", "")),
                   event_news=data.get("event_news") == "yes",
                   consent_text_id=str(data.get("consent_text_id", "")))

    def values(self) -> dict:
        return {"full_name": self.full_name, "email": self.email,
                "event_news": self.event_news}

    def check_news_text(self, current_text_id: int) -> None:
        """Consent to wording nobody saw is not consent: ask again if it changed."""
        if self.event_news and self.consent_text_id != str(current_text_id):
            self.errors["event_news"] = "Our wording has changed. Please read it again."

    def validate(self) -> tuple[str, str] | None:
        """(email, name) or None with errors set."""
        name = clean_name(self.full_name, max_length=MAX_NAME + 1)
        if not name:
            self.errors["full_name"] = "Enter your name."
        elif len(name) > MAX_NAME:
            self.errors["full_name"] = f"Use at most {MAX_NAME} characters."
        try:
            email = normalise_email(self.email)
        except InvalidEmail as exc:
            self.errors["email"] = str(exc)
        return None if self.errors else (email, name)
