"""What changed since a publish, read from the audit log: every write through a service
leaves one row per changed row there (statuspage/services/unit.py), in the same transaction
as the page version it bumps, so the rows after the last published position name every
notice and component a write touched, deleted ones too."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from statuspage.extensions import Model, db
from statuspage.models import AuditEntry, Component, Notice, NoticeComponent
from statuspage.services.page.history import Month
from statuspage.services.site.page_state import read_page_state

#: Audited types no public page shows (those marked `__affects_page__ = False` aside).
STAFF_ONLY_TYPES = frozenset({"User", "Check", "Problem", "ResponseTemplate", "ActionItem"})
#: The notice types: the audit log names the class of the row.
NOTICE_TYPES = frozenset({"Incident", "Maintenance", "Notice"})
#: Component columns a status change moves: the current pages and its own show them.
STATUS_COLUMNS = frozenset({"status", "status_since", "updated_at"})
#: Audit ids missing below the newest one seen are looked for again this long (a transaction
#: that took an id and has not committed yet); the nightly rebuild covers anything later.
GAP_SECONDS = 300.0
#: At most this many missing ids are remembered (a large rolled-back batch leaves many).
MAX_GAPS = 10_000


@dataclass(frozen=True)
class Marks:
    """Where the database stood when a publish began: what its build will show at least."""

    version: int
    audit_id: int


@dataclass
class Changes:
    """What the audit rows after a position touched."""

    #: Why only a full rebuild is right (a setting, a component renamed), or None.
    full: str | None = None
    notices: set[str] = field(default_factory=set)
    components: set[str] = field(default_factory=set)
    #: Whether a component's status moved (the uptime pages change only then, and with time).
    statuses: bool = False
    #: (month, component or None) history pages whose entries changed.
    months: set[tuple[Month, str | None]] = field(default_factory=set)
    audit_id: int = 0
    gaps: dict[int, float] = field(default_factory=dict)
    rows: int = 0


def read_marks() -> Marks:
    """The public page version and the newest audit id, read before rendering."""
    version = read_page_state(db.engine).public[0]
    audit_id = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
    return Marks(version=version, audit_id=audit_id)


def _model_classes() -> dict[str, type[Any]]:
    return {mapper.class_.__name__: mapper.class_ for mapper in Model.registry.mappers}


def _value(changes: dict[str, list[Any]], key: str) -> list[Any]:
    """Every value *key* had in a change (before and after), None aside."""
    return [v for v in changes.get(key, [None, None]) if v is not None]


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _linked(model: type[Any], row: Any, column: str) -> list[str]:
    """The values of *column* (a notice or component id) the audited row had or has."""
    found = [str(v) for v in _value(row.changes or {}, column)]
    if found:
        return found
    keys = [c.key for c in sa.inspect(model).primary_key]
    parts = str(row.object_id).split("/")
    if column in keys and len(parts) == len(keys):
        return [parts[keys.index(column)]]
    if len(keys) != 1 or row.operation == "deleted":
        return []
    value = db.session.scalar(
        sa.select(getattr(model, column)).where(getattr(model, keys[0]) == parts[0])
    )
    return [str(value)] if value is not None else []


def _note_row(found: Changes, model: type[Any] | None, row: Any) -> None:
    """What one audit row touched, into *found*."""
    name = row.object_type
    if model is None or not getattr(model, "__affects_page__", True) or name in STAFF_ONLY_TYPES:
        return
    changes: dict[str, list[Any]] = row.changes or {}
    if name in NOTICE_TYPES:
        found.notices.add(str(row.object_id))
        for value in _value(changes, "started_at"):
            moment = _parse_time(value)
            if moment is not None:
                found.months.add((Month.of(moment), None))
        return
    if model is Component or name == "ComponentGroup":
        quiet = STATUS_COLUMNS | getattr(model, "__internal_columns__", frozenset())
        if row.operation != "updated" or not set(changes) <= quiet:
            found.full = f"{name} {row.object_label!r} was {row.operation}"
        elif model is Component:
            found.components.add(str(row.object_id))
            found.statuses = found.statuses or bool(set(changes) & {"status", "status_since"})
        return
    columns = sa.inspect(model).columns.keys()
    notice_column = next((c for c in ("notice_id", "incident_id") if c in columns), None)
    if notice_column is None and "component_id" not in columns:
        found.full = f"{name} {row.object_label or row.object_id!r} was {row.operation}"
        return
    if notice_column is not None:
        found.notices.update(_linked(model, row, notice_column))
    if "component_id" in columns:
        found.components.update(_linked(model, row, "component_id"))


def _add_notice_months(found: Changes) -> None:
    """The months the touched notices are listed in now, in all and per component; and the
    components they affect (a link removed is in the audit rows already)."""
    if not found.notices:
        return
    ids = sorted(found.notices)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for started_at in db.session.scalars(
            sa.select(Notice.started_at).where(Notice.id.in_(chunk))
        ):
            if started_at is not None:
                found.months.add((Month.of(started_at), None))
        found.components.update(
            db.session.scalars(
                sa.select(NoticeComponent.component_id).where(NoticeComponent.notice_id.in_(chunk))
            )
        )
    for month, _ in list(found.months):
        found.months.update((month, component_id) for component_id in found.components)


def find_changes(since: int, gaps: dict[int, float], *, upto: int) -> Changes:
    """What the audit rows after *since* (and the missing ids in *gaps*), up to *upto*,
    touched; with the position and missing ids to start from next time."""
    now = time.time()
    found = Changes(audit_id=max(since, upto))
    query = sa.select(
        AuditEntry.id,
        AuditEntry.object_type,
        AuditEntry.object_id,
        AuditEntry.object_label,
        AuditEntry.operation,
        AuditEntry.changes,
    ).where(
        sa.or_(
            AuditEntry.id.between(since + 1, upto),
            AuditEntry.id.in_(sorted(gaps)[:MAX_GAPS]) if gaps else sa.false(),
        )
    )
    models = _model_classes()
    seen: set[int] = set()
    for row in db.session.execute(query.order_by(AuditEntry.id)):
        seen.add(row.id)
        found.rows += 1
        _note_row(found, models.get(row.object_type), row)
    still_missing = {key: first for key, first in gaps.items() if key not in seen}
    still_missing.update({key: now for key in range(since + 1, upto + 1) if key not in seen})
    found.gaps = dict(
        sorted((k, v) for k, v in still_missing.items() if now - v < GAP_SECONDS)[-MAX_GAPS:]
    )
    _add_notice_months(found)
    return found
