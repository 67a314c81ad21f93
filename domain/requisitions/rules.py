"""What a recruiter types into the requisition form, checked, and the status lifecycle:
pure rules, no I/O (the skill index is passed in)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from domain.profiles.rules import (
    JOB_FUNCTIONS,
    SENIORITIES,
    InvalidSkills,
    SkillIndex,
    normalise_skills,
)

REMOTE_POLICIES = {"onsite": "On-site", "hybrid": "Hybrid", "remote": "Remote"}
EMPLOYMENT_TYPES = {"full_time": "Full time", "part_time": "Part time", "contract": "Contract",
                    "internship": "Internship", "temporary": "Temporary"}
SALARY_PERIODS = {"year": "Per year", "month": "Per month", "day": "Per day", "hour": "Per hour"}
QUESTION_KINDS = {"text": "Text", "choice": "Choice", "yes_no": "Yes / no"}
STATUSES = {"draft": "Draft", "open": "Open", "on_hold": "On hold", "closed": "Closed"}
CLOSE_REASONS = {"filled": "Filled", "cancelled": "Cancelled"}
MAX_QUESTIONS = 20
MAX_DESCRIPTION = 20_000

# status -> the statuses it may move to. A closed requisition stays closed: reopening
# would resurrect a pipeline whose candidates were already told the outcome.
TRANSITIONS = {"draft": {"open", "closed"}, "open": {"on_hold", "closed"},
               "on_hold": {"open", "closed"}, "closed": set()}


@dataclass
class Question:
    key: str
    label: str
    kind: str = "text"
    choices: list[str] = field(default_factory=list)
    required: bool = False
    knockout: str = ""

    def as_json(self) -> dict:
        return {"key": self.key, "label": self.label, "kind": self.kind,
                "choices": self.choices, "required": self.required,
                "knockout": self.knockout}


@dataclass
class RequisitionDraft:
    title: str
    team: str
    locations: list[str]
    remote_policy: str
    employment_type: str
    seniority: str
    job_function: str
    required_skills: list[str]
    nice_skills: list[str]
    description: str
    salary_min: int | None
    salary_max: int | None
    salary_currency: str
    salary_period: str
    openings: int
    target_start: date | None
    questions: list[Question]


def transition_problem(current: str, target: str, close_reason: str) -> str:
    """Why `current` cannot move to `target` ('' when it can)."""
    if target not in STATUSES:
        return "Choose a status."
    if target not in TRANSITIONS.get(current, set()):
        return f"A requisition that is {STATUSES.get(current, current).lower()} cannot " \
               f"become {STATUSES[target].lower()}."
    if target == "closed" and close_reason not in CLOSE_REASONS:
        return "Say why it closes: filled or cancelled."
    return ""


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:60].strip("-") or "job"


def parse_requisition(raw: dict, *, skills: SkillIndex) -> tuple[RequisitionDraft | None,
                                                                  dict[str, str]]:
    """`raw` holds the form's strings (questions as a list of row dicts). Returns the draft
    or the per-field errors, keyed by the form's field names."""
    errors: dict[str, str] = {}
    title = _text(raw.get("title"))
    if not title or len(title) > 200:
        errors["title"] = "Give the role a title of at most 200 characters."
    team = _text(raw.get("team"))
    if len(team) > 120:
        errors["team"] = "Use at most 120 characters."
    locations = [_text(p) for p in str(raw.get("locations") or "").split(",") if _text(p)]
    if len(locations) > 20 or any(len(place) > 120 for place in locations):
        errors["locations"] = "List at most 20 places, separated by commas."
    choices = {"remote_policy": REMOTE_POLICIES, "employment_type": EMPLOYMENT_TYPES,
               "seniority": dict(SENIORITIES), "job_function": dict(JOB_FUNCTIONS),
               "salary_period": SALARY_PERIODS}
    picked = {name: str(raw.get(name) or "") for name in choices}
    for name, allowed in choices.items():
        if picked[name] not in allowed and not (picked[name] == "" and name in
                                                ("seniority", "job_function")):
            errors[name] = "Choose one of the options."
    required = _skills(raw.get("required_skills"), "required_skills", skills, errors)
    nice = [s for s in _skills(raw.get("nice_skills"), "nice_skills", skills, errors)
            if s not in required]
    description = str(raw.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"Use at most {MAX_DESCRIPTION:,} characters."
    salary_min, salary_max, currency = _salary(raw, errors)
    openings = _whole(raw.get("openings") or "1", "openings", errors, high=500)
    target_start = _date(raw.get("target_start"), errors)
    questions = parse_questions(raw.get("questions") or [], errors)
    if errors or openings is None:
        return None, errors
    return RequisitionDraft(
        title=title, team=team, locations=locations, remote_policy=picked["remote_policy"],
        employment_type=picked["employment_type"], seniority=picked["seniority"],
        job_function=picked["job_function"], required_skills=required, nice_skills=nice,
        description=description, salary_min=salary_min, salary_max=salary_max,
        salary_currency=currency, salary_period=picked["salary_period"], openings=openings,
        target_start=target_start, questions=questions), {}


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


def _skills(value: object, name: str, index: SkillIndex, errors: dict[str, str]) -> list[str]:
    """Names, slugs and synonyms (and close spellings) become taxonomy slugs; anything
    else is refused by name, so the requisition only ever matches on known skills."""
    try:
        slugs, unknown = normalise_skills([str(value or "")], index)
    except InvalidSkills as exc:
        errors[name] = str(exc)
        return []
    if unknown:
        errors[name] = "Not in the skills list: " + ", ".join(unknown) + \
                       ". Pick a listed skill or a close name."
    return slugs


def _salary(raw: dict, errors: dict[str, str]) -> tuple[int | None, int | None, str]:
    low = _whole(raw.get("salary_min"), "salary_min", errors, high=100_000_000,
                 required=False)
    high = _whole(raw.get("salary_max"), "salary_max", errors, high=100_000_000,
                  required=False)
    currency = str(raw.get("salary_currency") or "").strip().upper()
    if low is not None and high is not None and low > high:
        errors["salary_max"] = "The maximum must be at least the minimum."
    # A currency is needed as soon as an amount is given, and must be a code when given.
    needs_currency = low is not None or high is not None or bool(currency)
    if needs_currency and not re.fullmatch(r"[A-Z]{3}", currency):
        errors["salary_currency"] = "Give the currency as a three-letter code, e.g. EUR."
    return low, high, currency


def _whole(value: object, name: str, errors: dict[str, str], *, high: int,
           required: bool = True) -> int | None:
    digits = str(value or "").strip().replace(",", "").replace(" ", "")
    if not digits:
        if required:
            errors[name] = "Enter a number."
        return None
    low = 1 if required else 0
    if not digits.isdigit() or not low <= int(digits) <= high:
        errors[name] = f"Enter a whole number from {low:,} to {high:,}."
        return None
    return int(digits)


def _date(value: object, errors: dict[str, str]) -> date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors["target_start"] = "Enter a date like 2027-03-01."
        return None


def parse_questions(rows: list[dict], errors: dict[str, str]) -> list[Question]:
    """Blank rows are dropped (the form always offers an empty one); keys stay stable so
    answers given before an edit still belong to their question. A knockout answer is
    the answer that screens a candidate out (yes/no and choice questions only)."""
    questions: list[Question] = []
    used: set[str] = set()
    for index, row in enumerate(rows):
        label = _text(row.get("label"))
        if not label:
            continue
        question = _question(row, label, f"questions-{index}", errors)
        key = str(row.get("key") or "")
        if not re.fullmatch(r"q[0-9]{1,4}", key) or key in used:
            key = _next_key(used | {str(r.get("key") or "") for r in rows})
        used.add(key)
        question.key = key
        questions.append(question)
    if len(questions) > MAX_QUESTIONS:
        errors["questions"] = f"Ask at most {MAX_QUESTIONS} questions."
    return questions


def _question(row: dict, label: str, name: str, errors: dict[str, str]) -> Question:
    kind = str(row.get("kind") or "text")
    choices = [_text(c) for c in str(row.get("choices") or "").split(",") if _text(c)]
    knockout = _text(row.get("knockout"))
    if kind not in QUESTION_KINDS:
        errors[name] = "Choose a kind of answer."
    elif len(label) > 300:
        errors[name] = "Use at most 300 characters for a question."
    elif kind == "choice" and not 2 <= len(choices) <= 20:
        errors[name] = "Give 2 to 20 choices, separated by commas."
    elif knockout and kind == "text":
        errors[name] = "Only yes/no and choice questions can have a knockout answer."
    elif knockout and kind == "yes_no" and knockout not in ("yes", "no"):
        errors[name] = "The knockout answer of a yes/no question is yes or no."
    elif knockout and kind == "choice" and knockout not in choices:
        errors[name] = "The knockout answer must be one of the choices."
    return Question(key="", label=label, kind=kind,
                    choices=choices if kind == "choice" else [],
                    required=bool(row.get("required")), knockout=knockout)


def _next_key(used: set[str]) -> str:
    number = 1
    while f"q{number}" in used:
        number += 1
    return f"q{number}"
