"""Flask-Limiter storage in the app's database ("database://"), for deployments without Redis.

Flask-Limiter's "memory://" counts per worker process: with 2 gunicorn workers, 20 wrong passwords
passed before the first 429. This storage keeps each fixed window as one row of rate_limit_counters,
incremented by one atomic INSERT … ON CONFLICT DO UPDATE … RETURNING (SQLite ≥ 3.35 and PostgreSQL),
on a connection of its own so a counted failure is committed whatever the request's session does.
Expired windows are pruned whenever a new window starts.
"""
import time

from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models.rate_limits import RateLimitCounter

counters = RateLimitCounter.__table__


class DatabaseStorage(Storage):
    """limits' fixed-window storage API (incr, get, get_expiry, clear, reset, check) over rate_limit_counters."""

    STORAGE_SCHEME = ["database"]

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key, expiry, amount=1):
        now = time.time()
        insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(counters)
        insert = insert.values(key=key, count=amount, expires_at=now + expiry)
        expired = counters.c.expires_at <= now  # SET sees the row as it was: a window that is over starts again
        upsert = insert.on_conflict_do_update(index_elements=[counters.c.key], set_={
            "count": case((expired, insert.excluded.count), else_=counters.c.count + insert.excluded.count),
            "expires_at": case((expired, insert.excluded.expires_at), else_=counters.c.expires_at),
        }).returning(counters.c.count)
        with db.engine.begin() as conn:
            count = conn.execute(upsert).scalar_one()
            if count == amount:  # a new window: drop the windows that are over
                conn.execute(delete(counters).where(counters.c.expires_at <= now))
        return count

    def _row(self, key):
        with db.engine.connect() as conn:
            return conn.execute(select(counters.c.count, counters.c.expires_at).where(counters.c.key == key)).first()

    def get(self, key):
        row = self._row(key)
        return row.count if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key):
        row = self._row(key)
        return row.expires_at if row is not None and row.expires_at > time.time() else time.time()

    def clear(self, key):
        with db.engine.begin() as conn:
            conn.execute(delete(counters).where(counters.c.key == key))

    def reset(self):
        with db.engine.begin() as conn:
            return conn.execute(delete(counters)).rowcount

    def check(self):
        try:
            with db.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False
