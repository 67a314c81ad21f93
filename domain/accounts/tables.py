from piccolo.columns import (
    JSONB,
    Array,
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.constraints import Unique
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
    # Optional TOTP second factor for local sign-in (RFC 6238). The secret is stored
    # encrypted with the app secret (domain.accounts.totp), never shown again once enrolled.
    totp_secret = Text(default="")
    totp_enabled_at = Timestamptz(null=True, default=None)
    totp_last_step = Integer(default=0)  # the last accepted time step: a code works once


class StaffRecoveryCode(Table, tablename="staff_recovery_codes"):
    """Single-use codes for signing in when the authenticator is lost: only a hash is kept
    (the codes are shown once, at enrolment or when regenerated); `used_at` is set under a
    row lock, so a code works once."""

    id = Serial(primary_key=True)
    staff = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False, index=True)
    code_hash = Varchar(length=64)
    created_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class StaffIdentity(Table, tablename="staff_identities"):
    """A staff account's link to an OIDC identity, keyed on (issuer, subject): the same
    email under another subject is a different identity, never silently merged."""

    id = Serial(primary_key=True)
    staff = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False, index=True)
    issuer = Varchar(length=300)
    subject = Varchar(length=255)
    email_at_link = Varchar(length=320, default="")
    created_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)

    unique_staff_issuer_subject = Unique(["issuer", "subject"])


class SsoSettings(Table, tablename="sso_settings"):
    """Admin-set single sign-on policy (one row, id 1). The provider's issuer, client id
    and secret come from the environment; what to do with its users is decided here."""

    id = Serial(primary_key=True)
    local_login_enabled = Boolean(default=True)
    jit_provisioning = Boolean(default=False)
    default_role = Varchar(length=40, default="")
    allowed_domains = Array(base_column=Varchar(length=253), default=list)
    groups_claim = Varchar(length=100, default="groups")
    group_roles = JSONB(default={})  # {"idp-group": ["recruiter", …]}
    mfa_required_roles = Array(base_column=Varchar(length=40), default=list)
    updated_by = Varchar(length=320, default="")
    updated_at = Timestamptz(null=True, default=None)
