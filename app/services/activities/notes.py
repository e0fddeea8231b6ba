"""Quick call notes: a done call with its outcome, the customer's last contact, and the next step.

A note is saved under a key the browser made when the sheet opened (`client_key`): a double tap or a
retried request finds the note already stored and answers with it instead of storing a second one.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask_babel import force_locale, gettext
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.labels import OUTCOME_LABELS
from app.models import Activity, Customer
from app.models.base import utcnow
from app.services.common.sessions import commit_keeping_loaded

NEXT_STEP_CHOICES = ("in_2_days", "tomorrow", "next_week", "date", "none")
NEXT_STEP_DAYS = {"tomorrow": 1, "in_2_days": 2, "next_week": 7}
NEXT_STEP_HOUR = 9  # a next step without a time is due at 09:00, like a deal's next step
NEXT_KEY_SUFFIX = ":next"
# A call nobody answered is an attempt, not contact: it does not reset "due for contact".
CONTACT_OUTCOMES = frozenset(("reached", "busy", "call_back", "not_interested"))


@dataclass
class LoggedCall:
    note: Activity
    next_step: Activity | None
    created: bool  # False: this key was already stored (double tap, retry) and nothing new was written


def next_step_day(choice, today, chosen_day=None):
    """The day of the next step for a choice of NEXT_STEP_CHOICES (None for "none")."""
    if choice == "none":
        return None
    if choice == "date":
        return chosen_day
    return today + timedelta(days=NEXT_STEP_DAYS[choice])


def next_step_due(day, at, zone, now=None):
    """When a next step on day (at a time, or 09:00) is due, as an aware datetime in zone.

    Today with no time and 09:00 already gone: the next full hour, so it is not overdue at once.
    """
    if day is None:
        return None
    due = datetime.combine(day, at or time(NEXT_STEP_HOUR), tzinfo=zone)
    now = (now or utcnow()).astimezone(zone)
    if at is None and due < now:
        due = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return due


def stored_by_key(owner, client_key):
    """The owner's activity saved under client_key, or None."""
    return db.session.scalar(select(Activity).where(Activity.owner_id == owner.id, Activity.client_key == client_key))


def touch_last_contact(customer, when):
    """Move the customer's last contact forward to when (never back).

    A plain UPDATE: contact is not an edit of the customer, so its version (optimistic locking of the
    edit form) and updated_at stay as they are.
    """
    if customer.last_contact_at is None or customer.last_contact_at < when:  # what the rest of the request sees
        set_committed_value(customer, "last_contact_at", when)
    db.session.execute(
        update(Customer)
        .where(Customer.id == customer.id, or_(Customer.last_contact_at.is_(None), Customer.last_contact_at < when))
        .values(last_contact_at=when, updated_at=Customer.updated_at)
        .execution_options(synchronize_session=False)
    )


def log_call(owner, customer, outcome, body, client_key, next_due=None, deal=None, agenda_item=None, now=None):
    """Store a done call (and its next step) for owner under client_key; returns a LoggedCall.

    The open agenda item this note answers (agenda_item: a call, a visit, a task) is marked done with it.
    The same client_key again returns what was stored the first time, even when two requests race.
    """
    existing = _logged(owner, client_key)
    if existing is not None:
        return existing
    now = now or utcnow()
    with force_locale(owner.locale):
        subject = str(OUTCOME_LABELS[outcome])
        next_subject = gettext("Follow-up call")
    note = Activity(kind="call", subject=subject[:200], body=body or None, outcome=outcome, owner_id=owner.id,
                    customer_id=customer.id, deal_id=deal.id if deal else None, due_at=now, done_at=now,
                    client_key=client_key)
    next_step = None
    if next_due is not None:
        next_step = Activity(kind="call", subject=next_subject, owner_id=owner.id, customer_id=customer.id,
                             deal_id=deal.id if deal else None, due_at=next_due,
                             client_key=client_key + NEXT_KEY_SUFFIX)
    if agenda_item is not None and agenda_item.done_at is None:  # "Done" on the agenda: a call, visit or task
        agenda_item.done_at = now
    try:
        db.session.add_all([a for a in (note, next_step) if a is not None])
        db.session.flush()  # the unique key is checked here
        if outcome in CONTACT_OUTCOMES:
            touch_last_contact(customer, now)
        commit_keeping_loaded()
    except IntegrityError:  # the same key won a race a moment ago: answer with what it stored
        db.session.rollback()
        existing = _logged(owner, client_key)
        if existing is None:
            raise
        return existing
    return LoggedCall(note, next_step, created=True)


def _logged(owner, client_key):
    note = stored_by_key(owner, client_key)
    if note is None:
        return None
    return LoggedCall(note, stored_by_key(owner, client_key + NEXT_KEY_SUFFIX), created=False)
