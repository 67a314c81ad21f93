"""Pool member pages (newest first, optionally one stage) and case-insensitive tag lookups."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T06:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "pool_members keyset indexes; person_tags lower(tag) index"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS pool_members_page_idx "
    "ON pool_members (pool, added_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS pool_members_stage_page_idx "
    "ON pool_members (pool, stage, added_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS person_tags_lower_tag_idx ON person_tags (lower(tag))",
    "CREATE INDEX IF NOT EXISTS person_tags_person_lower_tag_idx "
    "ON person_tags (person, lower(tag))",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="domain", description=DESCRIPTION)

    async def run():
        from piccolo.table import Table

        class RawSQL(Table):
            pass

        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
