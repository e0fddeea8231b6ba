"""Small admin settings stored in the database (the `settings` table), with their defaults."""
from flask import current_app

from app.extensions import db
from app.models import Setting

AGENDA_KEY = "agenda"


def stored(key):
    """The stored JSON value of a setting (a dict), or {} when an admin never changed it."""
    setting = db.session.get(Setting, key)
    return setting.value if setting is not None and isinstance(setting.value, dict) else {}


def contact_due_days():
    """Days without a call, visit or meeting after which a customer is due for contact (admin setting, else config)."""
    value = stored(AGENDA_KEY).get("contact_due_days")
    return int(value) if isinstance(value, int) and value > 0 else current_app.config["CONTACT_DUE_DAYS"]
