from piccolo.columns import Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class MarketingTemplate(Table, tablename="marketing_templates"):
    """A marketing email written by staff: subject and HTML body with merge fields
    ({{ first_name }}, …) rendered in a sandbox, a text body generated from the HTML unless
    edited, for one consent purpose. Saving requires the company postal address and the
    unsubscribe footer (domain.campaigns.templates). `version` goes up on every edit, so a
    campaign can tell the content it was approved with from a later one."""

    id = Serial(primary_key=True)
    name = Varchar(length=120, unique=True)
    description = Text(default="")
    purpose = Varchar(length=40)
    subject = Varchar(length=200)
    html_body = Text()
    text_body = Text(default="")
    text_is_custom = Boolean(default=False)
    version = Integer(default=1)
    created_by = Varchar(length=320, default="")
    created_at = Timestamptz()
    updated_by = Varchar(length=320, default="")
    updated_at = Timestamptz()
    archived_at = Timestamptz(null=True, default=None)
