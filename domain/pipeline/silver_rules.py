"""Silver medalists, the pure part: who qualifies when rejected, the sentence the reject
dialog shows, and how well an earlier silver medalist matches a newly opened requisition.

A requisition copies its template's stages (with `late_stage`) but not the template's
`silver_threshold`, so the threshold is looked up through `requisitions.template_name`;
a requisition whose template was renamed or deleted (or never had one) uses
DEFAULT_THRESHOLD, the column's own default.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

DEFAULT_THRESHOLD = Decimal("3.00")


@dataclass(frozen=True)
class SilverCandidate:
    """An application that rejecting now would make a silver medalist."""

    application_id: int
    person_id: int
    name: str
    stage_name: str
    average: float
    threshold: Decimal
    pool_name: str = ""

    @property
    def sentence(self) -> str:
        pool = f" and added to the talent pool “{self.pool_name}”" if self.pool_name else ""
        return (f"{self.name} will be marked a silver medalist{pool}: rejected at "
                f"{self.stage_name}, scorecard average {_figure(self.average)} ≥ "
                f"{_figure(self.threshold)}")


def _figure(value: float | Decimal) -> str:
    # 3.40 → "3.4", 3.00 → "3.0": what a person reads on a 1-4 scale, no trailing noise.
    text = f"{Decimal(str(value)).quantize(Decimal('0.01')):f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def qualifies(*, status: str, late_stage: bool, average: float | None,
              threshold: Decimal) -> bool:
    """Only an active application being rejected from a late stage, with at least one
    submitted scorecard averaging the threshold or more; no scorecard is no evidence."""
    if status != "active" or not late_stage or average is None:
        return False
    return Decimal(str(average)) >= threshold


def to_mark(candidates: list[SilverCandidate], ticked: list[int],
            rejected: list[int]) -> list[SilverCandidate]:
    """The recruiter's ticks only count for applications that qualified (under the lock)
    and were really rejected: a forged or stale tick marks nobody."""
    wanted, done = set(ticked), set(rejected)
    return [c for c in candidates if c.application_id in wanted and c.application_id in done]


def overlap(target_skills: list[str], person_skills: list[str],
            earlier_skills: list[str]) -> list[str]:
    """Skills of the new requisition (required and nice) the silver medalist has on their
    profile or was assessed for on the earlier requisition, in the new one's order."""
    theirs = set(person_skills) | set(earlier_skills)
    seen: list[str] = []
    for skill in target_skills:
        if skill in theirs and skill not in seen:
            seen.append(skill)
    return seen


def rank_key(shared: list[str], same_function: bool, name: str) -> tuple:
    """Best overlap first: more shared skills, then the same job function, then by name."""
    return (-len(shared), not same_function, name.lower())
