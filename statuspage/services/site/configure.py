"""Page settings changed from the admin: stored in the database, in force on the next request."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.limits import MAX_FOOTER, MAX_PAGE_NAME
from statuspage.models import Setting, SiteAsset
from statuspage.services.components.uptime import rebuild_uptime
from statuspage.services.errors import InvalidInput
from statuspage.services.inputs import clean_text, clean_url
from statuspage.services.site.settings import get_site_settings
from statuspage.services.unit import Actor, unit_of_work

MAX_LOGO_BYTES = 256 * 1024


#: Raster images only: an SVG logo could carry script.
LOGO_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF8": "image/gif",
}


MIN_CONTRAST = 4.5  # WCAG AA for normal text


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(colour: str) -> float:
    """WCAG contrast ratio of *colour* against white (text on white, white text on it)."""
    return (1.0 + 0.05) / (_luminance(colour) + 0.05)


def clean_colour(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    if not value:
        return None
    if not re.fullmatch(r"#[0-9a-f]{6}", value):
        raise InvalidInput("Use a colour like #0b57d0.", field="brand_colour")
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:
        raise InvalidInput(
            f"{value} has a contrast of {ratio:.2f}:1 with white; WCAG AA needs 4.5:1. "
            "Choose a darker colour.",
            field="brand_colour",
        )
    return value


def clean_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput("Choose a time zone from the list.", field="timezone") from error
    return value


def _clean_settings(
    *,
    page_name: str,
    base_url: str,
    timezone: str,
    brand_colour: str | None,
    support_url: str | None,
    footer_text: str | None,
    default_notify: bool,
) -> dict[str, str | bool | None]:
    """Every setting checked, or InvalidInput on the first bad field, before anything is written."""
    return {
        "page_name": clean_text(
            page_name,
            field="page_name",
            max_length=MAX_PAGE_NAME,
            required=True,
            label="A page name",
        ),
        "base_url": clean_url(
            base_url, field="base_url", schemes=("https", "http"), required=True
        ).rstrip("/"),
        "timezone": clean_timezone(timezone),
        "brand_colour": clean_colour(brand_colour),
        "support_url": clean_url(
            support_url, field="support_url", schemes=("https", "http", "mailto"), required=False
        ),
        "footer_text": clean_text(
            footer_text, field="footer_text", max_length=MAX_FOOTER, required=False
        ),
        "default_notify": bool(default_notify),
    }


def _check_logo(data: bytes) -> str:
    """The content type of an acceptable logo, or InvalidInput on the logo field."""
    if len(data) > MAX_LOGO_BYTES:
        raise InvalidInput("The logo is at most 256 KB.", field="logo")
    content_type = next(
        (kind for magic, kind in LOGO_TYPES.items() if data.startswith(magic)), None
    )
    if content_type is None:
        raise InvalidInput("Upload a PNG, JPEG or GIF image.", field="logo")
    return content_type


def _store_settings(values: dict[str, str | bool | None]) -> None:
    """Write the changed settings rows; inside the caller's unit of work."""
    for key, value in values.items():
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=value))
        elif row.value != value:
            row.value = value


def _store_logo(data: bytes, content_type: str) -> None:
    """Add or replace the logo; inside the caller's unit of work."""
    asset = db.session.get(SiteAsset, "logo")
    if asset is None:
        db.session.add(SiteAsset(name="logo", content_type=content_type, data=data))
    else:
        asset.content_type, asset.data = content_type, data


def _drop_logo() -> None:
    """Delete the logo if there is one; inside the caller's unit of work."""
    asset = db.session.get(SiteAsset, "logo")
    if asset is not None:
        db.session.delete(asset)


def _after_timezone_change(previous: str, current: object) -> bool:
    """Recompute the uptime days when the zone moved their boundaries; True when it did."""
    if current == previous:
        return False
    from flask import g  # the per-request caches of the settings just replaced

    g.pop("_site_settings", None)
    g.pop("_page_state", None)
    rebuild_uptime()  # day boundaries moved: recompute the 90-day bars
    return True


def update_settings(
    *,
    page_name: str,
    base_url: str,
    timezone: str,
    brand_colour: str | None,
    support_url: str | None,
    footer_text: str | None,
    default_notify: bool,
    logo: bytes | None = None,
    remove_logo: bool = False,
    actor: Actor,
    now: datetime | None = None,
) -> bool:
    """Save the page settings and any logo change in one transaction, all or nothing.

    True when the time zone changed (uptime days are rebuilt)."""
    previous = get_site_settings().timezone
    values = _clean_settings(
        page_name=page_name,
        base_url=base_url,
        timezone=timezone,
        brand_colour=brand_colour,
        support_url=support_url,
        footer_text=footer_text,
        default_notify=default_notify,
    )
    content_type = _check_logo(logo) if logo is not None and not remove_logo else None
    with unit_of_work("update_settings", actor=actor, now=now):
        _store_settings(values)
        if remove_logo:
            _drop_logo()
        elif logo is not None and content_type is not None:
            _store_logo(logo, content_type)
    return _after_timezone_change(previous, values["timezone"])


def set_logo(data: bytes, *, actor: Actor, now: datetime | None = None) -> None:
    """Store an uploaded PNG, JPEG or GIF logo (at most 256 KB)."""
    content_type = _check_logo(data)
    with unit_of_work("set_logo", actor=actor, now=now):
        _store_logo(data, content_type)


def remove_logo(*, actor: Actor, now: datetime | None = None) -> None:
    """Take the logo off the page; the header shows the page name alone."""
    with unit_of_work("remove_logo", actor=actor, now=now):
        _drop_logo()


def get_logo() -> SiteAsset | None:
    return db.session.scalar(sa.select(SiteAsset).where(SiteAsset.name == "logo"))
