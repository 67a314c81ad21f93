"""The step editor's rows: stored steps ⇄ the flat form fields (`steps-N-<field>`), and
the editing operations (add, remove, move, copy a template's content) that re-render
the form without saving."""

from __future__ import annotations

from typing import Any

from domain.sequences import rules

FIELDS = ("key", "type", "next", "subject", "html_body", "text_body", "template_id",
          "amount", "unit", "window", "test", "step", "band", "then", "else", "default",
          "kind", "title", "assignee", "due_days", "pool_id", "stage", "tag")
CASE_FIELDS = ("test", "step", "band", "next")
CASES_SHOWN = 3


def to_rows(steps: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Stored steps as the editor's string fields (branch cases flattened)."""
    rows = []
    for step in steps:
        row = {name: "" if step.get(name) is None else str(step.get(name)) for name in FIELDS}
        for i, case in enumerate(step.get("cases", [])[:rules.MAX_CASES]):
            for name in CASE_FIELDS:
                row[f"case{i}_{name}"] = str(case.get(name) or "")
        rows.append(row)
    return rows


def from_form(form: dict[str, str]) -> list[dict[str, str]]:
    """The rows as posted, in order (`step_count` rows, `steps-N-` prefixed)."""
    try:
        count = min(int(form.get("step_count") or 0), rules.MAX_STEPS + 1)
    except ValueError:
        count = 0
    names = FIELDS + tuple(f"case{i}_{n}" for i in range(rules.MAX_CASES)
                           for n in CASE_FIELDS)
    return [{name: str(form.get(f"steps-{n}-{name}") or "")[:60_000] for name in names}
            for n in range(count)]


def _fresh_key(rows: list[dict[str, str]]) -> str:
    taken = {row.get("key") for row in rows}
    n = len(rows) + 1
    while f"s{n}" in taken:
        n += 1
    return f"s{n}"


def apply(op: str, rows: list[dict[str, str]], *, new_type: str = "",
          template: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """One editing operation: add:<type>, remove:N, up:N, down:N, copy:N (the chosen
    template's content into email step N). Unknown operations change nothing."""
    rows = [dict(row) for row in rows]
    verb, _, arg = op.partition(":")
    if verb == "add" and new_type in rules.STEP_TYPES and len(rows) < rules.MAX_STEPS:
        rows.append({"key": _fresh_key(rows), "type": new_type})
        return rows
    if not arg.isdigit() or int(arg) >= len(rows):
        return rows
    n = int(arg)
    if verb == "remove":
        del rows[n]
    elif verb == "up" and n > 0:
        rows[n - 1], rows[n] = rows[n], rows[n - 1]
    elif verb == "down" and n + 1 < len(rows):
        rows[n + 1], rows[n] = rows[n], rows[n + 1]
    elif verb == "copy" and template is not None:
        rows[n].update(subject=template["subject"], html_body=template["html_body"],
                       text_body=template["text_body"] if template["text_is_custom"] else "",
                       template_id=str(template["id"]))
    return rows
