"""Helpers for campaign tests (any helper's): people with consent, an approved campaign
made directly in SQL, driving the sender, and the consent invariant every campaign test
ends with."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.db import fetch, fetchval

PURPOSE, SCOPE = "community_emails", "engineering"
GIVEN_AT = datetime(2026, 6, 1, tzinfo=UTC)
HTML = ('<p>Hello {{ first_name }},</p><p>News from {{ community }}: '
        '<a href="https://example.com/jobs">see the jobs</a>.</p>'
        '<p>{{ recruiter_signature }}</p>'
        '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> {{ postal_address }}</p>')


async def people_with_consent(count: int, *, prefix: str = "r", purpose: str = PURPOSE,
                              scope: str = SCOPE, given_at: datetime = GIVEN_AT) -> list[int]:
    """`count` people (prefix1@example.com …) who gave consent for purpose/scope."""
    rows = await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "SELECT $2 || g || '@example.com', 'Person ' || $2 || g, 'test', now(), now() "
        "FROM generate_series(1, $1) g RETURNING id", count, prefix)
    ids = sorted(int(row["id"]) for row in rows)
    await give_consent(ids, purpose=purpose, scope=scope, at=given_at)
    return ids


async def give_consent(ids: list[int], *, purpose: str = PURPOSE, scope: str = SCOPE,
                       at: datetime = GIVEN_AT, action: str = "given") -> None:
    await fetch(
        "INSERT INTO consent_records (person, purpose, scope, consent_text, action, method, "
        "occurred_at) SELECT u, $2, $3, NULL, $5, 'test', $4 FROM unnest($1::int[]) u",
        ids, purpose, scope, at, action)


async def approved_campaign(people: list[int], *, name: str = "November news",
                            state: str = "scheduled", subject: str = "News, {{ first_name }}",
                            html: str = HTML, created_by: str = "author@test.local",
                            **columns) -> int:
    """A CSV-audience campaign, approved (approved_revision = revision) and scheduled to
    start now, made in SQL as the management pages would leave it."""
    values = {"name": name, "purpose": PURPOSE, "consent_scope": SCOPE, "subject": subject,
              "html_body": html, "audience_kind": "csv", "audience_ref": "", "state": state,
              "revision": 1, "approved_revision": 1, "created_by": created_by,
              "approved_by": "approver@test.local", **columns}
    names = list(values)
    placeholders = ", ".join(f"${i + 1}" for i in range(len(names)))
    campaign_id = await fetchval(
        f"INSERT INTO campaigns ({', '.join(names)}, created_at, updated_at, approved_at) "  # noqa: S608  # nosec B608 (test column names)
        f"VALUES ({placeholders}, now(), now(), now()) RETURNING id", *values.values())
    await fetch("INSERT INTO campaign_csv_people (campaign, person) "
                "SELECT $1, u FROM unnest($2::int[]) u", campaign_id, people)
    return int(campaign_id)


async def marketing_settings(*, cap_messages: int = 2, cap_days: int = 7,
                             paused: bool = False) -> None:
    """The one settings row (tests truncate every table, the migration made it)."""
    await fetch(
        "INSERT INTO marketing_settings (id, cap_messages, cap_days, paused_at, paused_reason, "
        "updated_by) VALUES (1, $1, $2, CASE WHEN $3 THEN now() END, '', '') "
        "ON CONFLICT (id) DO UPDATE SET cap_messages = $1, cap_days = $2, "
        "paused_at = CASE WHEN $3 THEN now() END", cap_messages, cap_days, paused)


async def send_states(campaign_id: int) -> dict[str, int]:
    rows = await fetch("SELECT state, count(*) AS n FROM marketing_sends WHERE campaign = $1 "
                       "GROUP BY state", campaign_id)
    return {row["state"]: int(row["n"]) for row in rows}


async def campaign_state(campaign_id: int) -> str:
    return str(await fetchval("SELECT state FROM campaigns WHERE id = $1", campaign_id))


# Every 'sent' row: the person's decisive consent for the content's purpose and scope at
# the moment the send was claimed (eligibility is checked right after, under the person's
# lock) was 'given', and not past its policy's expiry.
_WITHOUT_CONSENT = """
SELECT s.id, s.person, s.campaign, s.enrollment FROM marketing_sends s
LEFT JOIN campaigns c ON c.id = s.campaign
LEFT JOIN sequence_enrollments e ON e.id = s.enrollment
LEFT JOIN sequences q ON q.id = e.sequence
LEFT JOIN LATERAL (
  SELECT r.action, r.occurred_at, r.purpose FROM consent_records r
  WHERE r.person = s.person AND r.purpose = coalesce(c.purpose, q.purpose)
    AND r.scope = coalesce(c.consent_scope, q.consent_scope)
    AND r.action IN ('given', 'withdrawn', 'expired')
    AND r.occurred_at <= coalesce(s.claimed_at, s.sent_at)
  ORDER BY r.occurred_at DESC, r.id DESC LIMIT 1) d ON true
LEFT JOIN consent_policies pol ON pol.purpose = d.purpose
WHERE s.state = 'sent' AND (d.action IS DISTINCT FROM 'given' OR (pol.expiry_months IS NOT NULL
  AND d.occurred_at + make_interval(months => pol.expiry_months)
      <= coalesce(s.claimed_at, s.sent_at)))
"""


async def assert_consent_invariant() -> None:
    """No send ever went to someone without a consent valid when it was sent."""
    bad = await fetch(_WITHOUT_CONSENT)
    assert bad == [], f"sent without valid consent: {bad[:10]}"


def sink_counts(mail, campaign_subject_prefix: str = "") -> dict[str, int]:
    """Messages per recipient address at the dev sink (optionally by subject prefix)."""
    counts: dict[str, int] = {}
    for summary in mail.list():
        if summary.subject.startswith(campaign_subject_prefix):
            counts[summary.to] = counts.get(summary.to, 0) + 1
    return counts
