"""The pipeline tab (the kanban arrives with issue #4)."""
from flask import Blueprint
from flask_login import current_user

from app.access import signed_in
from app.htmx import render_page_or_block
from app.services.pipeline import stage_totals

bp = Blueprint("pipeline", __name__)


@bp.route("/pipeline")
@signed_in
def board():
    return render_page_or_block("pipeline/board.html", stages=stage_totals(current_user))
