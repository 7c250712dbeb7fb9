"""Domain errors. The web layer maps each to a page or fragment once (``backend/web``).

Messages are English msgids marked with ``N_``; the web layer translates them.
"""

from __future__ import annotations

from backend.i18n import N_


class DomainError(Exception):
    message: str = N_("Something went wrong.")

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message


class NotFound(DomainError):
    """The object does not exist or is not the actor's: both answer 404."""

    message = N_("We could not find that page.")


class NotAllowed(DomainError):
    """The actor is signed in but their role does not allow this action."""

    message = N_("You do not have permission to do that.")

    def __init__(self, permission: str = "") -> None:
        super().__init__()
        self.permission = permission


class InvalidTransition(DomainError):
    message = N_("That change is not possible in the current state.")


class RateLimited(DomainError):
    message = N_("Too many attempts. Please wait a few minutes and try again.")

    def __init__(self, retry_after: int = 60, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ValidationFailed(DomainError):
    """Bad input: ``errors`` maps a field name ("" for the form) to a msgid."""

    message = N_("Please correct the highlighted fields.")

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__()
        self.errors = errors
