from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    BigSerial,
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

from domain.accounts.tables import StaffUser
from domain.people.tables import Person


class ApiToken(Table, tablename="api_tokens"):
    """A bearer token for /api/v1: only a hash is stored (the token is shown once), with
    its scopes (`<area>:read|write`), expiry and own rate limit."""

    id = Serial(primary_key=True)
    name = Varchar(length=120)
    token_hash = Varchar(length=64, unique=True)  # sha256 hex of the whole token
    prefix = Varchar(length=16, default="")  # the first characters, to recognise it in lists
    scopes = Array(base_column=Varchar(length=40), default=list)
    rate_limit_per_minute = Integer(default=600)
    created_by = ForeignKey(references=StaffUser, null=True, default=None)
    created_at = Timestamptz()
    expires_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class WebhookSubscription(Table, tablename="webhook_subscriptions"):
    """Where to POST which event types, signed with HMAC-SHA256 under `secret`."""

    id = Serial(primary_key=True)
    url = Text()
    description = Varchar(length=200, default="")
    event_types = Array(base_column=Varchar(length=60), default=list)
    secret = Text()
    owner = ForeignKey(references=StaffUser, null=True, default=None)
    active = Boolean(default=True)
    allow_private_network = Boolean(default=False)  # an admin's explicit exception
    consecutive_failures = Integer(default=0)
    disabled_at = Timestamptz(null=True, default=None)
    disabled_reason = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class WebhookEvent(Table, tablename="webhook_events"):
    """A domain event to deliver, written in the transaction that caused it. `event_id`
    is what receivers dedupe on."""

    id = BigSerial(primary_key=True)
    event_id = Varchar(length=36, unique=True)
    type = Varchar(length=60, index=True)
    # whom the payload is about, if anyone: erasure deletes the person's undelivered and
    # logged events with them
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, null=True, default=None,
                        index=True)
    payload = JSONB(default={})
    occurred_at = Timestamptz()


class WebhookDelivery(Table, tablename="webhook_deliveries"):
    """One event to one subscription: pending → delivered | failed (retrying) | gave_up."""

    id = BigSerial(primary_key=True)
    subscription = ForeignKey(references=WebhookSubscription, on_delete=OnDelete.cascade,
                              null=False)
    event = ForeignKey(references=WebhookEvent, on_delete=OnDelete.cascade, null=False,
                       index=True)
    status = Varchar(length=16, default="pending")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None, index=True)
    last_attempt_at = Timestamptz(null=True, default=None)
    last_status_code = Integer(null=True, default=None)
    last_error = Text(default="")
    response_ms = BigInt(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()

    unique_subscription_event = Unique(["subscription", "event"])
