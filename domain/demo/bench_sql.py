"""The statements behind domain.demo.bench_population, one per table, all set-based.

Draws: `pg_temp.u(i * 64 + slot, stream)` is person i's uniform draw number `slot` in a
stream; streams are `seed * 100 + k` so the tables do not share draws. Person i
(1-based ordinal) gets id `base + i - 1` from a block of the people sequence reserved
under a table lock, so no per-row round trip is needed to learn ids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from domain.consent.rules import COMMUNITY_EMAILS
from domain.demo import bench_population as spec
from domain.pipeline.rules import JOB_PROCESSING

TABLES = ("people", "profiles", "community_memberships", "consent_records",
          "engagement_events", "engagement_scores", "requisitions", "requisition_stages",
          "applications", "stage_transitions")

# The f-strings below only splice in module constants (slot numbers, shares, the
# e-mail domain): every value from a caller travels as a $n parameter.

# Person-level draw slots (stream 0).
CREATED, SOURCE, HAS_PROFILE, FUNCTION, SENIORITY, COUNTRY, MODES, SKILL_COUNT, HABIT, \
    EVENT_COUNT, APPLIES, REQUISITION, FURTHEST, REJECTED, CONSENTS, WITHDRAWS, \
    CONSENT_AT, WITHDRAWN_AT, APPLIED_AT = range(19)

_PEOPLE = f"""
INSERT INTO people (id, email, full_name, source, created_at, updated_at)
SELECT $1::int + i - 1, 'p' || i || '@{spec.DOMAIN}', 'Bench person ' || i,
       ($5::varchar[])[1 + floor(pg_temp.u(i * 64 + {SOURCE}, $3::bigint) * 1000)::int], t.at, t.at
FROM generate_series(1, $2::int) i,
     LATERAL (SELECT $4::timestamptz - interval '1 day' * {spec.HISTORY_DAYS}
                     * pg_temp.u(i * 64 + {CREATED}, $3::bigint) AS at) t
"""  # noqa: S608  # nosec B608 # spec constants

_PROFILES = f"""
INSERT INTO profiles (person, skills, job_function, seniority, country, time_zone,
                      work_modes, updated_at)
SELECT $1::int + i - 1,
       ARRAY(SELECT DISTINCT ($5::varchar[])[
                 floor(exp(pg_temp.u(i * 64 + k, $3::bigint + 1) * ln(cardinality($5) + 1)))::int]
             FROM generate_series(
                 1, 7 + floor(pg_temp.u(i * 64 + {SKILL_COUNT}, $3::bigint) * 4)::int) k),
       ($6::varchar[])[1 + floor(pg_temp.u(i * 64 + {FUNCTION}, $3::bigint) * 1000)::int],
       ($7::varchar[])[1 + floor(pg_temp.u(i * 64 + {SENIORITY}, $3::bigint) * 1000)::int],
       ($8::varchar[])[c.slot], ($9::varchar[])[c.slot],
       CASE WHEN m.w < 0.30 THEN '{{remote}}' WHEN m.w < 0.55 THEN '{{hybrid}}'
            WHEN m.w < 0.70 THEN '{{onsite}}' WHEN m.w < 0.85 THEN '{{remote,hybrid}}'
            WHEN m.w < 0.95 THEN '{{hybrid,onsite}}' ELSE '{{}}' END::varchar[],
       $4::timestamptz
FROM generate_series(1, $2::int) i,
     LATERAL (SELECT 1 + floor(pg_temp.u(i * 64 + {COUNTRY}, $3::bigint) * 1000)::int AS slot) c,
     LATERAL (SELECT pg_temp.u(i * 64 + {MODES}, $3::bigint) AS w) m
WHERE pg_temp.u(i * 64 + {HAS_PROFILE}, $3::bigint) < {spec.PROFILE_SHARE}
"""  # noqa: S608  # nosec B608 # spec constants

_MEMBERSHIPS = """
INSERT INTO community_memberships (person, community, status, interests, requested_at,
                                   confirmed_at, left_at)
SELECT $1::int + i - 1, c.id, s.status, '{}', s.at,
       CASE WHEN s.status <> 'pending' THEN s.at + interval '1 day' END,
       CASE WHEN s.status = 'left' THEN s.at + interval '90 days' END
FROM generate_series(1, $2::int) i
CROSS JOIN unnest($5::int[], $6::float8[]) WITH ORDINALITY AS c(id, share, o)
CROSS JOIN LATERAL (
    SELECT CASE WHEN pg_temp.u(i * 64 + c.o, $3::bigint + 3) < 0.75 THEN 'confirmed'
                WHEN pg_temp.u(i * 64 + c.o, $3::bigint + 3) < 0.87 THEN 'pending'
                ELSE 'left' END AS status,
           $4::timestamptz - interval '1 day' * 700
               * pg_temp.u(i * 64 + 16 + c.o, $3::bigint + 3) - interval '100 days' AS at) s
