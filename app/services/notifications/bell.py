"""The bell: a user's notifications, newest first, the unread count, marking read, and notify() for new code."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update

from app.extensions import db
from app.formatting import in_locale
from app.models import Notification
from app.models.base import utcnow
from app.text import db_int

PAGE_SIZE = 20
BADGE_CAP = 99  # the bell shows "99+" beyond this


def notify(user, kind, text, url=None, now=None):
    """Add a notification for user to the session (the caller commits it with the change it reports).

    text is a string, or a callable returning one, called in the user's language; url is a path of this site.
    """
    if url is not None and (not url.startswith("/") or url.startswith("//")):
        raise ValueError(f"a notification links to a path of this site, not {url!r}")
    if callable(text):
        with in_locale(user.locale):
            text = str(text())
    notification = Notification(user_id=user.id, kind=kind, text=text[:500], url=url, created_at=now or utcnow())
    db.session.add(notification)
    return notification


def unread_count(user):
    """How many of user's notifications are unread: one COUNT on the (user_id, read_at) index."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None)))


def badge_text(count):
    """The bell's badge: "" at 0 (hidden), the number, or "99+"."""
    if not count:
        return ""
    return f"{BADGE_CAP}+" if count > BADGE_CAP else str(count)


@dataclass(frozen=True)
class Page:
    items: list
    has_more: bool

    @property
    def next_cursor(self):
        return cursor_of(self.items[-1]) if self.has_more and self.items else None


def cursor_of(notification):
    """ "<iso time>_<id>" of the last notification shown: the next page starts after it."""
    return f"{notification.created_at.isoformat()}_{notification.id}"


def parse_cursor(text):
    """(time, id) from a cursor, or None when absent or malformed (then the first page is shown)."""
    stamp, _sep, key = (text or "").rpartition("_")
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if when.tzinfo is None or db_int(key) is None:
        return None
    return when, db_int(key)


def page_for(user, after=None, limit=PAGE_SIZE):
    """A page of user's notifications, newest first, after the cursor (time, id) of the last one shown."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if after is not None:
        when, last_id = after
        stmt = stmt.where(or_(Notification.created_at < when,
                              and_(Notification.created_at == when, Notification.id < last_id)))
    rows = db.session.scalars(
        stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit + 1)).all()
    return Page(rows[:limit], len(rows) > limit)


def mark_read(user, notification_id, now=None):
    """Mark one of user's notifications read and return it; None when it is not theirs (or does not exist)."""
    notification = db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id))
    if notification is None:
        return None
    if notification.read_at is None:
        notification.read_at = now or utcnow()
        db.session.commit()
    return notification


def mark_all_read(user, now=None):
    """Mark every unread notification of user read; returns how many were unread."""
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow()), execution_options={"synchronize_session": False})
    db.session.commit()
    return result.rowcount
