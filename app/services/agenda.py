"""What a user has to do: overdue and today's open activities."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.formatting import local_today, user_zone
from app.models import Activity

AGENDA_LIMIT = 20  # per section: a phone screen, not a report; the totals say how many more


@dataclass
class Agenda:
    overdue: list
    due_today: list
    overdue_total: int
    due_today_total: int


def local_day_bounds(day, zone):
    """(start, end) of a calendar day in zone, as aware datetimes."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def due_today_for(user, zone=None):
    """The user's open activities that are overdue or due today, each list bounded, with true totals."""
    zone = zone or user_zone()
    start, end = local_day_bounds(local_today(zone), zone)
    open_mine = (Activity.owner_id == user.id, Activity.done_at.is_(None), Activity.due_at.is_not(None))
    overdue_when, today_when = Activity.due_at < start, (Activity.due_at >= start) & (Activity.due_at < end)

    def items(when):
        stmt = select(Activity).where(*open_mine, when).options(selectinload(Activity.customer))
        return db.session.scalars(stmt.order_by(Activity.due_at).limit(AGENDA_LIMIT)).all()

    def total(when):
        return db.session.scalar(select(func.count(Activity.id)).where(*open_mine, when))

    return Agenda(items(overdue_when), items(today_when), total(overdue_when), total(today_when))
