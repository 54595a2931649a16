"""The settings in force: config defaults overlaid with the admin's choices."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, g

from statuspage.extensions import db
from statuspage.models import Setting, SiteAsset
from statuspage.services.site.page_state import get_page_state


@dataclass(frozen=True)
class SiteSettings:
    page_name: str
    page_id: str
    base_url: str
    timezone: str
    brand_colour: str | None = None
    support_url: str | None = None
    footer_text: str = ""
    default_notify: bool = True
    #: A cache-busting stamp of the uploaded logo, None when there is none.
    logo_stamp: str | None = None

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def status_title(self) -> str:
        """ "Acme Status" for the page "Acme", but "Status" (never "Status Status") for a page
        already named so: the start of every feed, calendar and subscription title."""
        words = self.page_name.split()
        if words and words[-1].casefold() == "status":
            return self.page_name
        return f"{self.page_name} Status"

    def absolute_url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def url_for(self, endpoint: str, **values: Any) -> str:
        """An absolute URL on the public address, built without a request (mail, feeds)."""
        parts = urlsplit(self.base_url)
        adapter = current_app.url_map.bind(
            parts.netloc or "localhost",
            script_name=parts.path or "/",
            url_scheme=parts.scheme or "http",
        )
        return adapter.build(endpoint, values, force_external=True)


#: Settings an admin may change; the rest come from config only.
EDITABLE = (
    "page_name",
    "base_url",
    "timezone",
    "brand_colour",
    "support_url",
    "footer_text",
    "default_notify",
)


def get_site_settings() -> SiteSettings:
    """The settings in force: config defaults overlaid with the admin's choices.

    Read once per app context, and at most once per page version per process: every settings
    change bumps the page version, so a change applies on the next request, without a restart.
    """
    cached = g.get("_site_settings")
    if cached is not None:
        return cached
    version, _ = get_page_state()
    memo = current_app.extensions.setdefault("site_settings", {})
    cached = memo.get(version)
    if cached is None:
        cached = _load_settings()
        memo.clear()
        memo[version] = cached
    g._site_settings = cached
    return cached


def _load_settings() -> SiteSettings:

    config = current_app.config
    values: dict[str, Any] = {
        "page_name": config["PAGE_NAME"],
        "page_id": config["PAGE_ID"],
        "base_url": config["BASE_URL"],
        "timezone": config["TIMEZONE"],
        "brand_colour": config.get("BRAND_COLOUR"),
        "support_url": config.get("SUPPORT_URL"),
        "footer_text": config.get("FOOTER_TEXT", ""),
        "default_notify": bool(config.get("DEFAULT_NOTIFY", True)),
    }
    for key, value in db.session.execute(sa.select(Setting.key, Setting.value)):
        if key in EDITABLE:
            values[key] = value
    logo = db.session.scalar(sa.select(SiteAsset.updated_at).where(SiteAsset.name == "logo"))
    values["base_url"] = str(values["base_url"]).rstrip("/")
    values["logo_stamp"] = str(int(logo.timestamp())) if logo else None
    return SiteSettings(**values)


def host_of_base_url() -> str:

    return urlsplit(get_site_settings().base_url).hostname or "localhost"
