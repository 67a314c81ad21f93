"""Time to fill and time in stage for one requisition, with the definitions on the page,
and the candidate searches run for it (compliance record).

Through `requisition_context` like every requisition page: hiring managers see only the
requisitions they are on. Durations only, no EEO data.
"""

from __future__ import annotations

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from backoffice.requisition_pages import CAN_WORK, requisition_context
from domain.compliance import queries, searches
from web_common import page


@get("/requisitions/{requisition_id:int}/metrics", name="backoffice.requisitions.metrics",
     guards=CAN_WORK, include_in_schema=False)
async def metrics(request: Request, requisition_id: FromPath[int]) -> Template:
    context = await requisition_context(request, requisition_id, "metrics")
    return page(request, "backoffice/requisitions/metrics.html", **context,
                metrics=await queries.requisition_metrics(context["requisition"]),
                searches=await searches.for_requisition(requisition_id))


ROUTES = [metrics]
