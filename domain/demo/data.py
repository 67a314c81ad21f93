"""Fixed vocabulary for the demo seed: names, communities, content, devices.

Names are grouped by region so most generated people get a plausible first/last pair,
while some mixing (about one in seven) reflects how international teams really look.
"""

from __future__ import annotations

import random
import unicodedata
from typing import NamedTuple

REGIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "west_africa": (
        ("Amara", "Chinedu", "Kwame", "Adaeze", "Oluwaseun", "Efua", "Kofi", "Ngozi", "Tunde",
         "Yaa"),
        ("Okafor", "Mensah", "Adeyemi", "Boateng", "Eze", "Owusu", "Balogun", "Asante", "Nwosu",
         "Diallo"),
    ),
    "east_africa": (
        ("Wanjiru", "Tendai", "Abebe", "Zawadi", "Kipchoge", "Nia", "Tesfaye", "Amani", "Baraka",
         "Makena"),
        ("Kamau", "Otieno", "Mwangi", "Haile", "Njoroge", "Achieng", "Moyo", "Tadesse", "Wekesa",
         "Mutua"),
    ),
    "south_asia": (
        ("Priya", "Arjun", "Ananya", "Rohan", "Sanjana", "Vikram", "Aisha", "Rahul", "Meera",
         "Imran"),
        ("Sharma", "Patel", "Iyer", "Reddy", "Chowdhury", "Nair", "Gupta", "Khan", "Menon",
         "Bose"),
    ),
    "east_asia": (
        ("Wei", "Mei", "Hiroshi", "Yuki", "Ji-woo", "Min-jun", "Haruto", "Sakura", "Xiu", "Jun"),
        ("Zhang", "Wang", "Li", "Chen", "Tanaka", "Sato", "Kim", "Park", "Nakamura", "Liu"),
    ),
    "southeast_asia": (
        ("Linh", "Minh", "Thảo", "Andika", "Putri", "Maria", "Joshua", "Siti", "Arief", "Mai"),
        ("Nguyễn", "Trần", "Santos", "Reyes", "Wijaya", "Hidayat", "Pham", "Tan", "Lim",
         "Bautista"),
    ),
    "middle_east": (
        ("Omar", "Layla", "Yusuf", "Fatima", "Karim", "Leila", "Emre", "Elif", "Dariush",
         "Noor"),
        # Turkish dotless i is the real spelling, not a look-alike.
        ("Haddad", "Al-Sayed", "Yılmaz", "Demir", "Rahimi", "Nasser", "Aziz",  # noqa: RUF001
         "Farouk", "Kaya", "Mansour"),
    ),
    "latin_america": (
        ("Sofía", "Mateo", "Valentina", "Santiago", "Camila", "João", "Isabela", "Diego",
         "Lucía", "Gabriel"),
        ("García", "Rodríguez", "Silva", "Oliveira", "Hernández", "Martínez", "Costa",
         "Pereira", "Gómez", "Alves"),
    ),
    "western_europe": (
        ("Emma", "Liam", "Chloé", "Lucas", "Hannah", "Noah", "Siobhan", "Thomas", "Zoë", "Finn"),
        ("Smith", "Müller", "Dubois", "van der Berg", "O'Brien", "Rossi", "Fischer", "Martin",
         "Janssen", "Murphy"),
    ),
    "northern_eastern_europe": (
        ("Søren", "Ingrid", "Łukasz", "Olena", "Björn", "Aino", "Mikhail", "Katarzyna",
         "Dmytro", "Freya"),
        ("Nielsen", "Johansson", "Kowalski", "Shevchenko", "Virtanen", "Novák", "Larsen",
         "Wiśniewska", "Horvat", "Andersen"),
    ),
    "north_america_oceania": (
        ("Jordan", "Taylor", "Madison", "Tyler", "Aroha", "Mason", "Ava", "Tāne", "Riley",
         "Dakota"),
        ("Johnson", "Williams", "Brown", "Nguyen", "Ngata", "Thompson", "Walker", "Begay",
         "Clarke", "Wilson"),
    ),
}

