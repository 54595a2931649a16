"""Text input rules shared by every service, whichever door (form, API, CLI) the text came in."""

from __future__ import annotations

import re

from statuspage.limits import MAX_DESCRIPTION, MAX_NAME
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
