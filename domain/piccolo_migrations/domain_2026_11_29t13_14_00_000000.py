"""Campaign reports: the downstream funnel reads the applications made (and hires
decided) in a send period by date, next to engagement_events' (type, occurred_at) index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T13:14:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "applications by applied_at and by decided_at of hires (campaign funnel)"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS applications_applied_at_idx ON applications (applied_at)",
    "CREATE INDEX IF NOT EXISTS applications_hired_at_idx ON applications (decided_at) "
    "WHERE status = 'hired'",
)


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
