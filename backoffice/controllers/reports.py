"""The EEO adverse-impact report, for the eeo_reporter role only (counts, never people)."""

from __future__ import annotations

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Template

from backoffice.auth import current_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.compliance import queries
from domain.compliance.rules import FOUR_FIFTHS
from settings import get_settings
from web_common import page

CAN_REPORT = [requires(Permission.EEO_REPORT)]


@get("/reports/eeo", name="backoffice.reports.eeo", guards=CAN_REPORT,
     include_in_schema=False)
async def eeo(request: Request, requisition: FromQuery[str] = "") -> Template:
    choices = await queries.requisitions()
    known = {str(row["id"]) for row in choices}
    # Anything but a listed requisition id means "all requisitions".
    selected = int(requisition) if requisition in known else None
    minimum = get_settings().eeo_min_group
    return page(request, "backoffice/reports/eeo.html",
                reports=await queries.eeo_report(selected, minimum=minimum),
                requisitions=choices, selected=selected, minimum=minimum,
                threshold=float(FOUR_FIFTHS), current_staff=await current_staff(request))


ROUTES = [eeo]