COMMUNITIES: tuple[dict, ...] = (
    {"slug": "engineering", "name": "Engineering",
     "description": "Meet the people who build Acme's products, from APIs to apps. Join to hear "
                    "first about engineering roles, tech talks and what our teams are shipping.",
     "interests": ["backend", "frontend", "infrastructure", "mobile", "security"]},
    {"slug": "sales", "name": "Sales",
     "description": "For people who love helping customers succeed. Get a seat at our sales "
                    "breakfasts and early word on new territories and roles.",
     "interests": ["account executive", "sales development", "customer success",
                   "partnerships", "solutions engineering"]},
    {"slug": "design", "name": "Design",
     "description": "A home for designers and researchers who care about craft. We share our "
                    "critiques, case studies and openings on the design team.",
     "interests": ["product design", "ux research", "visual design", "design systems",
                   "content design"]},
    {"slug": "data", "name": "Data",
     "description": "Curious about the questions our data answers? Join analysts, engineers and "
                    "scientists for meetups, notebooks and roles on the data team.",
     "interests": ["data engineering", "analytics", "data science", "machine learning",
                   "business intelligence", "experimentation"]},
)

NEWSLETTER_HEADLINES: dict[str, tuple[str, ...]] = {
    "engineering": ("What our platform team shipped", "Inside our on-call rotation",
                    "Open roles and a tech talk invite", "How we review code"),
    "sales": ("Stories from the field", "Meet our customer success team",
              "New territories, new roles", "How we run discovery calls"),
    "design": ("A look at our design crit", "Case study: redesigning onboarding",
               "Roles on the design team", "Our design system, one year on"),
    "data": ("Notebooks from the data team", "How we run experiments",
             "Roles on the data team", "Our metrics layer, explained"),
}

JOBS: dict[str, tuple[str, ...]] = {
    "engineering": ("Senior Backend Engineer", "Frontend Engineer", "Site Reliability Engineer",
                    "iOS Engineer"),
    "sales": ("Account Executive, Mid-Market", "Sales Development Representative",
              "Customer Success Manager"),
    "design": ("Senior Product Designer", "UX Researcher", "Design Systems Designer"),
    "data": ("Data Engineer", "Analytics Engineer", "Senior Data Scientist"),
}

CONTENT = (
    "How we interview: a guide for candidates", "A day in the life at Acme",
    "Engineering career ladder", "Benefits at a glance", "Remote and hybrid work at Acme",
    "Design principles handbook", "Inside the sales kickoff", "Data team tech radar",
    "Diversity and inclusion report", "Our parental leave policy",
)

class EventSpec(NamedTuple):
    """A demo event, its dates relative to the day of seeding (local times in its zone)."""

    slug: str
    title: str
    description: str
    kind: str
    time_zone: str
    days_from_now: int
    starts: str  # local wall-clock time
    hours: float
    venue: str = ""
    join_url: str = ""
    capacity: int | None = None
    status: str = "published"
    lead_days: int = 30  # published this many days before it starts
    deadline_hours: int = 0  # registration closes this long before the start (0: at it)
    offer_hours: int = 48
    communities: tuple[str, ...] = ()
    questions: tuple[dict, ...] = ()
    registrations: int = 0  # how many sign up (the full ones queue on the waiting list)
    cancel_rate: float = 0.08
    attend_rate: float = 0.7
    walk_ins: int = 0
    co_host: bool = False  # recruiter@demo.local co-hosts it
    late_cancel_hours: int = 0  # a seat freed this long ago: its offer is still open


def _choice(key: str, label: str, choices: tuple[str, ...], required: bool = True) -> dict:
    return {"key": key, "label": label, "kind": "choice", "choices": list(choices),
            "required": required}


def _text(key: str, label: str) -> dict:
    return {"key": key, "label": label, "kind": "text", "choices": [], "required": False}


_LONDON = "Acme London, 10 Example Row, London EC1A 1AA"
_BERLIN = "Acme Berlin, Beispielstraße 12, 10115 Berlin"
_NEW_YORK = "Acme New York, 200 Example Avenue, New York, NY 10001"
_HEARD = _choice("q1", "How did you hear about this event?",
                 ("LinkedIn", "A friend or colleague", "Our newsletter", "Somewhere else"),
                 required=False)

EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        "engineering-open-house", "Engineering open house",
        "Meet the teams behind Acme's platform: **lightning talks**, a tour of the office and "
        "plenty of time to ask engineers anything.\n\n- 18:00 doors and food\n"
        "- 18:45 talks\n- 20:00 drinks and demos",
        "in_person", "Europe/London", -300, "18:00", 3, venue=_LONDON, capacity=120,
        lead_days=40, communities=("engineering",), registrations=112, walk_ins=2,
        questions=(_choice("q1", "What do you work on?", (
            "Backend", "Frontend", "Infrastructure", "Mobile", "Something else")),)),
    EventSpec(
        "design-critique-night", "Design critique night",
        "Bring work in progress (or just your eyes) and join our designers for an evening "
        "of friendly, structured critique.",
        "in_person", "Europe/Berlin", -200, "19:00", 2.5, venue=_BERLIN, capacity=40,
        lead_days=30, communities=("design",), registrations=52, cancel_rate=0.12,
        attend_rate=0.78,
        questions=(_text("q1", "What would you like feedback on?"),)),
    EventSpec(
        "data-and-dinner-meetup", "Data and dinner meetup",
        "Two short talks from our data team on experimentation at scale, then dinner with "
        "the people who run it.",
        "in_person", "America/New_York", -120, "18:30", 3, venue=_NEW_YORK, capacity=60,
        lead_days=28, communities=("data",), registrations=58, attend_rate=0.68,
        questions=(_text("q1", "Dietary requirements"),)),
    EventSpec(
        "virtual-info-session", "Virtual info session: working at Acme",
        "An hour online with recruiters and hiring managers from every team: how we hire, "
        "how we work, and your questions.",
        "virtual", "Europe/London", -75, "17:00", 1,
        join_url="https://meet.example.com/acme-info-session", lead_days=21,
        communities=("engineering", "sales", "design", "data"), registrations=160,
        cancel_rate=0.06, attend_rate=0.55, questions=(_HEARD,)),
    EventSpec(
        "sales-leadership-breakfast", "Sales leadership breakfast",
        "Coffee, pastries and an honest conversation with our sales leaders about building "
        "a career in B2B sales.",
        "in_person", "Europe/London", -40, "08:00", 1.5, venue=_LONDON, capacity=30,
        lead_days=21, communities=("sales",), registrations=28, attend_rate=0.8),
    EventSpec(
        "women-in-tech-panel", "Women in tech panel",
        "Four engineers and data scientists on the careers they built, the detours they "
        "took and the advice they would give themselves.",
        "in_person", "Europe/London", 9, "18:00", 2, venue=_LONDON, capacity=80,
        lead_days=30, communities=("engineering", "data", "design"), registrations=55,
        cancel_rate=0.05, questions=(_HEARD,)),
    EventSpec(
        "acme-hack-day", "Acme hack day",
        "A day of building with Acme engineers and designers. Teams form in the morning, "
        "demos at five. Laptops required, lunch on us.",
        "in_person", "Europe/Berlin", 18, "09:30", 8, venue=_BERLIN, capacity=30,
        lead_days=35, deadline_hours=48, communities=("engineering", "data"),
        registrations=46, co_host=True, late_cancel_hours=3,
        questions=(_choice("q1", "Your main skill", (
            "Backend", "Frontend", "Data", "Design", "Product")),
            _text("q2", "Team you would like to join"))),
    EventSpec(
        "careers-in-product-ama", "Careers in product: AMA",
        "Ask our product managers anything about moving into product, online. The join "
        "link arrives with your confirmation.",
        "virtual", "America/New_York", 12, "12:00", 1,
        join_url="https://meet.example.com/acme-product-ama", capacity=250, lead_days=25,
        communities=("engineering", "design", "data"), registrations=95, cancel_rate=0.05),
    EventSpec(
        "platform-engineering-evening", "Platform engineering evening",
        "Talks on how we ship: our deployment pipeline, the developer platform and what we "
        "learned building both.",
        "in_person", "Europe/London", 45, "18:30", 2.5, venue=_LONDON, capacity=60,
        status="draft", lead_days=50, communities=("engineering",)),
)

