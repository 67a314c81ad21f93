"""The audit log for admins: filter, page back through history, export as CSV.

Only GET routes: entries are append-only and nothing here may change them
(tests/web/backoffice/test_audit_log.py enumerates the routes to keep it so).
"""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Stream, Template

from backoffice.auth import current_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.compliance import audit_log
from web_common import page

CAN_READ = [requires(Permission.STAFF_MANAGE)]
PREFIXES = (("pipeline.", "Pipeline"), ("requisition.", "Requisitions"),
            ("interview.", "Interviews"), ("event.", "Events"), ("privacy.", "Privacy"),
            ("staff.", "Staff sign-in and access"), ("sso.", "Single sign-on settings"),
            ("api.", "API calls refused"), ("api_token.", "API tokens"),
            ("webhook.", "Webhooks"), ("candidate.", "Candidates"),
            ("compliance.", "Compliance"))


def _raw_filters(request: Request) -> dict[str, str]:
    names = ("actor", "action", "subject", "since", "until")
    return {name: str(request.query_params.get(name, ""))[:400] for name in names}


@get("/audit", name="backoffice.audit.index", guards=CAN_READ, include_in_schema=False)
async def index(request: Request, before: FromQuery[int] = 0) -> Template:
    filters, errors = audit_log.parse_filters(_raw_filters(request))
    result = await audit_log.page(filters, before=max(before, 0))
    query = filters.query()
    next_url = ("/backoffice/audit?" + urlencode({**query, "before": result.next_before})
                if result.next_before else None)
    return page(request, "backoffice/audit/index.html", status_code=422 if errors else 200,
                rows=result.rows, filters=filters, form=_raw_filters(request), errors=errors,
                prefixes=PREFIXES, next_url=next_url,
                newest_url="/backoffice/audit?" + urlencode(query) if before else None,
                export_url="/backoffice/audit.csv?" + urlencode(query),
                current_staff=await current_staff(request))


@get("/audit.csv", name="backoffice.audit.export", guards=CAN_READ, include_in_schema=False)
async def export(request: Request) -> Stream:
    # A bad date is ignored here rather than exporting everything by surprise: the page
    # that links here shows the message and keeps the other filters.
    filters, _ = audit_log.parse_filters(_raw_filters(request))
    return Stream(audit_log.export_csv(filters), media_type="text/csv; charset=utf-8",
                  headers={"content-disposition": 'attachment; filename="audit-log.csv"'})


ROUTES = [index, export]
