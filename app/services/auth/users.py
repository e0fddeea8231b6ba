"""Creating users, changing roles and teams, deactivating: the admin's rules."""
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import Invitation, Team, User
from app.models.audit import record


class UserRuleError(ValueError):
    """A change an admin may not make (e.g. removing the last admin)."""


def _snapshot(user):
    return {
        "email": user.email, "name": user.name, "phone": user.phone, "role": user.role,
        "team_id": user.team_id, "active": user.active, "locale": user.locale,
    }


def create_user(*, email, name, role, actor=None, team=None, phone=None, locale="vi", password=None, ip=None):
    """Add a user; without a password an invitation is issued. Returns (user, invitation token or None)."""
    user = User(email=User.normalise_email(email), name=name.strip(), role=role, team=team, phone=phone, locale=locale)
    token = None
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    if not password:
        _invitation, token = Invitation.issue(user, actor, current_app.config["INVITATION_TTL_HOURS"])
    record("user.created", user, actor=actor, after=_snapshot(user), ip=ip)
    db.session.commit()
    return user, token


def reissue_invitation(user, actor, ip=None):
    """A fresh invitation link for user; earlier links stop working."""
    _invitation, token = Invitation.issue(user, actor, current_app.config["INVITATION_TTL_HOURS"])
    record("user.invited", user, actor=actor, ip=ip)
    db.session.commit()
    return token


def _active_admin_count():
    return db.session.scalar(select(func.count(User.id)).where(User.role == "admin", User.active.is_(True)))


def update_user(user, actor, changes, ip=None):
    """Apply an admin's changes (dict of field → value); refuses to leave the system without an admin."""
    before = _snapshot(user)
    losing_admin = user.role == "admin" and user.active and (
        changes.get("role", "admin") != "admin" or not changes.get("active", True)
    )
    if losing_admin and _active_admin_count() <= 1:
        raise UserRuleError("last_admin")
    for field in ("email", "name", "phone", "role", "team_id", "active", "locale"):
        if field in changes:
            setattr(user, field, changes[field])
    if not user.active and before["active"]:
        user.end_sessions()  # a deactivated user's open sessions end at once
    after = _snapshot(user)
    if after != before:
        record("user.updated", user, actor=actor, before=before, after=after, ip=ip)
    db.session.commit()
    return user


def create_team(name, actor=None):
    """Add a team and record who added it."""
    team = Team(name=name.strip())
    db.session.add(team)
    db.session.flush()
    record("team.created", team, actor=actor, after={"name": team.name})
    db.session.commit()
    return team

