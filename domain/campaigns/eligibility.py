"""May this marketing email go to this person now? Checked at send time, per recipient,
inside the send's transaction and after taking the person's row lock: the lock
consent.withdraw and the unsubscribe link take, so an unsubscribe committed before is
seen, and one arriving during the send waits until the send's transaction ends.

The lock and the read are two statements on purpose: in READ COMMITTED the read's
snapshot is taken when it starts, so a read in the locking statement could miss the
withdrawal committed by the transaction it waited for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.consent.rules import ExpiryPolicy, is_contactable
from domain.db import fetch
from domain.privacy.suppression import email_hash

# One row per send of a group: u(send_id, person, email_hash).
_FACTS = """
SELECT u.send_id, p.email, cp.channels, cp.paused_until, pol.expiry_months,
  pol.reminder_days, dc.action AS consent_action, dc.occurred_at AS consent_at,
  EXISTS (SELECT 1 FROM suppressions WHERE email_hash = u.email_hash) AS suppressed,
  (SELECT count(*) FROM marketing_sends m WHERE m.person = p.id AND m.id <> u.send_id
     AND m.state IN ('sending', 'sent', 'in_doubt') AND m.claimed_at > $4 - $5::interval
  ) AS recent,
  ms.cap_messages, ms.paused_at AS marketing_paused,
  ($6::boolean AND EXISTS (SELECT 1 FROM applications a
     WHERE a.person = p.id AND a.status = 'active')) AS applicant
FROM unnest($1::bigint[], $7::bigint[], $8::text[]) AS u(send_id, person, email_hash)
JOIN people p ON p.id = u.person
LEFT JOIN contact_preferences cp ON cp.person = p.id
LEFT JOIN consent_policies pol ON pol.purpose = $2
LEFT JOIN marketing_settings ms ON ms.id = 1
LEFT JOIN LATERAL (SELECT c.action, c.occurred_at FROM consent_records c
    WHERE c.person = p.id AND c.purpose = $2 AND c.scope = $3
      AND c.action IN ('given', 'withdrawn', 'expired') AND c.occurred_at <= $4
    ORDER BY c.occurred_at DESC, c.id DESC LIMIT 1) dc ON true
"""


@dataclass(frozen=True)
class Audience:
    purpose: str
    scope: str
    exclude_applicants: bool


async def cap_days() -> int:
    rows = await fetch("SELECT cap_days FROM marketing_settings WHERE id = 1")
    return int(rows[0]["cap_days"]) if rows else 7


@dataclass(frozen=True)
class Recipient:
    send_id: int
    person: int
    email: str


def lock_people(recipients: list[Recipient]) -> str:
    """The statement that takes the recipients' people row locks (those consent.withdraw
    and the unsubscribe link take), in id order, so two groups never wait on each other
    in a cycle. Integers only, so it can travel as literal SQL with the BEGIN of the
    sends' transaction (domain.db.transaction_opened_by)."""
    ids = ",".join(str(int(person)) for person in sorted({r.person for r in recipients}))
    return (f"SELECT 1 FROM people WHERE id IN ({ids}) "  # noqa: S608  # nosec B608 # integers
            "ORDER BY id FOR NO KEY UPDATE")


async def check(recipients: list[Recipient], audience: Audience, *, now: datetime,
                window_days: int) -> dict[int, str]:
    """send id → '' when eligible, else the reason to skip. Call inside the sends'
    transaction, after `lock_people`: the people's rows stay locked until it ends, and
    this read's snapshot starts after the lock was granted. A person twice in one group
    (two sequences' emails) sees each send in the other's frequency count: the cap errs
    on the side of not sending. A person no longer there (erased) has no facts."""
    rows = await fetch(_FACTS, [r.send_id for r in recipients], audience.purpose,
                       audience.scope, now, timedelta(days=window_days),
                       audience.exclude_applicants, [r.person for r in recipients],
                       [email_hash(r.email) for r in recipients])
    facts = {row["send_id"]: row for row in rows}
    return {r.send_id: reason(facts[r.send_id], now) if r.send_id in facts else "erased"
            for r in recipients}


def reason(facts: dict, now: datetime) -> str:
    """The first reason not to send, in the order a person would ask about them."""
    if facts["email"].startswith("erased-") and facts["email"].endswith("@invalid"):
        return "erased"
    if facts["marketing_paused"] is not None:
        return "paused_marketing"
    if facts["suppressed"]:
        return "suppressed"
    action, at = facts["consent_action"], facts["consent_at"]
    if action == "withdrawn":
        return "unsubscribed"
    policy = (None if facts["expiry_months"] is None
              else ExpiryPolicy("", facts["expiry_months"], facts["reminder_days"]))
    if not is_contactable(action, at, policy, now):
        return "consent"
    if facts["channels"] and "email" not in facts["channels"]:
        return "preferences"
    if facts["paused_until"] is not None and facts["paused_until"] > now:
        return "preferences"
    if facts["recent"] >= (facts["cap_messages"] or 2):
        return "frequency_cap"
    if facts["applicant"]:
        return "applicant"
    return ""
