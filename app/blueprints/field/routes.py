"""Nearby customers due for contact, and the manager's team agenda."""
from flask import Blueprint, abort, current_app, request, url_for
from flask_login import current_user

from app.forms import page_arg
from app.text import db_int
from app.access import roles, signed_in
from app.extensions import db
from app.htmx import render_page_or_block
from app.models import Team
from app.services.agenda.nearby import InvalidPosition, due_by_address, nearby_due, parse_position
from app.services.common.settings import contact_due_days
from app.services.agenda.team_day import team_day, team_reps, teams_for
from app.services.activities.visits import NO_LOCATION_REASONS

bp = Blueprint("field", __name__)


@bp.route("/nearby")
@signed_in
def nearby():
    try:
        position = parse_position(request.args.get("lat"), request.args.get("lng"))
    except InvalidPosition:
        return _by_address("invalid"), 400
    if position is None:
        reason = request.args.get("reason")
        return _by_address(reason if reason in NO_LOCATION_REASONS else "none")
    result = nearby_due(current_user, *position)
    return render_page_or_block("field/nearby.html", block="results", nearby=result, customers=result.customers,
                                due_days=contact_due_days(), reason=None,
                                self_url=url_for("field.nearby", lat=position[0], lng=position[1]))


def _by_address(reason):
    """The due customers by address, saying why there is no distance (reason: none, invalid or the phone's)."""
    page = page_arg()
    customers, has_more = due_by_address(current_user, page=page)
    args = {"reason": reason} if reason in NO_LOCATION_REASONS else {}  # never the invalid coordinates again
    return render_page_or_block("field/nearby.html", block="rows" if page > 1 else "results", nearby=None,
                                customers=customers, has_more=has_more, page=page, reason=reason,
                                due_days=contact_due_days(), self_url=url_for("field.nearby", **args),
                                more_url=url_for("field.nearby", page=page + 1, **args))


@bp.route("/team")
@roles("manager", "admin")
def team():
    team_id = _chosen_id("team") if current_user.role == "admin" else None
    if team_id is not None and db.session.get(Team, team_id) is None:
        abort(404)
    reps = team_reps(current_user, team_id)
    rep = _chosen_rep(reps)
    day = team_day([rep] if rep else reps, chosen=rep, max_distance_m=current_app.config["CHECKIN_MAX_DISTANCE_M"])
    return render_page_or_block("field/team.html", block="agenda", day=day, reps=reps, rep=rep,
                                teams=teams_for(current_user), team_id=team_id,
                                max_distance_m=current_app.config["CHECKIN_MAX_DISTANCE_M"])


def _chosen_id(name):
    """An id from ?name=; None when absent or empty; 404 when it is no id at all (never the default list)."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    value = db_int(raw)
    if value is None or value < 0:
        abort(404)
    return value


def _chosen_rep(reps):
    """The rep of ?rep=, who must be one of the reps the user watches: anyone else answers 404."""
    rep_id = _chosen_id("rep")
    if rep_id is None:
        return None
    rep = next((rep for rep in reps if rep.id == rep_id), None)
    if rep is None:
        abort(404)
    return rep
