"""The tracking writer: buffered hits reach tracking_events and the rollups once each,
across a crash at any point of a flush; flagged hits are kept but weigh nothing."""

from __future__ import annotations

import os

import pytest
from redis.asyncio import Redis

from domain.campaigns import tracking
from domain.db import fetch, fetchval
from domain.engagement import scoring
from tests.events_support import person
from tests.tracking_support import campaign, later, send_row, sent, stored_links


@pytest.fixture
async def redis():
    client = Redis.from_url(os.environ["REDIS_URL"])
    yield client
    await client.aclose()


@pytest.fixture
async def setting(clock):
    campaign_id = await campaign()
    ann, bob = await person("ann@example.com"), await person("bob@example.com", "Bob Ray")
    return {"links": await stored_links(campaign_id), "campaign": campaign_id,
            "ann": await sent(ann, campaign_id, at=clock.now()),
            "bob": await sent(bob, campaign_id, at=clock.now()), "people": (ann, bob)}


async def _hit(redis, kind, send, link=None, *, at, flag=""):
    await tracking.buffer_hit(redis, kind, send, link, flag=flag, at=at)


async def _counts() -> dict:
    return {"events": await fetchval("SELECT count(*) FROM tracking_events"),
            "engagement": await fetchval(
                "SELECT count(*) FROM engagement_events WHERE type LIKE 'email_%'"),
            "sends": await fetch("SELECT id, opens, clicks, opened_at, clicked_at "
                                 "FROM marketing_sends ORDER BY id"),
            "links": await fetch("SELECT id, clicks, unique_clicks FROM tracked_links "
                                 "ORDER BY id")}


async def test_a_flush_stores_every_hit_and_rolls_up_sends_links_and_engagement(
        redis, setting, clock):
    blog = setting["links"]["https://blog.example.com/post/1"]
    opened_at = later(clock.now(), minutes=5)
    await _hit(redis, "open", setting["ann"], at=opened_at)
    await _hit(redis, "open", setting["ann"], at=later(opened_at, minutes=1))
    for minutes, send in ((7, setting["ann"]), (8, setting["ann"]), (9, setting["bob"])):
        await _hit(redis, "click", send, blog, at=later(clock.now(), minutes=minutes))

    assert await tracking.flush(redis) == 5

    ann, bob = await send_row(setting["ann"]), await send_row(setting["bob"])
    assert (ann["opens"], ann["clicks"], ann["opened_at"]) == (2, 2, opened_at)
    assert ann["clicked_at"] == later(clock.now(), minutes=7)
    # Bob's images were blocked: his click proves the open.
    assert (bob["opens"], bob["clicks"], bob["opened_at"]) == (0, 1, bob["clicked_at"])
    link = (await fetch("SELECT clicks, unique_clicks FROM tracked_links WHERE id = $1",
                        blog))[0]
    assert (link["clicks"], link["unique_clicks"]) == (3, 2)
    events = await fetch("SELECT type, payload FROM engagement_events ORDER BY id")
    assert [e["type"] for e in events].count("email_clicked") == 3
    assert all(f'"campaign": {setting["campaign"]}' in e["payload"] for e in events)
    assert await redis.llen(tracking.BUFFER) == 0
    assert await redis.llen(tracking.PROCESSING) == 0


async def test_a_later_flush_counts_a_returning_clicker_once_in_unique_clicks(
        redis, setting, clock):
    jobs = setting["links"]["https://jobs.example.com/open?ref=mail"]
    await _hit(redis, "click", setting["ann"], jobs, at=later(clock.now(), hours=1))
    await tracking.flush(redis)
    await _hit(redis, "click", setting["ann"], jobs, at=later(clock.now(), hours=2))
    await tracking.flush(redis)

    link = (await fetch("SELECT clicks, unique_clicks FROM tracked_links WHERE id = $1",
                        jobs))[0]
    assert (link["clicks"], link["unique_clicks"]) == (2, 1)


async def test_a_writer_dying_before_its_commit_loses_nothing(redis, setting, clock):
    for minute in range(30):
        await _hit(redis, "open", setting["bob"], at=later(clock.now(), minutes=minute + 1))
    claimed = await tracking._claim(redis, 10)  # the writer took a batch, then died

    assert len(claimed) == 10
    assert await tracking.flush(redis, batch=7) == 30
    assert (await send_row(setting["bob"]))["opens"] == 30


async def test_a_writer_dying_after_its_commit_duplicates_nothing(redis, setting, clock):
    for minute in range(12):
        await _hit(redis, "open", setting["ann"], at=later(clock.now(), minutes=minute + 1))
    claimed = await tracking._claim(redis, 12)
    await tracking.write([tracking.decode(record) for record in claimed])
    before = await _counts()  # committed, but the processing list was never emptied

    assert await tracking.flush(redis) == 0
    assert await _counts() == before
    assert before["events"] == 12 and before["engagement"] == 12
    assert before["sends"][0]["opens"] == 12


