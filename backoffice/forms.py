from __future__ import annotations

from dataclasses import dataclass, field

from litestar.datastructures import FormMultiDict


@dataclass
class LoginForm:
    email: str = ""
    password: str = ""
    next: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: FormMultiDict) -> LoginForm:
        return cls(email=str(data.get("email", "")).strip()[:320],
                   password=str(data.get("password", ""))[:1024],
                   next=safe_next(str(data.get("next", ""))))

    def validate(self) -> bool:
        if not self.email:
            self.errors["email"] = "Enter your email address."
        if not self.password:
            self.errors["password"] = "Enter your password."  # noqa: S105 - a message
        return not self.errors


def safe_next(target: str) -> str:
    """Only same-site back-office paths: never an open redirect to another host."""
    if target.startswith("/backoffice") and not target.startswith("//") and "\\" not in target:
        return target
    return "/backoffice/"
