"""The one place that decides which owned records a user may see.

rep: own records · manager: records owned by anyone in their team · admin: all.
"""
from flask import abort, g, has_request_context
from sqlalchemy import select, true

from app.extensions import db
from app.models import User


def team_member_ids(manager):
    """Ids of the manager and everyone in their team, read once per request.

    A literal id list (not a subquery) lets SQLite and PostgreSQL seek the
    owner indexes once per member instead of scanning them.
    """
    cache = g.setdefault("_team_member_ids", {}) if has_request_context() else {}
    if manager.id not in cache:
        members = db.session.scalars(select(User.id).where(User.team_id == manager.team_id)).all()
        cache[manager.id] = sorted(set(members) | {manager.id})
    return cache[manager.id]


def visible_owner_condition(model, user):
    """A SQL condition limiting model (with owner_id) to what user may see."""
    if user.role == "admin":
        return true()
    if user.role == "manager" and user.team_id is not None:
        return model.owner_id.in_(team_member_ids(user))
    return model.owner_id == user.id


def visible_to(model, user):
    """select(model) already limited to the records user may see."""
    return select(model).where(visible_owner_condition(model, user))


def get_visible_or_404(model, record_id, user, *options):
    """The record with this id if user may see it (loader options apply); raises 404 otherwise, exactly as for a missing id."""
    record = db.session.scalar(visible_to(model, user).where(model.id == record_id).options(*options))
    if record is None:
        abort(404)
    return record


def users_visible_to(user):
    """select(User) of the people whose records user may see (owner filters, assignment lists)."""
    stmt = select(User).where(User.active.is_(True)).order_by(User.name)
    if user.role == "admin":
        return stmt
    if user.role == "manager" and user.team_id is not None:
        return stmt.where((User.team_id == user.team_id) | (User.id == user.id))
    return stmt.where(User.id == user.id)
