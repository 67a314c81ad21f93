"""The talent-pool side of the demo: profiles, tags, silver medalists, pools and saved
segments, so Segments, Pools and rapid review have something to show from the first start.

Runs inside `seed_demo`'s transaction, after the people, their history, the jobs and the
engagement scores are written (segments on engagement need the scores). Profiles and tags
are generated from one `random.Random` and written with COPY; silver medalists, pools and
segments go through the product's own services (domain.pipeline.silver, domain.pools,
domain.segments), so they carry the audit entries and timeline events the product writes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from domain.errors import Invalid
from domain.pipeline import silver
from domain.pools import rules as pool_rules
from domain.pools import service as pools
from domain.profiles.rules import WORK_MODES
from domain.segments import membership
from domain.segments import queries as segment_queries
from domain.segments import service as segments

RECRUITER = "recruiter@demo.local"
PROFILE_SHARE = 0.9
TAG_SHARE = 0.1

# --- reference data ----------------------------------------------------------------------

# A community brings in mostly its own function, sometimes a neighbouring one.
NEIGHBOURS = {"engineering": ("product", "data"), "data": ("engineering", "product"),
              "design": ("product", "marketing"), "sales": ("customer_success", "marketing")}
# People in no community: the wider market.
AT_LARGE = (("engineering", 30), ("data", 12), ("design", 10), ("sales", 10), ("product", 9),
            ("marketing", 9), ("customer_success", 7), ("operations", 5), ("people", 3),
            ("finance", 2), ("legal", 1), ("other", 2))
# Function -> (role, the skills people in that role list, most common first).
ROLES: dict[str, tuple[tuple[str, str], ...]] = {
    "engineering": (
        ("Backend Engineer", "python postgresql docker go java rest-api aws kubernetes redis "
                             "django fastapi kafka microservices spring-boot git sql"),
        ("Frontend Engineer", "react typescript javascript css html nextjs vue redux "
                              "tailwind-css accessibility graphql cypress figma"),
        ("Full-stack Developer", "javascript react typescript python nodejs postgresql docker "
                                 "graphql nextjs express ruby-on-rails git"),
        ("Platform Engineer", "kubernetes docker terraform aws linux go python gcp prometheus "
                              "grafana ci-cd helm observability ansible"),
        ("Site Reliability Engineer", "kubernetes linux python go prometheus aws "
                                      "observability terraform site-reliability-engineering"),
        ("Mobile Engineer", "swift kotlin react-native flutter ios-development "
                            "android-development typescript dart"),
    ),
    "data": (
        ("Data Engineer", "python sql apache-spark airflow dbt kafka snowflake bigquery "
                          "data-modeling etl postgresql databricks"),
        ("Data Scientist", "python machine-learning sql statistics pandas scikit-learn pytorch "
                           "numpy jupyter r ab-testing deep-learning xgboost"),
        ("Data Analyst", "sql excel tableau python power-bi data-visualization looker "
                         "statistics data-analysis"),
        ("Machine Learning Engineer", "python pytorch machine-learning tensorflow mlops "
                                      "deep-learning docker large-language-models hugging-face"),
        ("Analytics Engineer", "sql dbt snowflake python looker data-modeling bigquery airflow"),
    ),
    "design": (
        ("Product Designer", "figma product-design prototyping user-research design-systems "
                             "ux-design ui-design interaction-design wireframing"),
        ("UX Designer", "figma ux-design wireframing user-research usability-testing "
                        "prototyping information-architecture accessibility miro"),
        ("UX Researcher", "user-research usability-testing miro figma service-design "
                          "design-thinking"),
        ("Visual Designer", "figma visual-design graphic-design typography branding "
                            "illustrator photoshop illustration motion-design"),
    ),
    "sales": (
        ("Account Executive", "saas-sales b2b-sales negotiation salesforce closing "
                              "pipeline-management prospecting solution-selling meddic"),
        ("Sales Development Representative", "prospecting lead-generation cold-calling "
                                             "salesforce sales-navigator hubspot social-selling"),
        ("Account Manager", "account-management salesforce key-account-management upselling "
                            "negotiation renewals crm"),
        ("Sales Engineer", "sales-engineering presales solution-selling rest-api sql "
                           "salesforce"),
    ),
    "product": (
        ("Product Manager", "product-management product-discovery product-roadmapping "
                            "user-stories prioritization jira amplitude ab-testing sql"),
        ("Technical Product Manager", "technical-product-management product-management "
                                      "rest-api sql jira backlog-management"),
    ),
    "marketing": (
        ("Growth Marketer", "growth-marketing seo google-analytics sem email-marketing "
                            "marketing-automation hubspot conversion-rate-optimization"),
        ("Content Marketer", "content-marketing copywriting seo content-strategy wordpress "
                             "social-media-marketing editing"),
        ("Product Marketing Manager", "product-marketing go-to-market market-research "
                                      "pricing-strategy communications"),
    ),
    "customer_success": (
        ("Customer Success Manager", "customer-success customer-onboarding churn-reduction "
                                     "quarterly-business-reviews gainsight renewals salesforce"),
        ("Support Specialist", "customer-support zendesk technical-support intercom "
                               "live-chat-support knowledge-base-management"),
    ),
    "operations": (("Operations Manager", "operations-management process-improvement "
                    "project-management stakeholder-management jira notion"),
                   ("Program Manager", "program-management project-management okrs "
                    "stakeholder-management confluence jira risk-management")),
    "finance": (("Financial Analyst", "financial-analysis excel fp-and-a budgeting "
                 "financial-forecasting financial-reporting netsuite"),),
    "people": (("Talent Partner", "recruiting sourcing-candidates interviewing greenhouse "
                "applicant-tracking-systems employer-branding"),),
    "legal": (("Legal Counsel", "commercial-law contract-drafting gdpr compliance "
               "employment-law contract-management"),),
    "other": (("Consultant", "project-management stakeholder-management excel "
               "business-analysis communications"),),
}
AREA = {"engineering": "Engineering", "data": "Data", "design": "Design", "sales": "Sales",
        "product": "Product", "marketing": "Marketing", "customer_success": "Customer Success",
        "operations": "Operations", "finance": "Finance", "people": "People",
        "legal": "Legal", "other": "Operations"}
SENIORITY_WEIGHTS = {"intern": 2, "entry": 6, "junior": 14, "mid": 28, "senior": 28,
                     "lead": 10, "principal": 3, "manager": 6, "director": 2, "executive": 1}
COMPANIES = ("Northwind", "Contoso", "Fabrikam", "Initech", "Globex", "Tailspin Toys",
             "Wingtip", "Litware", "Proseware", "Woodgrove", "Adatum", "Fourth Coffee",
             "Alpine Ski House", "Lamna", "Trey Research", "Wide World Importers")
# Country, weight, (city, IANA time zone) …
LOCATIONS = (
    ("DE", 22, (("Berlin", "Europe/Berlin"), ("Munich", "Europe/Berlin"),
                ("Hamburg", "Europe/Berlin"))),
    ("GB", 16, (("London", "Europe/London"), ("Manchester", "Europe/London"),
                ("Edinburgh", "Europe/London"))),
    ("US", 16, (("New York", "America/New_York"), ("San Francisco", "America/Los_Angeles"),
                ("Austin", "America/Chicago"), ("Seattle", "America/Los_Angeles"),
                ("Boston", "America/New_York"))),
    ("NL", 9, (("Amsterdam", "Europe/Amsterdam"), ("Rotterdam", "Europe/Amsterdam"),
               ("Utrecht", "Europe/Amsterdam"))),
    ("FR", 9, (("Paris", "Europe/Paris"), ("Lyon", "Europe/Paris"))),
    ("ES", 7, (("Madrid", "Europe/Madrid"), ("Barcelona", "Europe/Madrid"))),
    ("PL", 5, (("Warsaw", "Europe/Warsaw"), ("Kraków", "Europe/Warsaw"))),
    ("IE", 4, (("Dublin", "Europe/Dublin"),)),
    ("PT", 4, (("Lisbon", "Europe/Lisbon"), ("Porto", "Europe/Lisbon"))),
    ("SE", 3, (("Stockholm", "Europe/Stockholm"),)),
    ("IT", 3, (("Milan", "Europe/Rome"), ("Rome", "Europe/Rome"))),
    ("CA", 2, (("Toronto", "America/Toronto"), ("Vancouver", "America/Vancouver"))),
)
WORK_MODE_SETS = ((("remote",), 20), (("hybrid",), 20), (("remote", "hybrid"), 30),
                  (("hybrid", "onsite"), 12), (("onsite",), 8),
                  (("remote", "hybrid", "onsite"), 10))
OPEN_WEIGHTS = (("actively_looking", 15), ("open", 45), ("not_looking", 25), ("", 15))
TAGS = (("Referred by staff", 30), ("Conference 2026", 25), ("Strong communicator", 20),
        ("Relocating", 15), ("Returner", 10))
# Engineering roles a backend hiring pipeline sources from.
BACKEND_ROLES = ("Backend Engineer", "Full-stack Developer", "Platform Engineer",
                 "Site Reliability Engineer")
BACKEND_POOL = "Backend engineers — 2027 pipeline"
DESIGN_POOL = "Design leads"
EUROPE = ["DE", "ES", "FR", "GB", "IE", "IT", "NL", "PL", "PT", "SE"]
# name, description, visibility, definition
SEGMENTS: tuple[tuple[str, str, str, dict], ...] = (
    ("Engaged Python engineers", "Python people who did something in the last 90 days.",
     "shared", {"match": "all", "conditions": [
         {"field": "skills", "op": "any", "value": ["python"]},
         {"field": "last_engaged", "op": "within_days", "value": 90}]}),
    ("Senior data people in Europe", "Senior and lead data people based in Europe.",
     "shared", {"match": "all", "conditions": [
         {"field": "job_function", "op": "in", "value": ["data"]},
         {"field": "seniority", "op": "in", "value": ["senior", "lead", "principal"]},
         {"field": "country", "op": "in", "value": EUROPE}]}),
    ("Silver medalists to re-engage", "Strong finalists we turned down, worth a new role.",
     "shared", {"match": "all", "conditions": [
         {"field": "silver_medalist", "op": "is"}]}),
    ("Remote-friendly design and frontend talent",
     "Designers and React/TypeScript engineers who work remotely or hybrid.",
     "private", {"match": "all", "conditions": [
         {"field": "work_mode", "op": "any", "value": ["remote", "hybrid"]},
         {"match": "any", "conditions": [
             {"field": "job_function", "op": "in", "value": ["design"]},
             {"field": "skills", "op": "all", "value": ["react", "typescript"]}]}]}),
    ("Mailable engineering community",
     "Confirmed engineering community members who agreed to community emails.",
     "shared", {"match": "all", "conditions": [
         {"field": "community", "op": "member_of", "value": ["engineering"]},
         {"field": "consent", "op": "given", "value": "community_emails"}]}),
)
DYNAMIC_POOL_FROM = "Engaged Python engineers"
# The tables segment conditions read (domain.segments.compiler).
ANALYZED = ("people", "profiles", "engagement_scores", "engagement_events",
            "community_memberships", "consent_records", "applications", "stage_transitions",
            "requisition_stages", "event_registrations", "person_tags", "pool_members")


class TalentPerson(NamedTuple):
    id: int
    created: datetime
    updated: datetime  # when their profile last changed
    communities: tuple[str, ...]  # in the order they joined: the first brought them in


def people_of(people: Sequence[tuple], memberships: Sequence[tuple],
              slug_of: dict[int, str], person_ids: list[int]) -> list[TalentPerson]:
    """From the generator's plan (people by index, memberships in join order)."""
    joined: dict[int, list[str]] = {}
    for idx, community, *_ in memberships:
        joined.setdefault(idx, []).append(slug_of[community])
    return [TalentPerson(person_ids[i], created, updated, tuple(joined.get(i, ())))
            for i, (_, _, created, updated) in enumerate(people)]


