"""Services stamp what they create with the real clock; the demo's story happens earlier. This puts it back."""
from contextlib import contextmanager

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Activity, Notification


def _last_id(model):
    return db.session.scalar(select(func.max(model.id))) or 0


@contextmanager
def happening_at(moment):
    """Activities and notifications a service adds inside the block are dated moment (not the real now)."""
    marks = {model: _last_id(model) for model in (Activity, Notification)}
    yield
    db.session.execute(update(Activity).where(Activity.id > marks[Activity])
                       .values(created_at=moment, updated_at=moment), execution_options={"synchronize_session": False})
    db.session.execute(update(Notification).where(Notification.id > marks[Notification]).values(created_at=moment),
                       execution_options={"synchronize_session": False})
    db.session.commit()
