"""The pipeline board: columns per stage, filters in the URL, more cards as a column scrolls."""
from flask import Blueprint, abort, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from app.access import signed_in
from app.extensions import db
from app.formatting import url_pattern
from app.htmx import render_page_or_block
from app.models import Stage
from app.services.pipeline.board import BoardFilter, board, column_cards, lost_reasons, owner_choices, parse_cursor, stages

bp = Blueprint("pipeline", __name__)


class CardKit:
    """What every deal card of a page shares, built once per request: URL patterns and translated words.

    A board renders 20+ cards; looking these up per card (url_for, gettext, flask.g) was a third of its time.
    """

    def __init__(self):
        self.show = url_pattern("deals.show", "deal_id")
        self.move = url_pattern("deals.move", "deal_id")
        self.words = {key: str(text) for key, text in CARD_WORDS.items()}  # translated here, once
        self._days = {}
        self._options = {}

    def days(self, count):
        """ "3 days in stage", translated once per distinct count."""
        if count not in self._days:
            self._days[count] = ngettext("%(num)d day in stage", "%(num)d days in stage", count)
        return self._days[count]

    def options(self, deal):
        if deal.version not in self._options:
            self._options[deal.version] = url_pattern("deals.move_options", "deal_id", version=deal.version)
        return self._options[deal.version].format(deal.id)


CARD_WORDS = {"next": _l("Next"), "overdue": _l("Overdue"), "no_next_step": _l("No next step"),
              "stale": _l("Stale deal"), "move_to": _l("Move to…"), "open": _l("Open the deal")}


@bp.app_template_global()
def card_kit():
    """Template helper: the request's CardKit."""
    if "_card_kit" not in g:
        g._card_kit = CardKit()
    return g._card_kit


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
