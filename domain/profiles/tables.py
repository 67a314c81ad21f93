from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from domain.people.tables import Person


class Skill(Table, tablename="skills"):
    """The skills taxonomy: canonical names, synonyms and a parent (PyTorch → Machine learning)."""

    id = Serial(primary_key=True)
    slug = Varchar(length=80, unique=True)
    name = Varchar(length=120)
    category = Varchar(length=40, default="")
    parent: ForeignKey = ForeignKey(references="self", null=True, default=None)
    synonyms = Array(base_column=Varchar(length=120), default=list)
    created_at = Timestamptz()


class Profile(Table, tablename="profiles"):
    """What a candidate tells us about themselves. Typed columns (not JSON) so segments
    can filter on btree/GIN indexes at a million people."""

    id = Serial(primary_key=True)
    person = ForeignKey(references=Person, null=False, unique=True)
    headline = Varchar(length=200, default="")
    city = Varchar(length=120, default="")
    country = Varchar(length=2, default="", index=True)
    time_zone = Varchar(length=64, default="")
    links = JSONB(default=[])
    skills = Array(base_column=Varchar(length=80), default=list)
    unmatched_skills = Array(base_column=Varchar(length=120), default=list)
    job_function = Varchar(length=40, default="", index=True)
    seniority = Varchar(length=40, default="", index=True)
    work_modes = Array(base_column=Varchar(length=16), default=list)
    open_to_relocation = Boolean(default=False)
    open_to_opportunities = Varchar(length=16, default="")
    open_status_at = Date(null=True, default=None)
    updated_at = Timestamptz()


class CvFile(Table, tablename="cv_files"):
    """An uploaded CV. Stored under a random key outside static/; the uploaded filename is
    kept only (sanitised) for display. Replacing a CV keeps the old row as history."""

    id = Serial(primary_key=True)
    person = ForeignKey(references=Person, null=False, index=True)
    storage_key = Varchar(length=80, unique=True)
    display_name = Varchar(length=200)
    content_type = Varchar(length=100)
    size_bytes = BigInt()
    sha256 = Varchar(length=64)
    is_current = Boolean(default=True)
    uploaded_at = Timestamptz()
    replaced_at = Timestamptz(null=True, default=None)
    note = Text(default="")
