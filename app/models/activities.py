"""Calls, visits, meetings, notes and tasks."""
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime

KINDS = ("call", "visit", "meeting", "email", "zalo", "note", "task")
OUTCOMES = ("reached", "no_answer", "busy", "call_back", "not_interested")


class Activity(TimestampMixin, db.Model):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('call', 'visit', 'meeting', 'email', 'zalo', 'note', 'task')", name="kind"
        ),
        # A retried or double-tapped save carries the same client key: one row.
        UniqueConstraint("owner_id", "client_key", name="uq_activities_owner_client_key"),
        Index("ix_activities_owner_due", "owner_id", "done_at", "due_at"),
        # A user's open activities by due time (Today, the coming days, the badge): partial, so that PostgreSQL
        # reads them in order and stops at the twentieth ("done_at IS NULL" is no equality to order after).
        Index("ix_activities_open_owner_due", "owner_id", "due_at", postgresql_where=text("done_at IS NULL"),
              sqlite_where=text("done_at IS NULL")),
        Index("ix_activities_customer_created", "customer_id", "created_at"),
        # A customer's timeline as one user may see it (owner_id = ?), newest first, and their latest visit:
        # with a busy customer PostgreSQL misjudged (customer, owner) and combined two bitmap scans instead.
        Index("ix_activities_customer_owner_created", "customer_id", "owner_id", "created_at"),
        Index("ix_activities_visits", "customer_id", "owner_id", "checked_in_at",
              postgresql_where=text("checked_in_at IS NOT NULL"), sqlite_where=text("checked_in_at IS NOT NULL")),
        Index("ix_activities_deal_due", "deal_id", "due_at"),
        # "Has this deal anything open?", asked for every open deal on Today: only open activities are indexed.
        Index("ix_activities_open_deal", "deal_id", postgresql_where=text("done_at IS NULL"),
              sqlite_where=text("done_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="SET NULL"))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    client_key: Mapped[str | None] = mapped_column(String(64))
    # Visits: check-in and check-out times; the check-in position is lat/lng/accuracy_m (None: no location).
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Metres between the check-in position and the customer's stored location (None: either is unknown).
    distance_m: Mapped[int | None] = mapped_column()

    owner = relationship("User")
    customer = relationship("Customer")
    deal = relationship("Deal")

    @property
    def is_done(self):
        return self.done_at is not None
