"""Campaign reports (CAMPAIGNS_MANAGE, read-only): the figures of one campaign with their
definitions, the link clicks, and the people behind every figure (keyset pages; a CSV
only with CANDIDATES_EXPORT, because it carries contact data)."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Stream, Template

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.campaigns import reports
from domain.errors import PermissionDenied
from web_common import page

CAN_REPORT = [requires(Permission.CAMPAIGNS_MANAGE)]
# The CSV carries contact data: CANDIDATES_EXPORT by guard, CAMPAIGNS_MANAGE checked by
# `export_allowed` (one permission per guard keeps the A1 policy one-to-one).
CAN_EXPORT = [requires(Permission.CANDIDATES_EXPORT)]


async def export_allowed(request: Request) -> None:
    if not (await require_staff(request)).can(Permission.CAMPAIGNS_MANAGE):
        raise PermissionDenied("Reports are for staff who manage campaigns.")


@get("/campaigns/{campaign_id:int}/report", name="backoffice.campaigns.report",
     guards=CAN_REPORT, include_in_schema=False)
async def report(request: Request, campaign_id: FromPath[int]) -> Template:
    campaign = await reports.campaign(campaign_id)
    scope = reports.Scope(campaign=campaign_id)
    base = f"/backoffice/campaigns/{campaign_id}/report"
    return page(request, "backoffice/campaign_reports/campaign.html", campaign=campaign,
                summary=await reports.summary(scope), links=await reports.links(scope),
                groups=reports.GROUPS, metrics=reports.METRICS, people_url=base + "/people",
                window_days=reports.ATTRIBUTION_DAYS,
                current_staff=await require_staff(request))


def people_query(figure: str, reason: str, **extra: str) -> str:
    """The drill-down's query string (without the page cursor)."""
    return urlencode({**extra, "figure": figure, **({"reason": reason} if reason else {})})


@get("/campaigns/{campaign_id:int}/report/people", name="backoffice.campaigns.report_people",
     guards=CAN_REPORT, include_in_schema=False)
async def people(request: Request, campaign_id: FromPath[int],
                 figure: FromQuery[str] = "recipients", reason: FromQuery[str] = "",
                 after: FromQuery[int] = 0) -> Template:
    campaign = await reports.campaign(campaign_id)
    label, _ = reports.metric(figure, reason)
    rows, next_after = await reports.people(reports.Scope(campaign=campaign_id), figure,
                                            reason=reason, after=max(after, 0))
    base = f"/backoffice/campaigns/{campaign_id}/report"
    query = people_query(figure, reason)
    staff = await require_staff(request)
    return page(request, "backoffice/campaign_reports/people.html", label=label, rows=rows,
                heading=campaign["name"], back_url=base,
                next_url=(f"{base}/people?{query}&after={next_after}" if next_after else None),
                first_url=f"{base}/people?{query}" if after else None,
                export_url=(f"{base}/people.csv?{query}"
                            if staff.can(Permission.CANDIDATES_EXPORT) else None),
                current_staff=staff)


@get("/campaigns/{campaign_id:int}/report/people.csv",
     name="backoffice.campaigns.report_export", guards=CAN_EXPORT, include_in_schema=False)
async def export(request: Request, campaign_id: FromPath[int],
                 figure: FromQuery[str] = "recipients", reason: FromQuery[str] = "") -> Stream:
    await export_allowed(request)
    await reports.campaign(campaign_id)
    reports.metric(figure, reason)  # an unknown figure is refused before the stream starts
    filename = f"campaign-{campaign_id}-{figure}.csv"
    return Stream(reports.people_csv(reports.Scope(campaign=campaign_id), figure,
                                     reason=reason),
                  media_type="text/csv; charset=utf-8",
                  headers={"content-disposition": f'attachment; filename="{filename}"'})


ROUTES = [report, people, export]
