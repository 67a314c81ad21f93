from piccolo.columns import ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.people.tables import Person


class CandidateLogin(Table, tablename="candidate_logins"):
    """A person who has signed in to the portal. `session_epoch` is copied into each
    portal session; "sign out everywhere" increments it, which ends every older session."""

    id = Serial(primary_key=True)
    person = ForeignKey(references=Person, null=False, unique=True)
    session_epoch = Integer(default=0)
    created_at = Timestamptz()
    last_sign_in_at = Timestamptz(null=True, default=None)


class SocialIdentity(Table, tablename="social_identities"):
    """A social sign-in account linked to a person, keyed on (issuer, subject): an email
    alone never links a second account."""

    id = Serial(primary_key=True)
    person = ForeignKey(references=Person, null=False, index=True)
    provider = Varchar(length=40)
    issuer = Varchar(length=300)
    subject = Varchar(length=300)
    email = Varchar(length=320)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)

    unique_issuer_subject = Unique(["issuer", "subject"])