WHERE pg_temp.u(i * 64 + c.o, $3::bigint + 2) < c.share
"""

_CONSENTS = f"""
INSERT INTO consent_records (person, purpose, scope, consent_text, action, method,
                             occurred_at, ip, user_agent)
SELECT $1::int + i - 1, '{COMMUNITY_EMAILS}', '', $5::int, a.action, a.method, a.at, '', ''
FROM generate_series(1, $2::int) i,
     LATERAL (SELECT $4::timestamptz - interval '1 day' * 700
                     * pg_temp.u(i * 64 + {CONSENT_AT}, $3::bigint) AS at) g,
     LATERAL (VALUES ('given', 'double_opt_in', g.at, true),
                     ('withdrawn', 'preference_centre',
                      g.at + ($4::timestamptz - g.at)
                          * pg_temp.u(i * 64 + {WITHDRAWN_AT}, $3::bigint) + interval '1 second',
                      pg_temp.u(i * 64 + {WITHDRAWS}, $3::bigint) < 0.2)
             ) a(action, method, at, keep)
WHERE pg_temp.u(i * 64 + {CONSENTS}, $3::bigint) < 0.55 AND a.keep
"""  # noqa: S608  # nosec B608 # spec constants

# Habits: dormant (70%) 4-10 events spread evenly over two years; active (22%) 9-15 leaning
# recent; very active (8%) 20-30 mostly in the last weeks. Age = EVENT_DAYS * u^power.
_EVENTS = f"""
INSERT INTO engagement_events (person, type, occurred_at, source, payload)
SELECT $1::int + i - 1,
       ($5::varchar[])[1 + floor(pg_temp.u(i * 64 + k, $3::bigint + 4) * 1000)::int],
       $4::timestamptz - interval '1 day' * {spec.EVENT_DAYS}
           * power(pg_temp.u(i * 64 + k, $3::bigint + 5), h.power) - interval '1 minute',
       'bench', '{{}}'::jsonb
FROM generate_series(1, $2::int) i,
     LATERAL (SELECT pg_temp.u(i * 64 + {HABIT}, $3::bigint) AS habit,
                     pg_temp.u(i * 64 + {EVENT_COUNT}, $3::bigint) AS n) d,
     LATERAL (SELECT CASE WHEN d.habit < 0.70 THEN 4 + floor(d.n * 7)::int
                          WHEN d.habit < 0.92 THEN 9 + floor(d.n * 7)::int
                          ELSE 20 + floor(d.n * 11)::int END AS events,
                     CASE WHEN d.habit < 0.70 THEN 1.0 WHEN d.habit < 0.92 THEN 2.5
                          ELSE 8.0 END::float8 AS power) h,
     generate_series(1, h.events) k
"""  # noqa: S608  # nosec B608 # spec constants

# Furthest stage position reached (Standard template: 1 applied, 2 screen, 3 interview,
# 4 final interview, 5 offer, 6 hired; 7 rejected); a third of the undecided are rejected.
_APPLICANTS = f"""
CREATE TEMP TABLE bench_applicants ON COMMIT DROP AS
SELECT nextval(pg_get_serial_sequence('applications', 'id'))::int AS id,
       $1::int + i - 1 AS person,
       1 + floor(pg_temp.u(i * 64 + {REQUISITION}, $3::bigint) * $5::int)::int AS req,
       f.furthest, f.furthest < 6 AND pg_temp.u(i * 64 + {REJECTED}, $3::bigint) < 0.35 AS rejected,
       $4::timestamptz - interval '1 day' * 365 * pg_temp.u(i * 64 + {APPLIED_AT}, $3::bigint)
           - interval '30 days' AS applied_at
FROM generate_series(1, $2::int) i,
     LATERAL (SELECT pg_temp.u(i * 64 + {FURTHEST}, $3::bigint) AS x) d,
     LATERAL (SELECT CASE WHEN d.x < 0.40 THEN 1 WHEN d.x < 0.70 THEN 2 WHEN d.x < 0.85 THEN 3
                          WHEN d.x < 0.93 THEN 4 WHEN d.x < 0.98 THEN 5 ELSE 6 END AS furthest) f
