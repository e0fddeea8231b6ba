"""Products of the price list."""
from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import IMPORT_STATUSES, ImportJobMixin, TimestampMixin
from app.text import fold

# Vietnamese VAT rates in percent; None means "không chịu thuế" (not subject to VAT).
VAT_RATES = (0, 5, 8, 10)


class Product(TimestampMixin, db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_vnd >= 0", name="price_not_negative"),
        CheckConstraint("vat_rate IS NULL OR vat_rate IN (0, 5, 8, 10)", name="vat_rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(30))
    price_vnd: Mapped[int] = mapped_column(BigInteger)
    vat_rate: Mapped[int | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True, index=True)
    # Folded SKU and name: the quote builder's product search ignores diacritics in SQL.
    search_text: Mapped[str] = mapped_column(Text, default="")

    @property
    def vat_exempt(self):
        return self.vat_rate is None


@event.listens_for(Product, "before_insert")
@event.listens_for(Product, "before_update")
def _keep_search_text(_mapper, _connection, product):
    product.search_text = fold(f"{product.sku or ''} {product.name or ''}")


class ProductImport(ImportJobMixin, db.Model):
    """One price-list CSV import run as a job: imported_count is the products created, updated_count the ones
    changed, skipped_count the rows that changed nothing."""

    __tablename__ = "product_imports"
    __table_args__ = (
        CheckConstraint(IMPORT_STATUSES, name="status"),
        Index("ix_product_imports_creator_created", "created_by_id", "created_at"),
    )

    columns: Mapped[dict | None] = mapped_column(JSON)  # {field: header text} of the columns recognised
    # The upload form's one-time key: the same form posted twice makes one import.
    upload_key: Mapped[str | None] = mapped_column(String(40), unique=True)
