"""Bounce and complaint rules (pure): what a delivery status means, and when the
complaint rate warns or pauses marketing.

- Hard bounce (permanent, RFC 3463 class 5: unknown user 5.1.1, bad domain 5.1.2, …):
  the address is suppressed at once.
- Soft bounce (class 4, or an Action of `delayed`): counted; SOFT_LIMIT of them within
  SOFT_WINDOW suppress the address. 5.2.2 (mailbox full) is permanent by its class but
  in practice clears, so mailbox providers and ESPs count it as soft: so do we.
- Complaints (someone pressed "report spam"): suppressed at once, and the rate over the
  last COMPLAINT_WINDOW of marketing sends is checked: at COMPLAINT_WARN (0.1%, the Gmail
  and Yahoo bulk-sender guideline) admins are warned; at COMPLAINT_PAUSE (0.3%, the rate
  they never want to see) all marketing sending is paused until an admin lifts it —
  once the window holds at least PAUSE_MIN_SENDS sends: below that a single complaint is
  already "0.3%" (1 in 100 sends), so a small sender is warned, not stopped.
"""

from __future__ import annotations

from datetime import timedelta

SOFT_LIMIT = 3
SOFT_WINDOW = timedelta(days=30)
COMPLAINT_WINDOW = timedelta(days=30)
COMPLAINT_WARN = 0.001
COMPLAINT_PAUSE = 0.003
PAUSE_MIN_SENDS = 1000
_SOFT_PERMANENT = {"5.2.2"}
KINDS = ("hard", "soft")


def kind_of(*, status: str, action: str = "failed", declared: str = "") -> str:
    """'hard', 'soft', or '' for a report that is not a failure (delivered, relayed)."""
    action = action.lower()
    if action in ("delivered", "relayed", "expanded"):
        return ""
    if action == "delayed" or status.startswith("4.") or status in _SOFT_PERMANENT:
        return "soft"
    if status.startswith("5."):
        return "hard"
    return declared if declared in KINDS else ("hard" if action == "failed" else "")


def complaint_level(complaints: int, sends: int) -> str:
    """'' | 'warn' | 'pause' for complaints among the window's marketing sends."""
    if complaints <= 0:
        return ""
    rate = complaints / max(sends, 1)
    if rate >= COMPLAINT_PAUSE and sends >= PAUSE_MIN_SENDS:
        return "pause"
    return "warn" if rate >= COMPLAINT_WARN else ""
