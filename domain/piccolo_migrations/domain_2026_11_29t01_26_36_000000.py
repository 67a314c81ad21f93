"""Indexes Piccolo's column options cannot express: composite, ordered, trigram."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T01:26:36:000000"
VERSION = "1.38.0"
DESCRIPTION = "search and timeline indexes"

STATEMENTS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Candidate list: keyset pagination newest first.
    "CREATE INDEX IF NOT EXISTS people_created_id_idx ON people (created_at DESC, id DESC)",
    # Candidate search by name or email fragment.
    "CREATE INDEX IF NOT EXISTS people_search_trgm_idx ON people "
    "USING gin ((lower(full_name) || ' ' || email) gin_trgm_ops)",
    # Timeline and current-consent reads are per person, newest first.
    "CREATE INDEX IF NOT EXISTS engagement_person_time_idx "
    "ON engagement_events (person, occurred_at DESC)",
    "CREATE INDEX IF NOT EXISTS engagement_type_time_idx "
    "ON engagement_events (type, occurred_at)",
    "CREATE INDEX IF NOT EXISTS consent_person_purpose_idx "
    "ON consent_records (person, purpose, scope, occurred_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS membership_community_status_idx "
    "ON community_memberships (community, status, person)",
    "CREATE INDEX IF NOT EXISTS outbox_pending_idx ON outbox_messages (id) "
    "WHERE enqueued_at IS NULL",
    "CREATE INDEX IF NOT EXISTS outbound_person_created_idx "
    "ON outbound_emails (person, created_at DESC)",
    "CREATE INDEX IF NOT EXISTS audit_time_idx ON audit_entries (occurred_at DESC)",
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
