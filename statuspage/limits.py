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
