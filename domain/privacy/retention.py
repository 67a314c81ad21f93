"""Pure date rules for data-subject requests and record retention (no database).

- GDPR Art. 12(3): a request is answered within one month of receipt.
- 29 CFR 1602.14 (EEOC): hiring records are kept 1 year from the later of the date the
  record was made and the date of the personnel action.
- 41 CFR 60-1.12 (OFCCP): 2 years for federal contractors with >= 150 employees and a
  contract of >= $150,000 (the FEDERAL_CONTRACTOR setting).

Deleting too early breaks the law; deleting a day late does not. So every rounding here
goes towards keeping longer, and a record may be purged only on the day *after* its
retention date.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import TypeVar

D = TypeVar("D", date, datetime)


def add_months(value: D, months: int) -> D:
    """Same day `months` later, clamped to the end of a shorter month (31 Jan -> 28/29 Feb)."""
    index = value.year * 12 + (value.month - 1) + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return value.replace(year=year, month=month + 1, day=min(value.day, last_day))


def due_date(received: D) -> D:
    """When a data-subject request must be answered: one calendar month after receipt.
    Clamping 31 Jan to 28 Feb answers earlier, never later, than the law asks."""
    return add_months(received, 1)


def add_years_keeping(start: date, years: int) -> date:
    """`years` after `start`; 29 Feb rolls forward to 1 Mar, so a year is never short."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a non-leap target year
        return date(start.year + years, 3, 1)


def retention_years(*, federal_contractor: bool) -> int:
    return 2 if federal_contractor else 1


def retention_until(
    record_date: date, personnel_action_date: date | None, *, federal_contractor: bool
) -> date:
    """The last day a hiring record must still be kept."""
    start = max(record_date, personnel_action_date or record_date)
    return add_years_keeping(start, retention_years(federal_contractor=federal_contractor))


def may_purge(today: date, until: date, *, on_hold: bool) -> bool:
    """A legal hold (e.g. an EEOC charge, until final disposition) always wins."""
    return not on_hold and today > until
