from piccolo.columns import Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from domain.pipeline.tables import Application


class Offer(Table, tablename="offers"):
    """A job offer for an application. status: draft → pending_approval → approved → sent
    → accepted | declined | withdrawn (by us) | expired. Approval by someone other than
    the author; any edit after approval returns it to draft."""

    id = Serial(primary_key=True)
    application = ForeignKey(references=Application, null=False, index=True)
    status = Varchar(length=20, default="draft")
    title = Varchar(length=200)
    salary = Integer(null=True, default=None)
    salary_currency = Varchar(length=3, default="")
    salary_period = Varchar(length=8, default="year")
    start_date = Date(null=True, default=None)
    expires_on = Date(null=True, default=None)
    letter = Text(default="")
    created_by = Varchar(length=320)
    approved_by = Varchar(length=320, default="")
    approved_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    responded_at = Timestamptz(null=True, default=None)
    decline_reason = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
