"""Settings that would only fail at request time are checked when the app starts.

A bad STATUSPAGE_TIMEZONE used to pass start-up and the health check, then turn every page
into a 500: `create_app` calls `check_config`, which refuses to build the app with a message
naming the setting and what it should be.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many

from statuspage.services.metrics.access import parse_networks

MAIL_BACKENDS = ("smtp", "console", "memory")
#: Whole-number settings and their smallest and largest sensible values.
WHOLE_NUMBERS: dict[str, tuple[int, int]] = {
    "MAIL_PORT": (1, 65535),
    "MAIL_BATCH_SIZE": (1, 100_000),
    "MAIL_RETRY_HOURS": (1, 24 * 14),
    "MAIL_BACKOFF_CAP_SECONDS": (1, 86_400),
    "MAIL_CLAIM_LEASE_SECONDS": (1, 86_400),
    "MAIL_EVENT_MAX_AGE_HOURS": (1, 24 * 14),
    "DIGEST_HOUR": (0, 23),
    "HISTORY_DAYS_ON_PAGE": (0, 366),
    "UPTIME_DAYS": (1, 366),
    "UPTIME_LIVE_MINUTES": (1, 1440),
    "UPCOMING_MAINTENANCE_DAYS": (0, 366),
    "HISTORY_PAGE_SIZE": (1, 1000),
    "FEED_ITEMS": (1, 1000),
    "CACHE_SECONDS": (0, 86_400),
    "SCHEDULER_TICK_SECONDS": (1, 3600),
    "SCHEDULER_STALE_SECONDS": (1, 86_400),
    "PUBLISH_NIGHTLY_HOUR": (0, 23),
}
RATE_LIMITS = ("SUBSCRIBE_RATE_LIMIT", "SUBSCRIBE_ADDRESS_RATE_LIMIT", "LOGIN_RATE_LIMIT")


class ConfigError(RuntimeError):
    """A setting the app cannot run with; the message names the environment variable."""


def _name(key: str) -> str:
    return f"STATUSPAGE_{key}"


def _publish_dir_problem(value: Any) -> str | None:
    """What is wrong with STATUSPAGE_PUBLISH_DIR (unset is fine: no continuous publishing)."""
    if value is None or value == "":
        return None
    named = f"{_name('PUBLISH_DIR')}={value!r}"
    if not isinstance(value, str) or not os.path.isabs(value):
        return f"{named} must be an absolute path, e.g. /srv/statuspage/site."
    path = Path(value)
    if not path.parent.is_dir() or not os.access(path.parent, os.W_OK | os.X_OK):
        return f"{named}: its folder {path.parent} must exist and be writable by the app."
    if path.exists() and not path.is_symlink():
        return f"{named} exists and is not a published site's link; name a path to create."
    return None


def _problems(config: Mapping[str, Any]) -> list[str]:
    """What is wrong with *config*, one sentence per setting."""
    problems = []
    timezone = config.get("TIMEZONE")
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            f"{_name('TIMEZONE')}={timezone!r} is not an IANA time zone (e.g. UTC, Europe/Paris)."
        )
    base_url = str(config.get("BASE_URL") or "")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        problems.append(
            f"{_name('BASE_URL')}={base_url!r} must be a full http(s) address, "
            "e.g. https://status.example.com."
        )
    for key, (low, high) in WHOLE_NUMBERS.items():
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(f"{_name(key)}={value!r} must be a whole number from {low} to {high}.")
    timeout = config.get("MAIL_TIMEOUT")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        problems.append(f"{_name('MAIL_TIMEOUT')}={timeout!r} must be a number of seconds above 0.")
    if config.get("MAIL_BACKEND") not in MAIL_BACKENDS:
        problems.append(
            f"{_name('MAIL_BACKEND')}={config.get('MAIL_BACKEND')!r} must be one of "
            f"{', '.join(MAIL_BACKENDS)}."
        )
    if not str(config.get("PAGE_NAME") or "").strip():
        problems.append(f"{_name('PAGE_NAME')}={config.get('PAGE_NAME')!r} must not be blank.")
    for key in RATE_LIMITS:
        try:
            valid = bool(parse_many(str(config.get(key))))
        except ValueError:
            valid = False
        if not valid:
            problems.append(f"{_name(key)}={config.get(key)!r} must be a rate like '10 per hour'.")
    poll = config.get("PUBLISH_POLL_SECONDS")
    if isinstance(poll, bool) or not isinstance(poll, int | float) or not 0 < poll <= 60:
        problems.append(
            f"{_name('PUBLISH_POLL_SECONDS')}={poll!r} must be a number of seconds above 0, "
            "at most 60."
        )
    publish_dir = _publish_dir_problem(config.get("PUBLISH_DIR"))
    if publish_dir:
        problems.append(publish_dir)
    try:
        parse_networks(config.get("METRICS_ALLOW"))
    except (ValueError, TypeError) as error:
        problems.append(
            f"{_name('METRICS_ALLOW')}: {error}; give addresses or networks separated by commas, "
            "e.g. 127.0.0.1,10.0.0.0/8."
        )
    return problems


def check_config(config: Mapping[str, Any]) -> None:
    """Raise ConfigError naming every setting the app could not serve requests with."""
    problems = _problems(config)
    if problems:
        raise ConfigError("Invalid settings:\n  " + "\n  ".join(problems))
