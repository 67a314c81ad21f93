from piccolo.columns import Array, Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class StaffUser(Table, tablename="staff_users"):
    id = Serial(primary_key=True)
    email = Varchar(length=320, unique=True)
    full_name = Varchar(length=200)
    password_hash = Text(default="")
    roles = Array(base_column=Varchar(length=40), default=list)
    is_active = Boolean(default=True)
    created_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)
    # Bumped whenever the account is disabled or loses a role: every session carries the
    # epoch it began under, and one from an older epoch is refused on its next request.
    session_epoch = Integer(default=0)
    disabled_at = Timestamptz(null=True, default=None)
    invited_by = Integer(null=True, default=None)
    invited_at = Timestamptz(null=True, default=None)
