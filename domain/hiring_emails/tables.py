from piccolo.columns import Boolean, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class HiringEmailTemplate(Table, tablename="hiring_email_templates"):
    """A message to applicants, edited by people with hiring setup rights. `key` is what a
    stage's automation (`{"email": key}`) and a rejection reason's `email_template` name.
    purpose: stage | rejection | general. `body` is Markdown with merge fields
    ({{ first_name }}, {{ job_title }}, {{ stage_label }}, …) rendered in a sandbox."""

    id = Serial(primary_key=True)
    key = Varchar(length=80, unique=True)
    name = Varchar(length=120)
    purpose = Varchar(length=16, default="general")
    subject = Varchar(length=200)
    body = Text()
    is_active = Boolean(default=True)
    updated_by = Varchar(length=320, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
