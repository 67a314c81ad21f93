"""Event seats: a sequence for waitlist FIFO positions and the scans the service runs."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T03:16:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "events: position sequence, waitlist and offer-expiry indexes"

STATEMENTS = [
    "CREATE SEQUENCE IF NOT EXISTS event_registration_position_seq AS bigint",
    "ALTER TABLE event_registrations ALTER COLUMN position "
    "SET DEFAULT nextval('event_registration_position_seq')",
    "CREATE INDEX IF NOT EXISTS event_registrations_waitlist_idx "
    "ON event_registrations (event, position) WHERE status = 'waitlisted'",
    "CREATE INDEX IF NOT EXISTS event_registrations_offer_expiry_idx "
    "ON event_registrations (offer_expires_at) WHERE status = 'offered'",
    "CREATE INDEX IF NOT EXISTS events_upcoming_idx ON events (starts_at) "
    "WHERE status = 'published'",
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
