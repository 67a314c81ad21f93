from piccolo.columns import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.constraints import Unique
from piccolo.table import Table


class Person(Table, tablename="people"):
    """One record per human, keyed by normalised email (see people.rules.normalise_email)."""

    id = Serial(primary_key=True)
    email = Varchar(length=320, unique=True)
    full_name = Varchar(length=200, default="")
    source = Varchar(length=40, default="portal")
    # Hints for finding the same human under another address (people.rules.normalise_phone
    # / normalise_linkedin): E.164 phone, "linkedin.com/in/<handle>"; '' when unknown.
    phone = Varchar(length=32, default="", index=True)
    linkedin = Varchar(length=200, default="", index=True)
    # Set when a recruiter merged this record into another (dedupe.merge); the row stays
    # for 30 days so the merge can be undone, and is left out of every list meanwhile.
    merged_into: ForeignKey = ForeignKey(references="self", null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class PersonTag(Table, tablename="person_tags"):
    """A free label on a person ("Python meetup 2026", "relocating"): set one by one or in
    bulk from the pipeline and pools, matched by segments."""

    id = Serial(primary_key=True)
    person = ForeignKey(references=Person, null=False)  # (person, tag) unique index serves
    tag = Varchar(length=60, index=True)
    added_by = Varchar(length=320)
    added_at = Timestamptz()

    unique_person_tag = Unique(["person", "tag"])
