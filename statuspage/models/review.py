"""Post-incident review: an incident's postmortem (a Markdown report, draft then published) and
its action items (who does what by when). Action items are staff only; a postmortem reaches the
public only once published, and only for an incident the public can see (visibility.py)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.database import StrEnumType, new_id, utcnow
from statuspage.enums import ActionItemStatus, Audience
from statuspage.extensions import Model
from statuspage.limits import MAX_NAME, MAX_URL
from statuspage.models.notice import Notice
from statuspage.models.user import User
from statuspage.visibility import postmortem_visible


class Postmortem(Model):
    """An incident's one postmortem. Drafts are internal; publishing stamps `published_at`."""

    __tablename__ = "postmortem"
    __audited__ = True

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    notice_id: Mapped[str] = mapped_column(
        sa.ForeignKey("notice.id", ondelete="CASCADE"), unique=True
    )
    body: Mapped[str] = mapped_column(sa.Text, default="")
    #: Sanitized HTML of `body`, rendered once on write.
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    #: When the incident's subscribers were told of it (once; None when nobody was).
    notified_at: Mapped[datetime | None]
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    notice: Mapped[Notice] = relationship(back_populates="postmortem")
    author: Mapped[User | None] = relationship()

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def faces_public(self) -> bool:
        """A draft's edits move only the staff version; a published one's are public."""
        return postmortem_visible(self, Audience.PUBLIC)


class ActionItem(Model):
    """Something to do after an incident, owned by one staff user. Staff only."""

    __tablename__ = "action_item"
    __audited__ = True
    __table_args__ = (sa.Index("ix_action_item_status_due", "status", "due_on"),)

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    notice_id: Mapped[str] = mapped_column(
        sa.ForeignKey("notice.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    #: A local day of the page's time zone; overdue once that day has passed there.
    due_on: Mapped[date | None]
    status: Mapped[ActionItemStatus] = mapped_column(
        StrEnumType(ActionItemStatus, 16), default=ActionItemStatus.OPEN
    )
    #: An issue tracker's URL (http or https only).
    link: Mapped[str | None] = mapped_column(sa.String(MAX_URL))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When its owner was mailed that it fell overdue: claimed by a conditional UPDATE, so
    #: the mail goes once across ticks, restarts and schedulers. Cleared by a new due date.
    overdue_notified_at: Mapped[datetime | None]

    notice: Mapped[Notice] = relationship(back_populates="action_items")
    owner: Mapped[User | None] = relationship(lazy="joined")

    def is_overdue(self, today: date) -> bool:
        """Due before *today* (the page zone's) and not done or dropped."""
        return self.status.is_active and self.due_on is not None and self.due_on < today

    @classmethod
    def overdue_clause(cls, today: date) -> sa.ColumnElement[bool]:
        """`is_overdue` as SQL."""
        return sa.and_(
            cls.status.in_([s for s in ActionItemStatus if s.is_active]),
            cls.due_on.is_not(None),
            cls.due_on < today,
        )

    def faces_public(self) -> bool:
        return False
