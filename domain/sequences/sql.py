"""The scheduler's and the enrolment's statements. Every dynamic piece is one of the
fixed fragments below; values always travel as $n parameters."""

from __future__ import annotations

from typing import Any

# The latest decisive consent entry of the person for the sequence's purpose (in the
# sequence's scope, or any scope when it has none) is a 'given' one. The sender checks
# again at send time with the full rules (expiry policy, pauses, suppression).
CONSENTED = (
    "EXISTS (SELECT 1 FROM consent_records c WHERE c.person = {person} "
    "AND c.purpose = {purpose} AND ({scope} = '' OR c.scope = {scope}) "
    "AND c.action = 'given' AND NOT EXISTS (SELECT 1 FROM consent_records later "
    "WHERE later.person = c.person AND later.purpose = c.purpose AND later.scope = c.scope "
    "AND later.action IN ('given', 'withdrawn', 'expired') "
    "AND (later.occurred_at, later.id) > (c.occurred_at, c.id)))")

# Why an enrolment must stop now, by the exit rules of its version; NULL when none does.
# Hired wins over applied. A reply pauses (unless a recruiter resumed it after that reply;
# pause_for_reply handles later replies as they arrive).
_EXIT_REASON = (
    "CASE WHEN v.exit_rules ? 'hired' AND EXISTS (SELECT 1 FROM applications a "  # noqa: S608  # nosec B608 # fixed fragments, $n params
    "  WHERE a.person = e.person AND a.status = 'hired') THEN 'hired' "
    "WHEN v.exit_rules ? 'applied' AND EXISTS (SELECT 1 FROM applications a "
    "  WHERE a.person = e.person AND a.applied_at >= e.entered_at) THEN 'applied' "
    "WHEN v.exit_rules ? 'unsubscribed' AND NOT "
    + CONSENTED.format(person="e.person", purpose="s.purpose", scope="s.consent_scope")
    + " THEN 'unsubscribed' "
    "WHEN v.exit_rules ? 'replied' AND e.paused_reason <> 'resumed' AND EXISTS ("
    "  SELECT 1 FROM marketing_sends ms WHERE ms.enrollment = e.id "
    "  AND ms.replied_at IS NOT NULL) THEN 'replied' END")

EXITS = (
    "WITH why AS (SELECT e.id, " + _EXIT_REASON + " AS reason "  # noqa: S608  # nosec B608 # fixed fragments
    "  FROM sequence_enrollments e JOIN sequence_versions v ON v.sequence = e.sequence "
    "  AND v.version = e.version JOIN sequences s ON s.id = e.sequence "
    "  WHERE e.id = ANY($1::bigint[])) "
    "UPDATE sequence_enrollments e SET "
    "state = CASE WHEN w.reason = 'replied' THEN 'paused' ELSE 'exited' END, "
    "paused_reason = CASE WHEN w.reason = 'replied' THEN 'replied' ELSE e.paused_reason END, "
    "exit_reason = CASE WHEN w.reason = 'replied' THEN e.exit_reason ELSE w.reason END, "
    "exited_at = CASE WHEN w.reason = 'replied' THEN e.exited_at ELSE $2 END, "
    "updated_at = $2 FROM why w WHERE e.id = w.id AND w.reason IS NOT NULL "
    "RETURNING e.id, e.person, e.sequence, w.reason")

QUEUE_EMAILS = (
    "INSERT INTO marketing_sends (enrollment, step_key, person, state, created_at) "
    "SELECT u.id, $3, u.person, 'queued', $4 "
    "FROM unnest($1::bigint[], $2::int[]) u(id, person) "
    "ON CONFLICT (enrollment, step_key) WHERE enrollment IS NOT NULL DO NOTHING")

CREATE_TASKS = (
    "INSERT INTO recruiter_tasks (person, kind, title, notes, assignee, enrollment, due_at, "
    "created_at) SELECT u.person, $3, $4, '', $5, u.id, "
    "$6::timestamptz + make_interval(days => $7), $6 "
    "FROM unnest($1::bigint[], $2::int[]) u(id, person)")

ADVANCE = ("UPDATE sequence_enrollments SET step_key = $2, due_at = $3, updated_at = $3 "
           "WHERE id = ANY($1::bigint[])")

_UNIT = {"days": "days", "weeks": "weeks", "months": "months"}

# The due time rolled forward into weekdays 9:00-17:00 in the person's zone (profiles;
# UTC when unknown or not a zone PostgreSQL knows).
_ROLLED = (
    "UPDATE sequence_enrollments e SET step_key = $2, updated_at = $3, "
    "due_at = (CASE WHEN extract(isodow FROM l1.t) = 6 THEN date_trunc('day', l1.t) "
    "  + interval '2 days 9 hours' WHEN extract(isodow FROM l1.t) = 7 "
    "  THEN date_trunc('day', l1.t) + interval '1 day 9 hours' ELSE l1.t END) "
    "  AT TIME ZONE z.zone "
    "FROM sequence_enrollments x "
    "LEFT JOIN profiles pr ON pr.person = x.person "
    "LEFT JOIN pg_timezone_names tz ON tz.name = pr.time_zone "
    "CROSS JOIN LATERAL (SELECT coalesce(tz.name, 'UTC') AS zone) z "
    "CROSS JOIN LATERAL (SELECT ($3::timestamptz + make_interval({unit} => $4)) "
    "  AT TIME ZONE z.zone AS t) l0 "
    "CROSS JOIN LATERAL (SELECT CASE WHEN extract(hour FROM l0.t) < 9 "
    "  THEN date_trunc('day', l0.t) + interval '9 hours' "
    "  WHEN extract(hour FROM l0.t) >= 17 "
    "  THEN date_trunc('day', l0.t) + interval '1 day 9 hours' ELSE l0.t END AS t) l1 "
    "WHERE x.id = ANY($1::bigint[]) AND e.id = x.id")

