"""Possible duplicates: the review list, the merge preview and merge, "not the same
person", and undoing a merge. Seeing the list needs CANDIDATES_VIEW; deciding (merge,
dismiss, undo) needs CANDIDATES_MERGE (recruiters and admins; hiring managers do not)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backoffice.auth import current_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.dedupe import merge as merging
from domain.dedupe import queries, service
from web_common import page

CAN_VIEW = [requires(Permission.CANDIDATES_VIEW)]
CAN_MERGE = [requires(Permission.CANDIDATES_MERGE)]

TABLE_LABELS = {
    "applications": "Applications (with their interviews, scorecards and offers)",
    "event_registrations": "Event registrations", "community_memberships": "Community "
    "memberships", "consent_records": "Consent records", "engagement_events": "Engagement "
    "events", "outbound_emails": "Emails", "cv_files": "CVs", "profiles": "Profile",
    "person_tags": "Tags", "pool_members": "Talent pool places",
    "contact_preferences": "Contact preferences", "candidate_logins": "Portal account",
    "social_identities": "Social sign-ins", "data_requests": "Data requests",
    "data_exports": "Data exports", "legal_holds": "Legal holds",
}


def _label(table: str) -> str:
    return TABLE_LABELS.get(table, table.replace("_", " ").capitalize())


@get("/candidates/duplicates", name="backoffice.candidates.duplicates", guards=CAN_VIEW,
     include_in_schema=False)
async def duplicates(request: Request) -> Template:
    staff = await current_staff(request)
    return page(request, "backoffice/candidates/duplicates.html", current_staff=staff,
                pairs=await queries.review_list(),
                can_merge=staff is not None and staff.can(Permission.CANDIDATES_MERGE))


@get("/candidates/{person_id:int}/merge/{other_id:int}",
     name="backoffice.candidates.merge_preview", guards=CAN_MERGE, include_in_schema=False)
async def merge_preview(request: Request, person_id: FromPath[int],
                        other_id: FromPath[int]) -> Template:
    """`person_id` is kept, `other_id` is folded into it."""
    preview = await merging.preview(person_id, other_id)
    return page(request, "backoffice/candidates/merge.html",
                current_staff=await current_staff(request), preview=preview,
                moves=[(_label(t), n) for t, n in sorted(preview.moves.items())],
                stays=[(_label(t), n) for t, n in sorted(preview.stays.items())])


@post("/candidates/{person_id:int}/merge/{other_id:int}", name="backoffice.candidates.merge",
      guards=CAN_MERGE, include_in_schema=False)
async def merge(request: Request, person_id: FromPath[int], other_id: FromPath[int]) -> Redirect:
    staff = await current_staff(request)
    assert staff is not None  # the guard signed them in
    await merging.merge(person_id, other_id, by=staff.email, now=request.app.state.clock.now())
    return Redirect(f"/backoffice/candidates/{person_id}", status_code=303)


@post("/candidates/{person_id:int}/not-duplicate/{other_id:int}",
      name="backoffice.candidates.not_duplicate", guards=CAN_MERGE, include_in_schema=False)
async def not_duplicate(request: Request, person_id: FromPath[int],
                        other_id: FromPath[int]) -> Redirect:
    staff = await current_staff(request)
    assert staff is not None
    reason = str((await request.form()).get("reason", "phone"))[:16]
    await service.dismiss(person_id, other_id, reason=reason, by=staff.email,
                          now=request.app.state.clock.now())
    return Redirect("/backoffice/candidates/duplicates", status_code=303)


@post("/candidates/merges/{merge_id:int}/undo", name="backoffice.candidates.undo_merge",
      guards=CAN_MERGE, include_in_schema=False)
async def undo_merge(request: Request, merge_id: FromPath[int]) -> Redirect:
    staff = await current_staff(request)
    assert staff is not None
    kept = await merging.undo(merge_id, by=staff.email, now=request.app.state.clock.now())
    return Redirect(f"/backoffice/candidates/{kept}", status_code=303)


ROUTES = [duplicates, merge_preview, merge, not_duplicate, undo_merge]
