"""Nurture sequences, the pure part: typed steps, their validation when saved, the graph
checks (every next key exists, no cycles, everything reachable from the one start step),
entry and exit rules.

A version's steps are a list of dicts; the first one is the start step. Every step has a
unique `key`; the others point at it by `next` (or `then`/`else` for a condition, each
case's `next` and `default` for a branch). `end` has no successor.
"""

from __future__ import annotations

import re
from typing import Any

from domain.campaigns import rules as campaign_rules

STEP_TYPES = {
    "email": "Send an email", "wait": "Wait", "condition": "If / else",
    "branch": "Branch", "task": "Recruiter task", "pool_stage": "Move to a pool stage",
    "tag": "Tag the person", "end": "End",
}
WAIT_UNITS = {"days": "days", "weeks": "weeks", "months": "months"}
WINDOWS = {"": "Any time", "weekdays_9_17": "Weekdays 9:00-17:00 in the person's time zone"}
# Tests a condition or a branch case can make. The first three look at an earlier email
# step of the same enrolment; the others at what the person did since they enrolled.
TESTS = {
    "opened": "Opened the email of step", "clicked": "Clicked in the email of step",
    "replied": "Replied to the email of step",
    "registered": "Registered for an event since enrolling",
    "applied": "Applied to a job since enrolling", "band": "Engagement band is",
}
EMAIL_TESTS = {"opened", "clicked", "replied"}
BANDS = ("hot", "warm", "cold")
TASK_KINDS = {"call": "Call", "note": "Personal note"}
ENTRY_KINDS = {
    "community_joined": "Joined a community", "pool_added": "Added to a pool",
    "tagged": "Tagged", "silver_medalist": "Rejected as a silver medalist",
    "went_cold": "Engagement went cold",
}
EXIT_KINDS = {
    "applied": "Applied to a job", "hired": "Hired",
    "unsubscribed": "Withdrew consent for the sequence's purpose",
    "replied": "Replied (pauses; a recruiter can resume)",
}
DEFAULT_EXITS = ["applied", "hired", "unsubscribed", "replied"]
MAX_STEPS, MAX_CASES, MAX_WAIT, MAX_DUE_DAYS = 50, 8, 36, 365
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _text(raw: dict, name: str) -> str:
    return str(raw.get(name) or "").strip()


def _int(raw: dict, name: str) -> int | None:
    try:
        return int(_text(raw, name))
    except ValueError:
        return None


def _test(raw: dict, prefix: str, errors: dict[str, str], field: str) -> dict[str, Any]:
    test = _text(raw, f"{prefix}test")
    if test not in TESTS:
        errors[field] = "Choose what to test."
        return {"test": test}
    found: dict[str, Any] = {"test": test}
    if test in EMAIL_TESTS:
        found["step"] = _text(raw, f"{prefix}step")
    if test == "band":
        found["band"] = _text(raw, f"{prefix}band")
        if found["band"] not in BANDS:
            errors[field] = "Choose an engagement band."
    return found


def _parse_email(raw: dict, step: dict, errors: dict[str, str], field: str) -> None:
    subject = campaign_rules.one_line(_text(raw, "subject"))
    html_body = _text(raw, "html_body").replace("\r\n", "\n")
    text_body = _text(raw, "text_body").replace("\r\n", "\n")
    # The step editor shows one message per step: the first of the content's problems.
    found: dict[str, str] = {}
    html_body = campaign_rules.checked_content(subject, html_body, text_body, found)
    if found:
        errors[field] = next(iter(found.values()))
    step.update(subject=subject, html_body=html_body, text_body=text_body,
                text_is_custom=bool(text_body), template_id=_int(raw, "template_id"))


