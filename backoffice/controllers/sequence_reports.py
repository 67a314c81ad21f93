"""Nurture sequence reports (CAMPAIGNS_MANAGE, read-only): per step, the enrolments that
went through it and where they wait, and for email steps the same figures, link clicks
and drill-down as a campaign's."""

from __future__ import annotations

from litestar import Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Stream, Template

from backoffice.auth import require_staff
from backoffice.controllers.campaign_reports import (
    CAN_EXPORT,
    CAN_REPORT,
    export_allowed,
    people_query,
)
from domain.accounts.permissions import Permission
from domain.campaigns import reports
from domain.sequences import reports as sequence_reports
from web_common import page


@get("/sequences/{sequence_id:int}/report", name="backoffice.sequences.report",
     guards=CAN_REPORT, include_in_schema=False)
async def report(request: Request, sequence_id: FromPath[int]) -> Template:
    return page(request, "backoffice/campaign_reports/sequence.html",
                report=await sequence_reports.report(sequence_id), groups=reports.GROUPS,
                metrics=reports.METRICS, window_days=reports.ATTRIBUTION_DAYS,
                people_url=f"/backoffice/sequences/{sequence_id}/report/people",
                current_staff=await require_staff(request))


@get("/sequences/{sequence_id:int}/report/people", name="backoffice.sequences.report_people",
     guards=CAN_REPORT, include_in_schema=False)
async def people(request: Request, sequence_id: FromPath[int], step: FromQuery[str] = "",
                 figure: FromQuery[str] = "recipients", reason: FromQuery[str] = "",
                 after: FromQuery[int] = 0) -> Template:
    found = await sequence_reports.sequence(sequence_id)
    await sequence_reports.step(sequence_id, step)
    label, _ = reports.metric(figure, reason)
    scope = reports.Scope(sequence=sequence_id, step_key=step)
    rows, next_after = await reports.people(scope, figure, reason=reason,
                                            after=max(after, 0))
    base = f"/backoffice/sequences/{sequence_id}/report"
    query = people_query(figure, reason, step=step)
    staff = await require_staff(request)
    return page(request, "backoffice/campaign_reports/people.html", label=label, rows=rows,
                heading=f"{found['name']} · {f'step {step}' if step else 'every email step'}",
                back_url=base,
                next_url=(f"{base}/people?{query}&after={next_after}" if next_after else None),
                first_url=f"{base}/people?{query}" if after else None,
                export_url=(f"{base}/people.csv?{query}"
                            if staff.can(Permission.CANDIDATES_EXPORT) else None),
                current_staff=staff)


@get("/sequences/{sequence_id:int}/report/people.csv",
     name="backoffice.sequences.report_export", guards=CAN_EXPORT, include_in_schema=False)
async def export(request: Request, sequence_id: FromPath[int], step: FromQuery[str] = "",
                 figure: FromQuery[str] = "recipients", reason: FromQuery[str] = "") -> Stream:
    await export_allowed(request)
    await sequence_reports.step(sequence_id, step)
    reports.metric(figure, reason)  # an unknown figure is refused before the stream starts
    scope = reports.Scope(sequence=sequence_id, step_key=step)
    return Stream(reports.people_csv(scope, figure, reason=reason),
                  media_type="text/csv; charset=utf-8",
                  headers={"content-disposition":
                           f'attachment; filename="sequence-{sequence_id}-{figure}.csv"'})


ROUTES = [report, people, export]
