"""Customers, their contacts and tags."""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, Float, ForeignKey, Index, LargeBinary, String, Table, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import IMPORT_STATUSES, ImportJobMixin, TimestampMixin, UTCDateTime, utcnow
from app.text import fold

KINDS = ("company", "person")
LIFECYCLES = ("lead", "prospect", "customer", "churned")

customer_tags = Table(
    "customer_tags",
    db.metadata,
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)


class Customer(TimestampMixin, db.Model):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("kind IN ('company', 'person')", name="kind"),
        CheckConstraint("lifecycle IN ('lead', 'prospect', 'customer', 'churned')", name="lifecycle"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
        Index("ix_customers_owner_lifecycle", "owner_id", "lifecycle"),
        # Today's new leads: never contacted, newest first (partial: PostgreSQL orders by an index only after
        # equalities, and "last_contact_at IS NULL" is not one).
        Index("ix_customers_uncontacted", "owner_id", "lifecycle", "created_at",
              postgresql_where=text("last_contact_at IS NULL"), sqlite_where=text("last_contact_at IS NULL")),
        Index("ix_customers_owner_updated", "owner_id", "updated_at"),
        Index("ix_customers_owner_last_contact", "owner_id", "last_contact_at"),
        # Today's birthdays: month * 100 + day, so one index answers "born on 22/11" in any year.
        Index("ix_customers_birthday_md", "birthday_md", "owner_id"),
        # Nearby and due: a bounding box on latitude within the owners in scope (rep, team), or over everyone
        # (admin); covering, so the box's candidates are filtered on contact and lifecycle without reading rows.
        Index("ix_customers_owner_geo", "owner_id", "lat", "lng", "last_contact_at", "lifecycle",
              postgresql_where=text("lat IS NOT NULL"), sqlite_where=text("lat IS NOT NULL")),
        Index("ix_customers_lat_lng", "lat", "lng", "last_contact_at", "lifecycle",
              postgresql_where=text("lat IS NOT NULL"), sqlite_where=text("lat IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="company")
    name: Mapped[str] = mapped_column(String(200))
    # Folded name, phones, e-mail and tax code: what diacritic-insensitive search matches against.
    search_text: Mapped[str] = mapped_column(Text, default="")
    tax_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    phone_alt: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    address: Mapped[str | None] = mapped_column(String(255))
    ward: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(String(100))
    province: Mapped[str | None] = mapped_column(String(100))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    lifecycle: Mapped[str] = mapped_column(String(10), default="lead")
    source: Mapped[str | None] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    score: Mapped[int] = mapped_column(default=0)
    birthday: Mapped[date | None] = mapped_column()
    birthday_md: Mapped[int | None] = mapped_column()  # kept from birthday: month * 100 + day
    notes: Mapped[str | None] = mapped_column(Text)
    # Last call, visit or meeting done with the customer: "due for contact" filters and reminders.
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    owner = relationship("User")
    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Contact.name"
    )
    tags: Mapped[list[Tag]] = relationship(secondary=customer_tags, order_by=Tag.name)

    __mapper_args__ = {"version_id_col": version}

    def refresh_search_text(self):
        """Recompute the folded search column from the fields people search by."""
        phones = " ".join(p[3:] for p in (self.phone, self.phone_alt) if p and p.startswith("+84"))
        parts = [self.name, self.tax_code, self.email, phones, self.district, self.province]
        self.search_text = fold(" ".join(p for p in parts if p))

    @property
    def full_address(self):
        return ", ".join(p for p in (self.address, self.ward, self.district, self.province) if p)


class Contact(TimestampMixin, db.Model):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    is_primary: Mapped[bool] = mapped_column(default=False)
    birthday: Mapped[date | None] = mapped_column()
    birthday_md: Mapped[int | None] = mapped_column(index=True)  # kept from birthday: month * 100 + day

    customer: Mapped[Customer] = relationship(back_populates="contacts")


def birthday_month_day(birthday):
    """month * 100 + day of a date (1122 for 22/11), None for None: what birthday_md stores."""
    return birthday.month * 100 + birthday.day if birthday else None


@event.listens_for(Customer, "before_insert")
@event.listens_for(Customer, "before_update")
def _keep_search_text(_mapper, _connection, customer):
    customer.refresh_search_text()
    customer.birthday_md = birthday_month_day(customer.birthday)


@event.listens_for(Contact, "before_insert")
@event.listens_for(Contact, "before_update")
def _keep_contact_birthday(_mapper, _connection, contact):
    contact.birthday_md = birthday_month_day(contact.birthday)


# Search indexes the models do not describe (created by migration 0005, kept out of autogenerate):
# SQLite: an FTS5 trigram table over customers.search_text kept in step by triggers;
# PostgreSQL: a pg_trgm GIN index on customers.search_text.
SEARCH_INDEX_OBJECTS = ("customers_fts", "ix_customers_search_trgm")


class CustomerMerge(db.Model):
    """A merge of one customer into another: what the removed record held and what moved, for review."""

    __tablename__ = "customer_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    merged_customer_id: Mapped[int] = mapped_column()  # id of the removed customer (the row is gone)
    merged_name: Mapped[str] = mapped_column(String(200))
    snapshot: Mapped[dict] = mapped_column(JSON)  # the removed customer's fields and contacts
    moved: Mapped[dict] = mapped_column(JSON)  # {"contacts": [ids], "deals": [ids], "activities": [ids], ...}
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    survivor = relationship(Customer)
    actor = relationship("User")




class CustomerImport(ImportJobMixin, db.Model):
    """One customer CSV import: the uploaded file until it is imported, the column mapping, and the per-row report."""

    __tablename__ = "customer_imports"
    __table_args__ = (
        CheckConstraint(IMPORT_STATUSES, name="status"),
        Index("ix_customer_imports_creator_created", "created_by_id", "created_at"),
    )

    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))  # owner of the new customers
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # legacy: the file is now stored in IMPORT_UPLOAD_FOLDER
    mapping: Mapped[dict | None] = mapped_column(JSON)

    owner = relationship("User", foreign_keys=[owner_id])