_PLAIN_WAIT = ("UPDATE sequence_enrollments SET step_key = $2, updated_at = $3, "
               "due_at = $3::timestamptz + make_interval({unit} => $4) "
               "WHERE id = ANY($1::bigint[])")


def advance_after_wait(step: dict[str, Any]) -> str:
    """The statement moving past a wait: $1 ids, $2 next key, $3 now, $4 amount."""
    unit = _UNIT[step.get("unit", "days")]
    template = _ROLLED if step.get("window") == "weekdays_9_17" else _PLAIN_WAIT
    return template.replace("{unit}", unit)


class _Args:
    def __init__(self, first: int) -> None:
        self.values: list[Any] = []
        self.first = first

    def add(self, value: Any, cast: str) -> str:
        self.values.append(value)
        return f"${self.first + len(self.values) - 1}::{cast}"


def _test(test: dict[str, Any], args: _Args) -> str:
    kind = test.get("test")
    if kind in ("opened", "clicked", "replied"):
        column = {"opened": "opened_at", "clicked": "clicked_at", "replied": "replied_at"}[kind]
        return ("EXISTS (SELECT 1 FROM marketing_sends ms WHERE ms.enrollment = e.id "  # noqa: S608  # nosec B608 # fixed column names
                f"AND ms.step_key = {args.add(test.get('step', ''), 'text')} "
                f"AND ms.{column} IS NOT NULL)")
    if kind == "registered":
        return ("EXISTS (SELECT 1 FROM engagement_events ev WHERE ev.person = e.person "
                "AND ev.type = 'event_registered' AND ev.occurred_at >= e.entered_at)")
    if kind == "applied":
        return ("EXISTS (SELECT 1 FROM applications a WHERE a.person = e.person "
                "AND a.applied_at >= e.entered_at)")
    if kind == "band":
        band = args.add(test.get("band", ""), "text")
        # No score yet reads as cold, as in segments.
        return (f"coalesce((SELECT band FROM engagement_scores es WHERE es.person = e.person),"  # noqa: S608  # nosec B608 # fixed fragments, $n params
                f" 'cold') = {band}")
    return "false"


def choice(step: dict[str, Any], *, first_arg: int) -> tuple[str, list[Any]]:
    """The CASE giving the next step key of a condition or a branch, and its args."""
    args = _Args(first_arg)
    if step["type"] == "condition":
        cases = [({"test": step.get("test"), "step": step.get("step"),
                   "band": step.get("band")}, step.get("then", ""))]
        default = step.get("else", "")
    else:
        cases = [(case, case.get("next", "")) for case in step.get("cases", [])]
        default = step.get("default", "")
    whens = " ".join(f"WHEN {_test(test, args)} THEN {args.add(target, 'text')}"
                     for test, target in cases)
    return f"(CASE {whens} ELSE {args.add(default, 'text')} END)", args.values


# Enrol people (the candidates, $1) in a live sequence ($2) at its start step ($3):
# not while open in it, nor (unless the sequence allows) while in another sequence or
# an active application, and only with consent for its purpose. $6: automatic entries
# also skip anyone ever enrolled in it before.
ENROL = (
    "WITH s AS (SELECT * FROM sequences WHERE id = $2 AND state = 'live'), "  # noqa: S608  # nosec B608 # fixed fragments, $n params
    "added AS (INSERT INTO sequence_enrollments (sequence, version, person, state, step_key, "
    "  due_at, entered_at, entry_reason, paused_reason, exit_reason, updated_at) "
    "  SELECT s.id, s.live_version, p.id, 'active', $3, $4, $4, $5, '', '', $4 "
    "  FROM people p CROSS JOIN s WHERE p.id = ANY($1::int[]) AND p.merged_into IS NULL "
    "  AND (s.allow_overlap OR NOT EXISTS (SELECT 1 FROM sequence_enrollments o "
    "       WHERE o.person = p.id AND o.state IN ('active', 'paused'))) "
    "  AND (s.allow_during_application OR NOT EXISTS (SELECT 1 FROM applications a "
    "       WHERE a.person = p.id AND a.status = 'active')) "
    "  AND NOT ($6::boolean AND EXISTS (SELECT 1 FROM sequence_enrollments o "
    "       WHERE o.sequence = s.id AND o.person = p.id)) "
    "  AND " + CONSENTED.format(person="p.id", purpose="s.purpose", scope="s.consent_scope")
    + "  ON CONFLICT (sequence, person) WHERE state IN ('active', 'paused') DO NOTHING "
    "  RETURNING id, person, sequence), "
    "events AS (INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
    "  SELECT person, 'sequence_enrolled', $4, 'sequence:' || sequence, "
    "  jsonb_build_object('reason', $5::text) FROM added) "
    "SELECT id, person FROM added")