@dataclass(frozen=True)
class Profile:
    person: TalentPerson
    role: str
    function: str
    seniority: str
    relocating: bool
    row: tuple  # the profiles row, in _PROFILE_COLUMNS order


_PROFILE_COLUMNS = ("person", "headline", "city", "country", "time_zone", "links", "skills",
                    "unmatched_skills", "job_function", "seniority", "work_modes",
                    "open_to_relocation", "open_to_opportunities", "open_status_at",
                    "updated_at")


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in pairs], [w for _, w in pairs])[0]


def _zipf_sample(rng: random.Random, items: Sequence[str], k: int) -> list[str]:
    """k distinct items, the first ones far likelier (weight 1/rank; Efraimidis-Spirakis)."""
    keyed = sorted(((rng.random() ** (rank + 1), item) for rank, item in enumerate(items)),
                   reverse=True)
    return [item for _, item in keyed[:k]]


class ProfilePlanner:
    def __init__(self, rng: random.Random, skills: dict[str, str]) -> None:
        self.rng, self.skills = rng, skills  # slug -> taxonomy category
        self.by_category: dict[str, list[str]] = {}
        for slug, category in skills.items():
            self.by_category.setdefault(category, []).append(slug)

    def plan(self, person: TalentPerson) -> Profile:
        rng = self.rng
        function = self._function(person.communities)
        role, listed = rng.choice(ROLES[function])
        seniority = _weighted(rng, list(SENIORITY_WEIGHTS.items()))
        country, _, places = _weighted(rng, [(loc, loc[1]) for loc in LOCATIONS])
        city, zone = rng.choice(places)
        modes = _weighted(rng, WORK_MODE_SETS)
        status = _weighted(rng, OPEN_WEIGHTS)
        relocating = rng.random() < 0.2
        row: tuple = (
            person.id, self._headline(function, role, seniority), city, country, zone, "[]",
            self._skills(function, listed), [], function, seniority,
            [m for m, _ in WORK_MODES if m in modes], relocating, status,
            person.updated.date() if status else None, person.updated)
        return Profile(person, role, function, seniority, relocating, row)

    def _function(self, communities: tuple[str, ...]) -> str:
        if not communities:
            return str(_weighted(self.rng, AT_LARGE))
        home = communities[0]
        if self.rng.random() < 0.8:
            return home
        return self.rng.choice(NEIGHBOURS[home])

    def _skills(self, function: str, listed: str) -> list[str]:
        head = [slug for slug in listed.split() if slug in self.skills]
        wanted = self.rng.randint(3, 10)
        chosen = _zipf_sample(self.rng, head, min(len(head), wanted - self.rng.randint(0, 2)))
        category = function if function in self.by_category else "operations"
        rest = [s for s in self.by_category.get(category, []) if s not in chosen]
        chosen += self.rng.sample(rest, min(len(rest), max(0, wanted - len(chosen))))
        return chosen

    def _headline(self, function: str, role: str, seniority: str) -> str:
        rng, area = self.rng, AREA[function]
        title = {
            "intern": f"{role} Intern", "entry": f"Graduate {role}", "junior": f"Junior {role}",
            "mid": role, "senior": f"Senior {role}", "principal": f"Principal {role}",
            "lead": f"{'Staff' if function == 'engineering' and rng.random() < 0.5 else 'Lead'}"
                    f" {role}",
            "manager": f"{area} Manager", "director": f"Director of {area}",
            "executive": f"VP {area}",
        }[seniority]
        if seniority not in ("manager", "director", "executive") and rng.random() < 0.06:
            return f"Freelance {title}"
        return f"{title} at {rng.choice(COMPANIES)}"


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max(2, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(1, span - 1))


