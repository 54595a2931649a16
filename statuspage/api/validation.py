"""Reading JSON request bodies and query arguments for the management API, field by field.

Plain code on purpose: each reader checks one field's type and shape and notes a message under
the field's name, so one answer lists every problem (422 with `fields`). Rules that need the
database or the domain (a window ending after it starts, an archived component) stay in the
services, which raise InvalidInput naming the field in the same way.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from flask import Request

from statuspage.params import parse_int

E = TypeVar("E", bound=StrEnum)

#: A character that is neither a control nor a space of any kind (Python's or JavaScript's):
#: text without one is blank once the services clean it. The OpenAPI description says the same.
VISIBLE = re.compile(
    r"[^\u0000-\u0020\u007f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
)
#: Times further than this from now are refused before they reach a service (or a calendar).
MAX_TIME_DISTANCE = timedelta(days=10 * 366)


class MalformedBody(Exception):
    """Not JSON at all, or not sent as JSON: the caller answers 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidFields(Exception):
    """Well-formed JSON with wrong fields: the caller answers 422 with every message."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__(fields)
        self.fields = fields


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_json_object(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object; MalformedBody (400) or InvalidFields (422)."""
    if not request.is_json:
        raise MalformedBody("Send a JSON object with 'Content-Type: application/json'.")
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise MalformedBody("The body is not valid JSON.") from error
    if not isinstance(data, dict):
        raise InvalidFields({"body": ["Send a JSON object, {...}."]})
    return data


