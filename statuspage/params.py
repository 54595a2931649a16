"""Query-string numbers, months, ids, choices and short texts, read one way: ASCII digits
only, ranges checked, texts never cut.

Every view reads its numeric and date query parameters here, so `?page=²` (``"²".isdigit()``
is true, ``int("²")`` raises), `?page=99999999999999999999` or `?month=9999-12` (whose "next
month" link is past the last date) are a clear 400, never a 500. Out-of-range values are
refused, not clamped: a reader who asks for page 0 or 500 items a page learns the limits.
A malformed id is a 404, as the `<id:...>` URL converter answers for ids in the path.
"""

from __future__ import annotations

import re

from flask import abort, request
from werkzeug.routing import BaseConverter, ValidationError

from statuspage.database import is_id
from statuspage.services.page.history import Month

_DIGITS = re.compile(r"[0-9]{1,9}")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")

#: The history's months: its "next month" link must still be a month a date can hold.
FIRST_MONTH = Month(1970, 1)
LAST_MONTH = Month(9999, 11)


def parse_int(text: str, minimum: int, maximum: int) -> int | None:
    """*text* as a whole number from *minimum* to *maximum*; None for anything else."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def parse_month(text: str) -> Month | None:
    """ "2026-11" as a Month from FIRST_MONTH to LAST_MONTH; None for anything else."""
    match = _MONTH.fullmatch(text)
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        return None
    value = Month(year, month)
    return value if FIRST_MONTH <= value <= LAST_MONTH else None


def int_arg(
    name: str, default: int, minimum: int = 1, maximum: int = 100_000, *, blank_ok: bool = True
) -> int:
    """?name=N as a whole number in range, *default* when absent (or empty, when *blank_ok*:
    an HTML form's empty field); 400 otherwise."""
    raw = request.args.get(name)
    if raw is None or (raw == "" and blank_ok):
        return default
    value = parse_int(raw, minimum, maximum)
    if value is None:
        abort(400, f"{name} must be a whole number from {minimum} to {maximum}.")
    return value


def month_arg(name: str, default: Month) -> Month:
    """?name=YYYY-MM as a Month, *default* when absent or empty; 400 otherwise."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    value = parse_month(raw)
    if value is None:
        abort(400, f"{name} must be a month YYYY-MM from {FIRST_MONTH} to {LAST_MONTH}.")
    return value


def choice_arg(name: str, choices: tuple[str, ...]) -> str | None:
    """?name=one of *choices*, None when absent or empty; 400 naming the choices otherwise."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    if raw not in choices:
        abort(400, f"{name} must be one of {', '.join(choices)}.")
    return raw


def text_arg(name: str, max_length: int) -> str | None:
    """?name=text (which may be empty), None when absent; 400 when longer than *max_length*
    characters (never cut) or holding control characters."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if len(raw) > max_length:
        abort(400, f"{name} must be at most {max_length} characters ({len(raw)} given).")
    if any(ord(char) < 32 or 127 <= ord(char) < 160 for char in raw):
        abort(400, f"{name} must not contain control characters.")
    return raw


def id_arg(name: str) -> str | None:
    """?name=<id>, None when absent or empty; 404 for what cannot be an id (as in paths)."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    if not is_id(raw):
        abort(404)
    return raw


class MonthConverter(BaseConverter):
    """`<month:...>`: a YYYY-MM month in a path (the published site's history), parsed as the
    query string's month is; anything else is a 404 before any query."""

    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> Month:
        month = parse_month(value)
        if month is None:
            raise ValidationError()
        return month

    def to_url(self, value: object) -> str:
        return str(value)
