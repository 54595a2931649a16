"""Domain errors: impossible moves a caller asked for; views turn them into 4xx answers."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class. `field` names the input the error is about, when there is one."""

    status_code = 409

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(ServiceError):
    status_code = 422


class NotFound(ServiceError):
    status_code = 404


class IncidentClosed(ServiceError):
    """Posting to a resolved incident: reopen it first."""


class IncidentOpen(ServiceError):
    """Reopening an incident that is not resolved."""


class InvalidTransition(ServiceError):
    """A status move the lifecycle does not allow."""


class LastAdmin(ServiceError):
    """The last active admin cannot be demoted or deactivated."""


class DuplicateEmail(ServiceError):
    pass


class InUse(ServiceError):
    """Deleting something that history still refers to: archive it instead."""