def _is_text(value: Any) -> bool:
    """A string PostgreSQL and UTF-8 can hold (JSON may carry lone surrogates)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_LEAP_SECOND = re.compile(r"^(.{10}.\d{2}:\d{2}):60")


def _parse_iso_datetime(value: str) -> datetime:
    """ISO 8601 / RFC 3339, including what Python's parser refuses: a lower-case "t" or "z",
    and a leap second (read as the second before it)."""
    return datetime.fromisoformat(_LEAP_SECOND.sub(r"\1:59", value.strip().upper()))


class Fields:
    """One JSON object (or query), read field by field; `finish()` raises InvalidFields."""

    def __init__(self, data: dict[str, Any], allowed: Iterable[str]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}
        for name in data:
            if name not in allowed:
                self.error(str(name), "Unknown field.")

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def has(self, name: str) -> bool:
        return name in self.data

    def finish(self) -> None:
        if self.errors:
            raise InvalidFields(self.errors)

    def text(self, name: str, *, required: bool, max_length: int) -> str | None:
        """A string with something in it when given (the services trim and clean it)."""
        if name not in self.data:
            if required:
                self.error(name, "This field is required.")
            return None
        value = self.data[name]
        if not _is_text(value):
            self.error(name, "Must be a string.")
            return None
        if not VISIBLE.search(value):
            self.error(name, "Must not be blank.")
            return None
        if len(value) > max_length:
            self.error(name, f"At most {max_length} characters.")
            return None
        return value

    def boolean(self, name: str, *, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            self.error(name, "Must be true or false.")
            return default
        return value

    def choice(
        self,
        name: str,
        enum: type[E],
        *,
        required: bool = False,
        default: E | None = None,
        allowed: Iterable[E] | None = None,
    ) -> E | None:
        """One of *allowed* (all of *enum* by default), given as its string."""
        options = list(allowed if allowed is not None else enum)
        if name not in self.data:
            if required:
                self.error(name, "This field is required.")
            return default
        value = self.data[name]
        if isinstance(value, str) and value in {o.value for o in options}:
            return enum(value)
        self.error(name, "Must be one of: " + ", ".join(o.value for o in options) + ".")
        return default

    def integer(
        self, name: str, *, minimum: int, maximum: int, default: int | None, nullable: bool
    ) -> int | None:
        if name not in self.data:
            return default
        value = self.data[name]
        if value is None and nullable:
            return None
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.error(name, "Must be a whole number" + (" or null." if nullable else "."))
            return default
        if not minimum <= value <= maximum:
            self.error(name, f"Must be from {minimum} to {maximum}.")
            return default
        return value

    def moment(self, name: str, *, required: bool, now: datetime) -> datetime | None:
        """An ISO 8601 date and time with its UTC offset, as aware UTC."""
        if name not in self.data or (self.data[name] is None and not required):
            if required:
                self.error(name, "This field is required.")
            return None
        value = self.data[name]
        if not _is_text(value):
            self.error(name, "Must be an ISO 8601 date and time with its offset, as a string.")
            return None
        try:
            parsed = _parse_iso_datetime(value)
            if parsed.tzinfo is None or parsed.utcoffset() is None:
                raise ValueError("no offset")
            moment = parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            self.error(
                name, "Must be an ISO 8601 date and time with its offset, e.g. 2026-11-12T14:00Z."
            )
            return None
        if abs(moment - now) > MAX_TIME_DISTANCE:
            self.error(name, "Must be within ten years of now.")
            return None
        return moment

    def id_list(self, name: str, *, max_items: int) -> list[str]:
        """A list of ids, each at most once, in the order given."""
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(_is_text(i) for i in value):
            self.error(name, "Must be a list of component ids.")
            return []
        if len(value) > max_items:
            self.error(name, f"At most {max_items} items.")
            return []
        return list(dict.fromkeys(value))

    def nullable_text(self, name: str, *, max_length: int, default: str | None) -> str | None:
        """A string or null; blank text is null too (the services trim and clean it)."""
        if name not in self.data:
            return default
        value = self.data[name]
        if value is None:
            return None
        if not _is_text(value):
            self.error(name, "Must be a string or null.")
            return default
        if len(value) > max_length:
            self.error(name, f"At most {max_length} characters.")
            return default
        return value if VISIBLE.search(value) else None

    def pattern_list(
        self, name: str, *, max_items: int, max_length: int, pattern: re.Pattern[str], what: str
    ) -> list[str] | None:
        """A list of strings each matching *pattern* whole (None when left out)."""
        if name not in self.data:
            return None
        value = self.data[name]
        if not isinstance(value, list) or not all(_is_text(item) for item in value):
            self.error(name, f"Must be a list of {what}.")
            return None
        if len(value) > max_items:
            self.error(name, f"At most {max_items} items.")
            return None
        for number, item in enumerate(value, start=1):
            if len(item) > max_length:
                self.error(name, f"Item {number}: at most {max_length} characters.")
            elif not pattern.fullmatch(item):
                self.error(name, f"Item {number}: must be {what[:-1]}.")
        return list(value)

    def contact_list(
        self,
        name: str,
        *,
        max_items: int,
        limits: Mapping[str, int],
        email: re.Pattern[str],
    ) -> list[dict[str, str | None]] | None:
        """A list of {"name", "email", "notes"} objects: name and email required, notes a
        string or null (None when the field is left out)."""
        if name not in self.data:
            return None
        value = self.data[name]
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.error(name, 'Must be a list of {"name", "email", "notes"} objects.')
            return None
        if len(value) > max_items:
            self.error(name, f"At most {max_items} items.")
            return None
        contacts: list[dict[str, str | None]] = []
        for number, item in enumerate(value, start=1):
            problems = [f"unknown field {key}" for key in item if key not in limits]
            for key, limit in limits.items():
                part = item.get(key)
                if part is None and key == "notes":
                    continue
                if not _is_text(part):
                    problems.append(f"{key} must be a string")
                elif len(part) > limit:
                    problems.append(f"{key} is at most {limit} characters")
                elif key == "name" and not VISIBLE.search(part):
                    problems.append("name must not be blank")
                elif key == "email" and not email.fullmatch(part):
                    problems.append("email must be an address such as ops@example.com")
            if problems:
                self.error(name, f"Contact {number}: " + "; ".join(problems) + ".")
            else:
                contacts.append({key: item.get(key) for key in limits})
        return contacts

    def choice_map(self, name: str, enum: type[E], *, max_items: int) -> dict[str, E]:
        """An object of id -> one of *enum*, such as {component_id: status}."""
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            self.error(name, "Must be an object of component id to status.")
            return {}
        if len(value) > max_items:
            self.error(name, f"At most {max_items} items.")
            return {}
        options = [o.value for o in enum]
        result: dict[str, E] = {}
        for key, status in value.items():
            if not _is_text(key):
                self.error(name, "Component ids must be text.")
            elif not isinstance(status, str) or status not in options:
                self.error(name, f"{key}: the status must be one of: {', '.join(options)}.")
            else:
                result[key] = enum(status)
        return result


def check_query(args: Mapping[str, str], allowed: Iterable[str] = ()) -> None:
    """Refuse query arguments the operation does not take (a typo would otherwise be ignored)."""
    unknown = [name for name in args if name not in allowed]
    if unknown:
        raise InvalidFields({name: ["Unknown query parameter."] for name in unknown})


def read_paging(args: Mapping[str, str], *, default_per_page: int = 25) -> tuple[int, int]:
    """?page= (from 1) and ?per_page= (1 to 100), and nothing else; InvalidFields otherwise."""
    check_query(args, ("page", "per_page"))
    errors: dict[str, list[str]] = {}
    values = []
    for name, default, upper in (("page", 1, 100_000), ("per_page", default_per_page, 100)):
        raw = args.get(name)
        value = default if raw is None else parse_int(raw, 1, upper)
        if value is not None:
            values.append(value)
        else:
            errors[name] = [f"Must be a whole number from 1 to {upper}."]
            values.append(default)
    if errors:
        raise InvalidFields(errors)
    return values[0], values[1]
