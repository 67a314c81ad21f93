from piccolo.columns import BigSerial, Timestamptz, Varchar
from piccolo.table import Table


class IssuedToken(Table, tablename="issued_tokens"):
    """Server-side record that makes a signed token single use. Only the nonce's hash is kept."""

    id = BigSerial(primary_key=True)
    purpose = Varchar(length=40)
    nonce_hash = Varchar(length=64, unique=True)
    subject = Varchar(length=120)
    issued_at = Timestamptz()
    expires_at = Timestamptz()
    consumed_at = Timestamptz(null=True, default=None)
