"""Requisition and stage template forms as posted: strings in, the raw dicts that
`domain.requisitions.rules` and `.stages` check, and rows back into form values.

Repeated rows (screening questions, template stages) arrive as numbered fields
(questions-0-label, stages-2-kind, …); the forms always offer one empty row, and the
"Add another" buttons re-render with one more.
"""

from __future__ import annotations

from litestar.datastructures import FormMultiDict

_FIELDS = ("title", "team", "locations", "remote_policy", "employment_type", "seniority",
           "job_function", "required_skills", "nice_skills", "description", "salary_min",
           "salary_max", "salary_currency", "salary_period", "openings", "target_start")
_QUESTION_PARTS = ("key", "label", "kind", "choices", "knockout")
_STAGE_PARTS = ("order", "name", "kind", "candidate_label", "scorecard_attributes", "email")
_MAX_ROWS = 40


def _rows(form: FormMultiDict, name: str) -> int:
    count = str(form.get(f"{name}_rows", "0"))
    return min(int(count), _MAX_ROWS) if count.isdigit() else 0


def raw_requisition(form: FormMultiDict) -> dict:
    raw: dict = {name: str(form.get(name, ""))[:25_000] for name in _FIELDS}
    raw["template"] = str(form.get("template", ""))
    raw["questions"] = [
        {part: str(form.get(f"questions-{i}-{part}", ""))[:2000] for part in _QUESTION_PARTS}
        | {"required": form.get(f"questions-{i}-required") == "yes"}
        for i in range(_rows(form, "question"))
    ]
    return raw


def raw_stage(form: FormMultiDict, prefix: str = "") -> dict:
    """One stage's fields; `prefix` is "stages-3-" inside the template form."""
    row = {part: str(form.get(f"{prefix}{part}", ""))[:2000] for part in _STAGE_PARTS}
    return row | {"late_stage": form.get(f"{prefix}late_stage") == "yes",
                  "ask_scorecard": form.get(f"{prefix}ask_scorecard") == "yes",
                  "request_availability": form.get(f"{prefix}request_availability") == "yes"}


def raw_template(form: FormMultiDict) -> dict:
    return {"name": str(form.get("name", ""))[:500],
            "description": str(form.get("description", ""))[:5000],
            "silver_threshold": str(form.get("silver_threshold", ""))[:20],
            "stages": [raw_stage(form, f"stages-{i}-") for i in range(_rows(form, "stage"))]}


def requisition_values(requisition: dict, skill_names: dict[str, str]) -> dict:
    """An existing requisition as the form shows it (skills by their display names)."""

    def names(slugs: list[str] | None) -> str:
        return ", ".join(skill_names.get(slug, slug) for slug in slugs or [])

    def number(value: int | None) -> str:
        return "" if value is None else str(value)

    return {
        **{name: requisition.get(name) or "" for name in _FIELDS},
        "locations": ", ".join(requisition.get("locations") or []),
        "required_skills": names(requisition.get("required_skills")),
        "nice_skills": names(requisition.get("nice_skills")),
        "salary_min": number(requisition.get("salary_min")),
        "salary_max": number(requisition.get("salary_max")),
        "openings": str(requisition.get("openings") or 1),
        "target_start": requisition["target_start"].isoformat()
        if requisition.get("target_start") else "",
        "questions": [{**q, "choices": ", ".join(q.get("choices") or []),
                       "knockout": q.get("knockout") or ""}
                      for q in requisition.get("screening_questions") or []],
    }


def new_requisition_values(template: str = "") -> dict:
    return {**dict.fromkeys(_FIELDS, ""), "remote_policy": "onsite",
            "employment_type": "full_time", "salary_period": "year", "openings": "1",
            "template": template, "questions": []}


def with_blank_question(values: dict, extra: int = 1) -> dict:
    questions = list(values.get("questions") or [])
    questions += [{"key": "", "label": "", "kind": "text", "choices": "", "knockout": "",
                   "required": False} for _ in range(extra)]
    return {**values, "questions": questions}


def stage_values(stage: dict) -> dict:
    automation = stage.get("automation") or {}
    return {"name": stage["name"], "kind": stage["kind"],
            "candidate_label": stage["candidate_label"], "late_stage": stage["late_stage"],
            "scorecard_attributes": ", ".join(stage.get("scorecard_attributes") or []),
            "email": automation.get("email", ""),
            "ask_scorecard": bool(automation.get("ask_scorecard")),
            "request_availability": bool(automation.get("request_availability"))}


def template_values(template: dict, stages: list[dict]) -> dict:
    return {"name": template["name"], "description": template["description"],
            "silver_threshold": str(template["silver_threshold"]),
            "stages": [{**stage_values(s), "order": str(n)}
                       for n, s in enumerate(stages, start=1)]}


def with_blank_stage(values: dict, extra: int = 1) -> dict:
    stages = list(values.get("stages") or [])
    stages += [{"order": "", "name": "", "kind": "custom", "candidate_label": "",
                "late_stage": False, "scorecard_attributes": "", "email": "",
                "ask_scorecard": False, "request_availability": False}
               for _ in range(extra)]
    return {**values, "stages": stages}