async def test_flagged_hits_are_kept_but_weigh_nothing(redis, setting, clock):
    ann, _ = setting["people"]
    blog = setting["links"]["https://blog.example.com/post/1"]
    await _hit(redis, "open", setting["ann"], at=later(clock.now(), seconds=2), flag="proxy")
    await _hit(redis, "open", setting["ann"], at=later(clock.now(), seconds=3),
               flag="prefetch")
    # A link followed three seconds after sending: a scanner, not the reader.
    await _hit(redis, "click", setting["ann"], blog, at=later(clock.now(), seconds=3))
    await tracking.flush(redis)

    flags = await fetch("SELECT kind, flag FROM tracking_events")
    assert sorted((f["kind"], f["flag"]) for f in flags) == [
        ("click", "prefetch"), ("open", "prefetch"), ("open", "proxy")]
    row = await send_row(setting["ann"])
    assert (row["opens"], row["clicks"], row["clicked_at"]) == (1, 0, None)
    types = {e["type"] for e in await fetch("SELECT type FROM engagement_events")}
    assert types == {"email_opened_automatically", "email_clicked_automatically"}
    await scoring.refresh([ann], now=later(clock.now(), minutes=1))
    assert await fetchval("SELECT score FROM engagement_scores WHERE person = $1", ann) is None


async def test_a_human_click_outweighs_an_open(redis, setting, clock):
    ann, bob = setting["people"]
    blog = setting["links"]["https://blog.example.com/post/1"]
    await _hit(redis, "open", setting["ann"], at=later(clock.now(), minutes=3))
    await _hit(redis, "click", setting["bob"], blog, at=later(clock.now(), minutes=3))
    await tracking.flush(redis)
    await scoring.refresh([ann, bob], now=later(clock.now(), minutes=5))

    scores = {r["person"]: r["score"] for r in await fetch(
        "SELECT person, score FROM engagement_scores")}
    assert scores[bob] > scores[ann] > 0


async def test_malformed_records_and_unknown_sends_are_skipped(redis, setting, clock):
    await redis.lpush(tracking.BUFFER, b"garbage", b"o|x|notatime|1||", b"z|a|1|1||")
    await _hit(redis, "open", 999_999, at=later(clock.now(), minutes=1))
    await _hit(redis, "open", setting["ann"], at=later(clock.now(), minutes=1))

    assert await tracking.flush(redis) == 1
    assert await redis.llen(tracking.BUFFER) == 0


async def test_one_writer_at_a_time(redis, setting, clock):
    await _hit(redis, "open", setting["ann"], at=later(clock.now(), minutes=1))
    await redis.set(tracking.WRITER_LOCK, "another-writer", ex=60)

    assert await tracking.flush(redis) == 0
    assert await redis.llen(tracking.BUFFER) == 1


async def test_a_one_click_unsubscribe_is_credited_to_the_latest_send_of_that_purpose(
        clock, community):
    from domain.consent import service as consent
    from domain.preferences import emails as preference_links
    from domain.preferences import service as preferences
    from domain.preferences.service import Evidence

    ann = await person("ann@example.com")
    await preferences.join(ann, "engineering", interests=["backend"],
                           consent_text_id=(await consent.current_text("community_emails"))["id"],
                           evidence=Evidence("portal_signed_in", ip="203.0.113.7",
                                             user_agent="pytest"), clock=clock)
    older = await sent(ann, await campaign(), at=later(clock.now(), days=-3))
    latest = await sent(ann, await campaign(), at=later(clock.now(), days=-1))
    other_purpose = await sent(ann, await campaign(purpose="event_emails", scope="meetup"),
                               at=clock.now())
    token = preference_links.unsubscribe_url(ann, "community_emails", "engineering")
    for _ in range(2):  # the provider's one-click POST, then the person's own click
        await preference_links.unsubscribe(token.rsplit("/", 1)[1],
                                           method="one_click_unsubscribe", clock=clock)

    stamped = {r["id"]: r["unsubscribed_at"] for r in await fetch(
        "SELECT id, unsubscribed_at FROM marketing_sends")}
    assert stamped == {older: None, latest: clock.now(), other_purpose: None}


async def test_the_worker_runs_the_writer_every_few_seconds(redis, setting, clock):
    from workers.settings import WorkerSettings
    from workers.tasks.tracking import flush_tracking_hits

    assert flush_tracking_hits in WorkerSettings.functions
    [job] = [j for j in WorkerSettings.cron_jobs if j.coroutine is flush_tracking_hits]
    assert job.unique and len(job.second) == 12  # every 5 s
    await _hit(redis, "open", setting["ann"], at=later(clock.now(), minutes=1))

    assert await flush_tracking_hits({"redis": redis}) == 1


async def test_concurrent_hits_share_lpushes_and_each_returns_once_buffered(redis, clock):
    import asyncio

    hits = tracking.HitBuffer(redis)
    sent: list[int] = []
    real_lpush = redis.lpush

    async def counting_lpush(key, *values):
        sent.append(len(values))
        return await real_lpush(key, *values)

    redis.lpush = counting_lpush
    await asyncio.gather(*(hits.push("open", n, None, flag="", at=clock.now())
                           for n in range(1, 201)))

    assert await redis.llen(tracking.BUFFER) == 200 and sum(sent) == 200
    assert len(sent) < 200  # coalesced: fewer round trips than hits
    oldest_first = [tracking.decode(await redis.rpop(tracking.BUFFER)).send_id
                    for _ in range(3)]
    assert oldest_first == [1, 2, 3]


async def test_a_redis_failure_reaches_every_waiting_hit(clock):
    import asyncio

    broken = Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens on port 1
    hits = tracking.HitBuffer(broken)
    results = await asyncio.gather(*(hits.push("open", 1, None, flag="", at=clock.now())
                                     for _ in range(5)), return_exceptions=True)
    await broken.aclose()

    assert all(isinstance(result, Exception) for result in results)
