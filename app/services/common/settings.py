"""Small admin settings stored in the database (the `settings` table), with their defaults."""
from flask import current_app

from app.extensions import db
from app.models import Setting
from app.models.base import utcnow

AGENDA_KEY = "agenda"


def stored(key):
    """The stored JSON value of a setting (a dict), or {} when an admin never changed it."""
    setting = db.session.get(Setting, key)
    return setting.value if setting is not None and isinstance(setting.value, dict) else {}


def contact_due_days():
    """Days without a call, visit or meeting after which a customer is due for contact (admin setting, else config)."""
    value = stored(AGENDA_KEY).get("contact_due_days")
    return int(value) if isinstance(value, int) and value > 0 else current_app.config["CONTACT_DUE_DAYS"]


def save(key, value, user):
    """Store a setting's JSON value (a new dict, so the change is seen), changed by user; the caller commits."""
    setting = db.session.get(Setting, key) or Setting(key=key)
    setting.value = dict(value)
    setting.updated_at = utcnow()
    setting.updated_by_id = user.id if user is not None else None
    db.session.add(setting)
    return setting


def save_contact_due_days(days, user):
    """Store the agenda's "due for contact" days (1–365), keeping the agenda's other settings; the caller commits."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise ValueError(f"contact_due_days must be 1–365, not {days!r}")
    return save(AGENDA_KEY, {**stored(AGENDA_KEY), "contact_due_days": days}, user)
