"""Adverse impact by the four-fifths rule (29 CFR 1607.4(D)) and time-in-stage statistics.

Pure functions over counts: no database, no individuals.

Definitions used by the EEO report:
- an applicant *reached* a stage when their history shows them entering it or any later
  stage of the selection flow (a skipped stage was passed, not failed);
- the *selection rate* of a group at a stage is the share of the group's applicants who
  reached the previous stage that reached this one (the first stage has no rate);
- the *impact ratio* is a group's rate divided by the highest group's rate; below 4/5 is
  evidence of adverse impact under the Uniform Guidelines;
- groups with fewer applicants at the previous stage than the minimum are shown as
  "fewer than N" and left out of the comparison: small numbers neither protect nor
  identify anyone reliably (1607.4(D) itself warns about small samples);
- "declined" (no answer, or an answer not on the form) is counted apart and never
  compared: a non-answer is not a group.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from domain.pipeline.rules import DECLINED, GENDERS, RACES

FOUR_FIFTHS = Fraction(4, 5)
DIMENSIONS = {"gender": ("Gender", GENDERS), "race_ethnicity": ("Race or ethnicity", RACES)}


@dataclass(frozen=True)
class Cell:
    """One group at one stage. Counts and rates are None when suppressed."""

    group: str
    label: str
    reached: int | None
    pool: int | None
    rate: Fraction | None
    ratio: Fraction | None
    suppressed: bool
    adverse: bool


@dataclass(frozen=True)
class StageRow:
    level: int
    name: str
    cells: list[Cell]
    declined: int | None  # None when fewer than the minimum
    highest: str | None  # the group whose rate the others are compared with


def known_group(dimension: str, value: str) -> str:
    """The stored answer if it is on the form, else declined: a bad value is never guessed
    into a group (and never shown)."""
    options = dict(DIMENSIONS[dimension][1])
    return value if value in options else DECLINED


def reached_by_level(rows: Iterable[tuple[str, int, int]], dimension: str,
                     levels: Sequence[int]) -> dict[int, dict[str, int]]:
    """From (group, highest level reached, applicants) to applicants per level and group
    who reached at least that level."""
    highest: dict[str, dict[int, int]] = {}
    for group, level, count in rows:
        per_group = highest.setdefault(known_group(dimension, group), {})
        per_group[level] = per_group.get(level, 0) + count
    return {level: {group: sum(n for top, n in tops.items() if top >= level)
                    for group, tops in highest.items()} for level in levels}


def _ratios(rates: Mapping[str, Fraction]) -> tuple[str | None, dict[str, Fraction | None]]:
    if not rates:
        return None, {}
    best = max(rates, key=lambda group: (rates[group], group))
    top = rates[best]
    return best, {group: (rate / top if top else None) for group, rate in rates.items()}


def stage_rows(stages: Sequence[tuple[int, str]], reached: Mapping[int, Mapping[str, int]],
               dimension: str, *, minimum: int) -> list[StageRow]:
    """One row per stage with each group's count, rate and impact ratio."""
    groups = [(key, label) for key, label in DIMENSIONS[dimension][1] if key != DECLINED]
    result, previous = [], None
    for level, name in stages:
        here = reached.get(level, {})
        pools = reached.get(previous, {}) if previous is not None else here
        rates = {key: Fraction(here.get(key, 0), pools[key]) for key, _ in groups
                 if previous is not None and pools.get(key, 0) >= minimum}
        best, ratios = _ratios(rates)
        cells = [_cell(key, label, here.get(key, 0), pools.get(key, 0), rates, ratios,
                       minimum) for key, label in groups]
        declined = here.get(DECLINED, 0)
        result.append(StageRow(level, name, cells, declined if declined >= minimum else None,
                               best))
        previous = level
    return result


def _cell(group: str, label: str, reached: int, pool: int, rates: Mapping[str, Fraction],
          ratios: Mapping[str, Fraction | None], minimum: int) -> Cell:
    if pool < minimum:
        return Cell(group, label, None, None, None, None, suppressed=True, adverse=False)
    ratio = ratios.get(group)
    return Cell(group, label, reached, pool, rates.get(group), ratio, suppressed=False,
                adverse=ratio is not None and ratio < FOUR_FIFTHS)


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least `share` of values at or
    below it): always one of the observed durations, never an interpolated one."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def days_between(start: datetime | None, end: datetime | None) -> float | None:
    """Elapsed days (fractional), or None when either end is unknown."""
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 86400
