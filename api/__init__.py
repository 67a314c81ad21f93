"""The REST API at /api/v1: bearer tokens with scopes (api.auth), RFC 9457 problem details
(api.problems), cursor pages and ETags (api.common). Each module lists its ROUTES; handlers
call the owning context's services and queries, nothing else."""

from litestar import Router
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme

from api import communities, engagement, events, hiring, people, pools
from api.problems import Problem, handlers

MODULES = [people, communities, engagement, events, hiring, pools]
SECURITY_SCHEME = "BearerToken"
COMPONENTS = Components(security_schemes={SECURITY_SCHEME: SecurityScheme(
    type="http", scheme="bearer",
    description="An API token from Back office → Integrations → API tokens (`tl_…`).")})
_PROBLEM = "application/problem+json"
RESPONSES = {
    status: ResponseSpec(Problem, description=text, media_type=_PROBLEM,
                         generate_examples=False)
    for status, text in ((400, "The request was not valid (see `errors`)"),
                         (401, "Missing, unknown, expired or revoked token"),
                         (403, "The token lacks this route's scope"),
                         (404, "Not found"),
                         (409, "Changed meanwhile"),
                         (422, "Refused by a rule (see `errors`)"),
                         (429, "Over the token's rate limit (see Retry-After)"))
}


def create_router() -> Router:
    handlers_ = [handler for module in MODULES for handler in module.ROUTES]
    for handler in handlers_:  # a Router takes no `responses`: document them per route
        handler.responses = {**RESPONSES, **(handler.responses or {})}
    return Router(path="/api/v1", route_handlers=handlers_, security=[{SECURITY_SCHEME: []}],
                  tags=["api"], exception_handlers=handlers())
