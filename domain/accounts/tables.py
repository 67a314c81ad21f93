from piccolo.columns import Array, Boolean, Serial, Text, Timestamptz, Varchar
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
