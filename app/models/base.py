"""Column types and mixins shared by the models."""
from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, types
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship


def utcnow():
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(types.TypeDecorator):
    """Stores naive UTC on every database and always returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one (utcnow())")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


IMPORT_STATUSES = "status IN ('uploaded', 'queued', 'running', 'imported', 'failed')"


class ImportJobMixin:
    """The columns of a CSV import that runs as a job (customers, products): the uploaded file until it has run,
    its reading, the job's state and progress, the counts and the per-row report."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    encoding: Mapped[str] = mapped_column(String(20))  # how the file is read (utf-8-replace: bad bytes shown as �)
    # A file mostly in UTF-8 with some lines that are not: {"lines": [first few], "count": n, "chosen": bool}.
    encoding_question: Mapped[dict | None] = mapped_column(JSON)
    stored_name: Mapped[str | None] = mapped_column(String(80))  # the file in IMPORT_UPLOAD_FOLDER, removed once run
    status: Mapped[str] = mapped_column(String(10), default="uploaded")  # uploaded → queued → running → imported|failed
    total_rows: Mapped[int] = mapped_column(default=0)
    imported_count: Mapped[int] = mapped_column(default=0)  # new records
    skipped_count: Mapped[int] = mapped_column(default=0)  # duplicates (customers), unchanged rows (products)
    error_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)  # rows that updated an existing record (products)
    rows_done: Mapped[int] = mapped_column(default=0)  # progress of the job: rows of the file dealt with so far
    report: Mapped[str | None] = mapped_column(Text)  # CSV, one line per row
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last committed batch: a stale one means a dead worker
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @declared_attr
    def created_by(cls):
        return relationship("User", foreign_keys=f"{cls.__name__}.created_by_id")

    @property
    def needs_encoding_choice(self):
        """True while the file has lines that are not UTF-8 and the user has not chosen how to read it."""
        return bool(self.encoding_question) and not self.encoding_question.get("chosen")
