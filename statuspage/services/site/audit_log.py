"""Reading the audit log: filtered, paginated, and as CSV rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from statuspage.enums import Via
from statuspage.extensions import db
from statuspage.models import AuditEntry
from statuspage.spreadsheet import escape_formula

#: The export's header row, in column order.
CSV_COLUMNS = [
    "at",
    "actor",
    "via",
    "ip",
    "action",
    "operation",
    "object_type",
    "object_id",
    "object",
    "changes",
]


def _query(
    *,
    actor: str | None = None,
    via: Via | None = None,
    object_type: str | None = None,
    action: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> sa.Select:
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if actor:
        query = query.where(
            sa.func.lower(AuditEntry.actor_label).contains(actor.lower(), autoescape=True)
        )
    if via is not None:
        query = query.where(AuditEntry.via == Via(via))
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if action:
        query = query.where(AuditEntry.action == action)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return query


def list_entries(*, page: int = 1, per_page: int = 50, **filters: Any) -> Any:
    return db.paginate(_query(**filters), page=page, per_page=per_page, error_out=False)


def iter_entries(**filters: Any) -> Iterator[AuditEntry]:
    """Every matching entry, streamed in chunks (an export can be large)."""
    result = db.session.scalars(_query(**filters).execution_options(yield_per=500))
    try:
        yield from result
    finally:
        # A client that stops reading must not leave a server-side cursor open.
        result.close()


def filter_choices() -> dict[str, list[str]]:
    """Object types and actions that occur, for the filter menus."""
    types = db.session.scalars(
        sa.select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
    )
    actions = db.session.scalars(
        sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    )
    return {"object_types": list(types), "actions": list(actions)}


def _csv_cells(entry: AuditEntry) -> list[str]:
    """One entry as export cells, formula-safe like every CSV the page writes."""
    cells = (
        entry.at.isoformat(),
        entry.actor_label,
        entry.via.value,
        entry.ip,
        entry.action,
        entry.operation,
        entry.object_type,
        entry.object_id,
        entry.object_label,
        json.dumps(entry.changes, ensure_ascii=False, sort_keys=True),
    )
    return [escape_formula(cell) for cell in cells]


def stream_audit_csv(**filters: Any) -> Iterator[str]:
    """The matching entries as CSV text, a line at a time: a large export never sits in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in iter_entries(**filters):
        writer.writerow(_csv_cells(entry))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
