"""Indexes for the candidate portal that Piccolo's column options cannot express."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T01:51:39:000000"
VERSION = "1.38.0"
DESCRIPTION = "portal indexes: skills GIN, consent expiry scan, current CVs"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS profiles_skills_gin_idx ON profiles USING gin (skills)",
    "CREATE INDEX IF NOT EXISTS skills_synonyms_gin_idx ON skills USING gin (synonyms)",
    "CREATE INDEX IF NOT EXISTS consent_action_time_idx "
    "ON consent_records (purpose, action, occurred_at)",
    "CREATE UNIQUE INDEX IF NOT EXISTS cv_files_one_current_idx ON cv_files (person) "
    "WHERE is_current",
    "CREATE INDEX IF NOT EXISTS data_requests_due_idx ON data_requests (status, due_at)",
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
