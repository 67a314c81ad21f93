from litestar import Request, get
from litestar.response import Template

from domain.communities import service as communities
from web_common import page


@get("/", name="portal.home.index", include_in_schema=False)
async def index(request: Request) -> Template:
    return page(request, "portal/home/index.html", communities=await communities.list_public())

ROUTES = [index]
