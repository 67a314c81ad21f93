"""Audit log filters: by actor, by action prefix and by subject, newest first (keyset on id)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T05:39:50:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit_entries: actor, action prefix and subject indexes for the audit log page"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS audit_actor_idx ON audit_entries (lower(actor), id DESC)",
    # text_pattern_ops lets `action LIKE 'pipeline.%'` use the index whatever the collation.
    "CREATE INDEX IF NOT EXISTS audit_action_idx "
    "ON audit_entries (action text_pattern_ops, id DESC)",
    "CREATE INDEX IF NOT EXISTS audit_subject_idx ON audit_entries (subject, id DESC)",
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