WHERE pg_temp.u(i * 64 + {APPLIES}, $3::bigint) < {spec.APPLICANT_SHARE}
"""  # noqa: S608  # nosec B608 # spec constants

_STEP = "interval '3 days'"
_APPLICATIONS = f"""
INSERT INTO applications (id, requisition, person, stage, status, source, answers,
                          knockout, consent_text, silver_medalist, applied_at,
                          stage_entered_at, last_action_at, decided_at)
SELECT a.id, s.requisition, a.person, s.id,
       CASE WHEN a.rejected THEN 'rejected' WHEN a.furthest = 6 THEN 'hired' ELSE 'active' END,
       'portal', '{{}}'::jsonb, false, $1::int, false, a.applied_at, l.at, l.at,
       CASE WHEN a.rejected OR a.furthest = 6 THEN l.at END
FROM bench_applicants a
CROSS JOIN LATERAL (SELECT a.applied_at + {_STEP} * (a.furthest - 1 + a.rejected::int) AS at) l
JOIN bench_stages s ON s.req = a.req
    AND s.position = CASE WHEN a.rejected THEN 7 ELSE a.furthest END
"""  # noqa: S608  # nosec B608 # constants

_TRANSITIONS = f"""
INSERT INTO stage_transitions (application, from_stage, to_stage, kind, by, at, reason)
SELECT a.id, prev.id, s.id,
       CASE WHEN k.position = 1 THEN 'applied' WHEN k.position = 7 THEN 'rejected'
            WHEN k.position = 6 THEN 'hired' ELSE 'moved' END,
       CASE WHEN k.position = 1 THEN 'person:' || a.person ELSE 'bench@bench-population' END,
       a.applied_at + {_STEP} * (k.step - 1), ''
FROM bench_applicants a
CROSS JOIN LATERAL (
    SELECT n AS step, n AS position, n - 1 AS previous FROM generate_series(1, a.furthest) n
    UNION ALL SELECT a.furthest + 1, 7, a.furthest WHERE a.rejected) k
JOIN bench_stages s ON s.req = a.req AND s.position = k.position
LEFT JOIN bench_stages prev ON prev.req = a.req AND prev.position = k.previous
"""  # noqa: S608  # nosec B608 # constants


# Secondary indexes of a table that is still empty (a fresh database) are dropped before
# its load and rebuilt from their own definitions after it, in the same transaction:
# building an index once over 10⁷ rows is several times cheaper than maintaining it row
# by row. Primary keys and unique indexes stay (they are constraints); a table that already
# has rows keeps every index; a failure rolls the drop back with everything else.
_SECONDARY_INDEXES = """
SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = $1::regclass AND NOT i.indisprimary AND NOT i.indisunique
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname
"""


async def defer_indexes(conn: Any, table: str) -> list[str]:
    """Drop an empty table's secondary indexes; returns the statements that rebuild them."""
    if table not in TABLES or await conn.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {table})"):  # noqa: S608 (a name from TABLES)  # nosec B608
        return []
    rows = await conn.fetch(_SECONDARY_INDEXES, table)
    for row in rows:
        await conn.execute(f'DROP INDEX "{row["name"]}"')
    return [row["definition"] for row in rows]


async def rebuild_indexes(conn: Any, definitions: list[str]) -> None:
    for definition in definitions:
        await conn.execute(definition)


# The same for an empty table's foreign keys: each one checks every inserted row against
# its parent with a row lock (a query per row: ≈ 9.5M of them for the events at 10⁶
# people), while adding it back after the load validates all rows with one join.
# Dropped and re-added under their own names and definitions, in the same transaction.
_FOREIGN_KEYS = """
SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname
"""


async def defer_foreign_keys(conn: Any, table: str) -> list[str]:
    """Drop an empty table's foreign keys; returns the statements that add them back."""
    if table not in TABLES or await conn.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {table})"):  # noqa: S608 (a name from TABLES)  # nosec B608
        return []
    rows = await conn.fetch(_FOREIGN_KEYS, table)
    for row in rows:
        await conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{row["name"]}"')
    return [f'ALTER TABLE {table} ADD CONSTRAINT "{row["name"]}" {row["definition"]}'
            for row in rows]


def _count(status: str) -> int:
    """Rows from an INSERT/SELECT command tag ("INSERT 0 1000" → 1000)."""
    return int(status.split()[-1])


