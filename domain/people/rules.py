"""Pure rules about people: how an email identifies a person."""

import re

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
