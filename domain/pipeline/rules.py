"""Applying, as pure rules: screening answers, where an applicant came from, and the
voluntary self-identification categories. No I/O here."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from domain.events.drafts import answer_problems

# The consent purpose of an application (its text is versioned like every consent text).
JOB_PROCESSING = "job_processing"

DECLINED = "declined"
DECLINE_LABEL = "I don't wish to answer"

# The categories of the US EEO-1 / OFCCP voluntary self-identification forms.
GENDERS = (("female", "Female"), ("male", "Male"), ("non_binary", "Non-binary"),
           (DECLINED, DECLINE_LABEL))
RACES = (
    ("hispanic_latino", "Hispanic or Latino"),
    ("white", "White"),
    ("black", "Black or African American"),
    ("native_hawaiian_pacific", "Native Hawaiian or Other Pacific Islander"),
    ("asian", "Asian"),
    ("american_indian_alaska", "American Indian or Alaska Native"),
    ("two_or_more", "Two or more races"),
    (DECLINED, DECLINE_LABEL),
)
VETERAN = (("protected_veteran", "I identify as one or more of the classifications of "
                                 "protected veteran"),
           ("not_protected_veteran", "I am not a protected veteran"),
           (DECLINED, DECLINE_LABEL))
DISABILITY = (("yes", "Yes, I have a disability (or previously had a disability)"),
              ("no", "No, I do not have a disability"),
              (DECLINED, DECLINE_LABEL))
EEO_FIELDS = {"gender": GENDERS, "race_ethnicity": RACES, "veteran": VETERAN,
              "disability": DISABILITY}


def self_identification(values: Mapping[str, str]) -> dict[str, str]:
    """Each category's answer; anything missing or not on the list counts as declined,
    because answering is voluntary and a bad value must never be guessed into a group."""
    return {name: value if (value := str(values.get(name) or "")) in dict(options)
            else DECLINED for name, options in EEO_FIELDS.items()}


@dataclass(frozen=True)
class Screening:
    answers: dict[str, str]
    errors: dict[str, str]
    knockout: bool


def _knocks_out(question: dict, answer: str | None) -> bool:
    trigger = question.get("knockout")
    if answer is None or trigger in (None, ""):
        return False
    if isinstance(trigger, list):
        return answer in [str(value) for value in trigger]
    if isinstance(trigger, bool):  # yes/no questions may store the knockout as a boolean
        return answer == ("yes" if trigger else "no")
    return answer == str(trigger)


def screen(questions: list[dict], typed: Mapping[str, str]) -> Screening:
    """Check the answers (same rules as event questions) and flag a knockout answer. A
    knockout only flags the application for a recruiter: it never rejects by itself."""
    clean, errors = answer_problems(questions, dict(typed))
    knockout = any(_knocks_out(q, clean.get(q["key"])) for q in questions)
    return Screening(clean, errors, knockout and not errors)


# --- Source tracking ---------------------------------------------------------------------

SOURCE_PARAMS = {"utm_source": 120, "utm_medium": 120, "utm_campaign": 120,
                 "referral_code": 80}


def _clean_param(value: str, limit: int) -> str:
    printable = "".join(ch for ch in value if unicodedata.category(ch)[0] not in "CZ"
                        or ch == " ")
    return " ".join(printable.split())[:limit]


def parse_source(params: Mapping[str, str]) -> dict[str, str]:
    """utm_* and the referral code (`ref`) of an inbound link, cleaned and cut to the
    columns' sizes; {} when the link carries none (so it cannot overwrite a first touch)."""
    raw = {"utm_source": params.get("utm_source", ""), "utm_medium": params.get("utm_medium", ""),
           "utm_campaign": params.get("utm_campaign", ""),
           "referral_code": params.get("ref", "")}
    found = {key: _clean_param(str(value or ""), SOURCE_PARAMS[key]) for key, value in raw.items()}
    return found if any(found.values()) else {}


def source_label(touch: Mapping[str, str]) -> str:
    """The short `source` of an application (and of a person it creates)."""
    if touch.get("referral_code"):
        return "referral"
    utm = str(touch.get("utm_source") or "")
    return utm[:40] if utm else "portal"


# --- The candidate's view of an application ---------------------------------------------

def candidate_status(status: str, stage_label: str) -> str:
    """What the candidate reads: the stage's own label while active, and plain words once
    decided (never the internal stage name, and never a reason)."""
    return {"rejected": "Not selected", "withdrawn": "Withdrawn",
            "hired": "Hired"}.get(status, stage_label)
