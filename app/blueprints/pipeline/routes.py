"""The pipeline board: columns per stage, filters in the URL, more cards as a column scrolls."""
from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from app.access import signed_in
from app.extensions import db
from app.htmx import render_page_or_block
from app.models import Stage
from app.services.pipeline import BoardFilter, board, column_cards, lost_reasons, owner_choices, parse_cursor, stages

bp = Blueprint("pipeline", __name__)


@bp.route("/pipeline", endpoint="board")
@signed_in
def board_page():
    board_filter = BoardFilter.from_args(request.args, current_user)
    return render_page_or_block(
        "pipeline/board.html", block="board", columns=board(current_user, board_filter), board_filter=board_filter,
        owner_choices=owner_choices(current_user), stages=stages(), lost_reasons=lost_reasons(),
    )


@bp.route("/pipeline/stages/<int:stage_id>/cards")
@signed_in
def more_cards(stage_id):
    stage = db.session.get(Stage, stage_id) or abort(404)
    board_filter = BoardFilter.from_args(request.args, current_user)
    cards, has_more = column_cards(current_user, stage, board_filter, after=parse_cursor(request.args.get("after")))
    return render_template(
        "pipeline/_cards_page.html", stage=stage, cards=cards, has_more=has_more,
        board_filter=board_filter, stages=stages(), lost_reasons=lost_reasons(),
    )
