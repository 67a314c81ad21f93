"""Stage lists, checked: pure rules shared by stage templates and a requisition's own stages.

The special kinds drive the pipeline (where an application starts, what counts as hired,
rejected or withdrawn), so every list must keep exactly one of each and start with the
applied stage.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

STAGE_KINDS = {"applied": "Applied", "screen": "Screen", "interview": "Interview",
               "offer": "Offer", "hired": "Hired", "rejected": "Rejected",
               "withdrawn": "Withdrawn", "custom": "Custom"}
# Exactly one of each of these in every stage list.
SINGLE_KINDS = ("applied", "hired", "rejected", "withdrawn")
MAX_STAGES = 30
MAX_ATTRIBUTES = 12
MAX_NAME = 80


@dataclass
class Stage:
    name: str
    kind: str
    candidate_label: str
    late_stage: bool = False
    scorecard_attributes: list[str] = field(default_factory=list)
    email: str = ""
    ask_scorecard: bool = False
    request_availability: bool = False

    def automation(self) -> dict:
        return {"email": self.email, "ask_scorecard": self.ask_scorecard,
                "request_availability": self.request_availability}


@dataclass
class TemplateDraft:
    name: str
    description: str
    silver_threshold: Decimal
    stages: list[Stage]


def text(value: object) -> str:
    return " ".join(str(value or "").split())


def parse_stage(row: dict, prefix: str, errors: dict[str, str],
                email_keys: Collection[str] | None = None) -> Stage:
    """One stage row from a form (strings and a few booleans); problems land in `errors`
    under `prefix` (the row's field name). `email_keys`: the active stage email templates
    the automation may name (None: not checked here)."""
    name, label = text(row.get("name")), text(row.get("candidate_label"))
    kind = str(row.get("kind") or "")
    attributes = [text(a) for a in str(row.get("scorecard_attributes") or "").split(",")
                  if text(a)]
    email = text(row.get("email"))
    if not name or len(name) > MAX_NAME:
        errors[prefix] = f"Give the stage a name of at most {MAX_NAME} characters."
    elif kind not in STAGE_KINDS:
        errors[prefix] = "Choose the kind of stage."
    elif not label or len(label) > MAX_NAME:
        errors[prefix] = (f"Give the label candidates see, at most {MAX_NAME} characters "
                          "(for example “Under review”).")
    elif len(attributes) > MAX_ATTRIBUTES or any(len(a) > MAX_NAME for a in attributes):
        errors[prefix] = f"List at most {MAX_ATTRIBUTES} scorecard attributes, separated " \
                         "by commas."
    elif len(email) > 80:
        errors[prefix] = "Use at most 80 characters for the email template name."
    elif email and email_keys is not None and email not in email_keys:
        errors[prefix] = "Choose one of the active stage email templates (or none)."
    return Stage(name=name, kind=kind, candidate_label=label,
                 late_stage=bool(row.get("late_stage")), scorecard_attributes=attributes,
                 email=email, ask_scorecard=bool(row.get("ask_scorecard")),
                 request_availability=bool(row.get("request_availability")))


def stage_list_problem(stages: list[Stage] | list[dict]) -> str:
    """Why this ordered list cannot drive a pipeline ('' when it can)."""
    kinds = [s.kind if isinstance(s, Stage) else s["kind"] for s in stages]
    names = [(s.name if isinstance(s, Stage) else s["name"]).casefold() for s in stages]
    if len(stages) > MAX_STAGES:
        return f"Use at most {MAX_STAGES} stages."
    for kind in SINGLE_KINDS:
        if kinds.count(kind) != 1:
            return f"Keep exactly one “{STAGE_KINDS[kind]}” stage."
    if kinds[0] != "applied":
        return "The “Applied” stage must come first."
    if len(set(names)) != len(names):
        return "Give every stage a different name."
    return ""


def parse_template(raw: dict, email_keys: Collection[str] | None = None,
                   ) -> tuple[TemplateDraft | None, dict[str, str]]:
    """The stage template form. Blank stage rows are dropped (the form offers an empty
    one); rows are ordered by their "order" number, then as shown."""
    errors: dict[str, str] = {}
    name = text(raw.get("name"))
    if not name or len(name) > 120:
        errors["name"] = "Give the template a name of at most 120 characters."
    description = str(raw.get("description") or "").strip()
    if len(description) > 2000:
        errors["description"] = "Use at most 2,000 characters."
    threshold = _threshold(raw.get("silver_threshold"), errors)
    rows = [(index, row) for index, row in enumerate(raw.get("stages") or [])
            if text(row.get("name")) or text(row.get("candidate_label"))]
    rows.sort(key=lambda pair: (_order(pair[1].get("order"), pair[0]), pair[0]))
    stages = [parse_stage(row, f"stages-{index}", errors, email_keys) for index, row in rows]
    if not any(key.startswith("stages-") for key in errors):
        problem = stage_list_problem(stages) if stages else "Add the stages of the process."
        if problem:
            errors["stages"] = problem
    if errors or threshold is None:
        return None, errors
    return TemplateDraft(name=name, description=description, silver_threshold=threshold,
                         stages=stages), {}


def _threshold(value: object, errors: dict[str, str]) -> Decimal | None:
    try:
        number = Decimal(str(value or "").strip())
    except InvalidOperation:
        number = Decimal(-1)
    if not Decimal(1) <= number <= Decimal(4) or number != round(number, 2):
        errors["silver_threshold"] = "Enter a scorecard average from 1 to 4, e.g. 3 or 3.25."
        return None
    return number


def _order(value: object, fallback: int) -> int:
    digits = str(value or "").strip()
    return int(digits) if digits.isdigit() and len(digits) < 4 else fallback + 1
