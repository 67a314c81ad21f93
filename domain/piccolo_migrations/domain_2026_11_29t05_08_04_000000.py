"""Jobs and pipeline: the scans the board, the pipeline lists and retention run."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T05:08:04:000000"
VERSION = "1.38.0"
DESCRIPTION = "requisitions and applications: board, pipeline keyset and retention indexes"

STATEMENTS = [
    # The job board: open requisitions, newest first.
    "CREATE INDEX IF NOT EXISTS requisitions_open_idx ON requisitions (opened_at DESC, id) "
    "WHERE status = 'open'",
    # Pipeline list and board: one requisition's applications by stage, keyset on id.
    "CREATE INDEX IF NOT EXISTS applications_pipeline_idx "
    "ON applications (requisition, stage, id)",
    "CREATE INDEX IF NOT EXISTS applications_status_idx "
    "ON applications (requisition, status, id)",
    # Retention purge: applications whose last action is older than the period.
    "CREATE INDEX IF NOT EXISTS applications_last_action_idx ON applications (last_action_at)",
    # Time in stage: an application's transitions in order.
    "CREATE INDEX IF NOT EXISTS stage_transitions_history_idx "
    "ON stage_transitions (application, at, id)",
    # Silver-medalist matching on skills.
    "CREATE INDEX IF NOT EXISTS requisitions_required_skills_idx "
    "ON requisitions USING gin (required_skills)",
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
