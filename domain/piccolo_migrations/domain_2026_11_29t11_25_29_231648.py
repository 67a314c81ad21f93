from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-29T11:25:29:231648"
VERSION = "1.38.0"
DESCRIPTION = "engagement_events.external_id (unique where set); drop person indexes that composite indexes lead with"



async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="domain", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="EngagementEvent",
        tablename="engagement_events",
        column_name="external_id",
        db_column_name="external_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 200,
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

    manager.alter_column(
        table_class_name="ConsentRecord",
        tablename="consent_records",
        column_name="person",
        db_column_name="person",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PersonTag",
        tablename="person_tags",
        column_name="person",
        db_column_name="person",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="DuplicateHint",
        tablename="duplicate_hints",
        column_name="person",
        db_column_name="person",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    return manager
