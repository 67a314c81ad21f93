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

EVENTS = (
    "Engineering open house", "Design critique night", "Data and dinner meetup",
    "Sales leadership breakfast", "Women in tech panel", "Virtual info session",
    "Acme hack day", "Careers in product: AMA",
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
    ("page_visit", "content_viewed", "content_downloaded", "event_registered", "applied",
     "replied", "profile_updated"),
    (30, 22, 8, 10, 5, 5, 8),
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
    if kind == "event_registered":
        return "events", {"event": rng.choice(EVENTS)}
    if kind == "applied":
        return "portal", {"job": rng.choice(JOBS.get(rng.choice(slugs), ("Open application",)))}
    if kind == "replied":
        return "email", {"channel": rng.choices(("email", "linkedin"), (3, 1))[0]}
    return "portal", {"fields": rng.sample(PROFILE_FIELDS, rng.randint(1, 2))}
