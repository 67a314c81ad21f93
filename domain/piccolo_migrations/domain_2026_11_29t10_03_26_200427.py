from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import BigSerial
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import JSONB
from piccolo.columns.column_types import Serial
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Unique
from piccolo.table import Table


class Person(Table, tablename="people", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


class SegmentAudience(Table, tablename="segment_audiences", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-11-29T10:03:26:200427"
VERSION = "1.38.0"
DESCRIPTION = "segment audiences: maintained membership + dirty-people triggers"


# Every table a segment condition reads marks the people a statement touched, so
# membership can be brought up to date for just them (domain.segments.membership).
# Statement-level triggers with transition tables: one INSERT per statement, whatever
# its row count (a bulk move of 1,000 adds one statement, not 1,000).
PERSON_TABLES = ("profiles", "engagement_scores", "community_memberships", "consent_records",
                 "engagement_events", "applications", "pool_members", "event_registrations",
                 "person_tags")

FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION segment_touch_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO segment_dirty_people (person)
        SELECT DISTINCT person FROM changed_rows WHERE person IS NOT NULL;
      RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION segment_touch_updated_rows() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO segment_dirty_people (person)
        SELECT person FROM changed_rows WHERE person IS NOT NULL
        UNION SELECT person FROM old_rows WHERE person IS NOT NULL;
      RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION segment_touch_people() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO segment_dirty_people (person) SELECT id FROM changed_rows;
      RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION segment_touch_transitions() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO segment_dirty_people (person)
        SELECT DISTINCT a.person FROM changed_rows t JOIN applications a ON a.id = t.application;
      RETURN NULL;
    END $$""",
]


def _triggers() -> list[str]:
    statements = []
    for table in PERSON_TABLES:
        statements += [
            f"CREATE TRIGGER {table}_segment_insert AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION segment_touch_rows()",
            f"CREATE TRIGGER {table}_segment_update AFTER UPDATE ON {table} "
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION segment_touch_updated_rows()",
            f"CREATE TRIGGER {table}_segment_delete AFTER DELETE ON {table} "
            "REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION segment_touch_rows()",
        ]
    statements += [
        "CREATE TRIGGER people_segment_insert AFTER INSERT ON people "
        "REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION segment_touch_people()",
        "CREATE TRIGGER people_segment_update AFTER UPDATE ON people "
        "REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION segment_touch_people()",
        "CREATE TRIGGER stage_transitions_segment_insert AFTER INSERT ON stage_transitions "
        "REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION segment_touch_transitions()",
    ]
    return statements


async def _create_triggers():
    from piccolo.table import Table

    class RawSQL(Table):
        pass

    for statement in FUNCTIONS + _triggers():
        await RawSQL.raw(statement)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="domain", description=DESCRIPTION
    )

    manager.add_table(
        class_name="SegmentAudience",
        tablename="segment_audiences",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="SegmentDirtyPerson",
        tablename="segment_dirty_people",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="SegmentAudienceMember",
        tablename="segment_audience_members",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="SegmentAudience",
        tablename="segment_audiences",
        column_name="id",
        db_column_name="id",
        column_class_name="Serial",
        column_class=Serial,
        params={
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SegmentAudience",
        tablename="segment_audiences",
        column_name="key",
        db_column_name="key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SegmentAudience",
        tablename="segment_audiences",
        column_name="definition",
        db_column_name="definition",
        column_class_name="JSONB",
        column_class=JSONB,
        params={
            "default": "{}",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SegmentAudience",
        tablename="segment_audiences",
        column_name="time_relative",
        db_column_name="time_relative",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SegmentAudience",
        tablename="segment_audiences",
        column_name="member_count",
        db_column_name="member_count",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SegmentAudience",
        tablename="segment_audiences",
        column_name="built_at",
        db_column_name="built_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SegmentAudience",
        tablename="segment_audiences",
        column_name="refreshed_at",
        db_column_name="refreshed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SegmentAudience",
        tablename="segment_audiences",
        column_name="problem",
        db_column_name="problem",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SegmentAudience",
        tablename="segment_audiences",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SegmentDirtyPerson",
        tablename="segment_dirty_people",
        column_name="id",
        db_column_name="id",
        column_class_name="BigSerial",
        column_class=BigSerial,
        params={
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SegmentDirtyPerson",
        tablename="segment_dirty_people",
        column_name="person",
        db_column_name="person",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SegmentAudienceMember",
        tablename="segment_audience_members",
        column_name="id",
        db_column_name="id",
        column_class_name="BigSerial",
        column_class=BigSerial,
        params={
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SegmentAudienceMember",
        tablename="segment_audience_members",
        column_name="audience",
        db_column_name="audience",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": SegmentAudience,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SegmentAudienceMember",
        tablename="segment_audience_members",
        column_name="person",
        db_column_name="person",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Person,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="SegmentAudienceMember",
        tablename="segment_audience_members",
        constraint_name="unique_audience_person",
        constraint_class=Unique,
        params={"columns": ["audience", "person"], "nulls_distinct": True},
        schema=None,
    )

    manager.add_raw(_create_triggers)
    return manager
