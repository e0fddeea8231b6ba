"""The private calendar feed: a revocable secret link to an .ics of the user's scheduled calls, visits and tasks.

The link carries a random token (secrets.token_urlsafe(32): 256 bits); only its SHA-256 is stored, in
users.calendar_token_hash, so the link is shown once. A new token replaces the old one (the old link stops
working at once); revoking clears it. The feed is built with the icalendar library, one query, UTC times.
"""
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext
from icalendar import Calendar, Event, vDuration
from sqlalchemy import and_, select
from sqlalchemy.orm import contains_eager

from app.extensions import db
from app.formatting import in_locale, zone_named
from app.labels import ACTIVITY_KIND_LABELS
from app.models import Activity, Customer, User
from app.models.base import utcnow
from app.models.users import hash_token
from app.services.common.scope import visible_owner_condition
from app.text import format_phone

# How long each kind of activity blocks in the calendar: the model stores only when it is due.
DURATIONS = {"call": timedelta(minutes=15), "visit": timedelta(minutes=60), "meeting": timedelta(minutes=60),
             "task": timedelta(minutes=30)}
WINDOW_BEFORE, WINDOW_AFTER = timedelta(days=30), timedelta(days=90)
MAX_EVENTS = 500
REFRESH = timedelta(hours=1)


def issue_token(user):
    """A new feed token for user (committed); any earlier link stops working. Returns the clear token, shown once."""
    token = secrets.token_urlsafe(32)
    user.calendar_token_hash = hash_token(token)
    db.session.commit()
    return token


def revoke(user):
    """Turn the feed off: the link stops working. False when there was none."""
    if user.calendar_token_hash is None:
        return False
    user.calendar_token_hash = None
    db.session.commit()
    return True


def has_feed(user):
    return user.calendar_token_hash is not None


def user_for_token(token):
    """The active user whose feed this clear token opens, or None (unknown, revoked, malformed, deactivated)."""
    if not token or len(token) > 128:
        return None
    user = db.session.scalar(select(User).where(User.calendar_token_hash == hash_token(token)))
    return user if user is not None and user.active else None


def _base_url():
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def _path(endpoint, **values):
    """A path of this app, also outside a request."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def feed_urls(token):
    """(https URL, webcal:// URL) of a feed token: the second opens the phone's "subscribe" dialog."""
    url = _base_url() + _path("calendar_feed.feed", token=token)
    return url, "webcal://" + url.split("://", 1)[1]


def scheduled_activities(user, now):
    """user's open calls, visits, meetings and tasks due from 30 days ago to 90 days ahead, with their customer."""
    # The customer only when user may see it (an activity left behind by a reassignment shows no customer).
    visible = and_(Customer.id == Activity.customer_id, visible_owner_condition(Customer, user))
    stmt = (select(Activity).outerjoin(Customer, visible).options(contains_eager(Activity.customer))
            .where(Activity.owner_id == user.id, Activity.done_at.is_(None), Activity.kind.in_(tuple(DURATIONS)),
                   Activity.due_at >= now - WINDOW_BEFORE, Activity.due_at <= now + WINDOW_AFTER)
            .order_by(Activity.due_at, Activity.id).limit(MAX_EVENTS))
    return db.session.scalars(stmt).all()


def feed_ics(user, now=None):
    """The feed of user's scheduled activities as iCalendar bytes (UTF-8), texts in the user's language."""
    now = now or utcnow()
    host = urlsplit(_base_url()).hostname or "fieldcrm.local"
    with in_locale(user.locale):
        calendar = Calendar.new(name=f"FieldCRM · {user.name}", prodid="-//FieldCRM//Calendar feed//EN",
                                uid=f"calendar-{user.id}@{host}")
        calendar.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
        calendar.add("X-WR-TIMEZONE", str(zone_named(user.timezone)))
        for activity in scheduled_activities(user, now):
            calendar.add_component(_event(activity, host))
    return calendar.to_ical()


def _event(activity, host):
    customer = activity.customer
    summary = f"{ACTIVITY_KIND_LABELS[activity.kind]}: {activity.subject}"
    card_url = description = None
    if customer is not None:
        summary += f" — {customer.name}"
        card_url = _base_url() + _path("customers.card", customer_id=customer.id)
        description = _description(customer, card_url)
    # DTSTAMP: when this event last changed (a feed has no METHOD), so an unchanged feed is byte for byte the same.
    event = Event.new(uid=f"activity-{activity.id}@{host}", stamp=activity.updated_at, start=activity.due_at,
                      summary=summary, location=(customer.full_address or None) if customer else None,
                      description=description, url=card_url)
    event.add("DURATION", DURATIONS[activity.kind])
    return event


def _description(customer, card_url):
    lines = []
    if customer.phone:
        lines.append(gettext("Phone: %(phone)s", phone=format_phone(customer.phone)))
    lines.append(gettext("Customer card: %(url)s", url=card_url))
    return "\n".join(lines)

