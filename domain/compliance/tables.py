from piccolo.columns import JSONB, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table

from domain.requisitions.tables import Requisition


class RequisitionSearch(Table, tablename="requisition_searches"):
    """A candidate search run "for requisition X": who, when, the criteria and how many
    people it found (OFCCP Internet Applicant rule: keep the search criteria and date)."""

    id = Serial(primary_key=True)
    requisition = ForeignKey(references=Requisition, null=False, index=True)
    searched_by = Varchar(length=320)
    criteria = JSONB(default={})
    result_count = Integer(default=0)
    searched_at = Timestamptz()
