"""Bulk actions, the pure part: kinds, limits, targets and the parameters each kind needs.

A target is one of three shapes (stored as BulkAction.target):
  {"person_ids": [...]}            exactly the ticked people, nobody else;
  {"segment": definition}          everyone matching the definition *when the action runs*;
  {"pool": id, "stage": "..."}     everyone in a static pool (at a stage) when it runs.
"""

from __future__ import annotations

from domain.errors import Invalid
from domain.people.tags import parse_tags

KINDS = {
    "tag": "Tag them",
    "add_to_pool": "Add them to a pool",
    "set_pool_stage": "Move them to a stage of this pool",
    "invite_to_event": "Invite them to an event",
    "export_csv": "Export them as CSV",
}
# Up to this many people the action runs inline, in one transaction; above, as a task.
INLINE_LIMIT = 500
BATCH_SIZE = 1000
# A run hands over to a follow-up task after this long (the worker's job timeout is 120 s).
HANDOVER_SECONDS = 60
MAX_SELECTION = 5000
EXPORT_DAYS = 7
EXPORT_COLUMNS = ("name", "email", "country", "headline", "skills", "score", "band",
                  "pools", "tags")
SKIP_REASONS = {
    "no_consent": "no event-email consent",
    "paused": "paused all email",
    "no_email_channel": "email is not among their channels",
    "suppressed": "address suppressed (bounce, complaint or erasure)",
    "registered": "already registered for the event",
    "already_invited": "already invited to this event",
}


def person_ids(values: list[str]) -> list[int]:
    """Ticked checkboxes → distinct ids, ignoring anything that is not a plausible id."""
    ids = {int(v) for v in values if str(v).isdigit() and len(str(v)) < 10}
    if len(ids) > MAX_SELECTION:
        raise Invalid("Too many people ticked.",
                      {"person": f"Tick at most {MAX_SELECTION:,} people, or act on all."})
    return sorted(ids)


def describe_target(target: dict) -> str:
    if "person_ids" in target:
        n = len(target["person_ids"])
        return f"the {n} ticked {'person' if n == 1 else 'people'}"
    if "segment" in target:
        return "everyone matching the segment"
    return "everyone in the pool" + (f" at stage {target['stage']}" if target.get("stage")
                                    else "")


def parse_params(kind: str, raw: dict, *, pool_stages: list[str] | None = None) -> dict:
    """The confirmation form → the action's parameters, or Invalid naming the field.
    Which pool and event exist (and may be used) is checked by the service."""
    if kind not in KINDS:
        raise Invalid("Choose an action.", {"kind": "Choose what to do."})
    errors: dict[str, str] = {}
    params: dict = {}
    if kind == "tag":
        try:
            params["tags"] = parse_tags(str(raw.get("tags") or ""))
        except Invalid as exc:
            errors.update(exc.errors)
    elif kind == "add_to_pool":
        value = str(raw.get("to_pool") or "")
        if not value.isdigit() or len(value) > 9:
            errors["to_pool"] = "Choose the pool to add them to."
        else:
            params["pool"] = int(value)
    elif kind == "set_pool_stage":
        stage = str(raw.get("to_stage") or "")
        if pool_stages is None:
            errors["kind"] = "Move people between stages from a pool's page."
        elif stage not in pool_stages:
            errors["to_stage"] = "Choose one of the pool's stages."
        params["stage"] = stage
    elif kind == "invite_to_event":
        slug = str(raw.get("event") or "")
        if not slug or len(slug) > 120:
            errors["event"] = "Choose the event to invite them to."
        params["event"] = slug
    if errors:
        raise Invalid("Please correct the highlighted fields.", errors)
    return params


def skipped_text(skipped: dict[str, int]) -> str:
    parts = [f"{SKIP_REASONS.get(key, key)}: {n:,}" for key, n in sorted(skipped.items()) if n]
    return "; ".join(parts)
