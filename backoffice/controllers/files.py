"""Files staff may download: candidates' CVs, for staff allowed to see candidates."""

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import File

from backoffice.auth import require_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from domain.profiles import service as profiles
from web_common import client_ip

CAN_VIEW = [requires(Permission.CANDIDATES_VIEW)]


@get("/files/cv/{cv_id:int}", name="backoffice.files.cv", guards=CAN_VIEW,
     include_in_schema=False)
async def download_cv(request: Request, cv_id: FromPath[int]) -> File:
    staff = await require_staff(request)
    cv = await profiles.cv_for_staff(cv_id=cv_id, actor=staff.email, ip=client_ip(request),
                                     clock=request.app.state.clock)
    # An attachment with the type we detected at upload: never rendered in the back office.
    return File(path=cv.path, filename=cv.display_name, media_type=cv.content_type,
                content_disposition_type="attachment",
                headers={"x-content-type-options": "nosniff", "cache-control": "private, no-store"})


ROUTES = [download_cv]
