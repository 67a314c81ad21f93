from piccolo.columns import Array, Boolean, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.people.tables import Person


class TalentCommunity(Table, tablename="talent_communities"):
    id = Serial(primary_key=True)
    slug = Varchar(length=80, unique=True)
    name = Varchar(length=120)
    description = Text(default="")
    is_public = Boolean(default=True)
    interest_options = Array(base_column=Varchar(length=80), default=list)
    created_at = Timestamptz()


class CommunityMembership(Table, tablename="community_memberships"):
    """pending -> confirmed -> left; re-joining after leaving returns to pending."""

    id = Serial(primary_key=True)
    person = ForeignKey(references=Person, null=False, index=True)
    community = ForeignKey(references=TalentCommunity, null=False, index=True)
    status = Varchar(length=16, default="pending", index=True)
    interests = Array(base_column=Varchar(length=80), default=list)
    requested_at = Timestamptz()
    confirmed_at = Timestamptz(null=True, default=None)
    left_at = Timestamptz(null=True, default=None)

    unique_person_community = Unique(["person", "community"])
