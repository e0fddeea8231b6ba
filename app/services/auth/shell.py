"""The shell's fixed reads: the signed-in user, the bell's unread count and the Today tab's count in one query.

Every page in the shell needs all three; read one after the other they were three statements (each paying
SQLAlchemy's per-statement cost) before the page's own. The statement is built once per process with bind
parameters, as the agenda's are.
"""
from datetime import datetime, time, timedelta
from functools import cache

from sqlalchemy import bindparam, case, func, null, or_, select

from app.models import Activity, Notification, User
from app.models.base import utcnow
from app.services.agenda.queries import EPOCH
from app.services.agenda.today import local_day_bounds
from app.formatting import zone_named

P = bindparam


@cache
def _statement(with_today):
    unread = (select(func.count(Notification.id))
              .where(Notification.user_id == User.id, Notification.read_at.is_(None)).scalar_subquery())
    # The Today tab's count is action_count(): overdue and today's open activities, today being the user's day.
    # The day's end is computed for the default zone; a user in another zone gets NULL here and their own query.
    due = (select(func.count(Activity.id))
           .where(Activity.owner_id == User.id, Activity.done_at.is_(None), Activity.due_at.is_not(None),
                  Activity.due_at >= P("lo"), Activity.due_at < P("hi")).scalar_subquery())
    in_zone = or_(User.timezone.is_(None), User.timezone == P("zone"))
    today = case((in_zone, due), else_=None) if with_today else null()
    return select(User, unread.label("unread"), today.label("today")).where(User.id == P("user_id"))


def user_with_counts(session, user_id, zone_name, now=None, with_today=True):
    """(user, unread notifications, today's action count or None when the user's zone is not zone_name, or when
    not with_today: Today's own page counts it with its agenda), or None."""
    zone = zone_named(zone_name)
    now = now or utcnow()
    _start, end = local_day_bounds(now.astimezone(zone).date(), zone)
    row = session.execute(_statement(with_today), {"user_id": user_id, "zone": zone_name, "lo": EPOCH, "hi": end}).first()
    return tuple(row) if row is not None else None
