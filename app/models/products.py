"""Products of the price list."""
from sqlalchemy import BigInteger, CheckConstraint, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import TimestampMixin
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
