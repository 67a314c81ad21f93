from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.communities import service as communities
from domain.consent import service as consent
from domain.consent.rules import COMMUNITY_EMAILS
from domain.events import queries as event_queries
from domain.tokens.signer import MAX_AGE, Purpose
from portal.event_views import display
from portal.forms import JoinForm
from web_common import client_ip, page, user_agent
from web_ratelimit import rate_limited


def _options(community: dict) -> list[tuple[str, str]]:
    options = community["interest_options"] or []
    return [(value, value.replace("-", " ").capitalize()) for value in options]


async def _form_page(request: Request, community: dict, form: JoinForm, status: int) -> Template:
    return page(
        request, "portal/communities/detail.html", status_code=status,
        community=community, consent_text=await consent.current_text(COMMUNITY_EMAILS),
        form=form.values(), errors=form.errors, interest_options=_options(community),
        events=[display(event) for event in await event_queries.upcoming_for_community(
            community["id"], request.app.state.clock.now())],
    )


@get("/communities/{slug:str}", name="portal.communities.detail", include_in_schema=False)
async def detail(request: Request, slug: FromPath[str]) -> Template:
    community = await communities.get_public(slug)
    return await _form_page(request, community, JoinForm(), 200)


@post("/communities/{slug:str}/join", name="portal.communities.join", include_in_schema=False,
      guards=[rate_limited("join", limit=20, window_seconds=60)])
async def join(request: Request, slug: FromPath[str]) -> Template | Redirect:
    community = await communities.get_public(slug)
    form = JoinForm.from_form(await request.form())
    text = await consent.current_text(COMMUNITY_EMAILS)
    join_request = form.validate(
        community=community, consent_text=text, ip=client_ip(request),
        user_agent=user_agent(request),
    )
    if join_request is None:
        return await _form_page(request, community, form, 422)
    await communities.request_membership(
        join_request, clock=request.app.state.clock, queue=request.app.state.queue
    )
    request.session["joined_email"] = join_request.email
    return Redirect(f"/communities/{slug}/check-email", status_code=303)


@get("/communities/{slug:str}/check-email", name="portal.communities.check_email",
     include_in_schema=False)
async def check_email(request: Request, slug: FromPath[str]) -> Template | Redirect:
    community = await communities.get_public(slug)
    email = request.session.get("joined_email") if request.session else None
    if not email:
        return Redirect(f"/communities/{slug}", status_code=303)
    return page(request, "portal/communities/check_email.html", community=community, email=email,
                expires_days=MAX_AGE[Purpose.COMMUNITY_OPTIN].days)


@get("/communities/{slug:str}/welcome", name="portal.communities.welcome",
     include_in_schema=False)
async def welcome(request: Request, slug: FromPath[str]) -> Template:
    return page(request, "portal/communities/welcome.html",
                community=await communities.get_public(slug))

ROUTES = [detail, join, check_email, welcome]
