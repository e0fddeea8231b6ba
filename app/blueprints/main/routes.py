"""Today's agenda and the health check."""
from flask import Blueprint, jsonify
from flask_login import current_user
from sqlalchemy import text

from app.access import public, signed_in
from app.extensions import db
from app.htmx import render_page_or_block
from app.services.agenda import due_today_for
from app.services.quotes import awaiting_count

bp = Blueprint("main", __name__)


@bp.route("/")
@signed_in
def today():
    return render_page_or_block("main/today.html", agenda=due_today_for(current_user),
                                approvals_waiting=awaiting_count(current_user))


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except Exception:  # any database failure means unhealthy; the error is logged by SQLAlchemy
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
