"""Pipeline stage settings an admin may change: names, order, probability, stale limit."""
from flask import g, has_request_context
from sqlalchemy import select

from app.extensions import db
from app.models import Stage
from app.models.audit import record


def stages():
    """The stages in board order, read once per request (a board page and its menus ask several times)."""
    if not has_request_context():
        return db.session.scalars(select(Stage).order_by(Stage.position)).all()
    if "_stages" not in g:
        g._stages = db.session.scalars(select(Stage).order_by(Stage.position)).all()
    return g._stages


def _snapshot(stage):
    return {"name_vi": stage.name_vi, "name_en": stage.name_en, "position": stage.position,
            "probability": stage.probability, "stale_after_days": stage.stale_after_days}


def update_stage(stage, actor, changes):
    """Apply an admin's changes to a stage and record them."""
    before = _snapshot(stage)
    for field in ("name_vi", "name_en", "probability", "stale_after_days"):
        setattr(stage, field, changes[field])
    record("stage.updated", stage, actor=actor, before=before, after=_snapshot(stage))
    db.session.commit()


def move_stage(stage, actor, step):
    """Swap a stage with its neighbour (step -1: earlier, +1: later); nothing happens at either end."""
    ordered = list(db.session.scalars(select(Stage).order_by(Stage.position)))
    index = ordered.index(stage)
    other_index = index + step
    if not 0 <= other_index < len(ordered):
        return
    other = ordered[other_index]
    stage.position, other.position = other.position, stage.position
    record("stage.moved", stage, actor=actor, after={"position": stage.position})
    db.session.commit()