class Steps:
    """Each table's statement bound to one population's parameters."""

    def __init__(self, conn: Any, *, people: int, seed: int, now: datetime,
                 slugs: list[str]) -> None:
        self.conn, self.people, self.seed, self.now, self.slugs = conn, people, seed, now, slugs
        self.base = 0
        self.stream = seed * 100

    def plan(self) -> list[tuple[str, Callable[[], Awaitable[int]]]]:
        return [("people", self.write_people), ("profiles", self.write_profiles),
                ("community_memberships", self.write_memberships),
                ("consent_records", self.write_consents),
                ("engagement_events", self.write_events),
                ("applications", self.write_applications)]

    async def _run(self, sql: str, *extra: Any) -> int:
        """$1 first id, $2 N, $3 stream, $4 now, then the statement's own from $5."""
        return _count(await self.conn.execute(sql, self.base, self.people, self.stream,
                                              self.now, *extra))

    async def write_people(self) -> int:
        conn = self.conn
        await conn.execute("LOCK TABLE people IN SHARE ROW EXCLUSIVE MODE")
        self.base = await conn.fetchval("SELECT nextval(pg_get_serial_sequence('people', 'id'))")
        await conn.execute("SELECT setval(pg_get_serial_sequence('people', 'id'), $1)",
                           self.base + self.people - 1)
        return await self._run(_PEOPLE, spec.lookup(spec.SOURCES))

    async def write_profiles(self) -> int:
        countries = spec.lookup(tuple((code, weight) for code, weight, _ in spec.COUNTRIES))
        zones = {code: zone for code, _, zone in spec.COUNTRIES}
        return await self._run(_PROFILES, self.slugs, spec.lookup(spec.FUNCTIONS),
                               spec.lookup(spec.SENIORITIES), countries,
                               [zones[code] for code in countries])

    async def _community_ids(self) -> list[int]:
        created = self.now - timedelta(days=800)
        for slug, _ in spec.COMMUNITIES:
            name = slug.removeprefix("bench-").replace("-", " ").capitalize()
            await self.conn.execute(
                "INSERT INTO talent_communities (slug, name, description, is_public, "
                "created_at) VALUES ($1, $2, 'Benchmark community', true, $3) "
                "ON CONFLICT (slug) DO NOTHING", slug, f"Bench {name}", created)
        rows = await self.conn.fetch("SELECT slug, id FROM talent_communities "
                                     "WHERE slug = ANY($1)", [s for s, _ in spec.COMMUNITIES])
        ids = {row["slug"]: row["id"] for row in rows}
        return [ids[slug] for slug, _ in spec.COMMUNITIES]

    async def write_memberships(self) -> int:
        ids = await self._community_ids()
        return await self._run(_MEMBERSHIPS, ids, [s for _, s in spec.COMMUNITIES])

    async def _current_text(self, purpose: str) -> int | None:
        return await self.conn.fetchval("SELECT id FROM consent_texts WHERE purpose = $1 "
                                        "ORDER BY version DESC LIMIT 1", purpose)

    async def write_consents(self) -> int:
        return await self._run(_CONSENTS, await self._current_text(COMMUNITY_EMAILS))

    async def write_events(self) -> int:
        return await self._run(_EVENTS, spec.lookup(spec.EVENT_MIX))

    async def write_applications(self) -> int:
        await self._requisitions()
        await self._run(_APPLICANTS, spec.REQUISITIONS)
        written = _count(await self.conn.execute(
            _APPLICATIONS, await self._current_text(JOB_PROCESSING)))
        await self.conn.execute(_TRANSITIONS)
        await self.conn.execute("SELECT setval(pg_get_serial_sequence('applications', 'id'), "
                                "greatest((SELECT max(id) FROM applications), 1))")
        return written

    async def _requisitions(self) -> None:
        """A handful of open requisitions with the Standard stages, as b9_seed makes them."""
        await self.conn.execute("CREATE TEMP TABLE bench_stages (req int, position int, "
                                "id int, requisition int) ON COMMIT DROP")
        for req in range(1, spec.REQUISITIONS + 1):
            requisition = await self.conn.fetchval(
                "INSERT INTO requisitions (slug, title, team, status, openings, filled, "
                "screening_questions, template_name, opened_at, created_at, updated_at) "
                "VALUES ($1, $2, 'Bench', 'open', 3, 0, '[]'::jsonb, 'Standard', $3, $3, $3) "
                "RETURNING id", f"bench-population-{req}", f"Bench role {req}",
                self.now - timedelta(days=400))
            await self.conn.execute(
                "WITH made AS (INSERT INTO requisition_stages (requisition, position, name, "
                "kind, candidate_label, late_stage, automation, scorecard_attributes) "
                "SELECT $1, s.position, s.name, s.kind, s.candidate_label, s.late_stage, "
                "s.automation, s.scorecard_attributes FROM template_stages s "
                "JOIN stage_templates t ON t.id = s.template WHERE t.name = 'Standard' "
                "RETURNING id, position) "
                "INSERT INTO bench_stages SELECT $2, position, id, $1 FROM made",
                requisition, req)
