"""Pure rules about people: how an email identifies a person, and the phone and LinkedIn
hints that suggest two records are one human (dedupe)."""

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

_INTERNAL_DOMAIN = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*\.(local|internal|test|localhost)")


class InvalidEmail(ValueError):
    pass


def normalise_email(raw: str, *, internal: bool = False) -> str:
    """The key that makes one person one record: syntax-checked, trimmed, lower-cased.

    Lower-casing the local part is technically lossy, but no mainstream provider treats
    case as significant and treating Ann@ and ann@ as two people would duplicate records.
    """
    candidate = (raw or "").strip()
    if not candidate:
        raise InvalidEmail("Enter your email address.")
    if len(candidate) > 320:
        raise InvalidEmail("That email address is too long.")
    local, _, domain = candidate.rpartition("@")
    # Staff may use internal domains (demo.local) that email-validator refuses as
    # special-use; their local part still gets the full syntax check.
    internal_domain = internal and bool(_INTERNAL_DOMAIN.fullmatch(domain.lower()))
    try:
        checked = validate_email(f"{local}@example.com" if internal_domain else candidate,
                                 check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail("Enter a valid email address, like name@example.com.") from exc
    if internal_domain:
        return f"{checked.local_part.lower()}@{domain.lower()}"
    return checked.normalized.lower()


def clean_name(raw: str, *, max_length: int = 200) -> str:
    """Collapse whitespace and drop control characters (they forge log lines and layouts)."""
    spaced = "".join(" " if ch.isspace() else ch for ch in (raw or ""))
    printable = "".join(ch for ch in spaced if ch.isprintable())
    return " ".join(printable.split())[:max_length]


def first_name(full_name: str) -> str:
    return full_name.split(" ", 1)[0] if full_name else ""


class InvalidHint(ValueError):
    """A phone number or LinkedIn URL that cannot be read; the message suits a form."""


DEFAULT_PHONE_REGION = "GB"
_LINKEDIN_HOST = re.compile(r"(?:[a-z0-9-]+\.)?linkedin\.com")
_LINKEDIN_HANDLE = re.compile(r"[a-z0-9%_.-]{2,100}")


def normalise_phone(raw: str, default_region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164 ("+447700900123") for a possible number, '' for an empty field; InvalidHint
    for anything else. A number without a country code is read in `default_region`."""
    text = (raw or "").strip()
    if not text:
        return ""
    if len(text) > 40:
        raise InvalidHint("That phone number is too long.")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidHint("Enter a phone number, like +44 7911 123456.") from exc
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise InvalidHint("Enter a phone number, like +44 7911 123456.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_linkedin(raw: str) -> str:
    """"linkedin.com/in/<handle>" (lower-case) for a LinkedIn profile URL in its usual
    shapes (scheme or not, www./country subdomains, /in/ or /pub/, trailing slash, query,
    fragment), '' for an empty field or a URL that is not a LinkedIn profile."""
    text = (raw or "").strip().lower()
    if not text or len(text) > 300:
        return ""
    text = re.sub(r"^[a-z]+://", "", text).split("?", 1)[0].split("#", 1)[0]
    host, _, path = text.partition("/")
    if not _LINKEDIN_HOST.fullmatch(host.split(":", 1)[0]):
        return ""
    parts = [part for part in path.split("/") if part]
    if len(parts) < 2 or parts[0] not in ("in", "pub") or \
            not _LINKEDIN_HANDLE.fullmatch(parts[1]):
        return ""
    return f"linkedin.com/in/{parts[1]}"