EVENT_ANSWERS = (
    "Vegetarian", "No nuts, please", "The onboarding flow of our mobile app",
    "Platform team", "Happy to join any team", "A portfolio case study", "Nothing special",
)

UTM_SOURCES = (
    ("linkedin", 30), ("google", 20), ("newsletter", 12), ("indeed", 8), ("referral", 8),
    ("github", 6), ("glassdoor", 5), ("meetup", 4), ("stackoverflow", 4), ("x", 3),
)

PAGES = ("/jobs", "/communities", "/life-at-acme", "/events", "/jobs/search", "/benefits")

PROFILE_FIELDS = ("interests", "location", "seniority", "skills", "cadence", "channels")

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
)

# Documentation address ranges (RFC 5737, RFC 3849): never anybody's real address.
IP_PREFIXES = ("203.0.113.", "198.51.100.", "192.0.2.")

# Letters NFKD does not decompose into ASCII.
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d", "\u0131": "i",
                       "œ": "oe", "þ": "th"})


def ascii_slug(name: str) -> str:
    """'Łukasz' -> 'lukasz', "O'Brien" -> 'obrien', 'van der Berg' -> 'vanderberg'."""
    decomposed = unicodedata.normalize("NFKD", name.lower().translate(_FOLD))
    return "".join(ch for ch in decomposed if "a" <= ch <= "z")


class Tier(NamedTuple):
    """How involved a person is; a mix of tiers makes the scores and metrics interesting."""

    weight: int
    joins: tuple[int, int, int, int]  # weights for joining 0, 1, 2 or 3 communities
    actions: tuple[int, int]  # portal actions over their life, min and max
    opens: float  # chance of opening a newsletter


TIERS = (
    Tier(20, (70, 30, 0, 0), (0, 1), 0.05),  # cold
    Tier(50, (15, 55, 25, 5), (1, 4), 0.25),  # casual
    Tier(25, (0, 40, 40, 20), (3, 10), 0.55),  # engaged
    Tier(5, (0, 20, 40, 40), (10, 25), 0.8),  # champions
)
TIER_WEIGHTS = tuple(tier.weight for tier in TIERS)
STATUSES = (("confirmed", "pending", "left"), (70, 10, 20))
ACTIONS = (
    # Event sign-ups come from domain.demo.events, with real events behind them.
    ("page_visit", "content_viewed", "content_downloaded", "applied", "replied",
     "profile_updated"),
    (30, 22, 8, 5, 5, 8),
)
_UTM = (tuple(name for name, _ in UTM_SOURCES), tuple(weight for _, weight in UTM_SOURCES))
_REGIONS = tuple(REGIONS)


def person_name(rng: random.Random) -> tuple[str, str]:
    firsts, lasts = REGIONS[rng.choice(_REGIONS)]
    if rng.random() < 0.15:
        lasts = REGIONS[rng.choice(_REGIONS)][1]
    return rng.choice(firsts), rng.choice(lasts)


def email_local(rng: random.Random, first: str, last: str) -> str:
    f, s, n = ascii_slug(first), ascii_slug(last), rng.randint(1, 99)
    patterns = (f"{f}.{s}", f"{f}{s}", f"{f[0]}{s}", f"{f}_{s}", f"{f}.{s}{n}", f"{s}.{f}",
                f"{f}{s[0]}", f"{f}{n}")
    return rng.choices(patterns, (30, 12, 15, 6, 12, 5, 8, 4))[0]


def action_payload(rng: random.Random, kind: str, slugs: list[str]) -> tuple[str, dict]:
    """(source, payload) of a portal action; `slugs` are communities the job may come from."""
    if kind == "page_visit":
        return "careers_site", {"utm_source": rng.choices(*_UTM)[0], "path": rng.choice(PAGES)}
    if kind.startswith("content_"):
        return "content", {"content": rng.choice(CONTENT)}
    if kind == "applied":
        return "portal", {"job": rng.choice(JOBS.get(rng.choice(slugs), ("Open application",)))}
    if kind == "replied":
        return "email", {"channel": rng.choices(("email", "linkedin"), (3, 1))[0]}
    return "portal", {"fields": rng.sample(PROFILE_FIELDS, rng.randint(1, 2))}
