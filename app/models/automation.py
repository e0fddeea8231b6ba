"""What the periodic rules did (one row per action, unique per occurrence) and each pass they made."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class AutomationLog(db.Model):
    """One thing a rule did to one subject, once: the unique key is what makes a rule idempotent."""

    __tablename__ = "automation_log"
    __table_args__ = (
        # (rule, subject_id, occurrence): e.g. ("quote_follow_up", quote id, ""), ("birthday", customer id, "2026").
        UniqueConstraint("rule", "subject_id", "occurrence", name="uq_automation_log_occurrence"),
        Index("ix_automation_log_created", "created_at"),
        Index("ix_automation_log_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column()
    occurrence: Mapped[str] = mapped_column(String(20), default="")
    action: Mapped[str] = mapped_column(String(40))  # task_created, email_sent, manager_notified, deal_flagged …
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    detail: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")
    customer = relationship("Customer")
    activity = relationship("Activity")


class AutomationRun(db.Model):
    """One pass of one rule: when, how long, how many actions, or the error that stopped it."""

    __tablename__ = "automation_runs"
    __table_args__ = (Index("ix_automation_runs_rule_started", "rule", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actions: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
