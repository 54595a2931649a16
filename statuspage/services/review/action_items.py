"""Action items: what an incident's review decided to change, each with an owner and a due
day. Listed and filtered for staff; the scheduler mails an owner once when one falls overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import render_template
from sqlalchemy.orm import selectinload

from statuspage.database import count_rows, utcnow
from statuspage.enums import ActionItemStatus, DeliveryKind, DeliveryState
from statuspage.extensions import db
from statuspage.models import ActionItem, Delivery, Incident, User
from statuspage.services.errors import InvalidInput
from statuspage.services.inputs import clean_text
from statuspage.services.site.configure import clean_url
from statuspage.services.site.settings import get_site_settings
from statuspage.services.unit import SCHEDULER, Actor, unit_of_work
from statuspage.templating import format_datetime

#: How many overdue items one tick mails at most (the rest wait for the next tick).
OVERDUE_BATCH = 100


def local_today(now: datetime) -> date:
    """The day it is in the page's time zone: due days are local days."""
    return now.astimezone(get_site_settings().tz).date()


@dataclass(frozen=True)
class ActionItemInput:
    """What a form or the API gives for one item."""

    title: str
    owner_id: int | None
    due_on: date | None
    status: ActionItemStatus = ActionItemStatus.OPEN
    link: str | None = None


def _owner(owner_id: int | None) -> User:
    """An active staff user, or the error on the owner field."""
    user = db.session.get(User, owner_id) if owner_id is not None else None
    if user is None or not user.active:
        raise InvalidInput("Choose an active staff user as the owner.", field="owner_id")
    return user


def _apply(item: ActionItem, data: ActionItemInput, now: datetime) -> None:
    item.title = clean_text(
        data.title, field="title", max_length=255, required=True, label="A title"
    )
    item.owner_id = _owner(data.owner_id).id
    if data.due_on != item.due_on:
        item.overdue_notified_at = None  # a new commitment: it can fall overdue once more
    item.due_on = data.due_on
    item.status = ActionItemStatus(data.status)
    item.link = clean_url(data.link, field="link", schemes=("https", "http"), required=False)
    item.updated_at = now


def create_action_item(
    incident: Incident, data: ActionItemInput, *, actor: Actor, now: datetime | None = None
) -> ActionItem:
    """Add an action item to an incident's review."""
    with unit_of_work("create_action_item", actor=actor, now=now) as now:
        with db.session.no_autoflush:  # not written until it is whole
            item = ActionItem(notice=incident, created_at=now, title="")
            _apply(item, data, now)
        db.session.add(item)
    return item


def update_action_item(
    item: ActionItem, data: ActionItemInput, *, actor: Actor, now: datetime | None = None
) -> ActionItem:
    """Edit an item (its status too); moving the due day lets it fall overdue again."""
    with unit_of_work("update_action_item", actor=actor, now=now) as now:
        _apply(item, data, now)
    return item


def list_action_items(
    *,
    status: ActionItemStatus | None = None,
    owner_id: int | None = None,
    overdue: bool = False,
    now: datetime | None = None,
) -> list[ActionItem]:
    """Every item matching the filters, soonest due first (undated last)."""
    query = sa.select(ActionItem).options(selectinload(ActionItem.notice))
    if status is not None:
        query = query.where(ActionItem.status == status)
    if owner_id is not None:
        query = query.where(ActionItem.owner_id == owner_id)
    if overdue:
        query = query.where(ActionItem.overdue_clause(local_today(now or utcnow())))
    order = (ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.created_at)
    return list(db.session.scalars(query.order_by(*order)))


def overdue_action_items(now: datetime) -> list[ActionItem]:
    """Items past their due day and still to do, oldest due first (the staff console's)."""
    return list_action_items(overdue=True, now=now)


def notify_overdue_action_items(*, now: datetime | None = None) -> int:
    """Mail each owner once when an item falls overdue: the item is claimed with a conditional
    UPDATE and the mail queued in the same transaction, so two ticks, two schedulers or a
    restart never send it twice. Returns how many were queued."""
    now = now or utcnow()
    today = local_today(now)
    due = db.session.scalars(
        sa.select(ActionItem.id)
        .where(
            ActionItem.overdue_clause(today),
            ActionItem.overdue_notified_at.is_(None),
            ActionItem.owner_id.is_not(None),
        )
        .order_by(ActionItem.due_on, ActionItem.id)
        .limit(OVERDUE_BATCH)
    ).all()
    db.session.rollback()  # end the read: each item is its own transaction
    queued = 0
    for item_id in due:
        with unit_of_work("notify_overdue_action_item", actor=SCHEDULER, now=now) as now:
            claimed = db.session.execute(
                sa.update(ActionItem)
                .where(ActionItem.id == item_id, ActionItem.overdue_notified_at.is_(None))
                .values(overdue_notified_at=now)
                .execution_options(synchronize_session=False)
            )
            if count_rows(claimed) != 1:
                continue  # another scheduler took it
            item = db.session.get_one(ActionItem, item_id)
            db.session.refresh(item)
            if item.owner is not None and item.owner.active:
                db.session.add(_overdue_mail(item, now))
                queued += 1
    return queued


def _overdue_mail(item: ActionItem, now: datetime) -> Delivery:
    """The owner's mail, composed now (like a digest): staff mail to an address, no
    subscriber."""
    settings = get_site_settings()
    owner = item.owner
    assert owner is not None
    context = {
        "page_name": settings.page_name,
        "page_url": settings.base_url + "/",
        "item": item,
        "incident": item.notice,
        "owner": owner,
        "due": item.due_on.strftime("%d %b %Y").lstrip("0") if item.due_on else "",
        "item_url": settings.url_for("admin.edit_action_item", action_item_id=item.id),
        "incident_url": settings.url_for("admin.incident_detail", incident_id=item.notice_id),
        "sent_time": format_datetime(now),
        "subject": "Action item overdue",
    }
    return Delivery(
        subscriber_id=None,
        kind=DeliveryKind.ACTION_OVERDUE,
        key=f"action_overdue:{item.id}:{int(now.timestamp())}",
        to_address=owner.email,
        state=DeliveryState.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        subject=f"[{settings.page_name}] Action item overdue: {item.title}"[:300],
        text_body=render_template("email/action_overdue.txt", **context),
        html_body=render_template("email/action_overdue.html", **context),
    )
