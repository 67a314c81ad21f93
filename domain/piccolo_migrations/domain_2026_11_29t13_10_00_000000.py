"""Campaign audiences: a community's confirmed members in person order, so the sender's
keyset pages (1,000 at a time) read an index range instead of sorting the community."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T13:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "community confirmed members by (community, person)"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS community_memberships_confirmed_idx "
    "ON community_memberships (community, person) WHERE status = 'confirmed'",
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
