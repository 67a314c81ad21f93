"""Segment membership: a rescore marks only the people whose score, band or last
engagement changed. The nightly rescore of everyone updates every row (computed_at moves),
and marking all of them would make the membership refresher re-evaluate every person
against every saved segment each night for nothing."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T10:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "segment trigger on engagement_scores: changed scores only"

STATEMENTS = [
    """CREATE OR REPLACE FUNCTION segment_touch_scores() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO segment_dirty_people (person)
        SELECT n.person FROM changed_rows n LEFT JOIN old_rows o ON o.person = n.person
        WHERE o.person IS NULL
           OR (n.score, n.band, n.last_engaged_at)
              IS DISTINCT FROM (o.score, o.band, o.last_engaged_at);
      RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS engagement_scores_segment_update ON engagement_scores",
    "CREATE TRIGGER engagement_scores_segment_update AFTER UPDATE ON engagement_scores "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION segment_touch_scores()",
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
