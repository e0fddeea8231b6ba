"""The team's day for a manager: per-rep counts, today's visits with their check-in distance, one rep's overdue work.

Counts come from GROUP BY owner_id queries over the (owner_id, done_at, due_at) index: a fixed number of
queries whatever the number of reps.
"""
from dataclasses import dataclass, field

from sqlalchemy import and_, case, false, func, select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.formatting import local_today, user_zone
from app.models import Activity, Team, User
from app.services.agenda.today import local_day_bounds
from app.services.activities.visits import is_far, visit_minutes

VISITS_LIMIT = 50
OVERDUE_LIMIT = 20


@dataclass
class RepDay:
    rep: User
    overdue: int = 0
    due_today: int = 0
    done_today: int = 0
    visits: int = 0


@dataclass
class TeamVisit:
    visit: Activity
    minutes: int | None  # None while the rep is still there
    far: bool


@dataclass
class TeamDay:
    rows: list
    visits: list
    overdue: list = field(default_factory=list)  # the chosen rep's overdue items, oldest first, bounded
    overdue_total: int = 0


def teams_for(user):
    """Teams an admin may filter by (a manager watches their own team only)."""
    if user.role != "admin":
        return []
    return db.session.scalars(select(Team).order_by(Team.name)).all()


def team_reps(user, team_id=None):
    """Active reps user may watch, by name: a manager's team; every rep (or one team's) for an admin."""
    stmt = select(User).where(User.active.is_(True), User.role == "rep").order_by(User.name, User.id)
    if user.role == "admin":
        return db.session.scalars(stmt.where(User.team_id == team_id) if team_id else stmt).all()
    if user.role == "manager" and user.team_id is not None:
        return db.session.scalars(stmt.where(User.team_id == user.team_id)).all()
    return db.session.scalars(stmt.where(false())).all()


def team_day(reps, chosen=None, max_distance_m=500, zone=None):
    """Today (in zone) for reps: one RepDay each, today's visits newest first, and the chosen rep's overdue items."""
    zone = zone or user_zone()
    start, end = local_day_bounds(local_today(zone), zone)
    rows = {rep.id: RepDay(rep) for rep in reps}
    if not rows:
        return TeamDay([], [])
    ids = sorted(rows)
    for owner_id, overdue, due_today in db.session.execute(_open_counts(ids, start, end)):
        rows[owner_id].overdue, rows[owner_id].due_today = int(overdue or 0), int(due_today or 0)
    for owner_id, done, visits in db.session.execute(_done_counts(ids, start, end)):
        rows[owner_id].done_today, rows[owner_id].visits = int(done or 0), int(visits or 0)
    visits = [TeamVisit(v, visit_minutes(v), is_far(v, max_distance_m)) for v in _visits(ids, start, end)]
    day = TeamDay(list(rows.values()), visits)
    if chosen is not None:
        day.overdue, day.overdue_total = _overdue_of(chosen, start)
    return day


def _open_counts(ids, start, end):
    """Open activities due before tomorrow, per owner: (owner_id, overdue, due today)."""
    return (select(Activity.owner_id, func.sum(case((Activity.due_at < start, 1), else_=0)),
                   func.sum(case((Activity.due_at >= start, 1), else_=0)))
            .where(Activity.owner_id.in_(ids), Activity.done_at.is_(None), Activity.due_at < end)
            .group_by(Activity.owner_id))


def _visited_today(start, end):
    # Visits done today: checked in (a check-in marks the visit done at that moment, services.visits.check_in)
    # or marked done from the agenda without a check-in, which the manager must see too. The done_at range
    # lets the owner index find them without reading every visit the rep ever made.
    return and_(Activity.done_at >= start, Activity.done_at < end, Activity.kind == "visit")


def _done_counts(ids, start, end):
    """Activities done today, per owner: (owner_id, done, visits done today, checked in or not)."""
    return (select(Activity.owner_id, func.count(Activity.id),
                   func.sum(case((_visited_today(start, end), 1), else_=0)))
            .where(Activity.owner_id.in_(ids), Activity.done_at >= start, Activity.done_at < end)
            .group_by(Activity.owner_id))


def _visits(ids, start, end):
    stmt = (select(Activity).where(Activity.owner_id.in_(ids), _visited_today(start, end))
            .options(joinedload(Activity.owner), joinedload(Activity.customer))
            .order_by(func.coalesce(Activity.checked_in_at, Activity.done_at).desc(), Activity.id.desc())
            .limit(VISITS_LIMIT))
    return db.session.scalars(stmt).all()


def _overdue_of(rep, start):
    """(first OVERDUE_LIMIT overdue open items of rep, oldest first; their true total)."""
    when = (Activity.owner_id == rep.id, Activity.done_at.is_(None), Activity.due_at < start)
    items = db.session.scalars(select(Activity).where(*when).options(selectinload(Activity.customer))
                               .order_by(Activity.due_at, Activity.id).limit(OVERDUE_LIMIT)).all()
    total = len(items) if len(items) < OVERDUE_LIMIT else db.session.scalar(select(func.count(Activity.id)).where(*when))
    return items, total
