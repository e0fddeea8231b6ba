"""Acting on the agenda in place: reschedule an open activity, or mark one without a customer done."""
from datetime import datetime, time, timedelta

from flask import abort

from app.extensions import db
from app.models import Activity
from app.services.activities.notes import NEXT_STEP_HOUR

RESCHEDULE_CHOICES = ("tomorrow", "next_week", "date")
RESCHEDULE_DAYS = {"tomorrow": 1, "next_week": 7}


class AlreadyDone(Exception):
    """The activity was completed meanwhile (another tab, another device): nothing to reschedule or complete."""


def my_open_activity_or_404(activity_id, user):
    """user's own activity; 404 for another user's or a missing one, AlreadyDone when it is done."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.owner_id != user.id:
        abort(404)
    if activity.done_at is not None:
        raise AlreadyDone()
    return activity


def rescheduled_due(activity, choice, zone, now, day=None, at=None):
    """The new due time: tomorrow / in a week / on day, at `at` or the time it had (09:00 if it had none)."""
    local_now = now.astimezone(zone)
    if choice in RESCHEDULE_DAYS:
        day = local_now.date() + timedelta(days=RESCHEDULE_DAYS[choice])
    kept = activity.due_at.astimezone(zone).time() if activity.due_at else time(NEXT_STEP_HOUR)
    return datetime.combine(day, at or kept, tzinfo=zone)


def reschedule(activity, due):
    """Move an open activity to `due` (checked to be in the future by the caller's form)."""
    activity.due_at = due
    db.session.commit()


def complete(activity, now):
    """Mark an open activity done at now."""
    activity.done_at = now
    db.session.commit()
