"""Rate-limit counters kept in the database, so every worker process counts the same sign-in attempts."""
from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class RateLimitCounter(db.Model):
    """One fixed window of one limit (Flask-Limiter's key, e.g. failed sign-ins from an address and e-mail)."""

    __tablename__ = "rate_limit_counters"
    __table_args__ = (Index("ix_rate_limit_counters_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(600), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[float] = mapped_column(Float, nullable=False)  # Unix time the window ends, as limits uses
