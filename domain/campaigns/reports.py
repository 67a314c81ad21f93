"""Campaign and nurture-step reports: what happened to the sends of one campaign (or one
sequence step), what the recipients did downstream within the attribution window, the
link-level clicks, and the people behind every number.

Everything is set-based over `marketing_sends` (one aggregate statement per figure group,
never a query per recipient): a 10⁵-recipient campaign reads in well under a second by the
(campaign, state) index and the per-person indexes of engagement_events and applications.
Rates are relative to delivered (sent minus bounced).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain.csv_safety import csv_line
from domain.db import execute, fetch, transaction
from domain.errors import Invalid, NotFound

ATTRIBUTION_DAYS = 30
ATTRIBUTION = timedelta(days=ATTRIBUTION_DAYS)
PAGE_SIZE = 50

# A downstream step: the engagement event types that count as it, and the applications
# table as a second source (an application made before events were recorded still counts).
_REGISTERED = "e.type = 'event_registered'"
_APPLIED = "e.type IN ('applied', 'application_submitted')"
_INTERVIEWED = "e.type = 'interview_scheduled'"
_HIRED = "e.type = 'application_hired'"
_DOWNSTREAM_TYPES = ["event_registered", "applied", "application_submitted",
                     "interview_scheduled", "application_hired"]
STEPS = {"registered": _REGISTERED, "applied": _APPLIED, "interviewed": _INTERVIEWED,
         "hired": _HIRED}


# Opened, but every open came from a privacy proxy or a link scanner and no human click
# proves a reader (the tracking writer lets proxy opens set opened_at).
_FLAGGED_ONLY = (
    "ms.opened_at IS NOT NULL AND ms.clicked_at IS NULL"
    " AND EXISTS (SELECT 1 FROM tracking_events t WHERE t.send = ms.id AND t.kind = 'open'"
    "  AND t.flag <> '')"
    " AND NOT EXISTS (SELECT 1 FROM tracking_events t WHERE t.send = ms.id"
    "  AND t.kind = 'open' AND t.flag = '')")

# Every drillable figure: its label and the condition on a send row `ms` (constants only;
# the figure name from the URL is looked up here, never interpolated).
METRICS: dict[str, tuple[str, str]] = {
    "recipients": ("Recipients", "true"),
    "sent": ("Sent", "ms.state = 'sent'"),
    "delivered": ("Delivered", "ms.state = 'sent' AND ms.bounced_at IS NULL"),
    "opened": ("Opened", "ms.opened_at IS NOT NULL"),
    "opened_flagged": ("Opened by a privacy proxy or link scanner only", _FLAGGED_ONLY),
    "clicked": ("Clicked", "ms.clicked_at IS NOT NULL"),
    "replied": ("Replied", "ms.replied_at IS NOT NULL"),
    "unsubscribed": ("Unsubscribed", "ms.unsubscribed_at IS NOT NULL"),
    "bounced": ("Bounced", "ms.bounced_at IS NOT NULL"),
    "bounced_hard": ("Bounced (hard)", "ms.bounced_at IS NOT NULL AND ms.bounce_kind = 'hard'"),
    "bounced_soft": ("Bounced (soft)",
                     "ms.bounced_at IS NOT NULL AND ms.bounce_kind <> 'hard'"),
    "skipped": ("Skipped", "ms.state = 'skipped'"),
    "failed": ("Failed", "ms.state = 'failed'"),
    "in_doubt": ("In doubt", "ms.state = 'in_doubt'"),
    "pending": ("Not sent yet", "ms.state IN ('queued', 'sending')"),
    "registered": ("Registered for an event", ""),  # per scope: _funnel_condition
    "applied": ("Applied", ""),  # per scope: _funnel_condition
    "interviewed": ("Interviewed", ""),  # per scope: _funnel_condition
    "hired": ("Hired", ""),  # per scope: _funnel_condition
}
FUNNEL = ("registered", "applied", "interviewed", "hired")
# How the report page groups the figures (every name is a METRICS key).
GROUPS = (
    ("Delivery", ("recipients", "sent", "delivered", "bounced", "bounced_hard",
                  "bounced_soft", "skipped", "failed", "in_doubt", "pending")),
    ("Engagement", ("opened", "opened_flagged", "clicked", "replied", "unsubscribed")),
    ("After the email (within 30 days)", FUNNEL),
)


@dataclass(frozen=True)
class Scope:
    """Whose sends a report is about: one campaign, or one step of one sequence (every
    step when `step_key` is empty)."""

    campaign: int | None = None
    sequence: int | None = None
    step_key: str = ""

    def where(self, args: list) -> str:
        """The condition on `ms` for this scope, its values appended to `args` as $n."""
        if self.campaign is not None:
            args.append(self.campaign)
            return f"ms.campaign = ${len(args)}"
        args.append(self.sequence)
        enrolments = (f"ms.enrollment IN (SELECT id FROM sequence_enrollments "  # noqa: S608  # nosec B608 # $n only
                      f"WHERE sequence = ${len(args)})")
        if not self.step_key:  # every email step of the sequence
            return enrolments
        args.append(self.step_key)
        return f"{enrolments} AND ms.step_key = ${len(args)}"


async def campaign(campaign_id: int) -> dict:
    """The campaign a report is about (its heading); NotFound if there is none."""
    rows = await fetch(
        "SELECT id, name, state, subject, purpose, audience_kind, started_at, finished_at, "
        "recipients FROM campaigns WHERE id = $1", campaign_id)
    if not rows:
        raise NotFound("No such campaign.")
    return rows[0]


def _bind(conditions: str, args: list) -> str:
    """Conditions with the downstream placeholders given their $n (only when used: an
    unused parameter has no type PostgreSQL could infer)."""
    if "{types}" not in conditions:
        return conditions
    args += [_DOWNSTREAM_TYPES, ATTRIBUTION]
    return conditions.replace("{types}", f"${len(args) - 1}").replace(
        "{window}", f"${len(args)}")


async def summary(scope: Scope) -> dict:
    """Every figure of METRICS for the scope, plus the rates relative to delivered and
    the skipped sends by reason."""
    async with transaction():
        # JIT compiling costs more than these index-driven statements take (~0.25 s each).
        await execute("SET LOCAL jit = off")
        return await _summary(scope)


async def _summary(scope: Scope) -> dict:
    args: list = []
    where = scope.where(args)
    counts = ", ".join(f"count(*) FILTER (WHERE {condition}) AS {name}"
                       for name, (_, condition) in METRICS.items()
                       if name != "recipients" and name not in FUNNEL)
    rows = await fetch(
        f"SELECT count(*) AS recipients, {counts} "  # noqa: S608  # nosec B608 # constant conditions
        f"FROM marketing_sends ms WHERE {where}", *args)
    figures = dict(rows[0]) | await _funnel(scope)
    delivered = figures["delivered"]
    rates = {name: (value / delivered if delivered else None)
             for name, value in figures.items()}
    return {"figures": figures, "rates": rates, "skipped": await _skipped(scope)}


# The funnel from the events' side: the downstream facts of the whole send period (by the
# (type, occurred_at) index and the applications' date indexes), hash-joined to the sends
# by person, instead of probing each of 10⁵ recipients' histories.
_PERIOD_FACTS = (
    "SELECT person, type, occurred_at FROM engagement_events, b"
    " WHERE type = ANY({types}::text[]) AND occurred_at > b.lo AND occurred_at <= b.hi"
    " UNION ALL SELECT person, 'applied', applied_at FROM applications, b"
    " WHERE applied_at > b.lo AND applied_at <= b.hi"
    " UNION ALL SELECT person, 'application_hired', decided_at FROM applications, b"
    " WHERE status = 'hired' AND decided_at > b.lo AND decided_at <= b.hi")


async def _funnel(scope: Scope) -> dict:
    """The downstream steps of every sent row in one statement."""
    sql, args = funnel_sql(scope)
    return dict((await fetch(sql, *args))[0])


def _funnel_join(scope: Scope, args: list) -> str:
    """`WITH … FROM s JOIN e …`: each sent row of the scope with what its person did in
    the window after it (values appended to `args`)."""
    where = scope.where(args)
    facts = _bind(_PERIOD_FACTS, args)
    return (
        "WITH s AS MATERIALIZED (SELECT ms.id, ms.person, ms.sent_at "  # noqa: S608  # nosec B608 # constant conditions
        f"FROM marketing_sends ms WHERE {where} AND ms.state = 'sent'), "
        f"b AS (SELECT min(sent_at) AS lo, max(sent_at) + ${len(args)}::interval AS hi "
        f"FROM s), e AS ({facts}) {{select}} FROM s JOIN e ON e.person = s.person "
        f"AND e.occurred_at > s.sent_at AND e.occurred_at <= s.sent_at + ${len(args)}::interval")


def funnel_sql(scope: Scope) -> tuple[str, list]:
    args: list = []
    counts = ", ".join(f"count(DISTINCT s.id) FILTER (WHERE {condition}) AS {name}"
                       for name, condition in STEPS.items())
    return _funnel_join(scope, args).replace("{select}", f"SELECT {counts}"), args


def _funnel_condition(scope: Scope, name: str, args: list) -> str:
    """The sends whose person took downstream step `name`, as a condition on `ms`."""
    matched = _funnel_join(scope, args).replace("{select}", "SELECT s.id")
    return f"ms.id IN ({matched} WHERE {STEPS[name]})"


async def _skipped(scope: Scope) -> list[dict]:
    args: list = []
    where = scope.where(args)
    return await fetch(
        f"SELECT ms.reason, count(*) AS count FROM marketing_sends ms "  # noqa: S608  # nosec B608 # scope is $n placeholders
        f"WHERE {where} AND ms.state = 'skipped' GROUP BY ms.reason ORDER BY count DESC, "
        "ms.reason", *args)


def metric(name: str, reason: str = "") -> tuple[str, str]:
    """(label, condition) of a drillable figure; an unknown name is an Invalid."""
    if name not in METRICS:
        raise Invalid("That figure is not in this report.")
    label, condition = METRICS[name]
    if name == "skipped" and reason:
        label = f"Skipped: {reason}"
    return label, condition


async def people(scope: Scope, name: str, *, reason: str = "", after: int = 0,
                 limit: int = PAGE_SIZE) -> tuple[list[dict], int | None]:
    """One page of the people behind a figure, by send id (keyset: `after` is the last
    send id of the previous page); returns the rows and the next page's `after`."""
    _, condition = metric(name, reason)
    args: list = [after]
    where = scope.where(args)
    if name in STEPS:
        condition = _funnel_condition(scope, name, args)
    reason_filter = ""
    if name == "skipped" and reason:
        args.append(reason[:40])
        reason_filter = f"AND ms.reason = ${len(args)}"
    args.append(limit + 1)
    async with transaction():
        await execute("SET LOCAL jit = off")  # as in summary: compiling costs more
        rows = await fetch(
            f"SELECT ms.id, ms.person, p.full_name, p.email, ms.state, ms.reason, "  # noqa: S608  # nosec B608 # constant conditions
            "ms.sent_at, ms.opened_at, ms.clicked_at, ms.replied_at, ms.bounced_at, "
            "ms.bounce_kind, ms.unsubscribed_at FROM marketing_sends ms "
            f"JOIN people p ON p.id = ms.person WHERE {where} AND ms.id > $1 "
            f"AND ({condition}) {reason_filter} ORDER BY ms.id LIMIT ${len(args)}", *args)
    page = rows[:limit]
    return page, (page[-1]["id"] if len(rows) > limit else None)