def plan_tags(rng: random.Random, profiles: list[Profile], people: list[TalentPerson],
              now: datetime) -> list[tuple]:
    """(person, tag, added_by, added_at) for about TAG_SHARE of the people."""
    relocating = {p.person.id for p in profiles if p.relocating}
    rows: list[tuple] = []
    for person in rng.sample(people, round(len(people) * TAG_SHARE)):
        tags: list[str] = []
        for _ in range(1 if rng.random() < 0.8 else 2):
            tag = _weighted(rng, TAGS)
            if tag == "Relocating" and person.id not in relocating:
                tag = "Strong communicator"
            if tag not in tags:
                tags.append(tag)
        for tag in tags:
            start = max(person.created, now - timedelta(days=180)) \
                if tag == "Conference 2026" else person.created
            rows.append((person.id, tag, RECRUITER, _between(rng, start, now)))
    return rows


# --- writing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    profiles: int
    tags: int
    silver_medalists: int
    events: int  # timeline events written here (pool_added, silver_medalist)


async def write(conn: Any, *, seed: int, now: datetime, people: list[TalentPerson]) -> Written:
    rng = random.Random(f"talent:{seed}")  # noqa: S311 - reproducible demo data
    skills = {row["slug"]: row["category"] for row in await conn.fetch(
        "SELECT slug, category FROM skills ORDER BY slug")}
    planner = ProfilePlanner(rng, skills)
    profiles = [planner.plan(p) for p in people if rng.random() < PROFILE_SHARE]
    await conn.copy_records_to_table("profiles", records=[p.row for p in profiles],
                                     columns=list(_PROFILE_COLUMNS))
    tags = plan_tags(rng, profiles, people, now)
    await conn.copy_records_to_table("person_tags", records=tags,
                                     columns=["person", "tag", "added_by", "added_at"])
    ids = [p.id for p in people]
    before = await _events(conn, ids)
    medalists = await _silver_medalists(conn, rng, ids)
    recruiter = await conn.fetchval("SELECT id FROM staff_users WHERE email = $1", RECRUITER)
    await _backend_pool(conn, rng, profiles, recruiter, now)
    await _design_pool(conn, rng, profiles, recruiter, now)
    # Planner statistics for what was just loaded: without them (tables migrated empty)
    # a segment on consent plans as if every table had one row, and takes 20 s instead of
    # 0.2 s, here and on the first page views until autovacuum comes by.
    await conn.execute(f"ANALYZE {', '.join(ANALYZED)}")
    await _segments(conn, recruiter, now)
    return Written(len(profiles), len(tags), medalists, await _events(conn, ids) - before)


