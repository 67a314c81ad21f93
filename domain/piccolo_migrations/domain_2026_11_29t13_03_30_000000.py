"""Campaigns, nurture sequences and tracking: the indexes their hot paths read by, and
the one marketing settings row (the tables come in the migration before this one)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T13:03:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "campaign, sequence and tracking indexes; marketing settings row"

STATEMENTS = (
    # No person gets a campaign twice, nor one sequence step twice.
    "CREATE UNIQUE INDEX IF NOT EXISTS marketing_sends_campaign_person_key "
    "ON marketing_sends (campaign, person) WHERE campaign IS NOT NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS marketing_sends_enrollment_step_key "
    "ON marketing_sends (enrollment, step_key) WHERE enrollment IS NOT NULL",
    # A batch task claims its queued rows; progress counts by state.
    "CREATE INDEX IF NOT EXISTS marketing_sends_campaign_batch_idx "
    "ON marketing_sends (campaign, batch, id) WHERE state = 'queued'",
    "CREATE INDEX IF NOT EXISTS marketing_sends_campaign_state_idx "
    "ON marketing_sends (campaign, state)",
    "CREATE INDEX IF NOT EXISTS marketing_sends_sequence_queued_idx "
    "ON marketing_sends (id) WHERE enrollment IS NOT NULL AND state = 'queued'",
    # The frequency cap: what a person was sent (or may have been) lately.
    "CREATE INDEX IF NOT EXISTS marketing_sends_person_recent_idx "
    "ON marketing_sends (person, claimed_at) "
    "WHERE state IN ('sending', 'sent', 'in_doubt')",
    "CREATE UNIQUE INDEX IF NOT EXISTS marketing_sends_reply_token_key "
    "ON marketing_sends (reply_token) WHERE reply_token <> ''",
    "CREATE INDEX IF NOT EXISTS marketing_sends_message_id_idx "
    "ON marketing_sends (message_id) WHERE message_id <> ''",
    "CREATE INDEX IF NOT EXISTS marketing_sends_in_doubt_idx "
    "ON marketing_sends (campaign) WHERE state = 'in_doubt'",
    "CREATE INDEX IF NOT EXISTS tracking_events_send_idx ON tracking_events (send, kind)",
    "CREATE INDEX IF NOT EXISTS inbound_messages_send_idx ON inbound_messages (send) "
    "WHERE send IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS campaign_csv_people_campaign_idx "
    "ON campaign_csv_people (campaign, person)",
    # The scheduler reads due steps of active enrolments.
    "CREATE INDEX IF NOT EXISTS sequence_enrollments_due_idx "
    "ON sequence_enrollments (due_at, id) WHERE state = 'active'",
    "CREATE UNIQUE INDEX IF NOT EXISTS sequence_enrollments_open_key "
    "ON sequence_enrollments (sequence, person) WHERE state IN ('active', 'paused')",
    "CREATE INDEX IF NOT EXISTS recruiter_tasks_open_idx "
    "ON recruiter_tasks (assignee, due_at) WHERE done_at IS NULL",
    "INSERT INTO marketing_settings (id, cap_messages, cap_days, paused_reason, updated_by) "
    "VALUES (1, 2, 7, '', '') ON CONFLICT (id) DO NOTHING",
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
