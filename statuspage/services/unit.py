"""One transaction per service call, with the actor recorded in the audit log.

Every public writing service runs its body inside `unit_of_work(...)`. The session listener
below then writes an audit entry for each audited row the flush changes (before and after of
the changed fields) and bumps the page version that public caches key on, in the same
transaction. A flush that touches an audited row outside a unit of work is refused: that is
how "services are the only writers" is enforced rather than hoped for.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction, scoped_session

from statuspage.database import utcnow
from statuspage.enums import Via
from statuspage.extensions import db
from statuspage.models.audit import AuditEntry
from statuspage.models.site import PageState

if TYPE_CHECKING:
    from statuspage.models.user import User


@dataclass(frozen=True)
class Actor:
    """Who is writing and through which channel; services take it as `actor=`."""

    user_id: int | None
    label: str
    via: Via
    ip: str | None = None

    @classmethod
    def of(cls, user: User, *, via: Via = Via.UI, ip: str | None = None) -> Actor:
        return cls(user_id=user.id, label=user.email, via=via, ip=ip)


SCHEDULER = Actor(user_id=None, label="scheduler", via=Via.SCHEDULER)
CLI = Actor(user_id=None, label="command line", via=Via.CLI)


class WriteOutsideService(RuntimeError):
    pass


@contextmanager
def unit_of_work(action: str, *, actor: Actor, now: datetime | None = None) -> Iterator[datetime]:
    """Run one service's changes as one transaction; yields the `now` to stamp them with."""
    session = db.session
    if "actor" in session.info:  # a service called from a service: join its transaction
        outer = session.info["now"]
        if now is None or now == outer:
            yield outer
            return
        # Its own time (a batch replaying history): what the outer unit changed so far is
        # stamped with the outer time, what this one changes with its own.
        session.flush()
        apply_page_version(session, outer)
        session.info["now"] = now
        try:
            yield now
            session.flush()
            apply_page_version(session, now)
        finally:
            session.info["now"] = outer
        return
    now = now or utcnow()
    session.info.update(actor=actor, action=action, now=now)
    try:
        yield now
        session.flush()
        apply_page_version(session, now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        for key in ("actor", "action", "now", PENDING_VERSION):
            session.info.pop(key, None)


#: session.info key: whether this unit's flushes touched the page (False) and the public (True).
PENDING_VERSION = "page_version_pending"


def apply_page_version(session: Session | scoped_session[Any], now: datetime) -> None:
    """Bump the page versions once for everything the unit's flushes touched (a service flushes
    several times; one bump per unit says the same and costs one UPDATE)."""
    public = session.info.pop(PENDING_VERSION, None)
    if public is not None:
        bump_page_version(session, now, public=public)


REDACTED = ["[redacted]", "[redacted]"]


#: Columns every write touches; an audit entry listing them would say nothing.
UNAUDITED = ("updated_at", "body_html", "version")


def audit_value(value: Any) -> Any:
    """A JSON-safe form of a column value for the audit log."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _label(obj: object) -> str:
    for attr in ("name", "email"):
        value = getattr(obj, attr, None)
        if isinstance(value, str):
            return value[:255]
    return ""


def _identity(obj: object) -> str:
    keys = sa.inspect(obj, raiseerr=True).mapper.primary_key_from_instance(obj)
    return "/".join(str(k) for k in keys)


def _changes(obj: object, operation: str) -> dict[str, list[Any]]:
    state = sa.inspect(obj, raiseerr=True)
    excluded: frozenset[str] = getattr(obj, "__audit_exclude__", frozenset())
    changes: dict[str, list[Any]] = {}
    for column_attr in state.mapper.column_attrs:
        key = column_attr.key
        if key in UNAUDITED:
            continue
        if operation == "updated":
            history = state.attrs[key].history
            if not history.has_changes():
                continue
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before == after:
                continue
            # Secrets: the log says they changed, never what they were or became.
            changes[key] = (
                REDACTED if key in excluded else [audit_value(before), audit_value(after)]
            )
        elif key in excluded:
            continue
        elif operation == "created":
            changes[key] = [None, audit_value(state.attrs[key].value)]
        else:
            changes[key] = [audit_value(state.attrs[key].value), None]
    return changes


@event.listens_for(Session, "before_flush")
def _stamp_times(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    """`created_at` and `updated_at` come from the unit of work's `now`, in one place: a new
    row gets both unless given, and a changed row's `updated_at` moves when anything but the
    columns only staff see changed (and the code did not set it to a time of its own)."""
    now = session.info.get("now")
    if now is None:
        return
    for obj in session.new:
        for key in ("created_at", "updated_at"):
            if hasattr(obj, key) and getattr(obj, key) is None:
                setattr(obj, key, now)
    for obj in session.dirty:
        if not getattr(obj, "__audited__", False) or not hasattr(obj, "updated_at"):
            continue
        state = inspect(obj)
        changed = {
            attr.key
            for attr in state.mapper.column_attrs
            if state.attrs[attr.key].history.has_changes()
        }
        if "updated_at" in changed:
            continue
        quiet = set(UNAUDITED) | getattr(obj, "__internal_columns__", frozenset())
        if changed - quiet:
            obj.updated_at = now


def _faces_public(obj: object, operation: str, changes: dict[str, list[Any]]) -> bool:
    """Whether this change can alter what a public reader sees: the model decides
    (`faces_public`, `__internal_columns__`); a change of who may see it always can."""
    if operation == "deleted":
        return True  # its relations may be gone too; a spare public version costs a render
    if operation == "updated":
        if set(changes) <= getattr(obj, "__internal_columns__", frozenset()):
            return False
        if AUDIENCE_KEYS & set(changes):
            return True
    faces_public = getattr(obj, "faces_public", None)
    return True if faces_public is None else bool(faces_public())


#: Columns that decide who may see a row: changing one is a public change either way.
AUDIENCE_KEYS = frozenset({"visibility", "group_id", "kind"})


@event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, flush_context: UOWTransaction) -> None:
    rows = []
    touched_page = touched_public = False
    actor: Actor | None = session.info.get("actor")
    groups = (("created", session.new), ("updated", session.dirty), ("deleted", session.deleted))
    for operation, objects in groups:
        for obj in objects:
            if not getattr(obj, "__audited__", False):
                continue
            if operation == "updated" and not session.is_modified(obj, include_collections=False):
                continue
            if actor is None:
                raise WriteOutsideService(
                    f"{type(obj).__name__} changed outside a service (no unit_of_work)"
                )
            changes = _changes(obj, operation)
            if operation == "updated" and not changes:
                continue
            if getattr(obj, "__affects_page__", True):
                touched_page = True
                touched_public = touched_public or _faces_public(obj, operation, changes)
            rows.append(
                {
                    "at": session.info["now"],
                    "actor_id": actor.user_id,
                    "actor_label": actor.label,
                    "via": actor.via.value,
                    "ip": actor.ip,
                    "action": session.info["action"],
                    "operation": operation,
                    "object_type": type(obj).__name__,
                    "object_id": _identity(obj),
                    "object_label": _label(obj),
                    "changes": changes,
                }
            )
    if rows:
        session.connection().execute(sa.insert(AuditEntry), rows)
    if touched_page:  # applied once, when the unit ends (apply_page_version)
        session.info[PENDING_VERSION] = session.info.get(PENDING_VERSION, False) or touched_public


def bump_page_version(
    session: Session | scoped_session[Any], now: datetime, *, public: bool = True
) -> None:
    """Invalidate every cached staff response, and with *public* every public one: their keys
    carry these versions. An internal note moves nothing a public reader can see, not even the
    page's `updated_at` or its validators."""
    values: dict[str, Any] = {
        "internal_version": PageState.internal_version + 1,
        "internal_changed_at": now,
    }
    if public:
        values.update(version=PageState.version + 1, changed_at=now)
    connection = session.connection()
    result = connection.execute(sa.update(PageState).where(PageState.id == 1).values(**values))
    if result.rowcount == 0:
        connection.execute(
            sa.insert(PageState).values(
                id=1,
                version=2 if public else 1,
                changed_at=now,
                internal_version=2,
                internal_changed_at=now,
            )
        )
