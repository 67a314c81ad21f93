"""Composition root: `uvicorn asgi:app` (or `talentloop web`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig
from redis.asyncio import Redis

import api
import backoffice
import portal
from domain.db import close_pool, start_pool
from domain.ports import SystemClock
from settings import ROOT, Settings, get_settings
from web_access_log import access_log
from web_common import format_date, format_datetime, format_in_zone, markdown, time_ago
from web_errors import exception_handlers
from web_health import healthz
from web_page_cache import PublicPageCache
from web_security import security_headers
from web_sessions import session_config
from web_tracking import ROUTES as TRACKING_ROUTES
from web_tracking_front import install as install_tracking_front
from workers.queue import ArqTaskQueue

log = logging.getLogger("talentloop.web")
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"

# Only routes that cannot carry our cookie may skip CSRF: RFC 8058 one-click
# unsubscribe (a provider's cookie-less POST to /u/{token}, but not /u/{token}/confirm)
# and signed inbound webhooks. A test pins this set. The REST API authenticates with a bearer
# token in a header and never reads a cookie, so a cross-site form cannot act through it.
# /hooks/ are the bounce/complaint and inbound-mail webhooks: a mail provider's cookie-less
# POST, authenticated by an HMAC-SHA-256 signature of the body (web_tracking.py).
CSRF_EXEMPT: list[str] = [r"^/u/[^/]+$", r"^/api/", r"^/hooks/"]


def _configure_templates(settings: Settings):
    def callback(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        # Re-checking every template file's mtime on each render only helps while editing.
        env.auto_reload = settings.app_env == "development"
        env.filters.update(datetime=format_datetime, date=format_date, timeago=time_ago,
                           markdown=markdown, in_zone=format_in_zone)
        env.globals["brand"] = {
            "company_name": settings.company_name,
            "postal_address": settings.postal_address,
        }

    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=callback)


def _lifespan(settings: Settings, redis: Redis):
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        opened = await start_pool(max_size=settings.db_pool_max)
        app.state.queue = await ArqTaskQueue.connect(settings.require_redis_url())
        try:
            yield
        finally:
            await app.state.queue.close()
            await redis.aclose()
            if opened:
                await close_pool()

    return lifespan


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    redis = Redis.from_url(settings.require_redis_url())
    idle = settings.session_idle_minutes * 60
    # Candidates stay signed in for two weeks of inactivity (30 days at most, portal/auth.py).
    # Over https the cookies get the __Host- prefix (Secure, Path=/, no Domain), so a
    # sibling subdomain cannot plant or overwrite them (ASVS 3.3.1). Plain-http local runs
    # cannot use the prefix; there the staff cookie is at least scoped to /backoffice.
    prefix = "__Host-" if settings.cookie_secure else ""
    staff_path = "/" if settings.cookie_secure else "/backoffice"
    portal_sessions = session_config(key=f"{prefix}tl_portal", store="portal_sessions",
                                     max_age=14 * 24 * 3600, secure=settings.cookie_secure)
    staff_sessions = session_config(key=f"{prefix}tl_staff", store="staff_sessions",
                                    max_age=idle, secure=settings.cookie_secure,
                                    path=staff_path)
    app = Litestar(
        route_handlers=[
            portal.create_router(middleware=[portal_sessions.middleware]),
            backoffice.create_router(middleware=[staff_sessions.middleware]),
            api.create_router(),
            healthz,
            *TRACKING_ROUTES,
            create_static_files_router(path="/static", directories=[STATIC],
                                       include_in_schema=False),
        ],
        template_config=_configure_templates(settings),
        csrf_config=CSRFConfig(secret=settings.secret_key, cookie_name=f"{prefix}tl_csrf",
                               cookie_secure=settings.cookie_secure, cookie_httponly=True,
                               exclude=CSRF_EXEMPT or None),
        stores=StoreRegistry(stores={
            "portal_sessions": RedisStore(redis, namespace="talentloop:sessions:portal"),
            "staff_sessions": RedisStore(redis, namespace="talentloop:sessions:staff"),
        }),
        openapi_config=OpenAPIConfig(title="talentloop", version="0.1.0", path="/schema",
                                     components=api.COMPONENTS),
        exception_handlers=exception_handlers(),
        before_send=[security_headers(https=settings.base_url.startswith("https://")),
                     access_log],
        lifespan=[_lifespan(settings, redis)],
        debug=False,
    )
    app.state.settings = settings
    app.state.session_cookies = (portal_sessions.key, staff_sessions.key)
    app.state.clock = SystemClock()
    # Session lifetimes run on their own clock: tests move the business clock days ahead
    # (to close an event, say) without meaning to sign anyone out.
    app.state.session_clock = SystemClock()
    app.state.redis = redis
    install_tracking_front(app)  # opens and clicks answered before routing
    return app


def create_server_app(settings: Settings | None = None) -> PublicPageCache | Litestar:
    """What `talentloop web` serves: the app behind the public page cache (when enabled)."""
    settings = settings or get_settings()
    app = create_app(settings)
    if settings.page_cache_seconds <= 0 or app.csrf_config is None:
        return app
    return PublicPageCache(app, csrf=app.csrf_config, ttl_seconds=settings.page_cache_seconds,
                           session_cookies=app.state.session_cookies)


def __getattr__(name: str):  # `uvicorn asgi:app` builds the app on first access only
    if name == "app":
        return create_app()
    raise AttributeError(name)


__all__ = ["Path", "create_app"]
