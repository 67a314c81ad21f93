"""How many of a campaign's audience could receive it now, and why the others could not:
one set-based statement over the whole audience (never a query per person), shown on the
campaign page and the approval screen. The sender checks every recipient again at send
time (consent can be withdrawn between approval and sending); this is the forecast.

Each person counts once, under the first reason that applies, in the order of REASONS.
Past a time budget (broad audiences at a million people) a 1/64 sample of the audience
(by a hash of the person id) is classified instead and scaled up, marked approximate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from domain.campaigns import audience
from domain.db import fetch, transaction
from settings import get_settings

REASONS = {
    "eligible": "Eligible now",
    "erased": "Erased (right to erasure)",
    "no_consent": "No consent for this purpose",
    "withdrawn": "Consent withdrawn or expired",
    "suppressed": "Suppressed address (bounce, complaint)",
    "channel": "Email turned off or paused by the person",
    "frequency_cap": "Frequency cap reached now",
    "applicant": "In an active application",
}
COUNT_BUDGET_MS = 2500
SAMPLE_MASK = 63  # a 1/64 sample
SAMPLE_SCALE = SAMPLE_MASK + 1
_ERASED_FILTER = " AND p.email NOT LIKE 'erased-%@invalid'"


@dataclass(frozen=True)
class Exclusions:
    counts: dict[str, int] = field(default_factory=dict)
    exact: bool = True

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def eligible(self) -> int:
        return self.counts.get("eligible", 0)

    def rows(self) -> list[tuple[str, str, int]]:
        """(reason, label, count) for every reason but eligible, in order."""
        return [(key, label, self.counts.get(key, 0)) for key, label in REASONS.items()
                if key != "eligible"]


def _hmac_pads() -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer padded keys (RFC 2104), so PostgreSQL's built-in
    sha256() computes the suppression list's keyed hash (domain.privacy.suppression)
    without an extension: HMAC(k, m) = H(k ⊕ opad ‖ H(k ⊕ ipad ‖ m))."""
    key = get_settings().secret_key.encode()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


async def _cap() -> tuple[int, int]:
    rows = await fetch("SELECT cap_messages, cap_days FROM marketing_settings WHERE id = 1")
    return (rows[0]["cap_messages"], rows[0]["cap_days"]) if rows else (2, 7)


def _statement(source_sql: str, first: int, sampled: bool) -> str:
    """The classification over the audience source; parameters from ${first}: purpose,
    scope, now, ipad, opad, cap messages, cap days, exclude applicants. Each fact is one
    set (latest consent per person, recent sends per person, active applicants) joined
    to the audience, so the planner hashes them instead of probing per person."""
    n = {name: f"${first + i}" for i, name in enumerate(
        ("purpose", "scope", "now", "ipad", "opad", "cap", "days", "applicants"))}
    # A hash of the id, not the id itself: ids follow the order people were added in,
    # which imports and campaigns correlate with.
    sample = f" WHERE (hashint4(person) & {SAMPLE_MASK}) = 0" if sampled else ""
    # Constant fragments and numbered parameters only.
    return (
        f"WITH a AS (SELECT person FROM ({source_sql}) s{sample}), "  # noqa: S608  # nosec B608
        "c AS (SELECT DISTINCT ON (person) person, action, occurred_at "
        f"FROM consent_records WHERE purpose = {n['purpose']} AND scope = {n['scope']} "
        f"AND action IN ('given', 'withdrawn', 'expired') AND occurred_at <= {n['now']} "
        "ORDER BY person, occurred_at DESC, id DESC), "
        "f AS (SELECT person, count(*) AS sent FROM marketing_sends "
        "WHERE state IN ('sending', 'sent', 'in_doubt') "
        f"AND claimed_at > {n['now']} - make_interval(days => {n['days']}::int) "
        "GROUP BY person), "
        "ap AS (SELECT DISTINCT person FROM applications WHERE status = 'active') "
        "SELECT reason, count(*)::int AS n FROM (SELECT CASE "
        "WHEN p.email LIKE 'erased-%@invalid' THEN 'erased' "
        "WHEN c.action IS NULL THEN 'no_consent' "
        "WHEN c.action <> 'given' OR (pol.expiry_months IS NOT NULL AND c.occurred_at "
        f"+ make_interval(months => pol.expiry_months) <= {n['now']}) THEN 'withdrawn' "
        "WHEN s.id IS NOT NULL THEN 'suppressed' "
        f"WHEN cp.paused_until > {n['now']} OR (cardinality(cp.channels) > 0 "
        "AND NOT ('email' = ANY(cp.channels))) THEN 'channel' "
        f"WHEN coalesce(f.sent, 0) >= {n['cap']} THEN 'frequency_cap' "
        f"WHEN {n['applicants']} AND ap.person IS NOT NULL THEN 'applicant' "
        "ELSE 'eligible' END AS reason "
        "FROM a JOIN people p ON p.id = a.person "
        "LEFT JOIN c ON c.person = p.id "
        "LEFT JOIN f ON f.person = p.id "
        "LEFT JOIN ap ON ap.person = p.id "
        f"LEFT JOIN consent_policies pol ON pol.purpose = {n['purpose']} "
        "LEFT JOIN contact_preferences cp ON cp.person = p.id "
        "LEFT JOIN suppressions s ON s.email_hash = encode(sha256("
        f"{n['opad']}::bytea || sha256({n['ipad']}::bytea || "
        "convert_to(lower(p.email), 'UTF8'))), 'hex')) x GROUP BY reason")


async def count(campaign: dict, *, now: datetime,
                budget_ms: int = COUNT_BUDGET_MS) -> Exclusions:
    """Eligible now and excluded by reason, for the whole audience (raises Invalid when
    the audience cannot be evaluated)."""
    source = await audience.source(campaign, now=now)
    # Erased people are never sent to; here they are counted, to say why they are left out.
    source_sql = source.sql.replace(_ERASED_FILTER, "")
    ipad, opad = _hmac_pads()
    cap, days = await _cap()
    args = (*source.args, campaign.get("purpose") or "", campaign.get("consent_scope") or "",
            now, ipad, opad, cap, days, bool(campaign.get("exclude_applicants")))
    first = len(source.args) + 1
    try:
        async with transaction():
            await fetch(f"SET LOCAL statement_timeout = {int(budget_ms)}")
            rows = await fetch(_statement(source_sql, first, sampled=False), *args)
        return Exclusions({row["reason"]: row["n"] for row in rows})
    except asyncpg.QueryCanceledError:
        rows = await fetch(_statement(source_sql, first, sampled=True), *args)
        return Exclusions({row["reason"]: row["n"] * SAMPLE_SCALE for row in rows},
                          exact=False)
