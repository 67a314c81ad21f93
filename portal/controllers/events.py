"""Public event pages, registration (signed in or as a guest), self-cancel and .ics."""

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.events import calendar, news, queries
from domain.events import service as events
from domain.events.drafts import answer_problems
from portal.auth import current_candidate
from portal.event_views import display, event_url, json_ld
from portal.forms import EventGuestForm
from settings import get_settings
from web_common import client_ip, page, user_agent
from web_ratelimit import rate_limited


@get("/events", name="portal.events.index", include_in_schema=False)
async def index(request: Request) -> Template:
    upcoming = await queries.upcoming(request.app.state.clock.now())
    return page(request, "portal/events/index.html", events=[display(e) for e in upcoming])


async def _detail_page(request: Request, event: dict, form: EventGuestForm,
                       status: int = 200, answers: dict | None = None) -> Template:
    candidate = await current_candidate(request)
    registration = None
    if candidate is not None:
        registration = await queries.registration_of(event["id"], candidate.person_id)
    if registration is not None:
        registration["place"] = await queries.waitlist_position(registration)
    return page(request, "portal/events/detail.html", status_code=status,
                event=display(event), json_ld=json_ld(event), candidate=candidate,
                news_text=await news.current_text(),
                registration=registration, form=form.values(), errors=form.errors,
                answers=answers or {},
                now=request.app.state.clock.now())


@get("/events/{slug:str}", name="portal.events.detail", include_in_schema=False)
async def detail(request: Request, slug: FromPath[str]) -> Template:
    return await _detail_page(request, await queries.public_event(slug), EventGuestForm())


def _answers(event: dict, data: FormMultiDict) -> tuple[dict, dict, dict]:
    """(as typed, checked, errors) for the event's registration questions."""
    typed = {q["key"]: str(data.get(f"answer-{q['key']}", ""))[:2000]
             for q in event["questions"] or []}
    checked, errors = answer_problems(event["questions"] or [], typed)
    return typed, checked, errors


async def _news_opt_in(request: Request, form: EventGuestForm,
                       verified: bool) -> news.NewsOptIn | None:
    text = await news.current_text()
    form.check_news_text(text["id"])
    if not form.event_news:
        return None
    return news.NewsOptIn(text_id=text["id"], verified=verified,
                          evidence=news.Evidence(client_ip(request), user_agent(request)))


@post("/events/{slug:str}/register", name="portal.events.register", include_in_schema=False,
      guards=[rate_limited("event_register", limit=20, window_seconds=60)])
async def register(request: Request, slug: FromPath[str]) -> Template | Redirect:
    event = await queries.public_event(slug)
    state = request.app.state
    candidate = await current_candidate(request)
    data = await request.form()
    typed, answers, answer_errors = _answers(event, data)
    form = EventGuestForm.from_form(data)
    opt_in = await _news_opt_in(request, form, verified=candidate is not None)
    if candidate is not None:
        # Signed in: name and email come from the account, only the rest is checked.
        form = EventGuestForm(event_news=form.event_news, errors={**answer_errors,
                                                                  **form.errors})
        if form.errors:
            return await _detail_page(request, event, form, 422, typed)
        await events.register(slug, candidate.person_id, clock=state.clock, queue=state.queue,
                              answers=answers, event_news=opt_in)
        return Redirect(f"/events/{slug}", status_code=303)
    cleaned = form.validate()
    form.errors.update(answer_errors)
    if cleaned is None or form.errors:
        return await _detail_page(request, event, form, 422, typed)
    await events.register_guest(slug, email=cleaned[0], full_name=cleaned[1],
                                clock=state.clock, queue=state.queue, answers=answers,
                                event_news=opt_in)
    # The outcome (seat or waiting list) goes to the inbox only: showing it here would tell
    # anyone who types an address whether that person had already registered.
    request.session["event_registration_email"] = cleaned[0]
    return Redirect(f"/events/{slug}/registered", status_code=303)


@get("/events/{slug:str}/registered", name="portal.events.registered", include_in_schema=False)
async def registered(request: Request, slug: FromPath[str]) -> Template | Redirect:
    email = request.session.get("event_registration_email") if request.session else None
    if not isinstance(email, str):
        return Redirect(f"/events/{slug}", status_code=303)
    event = await queries.public_event(slug)
    return page(request, "portal/events/registered.html", event=display(event), email=email)


@post("/events/{slug:str}/cancel", name="portal.events.cancel", include_in_schema=False)
async def cancel(request: Request, slug: FromPath[str]) -> Redirect:
    event = await queries.public_event(slug)
    candidate = await current_candidate(request)
    if candidate is not None:
        registration = await queries.registration_of(event["id"], candidate.person_id)
        if registration is not None:
            await events.cancel(registration["id"], clock=request.app.state.clock,
                                queue=request.app.state.queue)
    return Redirect(f"/events/{slug}", status_code=303)


@get("/events/{slug:str}/calendar.ics", name="portal.events.calendar", include_in_schema=False)
async def calendar_file(request: Request, slug: FromPath[str]) -> Response:
    event = await queries.public_event(slug)
    body = calendar.build_ics(event, url=event_url(event), organizer=_organizer(),
                              now=request.app.state.clock.now())
    return Response(body, media_type="text/calendar; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="{slug}.ics"'})


def _organizer() -> str:
    return get_settings().mail_from.rsplit("<", 1)[-1].rstrip(">").strip()


ROUTES = [index, detail, register, registered, cancel, calendar_file]
