"""Field limits, in one place: the models' column sizes, the forms, the JSON API's readers and
the services all read them here, so a title the form accepts is one the database keeps whole."""

from __future__ import annotations

#: A postmortem's Markdown (a whole report, longer than one timeline entry).
MAX_POSTMORTEM = 100_000
#: The largest row id an integer column holds (PostgreSQL's `integer`).
MAX_ROW_ID = 2_147_483_647
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
#: Why an editor overrode an incident's priority.
MAX_REASON = 500
#: An escalation contact's phone number or notes.
MAX_CONTACT_NOTES = 500
#: Runbook links and escalation contacts per component or group.
MAX_RUNBOOKS = 10
MAX_CONTACTS = 20

#: The longest period a report covers, in days (two years and a leap day).
MAX_REPORT_DAYS = 731
#: Components one report may be narrowed to.
MAX_REPORT_COMPONENTS = 200
#: Problems the reports' "recurring problems" table lists (those with the most incidents).
RECURRING_PROBLEMS = 10

#: A customer's problem report (the public form).
MAX_REPORT_TEXT = 2000
#: A problem's root cause and workaround (Markdown).
MAX_PROBLEM_TEXT = 20_000

#: An alert's fingerprint (Alertmanager's is 16 hex digits; Grafana's and ours are free text).
MAX_FINGERPRINT = 200
#: An alert's summary as stored and shown to staff (a longer one is refused, not cut).
MAX_ALERT_SUMMARY = 1000

#: Built-in checks (docs/integrations.md, "Built-in checks"). Each check runs at most this often:
CHECK_MIN_INTERVAL = 30
#: ... and at least once a day.
CHECK_MAX_INTERVAL = 86_400
#: A probe's timeout in seconds (each phase of an HTTP request: connect, send, receive).
CHECK_MIN_TIMEOUT = 0.1
CHECK_MAX_TIMEOUT = 60.0
#: Consecutive failures (or successes) before a check changes (or restores) its component.
CHECK_MAX_THRESHOLD = 100
#: Damping minutes of a check's signal (as an integration's).
CHECK_MAX_DAMPING = 1440
#: Days before a certificate's expiry an HTTPS result carries a warning (0: never).
CHECK_MAX_TLS_WARN_DAYS = 365
#: Expected status codes one HTTP check may list.
CHECK_MAX_STATUSES = 20
#: The keyword an HTTP check looks for in the body.
MAX_CHECK_KEYWORD = 200
#: Bytes of a body searched for the keyword (a longer body is searched in its first part).
CHECK_MAX_BODY_BYTES = 1024 * 1024
#: A host name (RFC 1035's 253 characters).
MAX_HOSTNAME = 253
#: A result's detail message as stored (a probe's words, cut to fit, never input).
MAX_CHECK_DETAIL = 500
#: Results are kept this many days; the daily prune deletes older ones.
CHECK_RESULT_DAYS = 90
#: Checks one component may have.
MAX_CHECKS_PER_COMPONENT = 20
#: An integration's webhook body, in bytes (Alertmanager's grouped alerts fit many times over).
MAX_INTEGRATION_BODY = 512 * 1024
#: Alerts one webhook body may carry.
MAX_ALERTS_PER_BODY = 500
#: A component's aliases (the names monitoring knows it by), and each alias's length.
MAX_ALIASES = 20
MAX_ALIAS = 100
#: An alert label's name (the component and severity labels an integration reads).
MAX_LABEL_NAME = 100
#: Severity values an integration maps to statuses.
MAX_SEVERITIES = 20
#: An alert label's or annotation's value (an unmatched alert records the component label's).
MAX_LABEL_VALUE = 1000
#: Flap damping: minutes a status must hold before the public sees it.
MAX_DAMPING_MINUTES = 1440
