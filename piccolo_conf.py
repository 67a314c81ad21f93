"""Piccolo configuration: one PostgreSQL engine, one app for the whole domain."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from settings import get_settings

_settings = get_settings()

# With no DATABASE_URL (e.g. `piccolo` CLI before `talentloop run`), fall back to the
# local server's default socket so imports never fail; connecting reports the problem.
DB = PostgresEngine(
    config={"dsn": _settings.database_url or "postgresql://postgres@127.0.0.1:5432/talentloop"},
    log_queries=False,
)

APP_REGISTRY = AppRegistry(apps=["domain.piccolo_app"])
