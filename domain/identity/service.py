"""Candidate sign-in: passwordless magic links and the session epoch.

A link is requested by email address; the response never says whether the address is
known. Known people get a sign-in link (signed, single use, 10 minutes, only its hash
stored); unknown addresses get a note explaining how to join, so the owner of the
address learns what happened and nobody else learns anything.
"""

from __future__ import annotations

from datetime import datetime

from domain.db import fetch, fetchval, transaction
from domain.mail import service as mail
from domain.people import service as people
from domain.ports import Clock, TaskQueue
from domain.tokens import service as tokens
from domain.tokens.signer import Purpose, TokenError, TokenExpired, TokenUsed


class SignInProblem(Exception):
    """Why a sign-in link cannot be used: expired, used or invalid."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _problem(error: TokenError) -> SignInProblem:
    if isinstance(error, TokenExpired):
        return SignInProblem("expired")
    if isinstance(error, TokenUsed):
        return SignInProblem("used")
    return SignInProblem("invalid")


def person_subject(person_id: int) -> str:
    return f"person:{person_id}"


def person_id_of(subject: str) -> int | None:
    prefix, _, raw = subject.partition(":")
    return int(raw) if prefix == "person" and raw.isdigit() else None


async def request_magic_link(
    *, email: str, next_path: str, clock: Clock, queue: TaskQueue | None
) -> None:
    """Queue a sign-in link (known address) or a how-to-join note (unknown address)."""
    now = clock.now()
    async with transaction():
        rows = await fetch("SELECT id FROM people WHERE email = $1", email)
        # A merged record's address signs in as the record it was merged into.
        person_id = await people.live_id(rows[0]["id"]) if rows else None
        template = "magic_link" if person_id else "sign_in_no_account"
        await mail.queue_email(
            person_id=person_id, to=email, template=template,
            context={"person_id": person_id, "next": next_path},
            # One link per address per minute: repeated clicks do not flood the inbox.
            dedupe_key=f"{template}:{email}:{now:%Y%m%d%H%M}", now=now, queue=queue,
        )


async def check_magic_link(token: str, *, clock: Clock) -> int:
    """The person a link would sign in, without using it up (for the GET page)."""
    try:
        claims = await tokens.peek(purpose=Purpose.MAGIC_LINK, token=token, clock=clock)
    except TokenError as exc:
        raise _problem(exc) from exc
    person_id = person_id_of(claims.subject)
    if person_id is None:
        raise SignInProblem("invalid")
    return await people.live_id(person_id)


async def redeem_magic_link(token: str, *, clock: Clock) -> tuple[int, int]:
    """Use a link up and start a sign-in; returns (person_id, session_epoch)."""
    async with transaction():
        try:
            claims = await tokens.consume(purpose=Purpose.MAGIC_LINK, token=token, clock=clock)
        except TokenError as exc:
            raise _problem(exc) from exc
        person_id = person_id_of(claims.subject)
        if person_id is None:
            raise SignInProblem("invalid")
        # A link sent before a merge still names the merged record.
        person_id = await people.live_id(person_id)
        epoch = await begin_session(person_id, now=clock.now())
    return person_id, epoch


async def begin_session(person_id: int, *, now: datetime) -> int:
    """Record a sign-in and return the epoch the new session must carry."""
    return int(await fetchval(
        "INSERT INTO candidate_logins (person, session_epoch, created_at, last_sign_in_at) "
        "VALUES ($1, 0, $2, $2) ON CONFLICT (person) DO UPDATE SET last_sign_in_at = $2 "
        "RETURNING session_epoch",
        person_id, now,
    ))


async def end_all_sessions(person_id: int) -> None:
    """Sign out everywhere: every session carrying an older epoch stops working."""
    await fetch(
        "UPDATE candidate_logins SET session_epoch = session_epoch + 1 WHERE person = $1",
        person_id,
    )