async def _events(conn: Any, ids: list[int]) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM engagement_events WHERE person = ANY($1::int[]) "
        "AND type IN ('pool_added', 'silver_medalist')", ids))


async def _silver_medalists(conn: Any, rng: random.Random, ids: list[int]) -> int:
    """Every rejection from a late stage, and about half of those after an interview, as
    if the recruiter had ticked "silver medalist" in the reject dialog (the demo has no
    scorecards, so the average on the mark is made up)."""
    rows = await conn.fetch(
        "SELECT a.id, s.name, s.late_stage, t.at, t.by FROM applications a "
        "JOIN stage_transitions t ON t.application = a.id AND t.kind = 'rejected' "
        "JOIN requisition_stages s ON s.id = t.from_stage WHERE a.person = ANY($1::int[]) "
        "AND a.status = 'rejected' AND s.kind IN ('interview', 'offer') ORDER BY t.at, a.id",
        ids)
    marked = 0
    for row in rows:
        if row["late_stage"] or rng.random() < 0.5:
            await silver.on_silver_medalist(
                row["id"], stage_name=row["name"], by=row["by"], at=row["at"],
                average=rng.choice((3.0, 3.25, 3.33, 3.5, 3.67, 3.75, 4.0)))
            marked += 1
    return marked


async def _taken(conn: Any, name: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM talent_pools WHERE name = $1", name))


async def _backend_pool(conn: Any, rng: random.Random, profiles: list[Profile],
                        recruiter: int, now: datetime) -> None:
    """A sourcing pipeline started two months ago and worked since: people move on."""
    if await _taken(conn, BACKEND_POOL):
        return
    start = now - timedelta(days=60)
    fits = [p.person.id for p in profiles
            if p.role in BACKEND_ROLES and p.person.created < start - timedelta(days=1)]
    members = rng.sample(fits, min(40, len(fits)))
    values = pool_rules.parse_pool({
        "name": BACKEND_POOL, "visibility": "shared",
        "description": "Backend, platform and full-stack engineers to approach for the 2027 "
                       "backend hiring plan."})
    pool_id = await pools.create(values, owner_id=recruiter, by=RECRUITER, now=start)
    await pools.add_people(pool_id, members, source="manual", by=RECRUITER,
                           at=start + timedelta(hours=2))
    # lead 14, contacted 10, engaged 8, interested 5, ready 3 (of 40)
    for n, (stage, days) in enumerate(zip(values["stages"][1:], (10, 24, 38, 52),
                                          strict=False)):
        moving = members[:round(len(members) * (26, 16, 8, 3)[n] / 40)]
        await pools.set_stage(pool_id, moving, stage, by=RECRUITER,
                              at=start + timedelta(days=days, hours=rng.randint(1, 8)))


async def _design_pool(conn: Any, rng: random.Random, profiles: list[Profile],
                       recruiter: int, now: datetime) -> None:
    if await _taken(conn, DESIGN_POOL):
        return
    start = now - timedelta(days=21)
    fits = [p.person.id for p in profiles if p.function == "design"
            and p.seniority in ("lead", "principal", "manager", "director")
            and p.person.created < start]
    members = rng.sample(fits, min(12, len(fits)))
    values = pool_rules.parse_pool({
        "name": DESIGN_POOL, "visibility": "private",
        "description": "Design leads to keep in touch with for a future Head of Design role."})
    pool_id = await pools.create(values, owner_id=recruiter, by=RECRUITER, now=start)
    await pools.add_people(pool_id, members, source="manual", by=RECRUITER, at=start)
    await pools.set_stage(pool_id, members[:4], "contacted", by=RECRUITER,
                          at=start + timedelta(days=5))


async def _segments(conn: Any, recruiter: int, now: datetime) -> None:
    """Saved segments (one of them also a dynamic pool), their memberships built now so
    the lists show counts before the worker's first round."""
    for name, description, visibility, definition in SEGMENTS:
        if await conn.fetchval("SELECT 1 FROM segments WHERE name = $1", name):
            continue
        try:
            segment_id = await segments.save(
                None, name=name, description=description, visibility=visibility,
                definition=definition, owner_id=recruiter, by=RECRUITER, now=now)
        except Invalid:
            # It names a skill an admin removed from the taxonomy: refused before any
            # write, so the rest of the demo can still load.
            continue
        if name == DYNAMIC_POOL_FROM and not await _taken(conn, name):
            saved = await segment_queries.segment(segment_id, recruiter)
            await segments.to_dynamic_pool(saved, owner_id=recruiter, by=RECRUITER, now=now)
        await membership.build(await membership.ensure(definition, now=now), now=now)


async def counts(conn: Any, source: str) -> dict[str, int]:
    """What the talent side of the demo holds now (for SeedSummary)."""
    row = await conn.fetchrow(
        "WITH demo AS (SELECT id FROM people WHERE source = $1) SELECT "
        "(SELECT count(*) FROM profiles WHERE person IN (SELECT id FROM demo)) AS profiles, "
        "(SELECT count(*) FROM person_tags WHERE person IN (SELECT id FROM demo)) AS tags, "
        "(SELECT count(*) FROM applications WHERE person IN (SELECT id FROM demo) "
        " AND silver_medalist) AS silver_medalists, "
        "(SELECT count(*) FROM talent_pools WHERE name = ANY($2::varchar[]) "
        " OR auto_key LIKE 'silver:%') AS pools, "
        "(SELECT count(*) FROM segments WHERE name = ANY($3::varchar[])) AS segments",
        source, [BACKEND_POOL, DESIGN_POOL, DYNAMIC_POOL_FROM], [s[0] for s in SEGMENTS])
    return dict(row)
