from piccolo.columns import (
    JSONB,
    Array,
    ForeignKey,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.accounts.tables import StaffUser
from domain.people.tables import Person

DEFAULT_STAGES = ["lead", "contacted", "engaged", "interested", "ready"]


class TalentPool(Table, tablename="talent_pools"):
    """kind: static (hand-picked members) | dynamic (a saved segment, evaluated live).
    visibility: shared | private (owner only). Silver-medalist pools are static pools
    keyed by `auto_key` ("silver:<job function>") so the hiring side finds or creates them."""

    id = Serial(primary_key=True)
    name = Varchar(length=120, unique=True)
    description = Text(default="")
    kind = Varchar(length=16, default="static")
    visibility = Varchar(length=16, default="shared")
    owner = ForeignKey(references=StaffUser, null=True, default=None, index=True)
    job_function = Varchar(length=40, default="")
    skills = Array(base_column=Varchar(length=80), default=list)
    stages = Array(base_column=Varchar(length=40), default=DEFAULT_STAGES)
    segment = JSONB(null=True, default=None)
    auto_key = Varchar(length=80, null=True, default=None, unique=True)
    created_by = Varchar(length=320, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class PoolMember(Table, tablename="pool_members"):
    """A person in a static pool, at one of the pool's stages. `source` says how they got
    there ("manual", "bulk", "silver_medalist:application:<id>")."""

    id = Serial(primary_key=True)
    pool = ForeignKey(references=TalentPool, null=False)
    person = ForeignKey(references=Person, null=False, index=True)
    stage = Varchar(length=40, default="lead")
    source = Varchar(length=80, default="manual")
    note = Text(default="")
    added_by = Varchar(length=320, default="")
    added_at = Timestamptz()
    stage_changed_at = Timestamptz()

    unique_pool_person = Unique(["pool", "person"])
