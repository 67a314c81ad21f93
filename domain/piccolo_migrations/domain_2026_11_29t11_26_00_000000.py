"""Idempotent API batches: an integration's id for an engagement event is recorded once
(unique where set; the column comes in the migration before this one)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T11:26:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index on engagement_events.external_id where set"

STATEMENT = ("CREATE UNIQUE INDEX IF NOT EXISTS engagement_events_external_id_idx "
             "ON engagement_events (external_id) WHERE external_id IS NOT NULL")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="domain", description=DESCRIPTION)

    async def run():
        from piccolo.table import Table

        class RawSQL(Table):
            pass

        await RawSQL.raw(STATEMENT)

    manager.add_raw(run)
    return manager
