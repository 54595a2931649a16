"""Text input rules shared by every service, whichever door (form, API, CLI) the text came in."""

from __future__ import annotations

import re
from typing import Literal, overload
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from statuspage.limits import MAX_DESCRIPTION, MAX_EMAIL, MAX_NAME, MAX_URL
from statuspage.services.errors import InvalidInput

#: C0 controls but tab, newline and carriage return; PostgreSQL refuses NUL outright.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(value: str) -> str:
    return _CONTROLS.sub("", value)


def clean_text(
    value: str | None, *, field: str, max_length: int, required: bool, label: str = "This field"
) -> str:
    """Trimmed, control characters removed, length-checked; raises InvalidInput for *field*."""
    text = strip_controls(value or "").strip()
    if required and not text:
        raise InvalidInput(f"{label} is required.", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{label} is at most {max_length} characters.", field=field)
    return text


def clean_name(value: str | None) -> str:
    return clean_text(value, field="name", max_length=MAX_NAME, required=True, label="A name")


def clean_description(value: str | None) -> str | None:
    text = clean_text(
        value,
        field="description",
        max_length=MAX_DESCRIPTION,
        required=False,
        label="A description",
    )
    return text or None


@overload
def clean_url(
    value: str | None, *, field: str, schemes: tuple[str, ...], required: Literal[True]
) -> str: ...


@overload
def clean_url(
    value: str | None, *, field: str, schemes: tuple[str, ...], required: bool
) -> str | None: ...


def clean_url(
    value: str | None, *, field: str, schemes: tuple[str, ...], required: bool
) -> str | None:
    """A link in one of *schemes* (a host too, but for mailto:); InvalidInput for *field*."""
    value = clean_text(value, field=field, max_length=MAX_URL, required=required, label="A link")
    if not value:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:  # an unbalanced "[" in the host, say
        parts = None
    if (
        parts is None
        or parts.scheme not in schemes
        or (parts.scheme != "mailto" and not parts.netloc)
    ):
        raise InvalidInput(f"Use a full address starting with {' or '.join(schemes)}:", field=field)
    return value


def clean_email(value: str | None, *, field: str, label: str = "An email address") -> str:
    """A valid address (syntax only, no DNS), its domain normalised; InvalidInput for *field*."""
    text = clean_text(value, field=field, max_length=MAX_EMAIL, required=True, label=label)
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(f"{text}: {error}", field=field) from error
    return result.normalized
