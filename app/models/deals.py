"""Pipeline stages, deals and their stage history."""
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, utcnow
from app.text import fold


class Stage(db.Model):
    __tablename__ = "stages"
    __table_args__ = (
        CheckConstraint("probability >= 0 AND probability <= 100", name="probability_range"),
        CheckConstraint("stale_after_days > 0", name="stale_after_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(index=True)
    probability: Mapped[int] = mapped_column()
    is_won: Mapped[bool] = mapped_column(default=False)
    is_lost: Mapped[bool] = mapped_column(default=False)
    stale_after_days: Mapped[int] = mapped_column(default=14)

    def name_for(self, locale):
        """The stage's name in the given locale ("vi" or "en")."""
        return self.name_en if locale == "en" else self.name_vi

    @property
    def is_open(self):
        return not (self.is_won or self.is_lost)


DEFAULT_STAGES = (
    # key, vi, en, probability, won, lost
    ("new", "Mới", "New", 10, False, False),
    ("consulting", "Đang tư vấn", "Consulting", 25, False, False),
    ("quote_sent", "Đã gửi báo giá", "Quote sent", 50, False, False),
    ("negotiation", "Đàm phán", "Negotiation", 75, False, False),
    ("won", "Thắng", "Won", 100, True, False),
    ("lost", "Thua", "Lost", 0, False, True),
)


class Deal(TimestampMixin, db.Model):
    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint("value_vnd >= 0", name="value_not_negative"),
        # Covering: pipeline totals per stage are read from the index alone, without touching rows.
        Index("ix_deals_owner_stage_value", "owner_id", "stage_id", "value_vnd"),
        Index("ix_deals_stage_entered", "stage_id", "stage_entered_at"),
        Index("ix_deals_owner_stale", "owner_id", "stale_at", postgresql_where=text("stale_at IS NOT NULL"),
              sqlite_where=text("stale_at IS NOT NULL")),
        # Today's "deals with no next step": a rep's open deals by value, read until ten have nothing scheduled.
        Index("ix_deals_open_owner_value", "owner_id", "value_vnd", postgresql_where=text("closed_at IS NULL"),
              sqlite_where=text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    # Folded title for diacritic-insensitive search; the customer's name is matched through a join.
    search_text: Mapped[str] = mapped_column(Text, default="")
    value_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    expected_close: Mapped[date | None] = mapped_column(index=True)
    lost_reason: Mapped[str | None] = mapped_column(Text)
    stage_entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by the stale-deal rule (too long in its stage with nothing scheduled), cleared when that ends.
    stale_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    customer = relationship("Customer")
    owner = relationship("User")
    stage: Mapped[Stage] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def weighted_value_vnd(self):
        """Value times the stage's win probability, in whole đồng (rounded half up)."""
        return (self.value_vnd * self.stage.probability + 50) // 100


@event.listens_for(Deal, "before_insert")
@event.listens_for(Deal, "before_update")
def _keep_search_text(_mapper, _connection, deal):
    deal.search_text = fold(deal.title)


class DealStageChange(db.Model):
    """One move of a deal between stages, kept for cycle-time KPIs (and the value change that came with it)."""

    __tablename__ = "deal_stage_changes"
    __table_args__ = (Index("ix_deal_stage_changes_deal_changed", "deal_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id", ondelete="RESTRICT"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="RESTRICT"), index=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the move also changed the deal's value (won from an accepted quote: its amount before VAT).
    value_before_vnd: Mapped[int | None] = mapped_column(BigInteger)
    value_after_vnd: Mapped[int | None] = mapped_column(BigInteger)

    deal = relationship(Deal)
    from_stage = relationship(Stage, foreign_keys=[from_stage_id])
    to_stage = relationship(Stage, foreign_keys=[to_stage_id])
    changed_by = relationship("User")
