"""Domain errors; the web layer maps each to one HTTP status in one place."""


class DomainError(Exception):
    """Base class: the message is safe to show to the user."""


class NotFound(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class Conflict(DomainError):
    pass


class Invalid(DomainError):
    """Input broke a rule. `errors` maps field names to messages for re-rendering a form."""

    def __init__(self, message: str = "Please correct the highlighted fields.",
                 errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}
