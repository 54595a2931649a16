"""Field limits, in one place: the models' column sizes, the forms, the JSON API's readers and
the services all read them here, so a title the form accepts is one the database keeps whole."""

from __future__ import annotations

#: Names and titles: components, groups, incidents, maintenance, tokens.
MAX_NAME = 255
#: Component and group descriptions, maintenance start and complete messages.
MAX_DESCRIPTION = 2000
#: One timeline entry's Markdown.
MAX_BODY = 20_000
#: Links an admin types (support URL, runbooks, issue trackers).
MAX_URL = 500
#: Email addresses (RFC 5321's path limit).
MAX_EMAIL = 254
#: API token names.
MAX_TOKEN_NAME = 100
#: The page's own name (it heads every page, feed and mail subject).
MAX_PAGE_NAME = 100
#: The page footer's text.
MAX_FOOTER = 500
#: A recurring window's RFC 5545 rule.
MAX_RULE = 500
#: A relay's error kept beside a delivery for staff: a server's words, cut to fit, never input.
MAX_ERROR_TEXT = 500
