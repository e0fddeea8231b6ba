"""Products of the price list."""
from sqlalchemy import BigInteger, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import TimestampMixin

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

    @property
    def vat_exempt(self):
        return self.vat_rate is None
