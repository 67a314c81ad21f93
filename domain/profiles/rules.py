"""Pure profile rules: choice lists, link validation, skill normalisation, what changed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import available_timezones

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

JOB_FUNCTIONS: tuple[tuple[str, str], ...] = (
    ("engineering", "Engineering"), ("data", "Data and analytics"), ("design", "Design"),
    ("product", "Product management"), ("sales", "Sales"), ("marketing", "Marketing"),
    ("customer_success", "Customer success and support"), ("operations", "Operations"),
    ("finance", "Finance"), ("people", "People and HR"), ("legal", "Legal"), ("other", "Other"),
)
SENIORITIES: tuple[tuple[str, str], ...] = (
    ("intern", "Intern or student"), ("entry", "Entry level"), ("junior", "Junior"),
    ("mid", "Mid level"), ("senior", "Senior"), ("lead", "Lead or staff"),
    ("principal", "Principal"), ("manager", "Manager"), ("director", "Director"),
    ("executive", "Executive"),
)
WORK_MODES: tuple[tuple[str, str], ...] = (
    ("remote", "Remote"), ("hybrid", "Hybrid"), ("onsite", "On-site"),
)
OPEN_STATUSES: tuple[tuple[str, str], ...] = (
    ("actively_looking", "Actively looking"), ("open", "Open to offers"),
    ("not_looking", "Not looking"),
)

# ISO 3166-1 alpha-2, English short names. Packed to keep the module readable.
_COUNTRIES = (
    "AD:Andorra;AE:United Arab Emirates;AF:Afghanistan;AG:Antigua and Barbuda;AI:Anguilla;"
    "AL:Albania;AM:Armenia;AO:Angola;AQ:Antarctica;AR:Argentina;AS:American Samoa;AT:Austria;"
    "AU:Australia;AW:Aruba;AX:Åland Islands;AZ:Azerbaijan;BA:Bosnia and Herzegovina;"
    "BB:Barbados;BD:Bangladesh;BE:Belgium;BF:Burkina Faso;BG:Bulgaria;BH:Bahrain;BI:Burundi;"
    "BJ:Benin;BL:Saint Barthélemy;BM:Bermuda;BN:Brunei;BO:Bolivia;BQ:Caribbean Netherlands;"
    "BR:Brazil;BS:Bahamas;BT:Bhutan;BV:Bouvet Island;BW:Botswana;BY:Belarus;BZ:Belize;"
    "CA:Canada;CC:Cocos (Keeling) Islands;CD:Congo (Democratic Republic);"
    "CF:Central African Republic;CG:Congo;CH:Switzerland;CI:Côte d'Ivoire;CK:Cook Islands;"
    "CL:Chile;CM:Cameroon;CN:China;CO:Colombia;CR:Costa Rica;CU:Cuba;CV:Cabo Verde;"
    "CW:Curaçao;CX:Christmas Island;CY:Cyprus;CZ:Czechia;DE:Germany;DJ:Djibouti;DK:Denmark;"
    "DM:Dominica;DO:Dominican Republic;DZ:Algeria;EC:Ecuador;EE:Estonia;EG:Egypt;"
    "EH:Western Sahara;ER:Eritrea;ES:Spain;ET:Ethiopia;FI:Finland;FJ:Fiji;"
    "FK:Falkland Islands;FM:Micronesia;FO:Faroe Islands;FR:France;GA:Gabon;"
    "GB:United Kingdom;GD:Grenada;GE:Georgia;GF:French Guiana;GG:Guernsey;GH:Ghana;"
    "GI:Gibraltar;GL:Greenland;GM:Gambia;GN:Guinea;GP:Guadeloupe;GQ:Equatorial Guinea;"
    "GR:Greece;GS:South Georgia and the South Sandwich Islands;GT:Guatemala;GU:Guam;"
    "GW:Guinea-Bissau;GY:Guyana;HK:Hong Kong;HM:Heard Island and McDonald Islands;"
    "HN:Honduras;HR:Croatia;HT:Haiti;HU:Hungary;ID:Indonesia;IE:Ireland;IL:Israel;"
    "IM:Isle of Man;IN:India;IO:British Indian Ocean Territory;IQ:Iraq;IR:Iran;IS:Iceland;"
    "IT:Italy;JE:Jersey;JM:Jamaica;JO:Jordan;JP:Japan;KE:Kenya;KG:Kyrgyzstan;KH:Cambodia;"
    "KI:Kiribati;KM:Comoros;KN:Saint Kitts and Nevis;KP:North Korea;KR:South Korea;"
    "KW:Kuwait;KY:Cayman Islands;KZ:Kazakhstan;LA:Laos;LB:Lebanon;LC:Saint Lucia;"
    "LI:Liechtenstein;LK:Sri Lanka;LR:Liberia;LS:Lesotho;LT:Lithuania;LU:Luxembourg;"
    "LV:Latvia;LY:Libya;MA:Morocco;MC:Monaco;MD:Moldova;ME:Montenegro;MF:Saint Martin;"
    "MG:Madagascar;MH:Marshall Islands;MK:North Macedonia;ML:Mali;MM:Myanmar;MN:Mongolia;"
    "MO:Macao;MP:Northern Mariana Islands;MQ:Martinique;MR:Mauritania;MS:Montserrat;"
    "MT:Malta;MU:Mauritius;MV:Maldives;MW:Malawi;MX:Mexico;MY:Malaysia;MZ:Mozambique;"
    "NA:Namibia;NC:New Caledonia;NE:Niger;NF:Norfolk Island;NG:Nigeria;NI:Nicaragua;"
    "NL:Netherlands;NO:Norway;NP:Nepal;NR:Nauru;NU:Niue;NZ:New Zealand;OM:Oman;PA:Panama;"
    "PE:Peru;PF:French Polynesia;PG:Papua New Guinea;PH:Philippines;PK:Pakistan;PL:Poland;"
    "PM:Saint Pierre and Miquelon;PN:Pitcairn;PR:Puerto Rico;PS:Palestine;PT:Portugal;"
    "PW:Palau;PY:Paraguay;QA:Qatar;RE:Réunion;RO:Romania;RS:Serbia;RU:Russia;RW:Rwanda;"
    "SA:Saudi Arabia;SB:Solomon Islands;SC:Seychelles;SD:Sudan;SE:Sweden;SG:Singapore;"
    "SH:Saint Helena, Ascension and Tristan da Cunha;SI:Slovenia;SJ:Svalbard and Jan Mayen;"
    "SK:Slovakia;SL:Sierra Leone;SM:San Marino;SN:Senegal;SO:Somalia;SR:Suriname;"
    "SS:South Sudan;ST:São Tomé and Príncipe;SV:El Salvador;SX:Sint Maarten;SY:Syria;"
    "SZ:Eswatini;TC:Turks and Caicos Islands;TD:Chad;TF:French Southern Territories;TG:Togo;"
    "TH:Thailand;TJ:Tajikistan;TK:Tokelau;TL:Timor-Leste;TM:Turkmenistan;TN:Tunisia;"
    "TO:Tonga;TR:Türkiye;TT:Trinidad and Tobago;TV:Tuvalu;TW:Taiwan;TZ:Tanzania;UA:Ukraine;"
    "UG:Uganda;UM:United States Minor Outlying Islands;US:United States;UY:Uruguay;"
    "UZ:Uzbekistan;VA:Holy See;VC:Saint Vincent and the Grenadines;VE:Venezuela;"
    "VG:British Virgin Islands;VI:U.S. Virgin Islands;VN:Viet Nam;VU:Vanuatu;"
    "WF:Wallis and Futuna;WS:Samoa;YE:Yemen;YT:Mayotte;ZA:South Africa;ZM:Zambia;ZW:Zimbabwe"
)
COUNTRIES: dict[str, str] = dict(
    tuple(item.split(":", 1)) for item in _COUNTRIES.split(";")  # type: ignore[misc]
)

# Canonical IANA zones only: legacy aliases (US/Eastern, Etc/GMT+5, posix/…) confuse people.
_ZONE_AREAS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
               "Europe", "Indian", "Pacific")


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    names = {name for name in available_timezones() if name.startswith(_ZONE_AREAS)}
    return ("UTC", *sorted(names))


def label_of(choices: Iterable[tuple[str, str]], value: str) -> str:
    return dict(choices).get(value, value)


# --- Links -----------------------------------------------------------------------------

MAX_LINKS = 5
MAX_LINK_LENGTH = 300
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_LABEL = re.compile(r"^(?!-)[^\W_](?:[\w-]{0,61}[^\W_])?$")


class InvalidLink(ValueError):
    pass


def clean_link(raw: str) -> str:
    """An http(s) URL safe to put in an href, or InvalidLink with a message for people.

    A bare "github.com/ann" gets https:// in front; any other scheme (javascript:, data:,
    file:, …) is refused outright rather than rewritten.
    """
    text = (raw or "").strip()
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise InvalidLink("A link cannot contain spaces.")
    if not _SCHEME.match(text):
        text = "https://" + text.lstrip("/")
    if len(text) > MAX_LINK_LENGTH:
        raise InvalidLink(f"Each link must be at most {MAX_LINK_LENGTH} characters.")
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. "http://[" ("Invalid IPv6 URL"): a typo, not a crash
        raise InvalidLink("That is not a web address.") from exc
    if parts.scheme.lower() not in {"http", "https"}:
        raise InvalidLink("Links must start with https:// or http://.")
    _check_host(parts)
    return urlunsplit(parts._replace(scheme=parts.scheme.lower()))


def _check_host(parts: Any) -> None:
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise InvalidLink("That link has a malformed port.") from exc
    if parts.username is not None or parts.password is not None:
        # user@host links are a classic way to disguise where a link really goes.
        raise InvalidLink("Links cannot contain a user name or password.")
    labels = (parts.hostname or "").split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) \
            or labels[-1].isdigit():
        raise InvalidLink("Enter a web address, like https://github.com/you.")


def clean_links(raw_links: Iterable[str]) -> tuple[list[str], list[str]]:
    """(clean links without duplicates, messages for the ones refused)."""
    links: list[str] = []
    problems: list[str] = []
    for raw in raw_links:
        if not (raw or "").strip():
            continue
        try:
            link = clean_link(raw)
        except InvalidLink as exc:
            problems.append(f"{raw.strip()[:60]}: {exc}")
            continue
        if link not in links:
            links.append(link)
    if len(links) > MAX_LINKS:
        problems.append(f"Add at most {MAX_LINKS} links.")
    return links, problems


# --- Skills ----------------------------------------------------------------------------

MAX_SKILLS = 40
MAX_SKILL_LENGTH = 80
# Typos are matched by edit distance (a swapped pair of letters counts as one edit): one
# edit for words of 5 to 9 letters, two from 10. Ratio-style scores were tried and matched
# "Research" to "UX research" and "Mentoring" to "Monitoring"; short words ("java",
# "jira") are too close to one another to guess at all.
FUZZY_MIN_LENGTH = 5
FUZZY_LONG_WORD = 10


def skill_key(text: str) -> str:
    """Case, accents of width, spaces and punctuation do not tell skills apart; '+' and
    '#' do (C, C++ and C# are three languages)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = folded.replace("+", "p").replace("#", "sharp")
    return "".join(ch for ch in folded if ch.isalnum())


def clean_skill_text(text: str) -> str:
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(printable.split())


def split_skills(raw: Iterable[str]) -> list[str]:
    """Free text in, one entry per skill: commas, semicolons and new lines separate."""
    items: list[str] = []
    for chunk in raw:
        items += [clean_skill_text(part) for part in re.split(r"[,;\n]", chunk or "")]
    return [item for item in items if item]


@dataclass(frozen=True)
class SkillIndex:
    by_key: Mapping[str, str]  # normalised name, slug or synonym -> slug
    names: Mapping[str, str]  # slug -> display name

    @classmethod
    def build(cls, skills: Iterable[Mapping[str, Any]]) -> SkillIndex:
        by_key: dict[str, str] = {}
        names: dict[str, str] = {}
        for skill in skills:
            names[skill["slug"]] = skill["name"]
            for alias in (skill["name"], skill["slug"], *(skill.get("synonyms") or ())):
                by_key.setdefault(skill_key(alias), skill["slug"])
        return cls(by_key, names)

    def match(self, text: str) -> str | None:
        key = skill_key(text)
        if not key:
            return None
        if key in self.by_key:
            return self.by_key[key]
        if len(key) < FUZZY_MIN_LENGTH:
            return None
        budget = 1 if len(key) < FUZZY_LONG_WORD else 2
        best = process.extractOne(key, self.by_key.keys(), scorer=OSA.distance,
                                  score_cutoff=budget)
        return self.by_key[best[0]] if best else None

    def suggest(self, text: str, limit: int = 8) -> list[str]:
        """Slugs for a type-ahead: prefix matches first, then close spellings."""
        key = skill_key(text)
        if not key:
            return []
        found = [slug for alias, slug in sorted(self.by_key.items()) if alias.startswith(key)]
        if len(key) >= 4:  # two or three letters are inside too many unrelated words
            fuzzy = process.extract(key, self.by_key.keys(), scorer=fuzz.partial_ratio,
                                    limit=limit * 2, score_cutoff=85)
            found += [self.by_key[alias] for alias, _, _ in fuzzy]
        return list(dict.fromkeys(found))[:limit]


class InvalidSkills(ValueError):
    pass


def normalise_skills(raw: Iterable[str], index: SkillIndex) -> tuple[list[str], list[str]]:
    """(known skill slugs, unmatched free text), both in the order given, without
    duplicates. Raises InvalidSkills with a message when the list is unreasonable."""
    items = split_skills(raw)
    if len(items) > MAX_SKILLS:
        raise InvalidSkills(f"List at most {MAX_SKILLS} skills.")
    if any(len(item) > MAX_SKILL_LENGTH for item in items):
        raise InvalidSkills(f"Keep each skill to {MAX_SKILL_LENGTH} characters or fewer.")
    matched: list[str] = []
    unmatched: dict[str, str] = {}
    for item in items:
        slug = index.match(item)
        if slug:
            matched.append(slug)
        else:
            unmatched.setdefault(item.casefold(), item)
    return list(dict.fromkeys(matched)), list(unmatched.values())


# --- Changes ---------------------------------------------------------------------------

# Column -> the field people edited; the two skill columns are one field on the form.
TRACKED_FIELDS: dict[str, str] = {
    "full_name": "full_name", "headline": "headline", "city": "city", "country": "country",
    "time_zone": "time_zone", "links": "links", "skills": "skills",
    "unmatched_skills": "skills", "job_function": "job_function", "seniority": "seniority",
    "work_modes": "work_modes", "open_to_relocation": "open_to_relocation",
    "open_to_opportunities": "open_to_opportunities",
}


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Names of the fields whose value changed (never the values: they go on a timeline)."""
    changed = [
        field for column, field in TRACKED_FIELDS.items()
        if _comparable(before.get(column)) != _comparable(after.get(column))
    ]
    return list(dict.fromkeys(changed))


def _comparable(value: Any) -> Any:
    # A profile that does not exist yet reads as NULLs: the same as empty, not a change.
    if value is None or value is False or value == "":
        return None
    if isinstance(value, list | tuple):
        return tuple(value) or None
    return value