def _parse_one(raw: dict, errors: dict[str, str], field: str) -> dict[str, Any]:
    """One step from its form fields (without the `steps-N-` prefix)."""
    kind = _text(raw, "type")
    step: dict[str, Any] = {"key": _text(raw, "key").lower(), "type": kind}
    if kind not in STEP_TYPES:
        errors[field] = "Choose the kind of step."
        return step
    if kind not in ("condition", "branch", "end"):
        step["next"] = _text(raw, "next")
    if kind == "email":
        _parse_email(raw, step, errors, field)
    elif kind == "wait":
        step.update(amount=_int(raw, "amount"), unit=_text(raw, "unit"),
                    window=_text(raw, "window"))
        amount = step["amount"] or 0
        if not 1 <= amount <= MAX_WAIT or step["unit"] not in WAIT_UNITS:
            errors[field] = f"Wait between 1 and {MAX_WAIT} days, weeks or months."
        elif step["window"] not in WINDOWS:
            errors[field] = "Choose when the next step may run."
    elif kind == "condition":
        step.update(_test(raw, "", errors, field))
        step.update(then=_text(raw, "then"), **{"else": _text(raw, "else")})
    elif kind == "branch":
        cases = [dict(_test(raw, f"case{i}_", errors, field), next=_text(raw, f"case{i}_next"))
                 for i in range(MAX_CASES) if _text(raw, f"case{i}_test")]
        step.update(cases=cases, default=_text(raw, "default"))
        if not cases:
            errors.setdefault(field, "Give the branch at least one case.")
    elif kind == "task":
        step.update(kind=_text(raw, "kind"), title=" ".join(_text(raw, "title").split()),
                    assignee=_text(raw, "assignee").lower(), due_days=_int(raw, "due_days"))
        if step["kind"] not in TASK_KINDS:
            errors[field] = "Choose a call or a personal note."
        elif not step["title"] or len(step["title"]) > 200:
            errors[field] = "Give the task a title of at most 200 characters."
        elif step["due_days"] is None or not 0 <= step["due_days"] <= MAX_DUE_DAYS:
            errors[field] = f"The task is due in 0 to {MAX_DUE_DAYS} days."
    elif kind == "pool_stage":
        step.update(pool_id=_int(raw, "pool_id"), stage=_text(raw, "stage"))
        if not step["pool_id"] or not step["stage"]:
            errors[field] = "Choose a pool and one of its stages."
    elif kind == "tag":
        step["tag"] = " ".join(_text(raw, "tag").split())
        if not step["tag"] or len(step["tag"]) > 60:
            errors[field] = "Write a tag of at most 60 characters."
    return step


