"""Quotes (one row per revision) with their lines, contracts, and gapless yearly numbers."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime

QUOTE_STATUSES = ("draft", "pending_approval", "approved", "sent", "viewed", "accepted", "declined", "expired",
                  "superseded")
SEND_STATES = ("idle", "sending", "sent", "failed")
# The status machine, in one place: draft → pending_approval → approved → sent → viewed → accepted |
# declined | expired; a rejection goes back to draft; a quote needing no approval goes draft → approved;
# editing a quote that was approved or sent makes a new revision and supersedes this one.
QUOTE_TRANSITIONS = {
    "draft": {"pending_approval", "approved", "superseded"},
    "pending_approval": {"approved", "draft", "superseded"},
    "approved": {"sent", "draft", "pending_approval", "superseded"},
    "sent": {"viewed", "accepted", "declined", "expired", "superseded"},
    "viewed": {"accepted", "declined", "expired", "superseded"},
    "accepted": set(),
    "declined": {"superseded"},
    "expired": {"superseded"},
    "superseded": set(),
}
LIVE_FOR_CUSTOMER = ("sent", "viewed")  # the only statuses a customer may accept or decline


class InvalidTransition(Exception):
    """A quote was asked to move where the status machine does not go (e.g. accept a draft)."""


class NumberSequence(db.Model):
    """The last number given out per kind ("BG", "HD") and year: numbering without gaps or repeats."""

    __tablename__ = "number_sequences"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


class Quote(TimestampMixin, db.Model):
    """One revision of a quote: BG-2026-00012 v1, v2… share the number; only the newest is live."""

    __tablename__ = "quotes"
    __table_args__ = (
        UniqueConstraint("number", "revision", name="uq_quotes_number_revision"),
        CheckConstraint(
            "status IN ('draft', 'pending_approval', 'approved', 'sent', 'viewed', 'accepted', 'declined', "
            "'expired', 'superseded')", name="status"),
        CheckConstraint("send_state IN ('idle', 'sending', 'sent', 'failed')", name="send_state"),
        CheckConstraint("discount_bp >= 0 AND discount_bp <= 10000", name="discount_range"),
        Index("ix_quotes_owner_status", "owner_id", "status"),
        Index("ix_quotes_deal", "deal_id", "created_at"),
        Index("ix_quotes_customer", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20))  # BG-YYYY-NNNNN
    revision: Mapped[int] = mapped_column(default=1)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="RESTRICT"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id", ondelete="SET NULL"))  # the revision before
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # Quote-level discount in basis points (1250 = 12.5 %): percentages without floats.
    discount_bp: Mapped[int] = mapped_column(default=0)
    valid_until: Mapped[date] = mapped_column()
    payment_terms: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # Totals in whole đồng, recomputed from the lines on every change (app/services/quotes/pricing.py).
    subtotal_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    vat_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    total_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    # Approval.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_comment: Mapped[str | None] = mapped_column(Text)
    # Sending (through the job queue) and the customer's answer.
    recipient_email: Mapped[str | None] = mapped_column(String(254))
    send_state: Mapped[str] = mapped_column(String(10), default="idle")
    send_attempts: Mapped[int] = mapped_column(default=0)
    send_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 of the public link's token
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_name: Mapped[str | None] = mapped_column(String(200))
    accepted_ip: Mapped[str | None] = mapped_column(String(45))
    accepted_user_agent: Mapped[str | None] = mapped_column(String(400))
    accepted_hash: Mapped[str | None] = mapped_column(String(64))  # sha256 of the accepted revision's content
    decline_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    deal = relationship("Deal")
    customer = relationship("Customer")
    owner = relationship("User", foreign_keys=[owner_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    previous = relationship("Quote", remote_side=[id])
    lines: Mapped[list["QuoteLine"]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", order_by="QuoteLine.position")

    __mapper_args__ = {"version_id_col": version}

    def move_to(self, status):
        """Change status, if the status machine allows it; raises InvalidTransition otherwise."""
        if status not in QUOTE_TRANSITIONS[self.status]:
            raise InvalidTransition(f"{self.status} → {status}")
        self.status = status

    @property
    def label(self):
        """BG-2026-00012 (v2 and later carry their revision)."""
        return self.number if self.revision == 1 else f"{self.number} v{self.revision}"


class QuoteLine(db.Model):
    __tablename__ = "quote_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_vnd >= 0", name="price_not_negative"),
        CheckConstraint("discount_bp >= 0 AND discount_bp <= 10000", name="discount_range"),
        CheckConstraint("vat_rate IS NULL OR vat_rate IN (0, 5, 8, 10)", name="vat_rate"),
        Index("ix_quote_lines_quote", "quote_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(500))
    unit: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    unit_price_vnd: Mapped[int] = mapped_column(BigInteger)
    discount_bp: Mapped[int] = mapped_column(default=0)
    vat_rate: Mapped[int | None] = mapped_column()  # None: not subject to VAT
    # Computed by pricing: amount after the line discount (before VAT) and the line's VAT, whole đồng.
    amount_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    vat_vnd: Mapped[int] = mapped_column(BigInteger, default=0)

    quote: Mapped[Quote] = relationship(back_populates="lines")
    product = relationship("Product")


class Contract(TimestampMixin, db.Model):
    """What an accepted quote becomes: HD-YYYY-NNNNN, with its dates, value and renewal reminder."""

    __tablename__ = "contracts"
    __table_args__ = (
        Index("ix_contracts_owner_end", "owner_id", "end_date"),
        Index("ix_contracts_renewal", "renewal_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="RESTRICT"), unique=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="RESTRICT"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    start_date: Mapped[date] = mapped_column()
    end_date: Mapped[date] = mapped_column()
    renewal_date: Mapped[date] = mapped_column()
    value_vnd: Mapped[int] = mapped_column(BigInteger)

    quote = relationship(Quote)
    deal = relationship("Deal")
    customer = relationship("Customer")
    owner = relationship("User")


class Notification(db.Model):
    """Something a user should know (a quote approved, rejected, accepted): the bell, newest first."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_read", "user_id", "read_at", "created_at"),  # the unread count
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),  # the list, newest first, by cursor
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")


class Setting(db.Model):
    """An admin setting stored in the database (approval rules, later the automation rules): key → JSON value."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict] = mapped_column(db.JSON)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
