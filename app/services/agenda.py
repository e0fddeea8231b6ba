"""What a user has to do: overdue and today's open activities."""
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.formatting import local_today, user_zone
from app.models import Activity

AGENDA_LIMIT = 50


def end_of_local_day(day, zone):
    """The first instant after `day` in `zone`, as an aware datetime."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def due_today_for(user, zone=None):
    """(overdue, today) open activities of user, each ordered by due time and bounded."""
    zone = zone or user_zone()
    today = local_today(zone)
    start_of_today = datetime.combine(today, time.min, tzinfo=zone)
    base = (
        select(Activity)
        .where(Activity.owner_id == user.id, Activity.done_at.is_(None), Activity.due_at.is_not(None))
        .options(selectinload(Activity.customer))
        .order_by(Activity.due_at)
        .limit(AGENDA_LIMIT)
    )
    overdue = db.session.scalars(base.where(Activity.due_at < start_of_today)).all()
    today_items = db.session.scalars(
        base.where(Activity.due_at >= start_of_today, Activity.due_at < end_of_local_day(today, zone))
    ).all()
    return overdue, today_items
