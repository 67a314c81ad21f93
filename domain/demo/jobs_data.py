"""The demo's requisitions: what each one is, where it stands and how busy it is."""

from __future__ import annotations

from dataclasses import dataclass

_WORK_PERMIT = {"key": "work_permit", "label": "Are you allowed to work in the country of "
                "this job?", "kind": "yes_no", "choices": [], "required": True,
                "knockout": "no"}
_PYTHON_YEARS = {"key": "python_years", "label": "Years of professional Python",
                 "kind": "choice", "choices": ["0-1", "2-4", "5+"], "required": True,
                 "knockout": "0-1"}
_SQL = {"key": "sql", "label": "Which SQL dialects have you used at work?", "kind": "text",
        "choices": [], "required": False, "knockout": None}
_PORTFOLIO = {"key": "portfolio", "label": "Link to your portfolio", "kind": "text",
              "choices": [], "required": True, "knockout": None}

# Answers a screening question gets, weighted (text answers are picked from these too).
ANSWERS = {
    "work_permit": (("yes", "no"), (9, 1)),
    "python_years": (("0-1", "2-4", "5+"), (1, 4, 4)),
    "sql": (("PostgreSQL", "PostgreSQL and MySQL", "BigQuery", "Snowflake, PostgreSQL"),
            (4, 2, 2, 1)),
    "portfolio": (("https://portfolio.example.com/work", "https://dribbble.example.org/me",
                   "https://www.example.net/case-studies"), (1, 1, 1)),
}


@dataclass(frozen=True)
class JobSpec:
    slug: str
    title: str
    team: str
    community: str  # applicants come mostly from this community's members
    locations: tuple[str, ...]
    remote_policy: str
    seniority: str
    job_function: str
    skills: tuple[str, ...]
    salary: tuple[int, int]
    status: str  # draft | open | on_hold | closed (closed = filled by a demo hire)
    opened_days_ago: int
    applicants: int
    openings: int = 1
    hires: int = 0
    hiring_manager: bool = False  # the demo hiring manager is on this hiring team
    questions: tuple[dict, ...] = ()

    @property
    def description(self) -> str:
        skills = ", ".join(self.skills)
        return (f"Join the {self.team} team at Acme as our {self.title}. You will work with "
                f"a small, friendly group on problems our customers feel every day.\n\n"
                f"What you bring: {skills}, curiosity and care for the people who use what "
                f"we build.\n\nWhat we offer: a clear salary range, learning budget, and "
                f"time to do things properly.")


JOBS = (
    JobSpec("senior-backend-engineer", "Senior Backend Engineer", "Platform", "engineering",
            ("London", "Berlin"), "hybrid", "senior", "engineering",
            ("python", "postgresql", "distributed systems"), (85000, 110000), "open", 75, 62,
            openings=2, hires=1, hiring_manager=True, questions=(_WORK_PERMIT, _PYTHON_YEARS)),
    JobSpec("frontend-engineer", "Frontend Engineer", "Web", "engineering", ("Berlin",),
            "remote", "mid", "engineering", ("typescript", "react", "accessibility"),
            (60000, 80000), "open", 42, 44, hiring_manager=True),
    JobSpec("data-analyst", "Data Analyst", "Analytics", "data", ("New York",), "hybrid",
            "mid", "data", ("sql", "python", "statistics"), (70000, 90000), "open", 30, 38,
            questions=(_WORK_PERMIT, _SQL)),
    JobSpec("product-designer", "Product Designer", "Design", "design", ("London",),
            "onsite", "mid", "design", ("figma", "user research"), (55000, 72000), "open",
            21, 28, questions=(_PORTFOLIO,)),
    JobSpec("account-executive", "Account Executive", "Sales", "sales", ("New York",),
            "onsite", "mid", "sales", ("saas sales", "negotiation"), (65000, 85000),
            "on_hold", 58, 24),
    JobSpec("machine-learning-engineer", "Machine Learning Engineer", "Analytics", "data",
            ("London",), "hybrid", "senior", "data", ("python", "machine learning"),
            (90000, 120000), "closed", 120, 34, hires=1, questions=(_PYTHON_YEARS,)),
    JobSpec("sales-development-representative", "Sales Development Representative", "Sales",
            "sales", ("Berlin",), "onsite", "entry", "sales", ("prospecting",),
            (40000, 50000), "draft", 0, 0),
)
