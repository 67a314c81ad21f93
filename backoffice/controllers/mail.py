"""Mail outbox: what the development mail sink received (local runs only)."""

from litestar import MediaType, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Response, Template

from backoffice.auth import current_staff
from backoffice.permissions import requires
from domain.accounts.permissions import Permission
from runtime.mailstore import MailStore
from web_common import page

CAN_VIEW = [requires(Permission.MAIL_OUTBOX_VIEW)]
PER_PAGE = 50


def _store(request: Request) -> MailStore | None:
    directory = request.app.state.settings.mail_sink_dir
    return MailStore(directory) if directory else None


@get("/mail", name="backoffice.mail.index", guards=CAN_VIEW, include_in_schema=False)
async def index(request: Request, page_number: FromQuery[int] = 1) -> Template:
    store, staff = _store(request), await current_staff(request)
    if store is None:
        return page(request, "backoffice/mail/index.html", sink_enabled=False, messages=[],
                    total=0, next_url=None, prev_url=None, current_staff=staff)
    number = max(1, page_number)
    total = store.count()
    messages = store.list(limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
    more = number * PER_PAGE < total
    return page(
        request, "backoffice/mail/index.html", sink_enabled=True, messages=messages, total=total,
        next_url=f"/backoffice/mail?page_number={number + 1}" if more else None,
        prev_url=f"/backoffice/mail?page_number={number - 1}" if number > 1 else None,
        current_staff=staff,
    )


# The email's own HTML, shown in a sandboxed frame with a policy of its own: inline
# styles allowed (emails need them), scripts, forms, plugins and remote loads not.
EMAIL_PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; sandbox"
)


@get("/mail/{key:str}/html", name="backoffice.mail.html", guards=CAN_VIEW,
     include_in_schema=False)
async def html_body(request: Request, key: FromPath[str]) -> Response:
    store = _store(request)
    message = store.get(key) if store else None
    if message is None or message.html_body is None:
        raise NotFoundException("This message has no HTML version.")
    return Response(message.html_body, media_type=MediaType.HTML,
                    headers={"content-security-policy": EMAIL_PREVIEW_POLICY})


@get("/mail/{key:str}", name="backoffice.mail.detail", guards=CAN_VIEW, include_in_schema=False)
async def detail(request: Request, key: FromPath[str]) -> Template:
    store = _store(request)
    message = store.get(key) if store else None
    if message is None:
        raise NotFoundException("This message is not in the mail sink.")
    return page(request, "backoffice/mail/detail.html", message=message,
                current_staff=await current_staff(request))

ROUTES = [index, html_body, detail]
