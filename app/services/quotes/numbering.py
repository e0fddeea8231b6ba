"""Gapless yearly document numbers: BG-2026-00012 (quotes), HD-2026-00003 (contracts).

The counter is a NumberSequence row per (kind, year), incremented in the caller's transaction with
one UPDATE … RETURNING. The row stays locked until that transaction ends, so concurrent creators
queue (PostgreSQL row lock; SQLite's single writer); a rolled-back transaction gives its number
back, so numbers have neither gaps nor repeats. Call it as late as possible before the commit.
"""
from datetime import date

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models.quotes import NumberSequence

KINDS = ("BG", "HD")  # báo giá, hợp đồng


def _increment(kind, year):
    """The sequence's next value, or None when the (kind, year) row does not exist yet."""
    statement = (
        update(NumberSequence)
        .where(NumberSequence.kind == kind, NumberSequence.year == year)
        .values(last_value=NumberSequence.last_value + 1)
        .returning(NumberSequence.last_value)
    )
    return db.session.execute(statement, execution_options={"synchronize_session": False}).scalar_one_or_none()


def next_number(kind: str, day: date) -> str:
    """The next number of this kind for day's year, e.g. "BG-2026-00012", taken in the current transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    value = _increment(kind, day.year)
    if value is None:
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        # Two first-of-the-year creators may both get here: one insert wins, both then increment.
        db.session.execute(dialect.insert(NumberSequence).values(kind=kind, year=day.year, last_value=0)
                           .on_conflict_do_nothing())
        value = _increment(kind, day.year)
    return f"{kind}-{day.year}-{value:05d}"
