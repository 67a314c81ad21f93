"""What job pages show: schema.org JobPosting JSON-LD and display fields (no HTTP here)."""

from __future__ import annotations

import json

from domain.requisitions.board import EMPLOYMENT_TYPES, REMOTE_POLICIES
from settings import get_settings
from web_common import markdown

# schema.org / Google's employmentType values.
_EMPLOYMENT = {"full_time": "FULL_TIME", "part_time": "PART_TIME", "contract": "CONTRACTOR",
               "temporary": "TEMPORARY", "internship": "INTERN"}
_PERIODS = {"year": "YEAR", "month": "MONTH", "day": "DAY", "hour": "HOUR"}
_PERIOD_WORDS = {"year": "a year", "month": "a month", "day": "a day", "hour": "an hour"}


def job_url(job: dict) -> str:
    return f"{get_settings().base_url}/jobs/{job['slug']}"


def questions(job: dict) -> list[dict]:
    raw = job.get("screening_questions") or []
    return json.loads(raw) if isinstance(raw, str) else list(raw)


def salary_text(job: dict) -> str:
    low, high = job.get("salary_min"), job.get("salary_max")
    if low is None and high is None:
        return ""
    currency = job.get("salary_currency") or ""
    amounts = " to ".join(f"{value:,}" for value in (low, high) if value is not None)
    period = _PERIOD_WORDS.get(job.get("salary_period") or "year", "")
    return f"{currency} {amounts} {period}".strip()


def display(job: dict) -> dict:
    return {**job, "remote_label": REMOTE_POLICIES.get(job["remote_policy"], ""),
            "type_label": EMPLOYMENT_TYPES.get(job["employment_type"], ""),
            "salary": salary_text(job)}


def json_ld(job: dict) -> dict:
    """schema.org JobPosting for search engines' job listings."""
    settings = get_settings()
    data: dict = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": job["title"],
        "description": str(markdown(job["description"])),
        "datePosted": (job["opened_at"] or job["created_at"]).date().isoformat(),
        "employmentType": _EMPLOYMENT.get(job["employment_type"], "OTHER"),
        "hiringOrganization": {"@type": "Organization", "name": settings.company_name,
                               "sameAs": settings.base_url},
        "directApply": True,
        "url": job_url(job),
        "identifier": {"@type": "PropertyValue", "name": settings.company_name,
                       "value": job["slug"]},
    }
    # No validThrough: a requisition has no planned end date, only the moment it closes,
    # and a closed one is no longer published (410).
    data.update(_location(job))
    salary = _salary(job)
    if salary:
        data["baseSalary"] = salary
    return data


def _location(job: dict) -> dict:
    places = [{"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": loc}}
              for loc in job["locations"] or []]
    if job["remote_policy"] != "remote":
        return {"jobLocation": places} if places else {}
    # Fully remote: where the job is "located" is where applicants may live.
    located: dict = {"jobLocationType": "TELECOMMUTE"}
    if job["locations"]:
        located["applicantLocationRequirements"] = [
            {"@type": "AdministrativeArea", "name": loc} for loc in job["locations"]]
    return located


def _salary(job: dict) -> dict | None:
    low, high = job.get("salary_min"), job.get("salary_max")
    if (low is None and high is None) or not job.get("salary_currency"):
        return None
    value: dict = {"@type": "QuantitativeValue",
                   "unitText": _PERIODS.get(job.get("salary_period") or "year", "YEAR")}
    if low is not None:
        value["minValue"] = low
    if high is not None:
        value["maxValue"] = high
    return {"@type": "MonetaryAmount", "currency": job["salary_currency"], "value": value}
