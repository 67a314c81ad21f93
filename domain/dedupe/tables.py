from piccolo.columns import JSONB, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.people.tables import Person


class DuplicateHint(Table, tablename="duplicate_hints"):
    """`person` and `other` look like the same human. reason: phone | linkedin | name.
    status: open → merged | dismissed (a dismissed pair is not suggested again)."""

    id = Serial(primary_key=True)
    person = ForeignKey(references=Person, null=False)  # unique_pair_reason serves
    other = ForeignKey(references=Person, null=False, index=True)
    reason = Varchar(length=16)
    status = Varchar(length=16, default="open", index=True)
    found_at = Timestamptz()
    decided_by = Varchar(length=320, default="")
    decided_at = Timestamptz(null=True, default=None)

    unique_pair_reason = Unique(["person", "other", "reason"])


class PersonMerge(Table, tablename="person_merges"):
    """`merged` was folded into `kept`. `moved` records, per table, the ids of the rows
    whose person column was repointed ({"applications": [3, 9], …}) so an undo within
    30 days can move exactly those back. status: done | undone."""

    id = Serial(primary_key=True)
    kept = ForeignKey(references=Person, null=False, index=True)
    merged = ForeignKey(references=Person, null=False, index=True)
    moved = JSONB(default={})
    status = Varchar(length=16, default="done")
    merged_by = Varchar(length=320)
    merged_at = Timestamptz()
    undone_by = Varchar(length=320, default="")
    undone_at = Timestamptz(null=True, default=None)