def parse_steps(rows: list[dict]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Steps from the editor's rows (in order; the first is the start step), and the
    errors keyed `steps-N` (or `steps` for the whole graph)."""
    errors: dict[str, str] = {}
    steps = [_parse_one(raw, errors, f"steps-{n}") for n, raw in enumerate(rows)]
    if not errors:
        graph = problems(steps)
        errors.update(graph)
    return steps, errors


def successors(step: dict[str, Any]) -> list[str]:
    kind = step.get("type")
    if kind == "end":
        return []
    if kind == "condition":
        return [step.get("then", ""), step.get("else", "")]
    if kind == "branch":
        return [case.get("next", "") for case in step.get("cases", [])] + [step.get("default", "")]
    return [step.get("next", "")]


def problems(steps: list[dict[str, Any]]) -> dict[str, str]:
    """Graph checks: keys valid and unique, every next key exists, email tests name an
    email step, no cycles, every step reachable from the start step."""
    if not steps:
        return {"steps": "Add at least one step."}
    if len(steps) > MAX_STEPS:
        return {"steps": f"A sequence has at most {MAX_STEPS} steps."}
    errors: dict[str, str] = {}
    index: dict[str, int] = {}
    for n, step in enumerate(steps):
        key = step.get("key", "")
        if not _KEY.match(key):
            errors[f"steps-{n}"] = "Give the step a key: letters, digits, - or _."
        elif key in index:
            errors[f"steps-{n}"] = f"The key {key!r} is used by another step."
        else:
            index[key] = n
    if errors:
        return errors
    emails = {s["key"] for s in steps if s["type"] == "email"}
    for n, step in enumerate(steps):
        missing = [k for k in successors(step) if k not in index]
        if missing:
            errors[f"steps-{n}"] = (f"Step {step['key']!r} goes to {missing[0] or '(nothing)'}"
                                    ", which is not a step of this sequence.")
        for test in [step, *step.get("cases", [])]:
            if test.get("test") in EMAIL_TESTS and test.get("step") not in emails:
                errors[f"steps-{n}"] = "Test an email step of this sequence."
    if errors:
        return errors
    cycle = _cycle(steps, index)
    if cycle:
        return {"steps": f"The steps loop back through {cycle!r}; a sequence must end."}
    unreachable = [s["key"] for s in steps if s["key"] not in _reachable(steps, index)]
    if unreachable:
        return {"steps": f"Step {unreachable[0]!r} can never be reached from the first step."}
    return {}


def _reachable(steps: list[dict[str, Any]], index: dict[str, int]) -> set[str]:
    seen, todo = set(), [steps[0]["key"]]
    while todo:
        key = todo.pop()
        if key not in seen:
            seen.add(key)
            todo.extend(successors(steps[index[key]]))
    return seen


def _cycle(steps: list[dict[str, Any]], index: dict[str, int]) -> str:
    """A key on a cycle, or ''. Iterative depth-first colouring."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    for root in steps:
        stack = [(root["key"], iter(successors(root)))]
        if state.get(root["key"]):
            continue
        state[root["key"]] = 1
        while stack:
            key, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[key] = 2
                stack.pop()
            elif state.get(child) == 1:
                return child
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(successors(steps[index[child]]))))
    return ""


def step_of(steps: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    return next((s for s in steps if s.get("key") == key), None)


def start_key(steps: list[dict[str, Any]]) -> str:
    return steps[0]["key"] if steps else ""


def parse_entry_rules(raw: dict) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Entry rules from the form: `entry_<kind>` checkboxes with their value fields."""
    rules: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    if raw.get("entry_community_joined"):
        slug = _text(raw, "entry_community")
        rules.append({"kind": "community_joined", "community": slug})
        if not slug:
            errors["entry_community"] = "Choose the community."
    if raw.get("entry_pool_added"):
        pool = _int(raw, "entry_pool")
        rules.append({"kind": "pool_added", "pool_id": pool})
        if not pool:
            errors["entry_pool"] = "Choose the pool."
    if raw.get("entry_tagged"):
        tag = " ".join(_text(raw, "entry_tag").split())
        rules.append({"kind": "tagged", "tag": tag})
        if not tag or len(tag) > 60:
            errors["entry_tag"] = "Write the tag."
    if raw.get("entry_silver_medalist"):
        rules.append({"kind": "silver_medalist",
                      "job_function": _text(raw, "entry_job_function")})
    if raw.get("entry_went_cold"):
        rules.append({"kind": "went_cold"})
    return rules, errors


def parse_exit_rules(raw: dict) -> list[str]:
    return [kind for kind in EXIT_KINDS if raw.get(f"exit_{kind}")]


def describe_entry(rule: dict[str, Any]) -> str:
    label = ENTRY_KINDS.get(rule.get("kind", ""), rule.get("kind", ""))
    detail = rule.get("community") or rule.get("tag") or rule.get("job_function") or ""
    if rule.get("pool_id"):
        detail = f"pool #{rule['pool_id']}"
    return f"{label}: {detail}" if detail else label


def migration_map(old_steps: list[dict], new_steps: list[dict]) -> dict[str, str]:
    """Where an enrolment waiting at an old step key goes in the new version: the same
    key when the new version has it; otherwise it is left on its own version."""
    new_keys = {s["key"] for s in new_steps}
    return {s["key"]: s["key"] for s in old_steps if s["key"] in new_keys}