async def people_csv(scope: Scope, name: str, *, reason: str = ""):
    """Every person behind a figure as CSV lines (header first), page by page."""
    yield csv_line(["person_id", "name", "email", "state", "reason", "sent_at",
                    "opened_at", "clicked_at", "replied_at", "bounced_at",
                    "unsubscribed_at"])
    after: int | None = 0
    while after is not None:
        rows, after = await people(scope, name, reason=reason, after=after, limit=1000)
        for row in rows:
            yield csv_line([row["person"], row["full_name"], row["email"], row["state"],
                            row["reason"], *(_stamp(row[key]) for key in (
                                "sent_at", "opened_at", "clicked_at", "replied_at",
                                "bounced_at", "unsubscribed_at"))])


def _stamp(value) -> str:
    return value.isoformat() if value else ""


async def links(scope: Scope) -> list[dict]:
    """The tracked links of the scope's content, every revision or version summed per
    URL, most clicked first (content keys: "campaign:<id>:<revision>",
    "sequence:<id>:<version>:<step>")."""
    if scope.campaign is not None:
        pattern = f"campaign:{int(scope.campaign)}:%"
    else:
        step = scope.step_key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"sequence:{int(scope.sequence or 0)}:%:{step or '%'}"
    return await fetch(
        "SELECT url, sum(clicks)::int AS clicks, sum(unique_clicks)::int AS unique_clicks "
        "FROM tracked_links WHERE content_key LIKE $1 GROUP BY url "
        "ORDER BY clicks DESC, url", pattern)
