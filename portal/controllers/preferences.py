"""The preference centre, reached two ways: signed in (/account/preferences, /account/consent)
or by the signed link in any email (/preferences/{token}, /preferences/{token}/consent).

A link shows and changes one person's preferences and consent and nothing else: it
creates no portal session, so every page reached that way carries the token in its path
(and pages send no Referer, see web_security)."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.consent import service as consent
from domain.consent.rules import COMMUNITY_EMAILS
from domain.errors import Invalid
from domain.preferences import emails as links
from domain.preferences import queries
from domain.preferences import service as preferences
from domain.preferences.emails import LinkProblem
from domain.preferences.rules import CADENCES, CHANNELS, MAX_PAUSE_WEEKS, MIN_PAUSE_WEEKS
from domain.preferences.service import Evidence
from portal.auth import current_candidate, require_candidate
from portal.forms import PreferencesForm
from web_common import client_ip, page, user_agent
from web_ratelimit import rate_limited

LINK_STATUS = {"expired": 410, "invalid": 400}
# Counts POSTs only (the guard ignores GETs): a link holder cannot hammer the ledger.
POST_LIMIT = rate_limited("preferences", limit=60, window_seconds=60)


@dataclass(frozen=True)
class Viewer:
    person_id: int
    root: str  # the preferences page; community actions live under it
    consent: str  # the consent page; its buttons post under it
    via_link: bool


def _link_problem(request: Request, problem: LinkProblem) -> Template:
    return page(request, "portal/preferences/link_problem.html",
                status_code=LINK_STATUS.get(problem.kind, 400), problem=problem.kind)


HANDLERS = {LinkProblem: _link_problem}


async def _viewer(request: Request, token: str | None) -> Viewer:
    if token is None:
        candidate = await current_candidate(request)
        if candidate is None:
            raise NotAuthorizedException("Sign in to continue.")
        return Viewer(candidate.person_id, "/account/preferences", "/account/consent", False)
    person_id = await links.person_from_link(token)
    return Viewer(person_id, f"/preferences/{token}", f"/preferences/{token}/consent", True)


def _evidence(request: Request, viewer: Viewer) -> Evidence:
    method = "preference_link" if viewer.via_link else "portal_signed_in"
    return Evidence(method, ip=client_ip(request), user_agent=user_agent(request))


def _private(response: Template) -> Template:
    response.headers["cache-control"] = "no-store"  # personal data, maybe a token URL
    return response


def _pause_options(paused: bool) -> list[tuple[str, str]]:
    first = [("", "Keep the pause as it is"), ("resume", "Resume now")] if paused \
        else [("", "Don't pause")]
    weeks = range(MIN_PAUSE_WEEKS, MAX_PAUSE_WEEKS + 1)
    return first + [(str(n), f"{n} week{'s' if n > 1 else ''}") for n in weeks]


async def _preferences_page(request: Request, viewer: Viewer, *, status: int = 200,
                            form: dict | None = None, errors: dict | None = None,
                            community_errors: dict | None = None) -> Template:
    prefs = await queries.contact_preferences(viewer.person_id,
                                              now=request.app.state.clock.now())
    communities = await queries.communities(viewer.person_id)
    for community in communities:
        community["options"] = [(value, value.replace("-", " ").capitalize())
                                for value in community["interest_options"] or []]
    return _private(page(
        request, "portal/preferences/centre.html", status_code=status, viewer=viewer,
        person=await queries.person(viewer.person_id), communities=communities, prefs=prefs,
        form=form or {"cadence": prefs["cadence"], "channels": prefs["channels"], "pause": ""},
        errors=errors or {}, community_errors=community_errors or {},
        cadences=list(CADENCES.items()), channels=list(CHANNELS.items()),
        pause_options=_pause_options(prefs["paused"]),
        consent_text=await consent.current_text(COMMUNITY_EMAILS),
        updated=request.query_params.get("updated", ""),
    ))


def _done(viewer: Viewer, what: str, anchor: str = "") -> Redirect:
    return Redirect(f"{viewer.root}?updated={what}{anchor}", status_code=303)


@get(["/account/preferences", "/preferences/{token:str}"], name="portal.preferences.show",
     include_in_schema=False, exception_handlers=HANDLERS)
async def show(request: Request, token: FromPath[str | None] = None) -> Template:
    return await _preferences_page(request, await _viewer(request, token))


@post(["/account/preferences", "/preferences/{token:str}"], name="portal.preferences.save",
      include_in_schema=False, exception_handlers=HANDLERS, guards=[POST_LIMIT])
async def save(request: Request, token: FromPath[str | None] = None) -> Template | Redirect:
    viewer = await _viewer(request, token)
    form = PreferencesForm.from_form(await request.form())
    values = form.validate()
    if values is None:
        return await _preferences_page(request, viewer, status=422, form=form.values(),
                                       errors=form.errors)
    await preferences.save_contact_preferences(viewer.person_id, clock=request.app.state.clock,
                                               **values)
    return _done(viewer, "preferences", "#how-often")


@post(["/account/preferences/communities/{slug:str}/interests",
       "/preferences/{token:str}/communities/{slug:str}/interests"],
      name="portal.preferences.interests", include_in_schema=False,
      exception_handlers=HANDLERS, guards=[POST_LIMIT])
async def interests(request: Request, slug: FromPath[str], token: FromPath[str | None] = None
                    ) -> Template | Redirect:
    viewer = await _viewer(request, token)
    try:
        await preferences.set_interests(viewer.person_id, slug,
                                        PreferencesForm.interests(await request.form()))
    except Invalid as exc:
        return await _preferences_page(request, viewer, status=422,
                                       community_errors={slug: exc.errors})
    return _done(viewer, "topics", f"#community-{slug}")


@post(["/account/preferences/communities/{slug:str}/leave",
       "/preferences/{token:str}/communities/{slug:str}/leave"],
      name="portal.preferences.leave", include_in_schema=False,
      exception_handlers=HANDLERS, guards=[POST_LIMIT])
async def leave(request: Request, slug: FromPath[str],
                token: FromPath[str | None] = None) -> Redirect:
    viewer = await _viewer(request, token)
    await preferences.leave(viewer.person_id, slug, clock=request.app.state.clock)
    return _done(viewer, "left", f"#community-{slug}")


@post("/account/preferences/communities/{slug:str}/join", name="portal.preferences.join",
      include_in_schema=False, guards=[require_candidate, POST_LIMIT])
async def join(request: Request, slug: FromPath[str]) -> Template | Redirect:
    """Joining needs a session: a preference link may have been forwarded, and joining
    new communities is more than managing the ones a person chose."""
    viewer = await _viewer(request, None)
    data = await request.form()
    errors = PreferencesForm.consent_errors(data, await consent.current_text(COMMUNITY_EMAILS))
    try:
        if errors:
            raise Invalid(errors=errors)
        await preferences.join(viewer.person_id, slug, interests=PreferencesForm.interests(data),
                               consent_text_id=int(str(data.get("consent_text_id"))),
                               evidence=_evidence(request, viewer),
                               clock=request.app.state.clock)
    except Invalid as exc:
        return await _preferences_page(request, viewer, status=422,
                                       community_errors={slug: exc.errors})
    return _done(viewer, "joined", f"#community-{slug}")


async def _consent_page(request: Request, viewer: Viewer, *, status: int = 200,
                        error: str = "") -> Template:
    history = await queries.consent_history(viewer.person_id)
    return _private(page(
        request, "portal/preferences/consent.html", status_code=status, viewer=viewer,
        person=await queries.person(viewer.person_id), history=history,
        states=await queries.consent_overview(history, now=request.app.state.clock.now()),
        consent_texts={COMMUNITY_EMAILS: await consent.current_text(COMMUNITY_EMAILS)},
        error=error, updated=request.query_params.get("updated", ""),
    ))


@get(["/account/consent", "/preferences/{token:str}/consent"], name="portal.preferences.consent",
     include_in_schema=False, exception_handlers=HANDLERS)
async def consent_page(request: Request, token: FromPath[str | None] = None) -> Template:
    return await _consent_page(request, await _viewer(request, token))


@post(["/account/consent/withdraw", "/preferences/{token:str}/consent/withdraw"],
      name="portal.preferences.withdraw", include_in_schema=False,
      exception_handlers=HANDLERS, guards=[POST_LIMIT])
async def withdraw(request: Request, token: FromPath[str | None] = None) -> Redirect:
    viewer = await _viewer(request, token)
    purpose, scope, _ = PreferencesForm.consent_target(await request.form())
    await preferences.withdraw_consent(viewer.person_id, purpose, scope,
                                       clock=request.app.state.clock)
    return Redirect(f"{viewer.consent}?updated=withdrawn", status_code=303)


@post(["/account/consent/give", "/preferences/{token:str}/consent/give"],
      name="portal.preferences.give", include_in_schema=False,
      exception_handlers=HANDLERS, guards=[POST_LIMIT])
async def give(request: Request, token: FromPath[str | None] = None) -> Template | Redirect:
    viewer = await _viewer(request, token)
    purpose, scope, text_id = PreferencesForm.consent_target(await request.form())
    try:
        await preferences.give_consent(viewer.person_id, purpose, scope,
                                       consent_text_id=text_id,
                                       evidence=_evidence(request, viewer),
                                       clock=request.app.state.clock)
    except Invalid as exc:
        message = next(iter(exc.errors.values()), str(exc))
        return await _consent_page(request, viewer, status=422, error=message)
    return Redirect(f"{viewer.consent}?updated=given", status_code=303)


ROUTES = [show, save, interests, leave, join, consent_page, withdraw, give]
