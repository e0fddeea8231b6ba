"""A deal's page, and moving a deal between stages (htmx)."""
from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.access import signed_in
from app.blueprints.deals.forms import DealForm, MoveForm
from app.extensions import db
from app.htmx import current_url_args, render_page_or_block, wants_fragment
from app.formatting import local_today, user_zone
from app.models import Activity, Customer, Deal, DealStageChange, Stage
from app.services.pipeline.deals import MoveRefused, StaleVersion, create_deal, has_scheduled_step, move_deal, update_deal
from app.services.pipeline.board import BoardFilter, cards_for, column_heads, lost_reasons, stages
from app.services.quotes.editing import quotes_for
from app.services.common.scope import get_visible_or_404, visible_to

bp = Blueprint("deals", __name__)


@bp.route("/deals/<int:deal_id>")
@signed_in
def show(deal_id):
    deal = get_visible_or_404(Deal, deal_id, current_user)
    history = db.session.scalars(
        select(DealStageChange).where(DealStageChange.deal_id == deal.id)
        .options(selectinload(DealStageChange.to_stage), selectinload(DealStageChange.changed_by))
        .order_by(DealStageChange.changed_at.desc()).limit(50)
    ).all()
    activities = db.session.scalars(
        visible_to(Activity, current_user).where(Activity.deal_id == deal.id).order_by(Activity.due_at.desc()).limit(50)
    ).all()
    return render_page_or_block("deals/show.html", deal=deal, card=cards_for([deal])[0], history=history,
                                activities=activities, stages=stages(), lost_reasons=lost_reasons(),
                                quotes=quotes_for(current_user, deal=deal))


@bp.route("/deals/new", methods=["GET", "POST"])
@signed_in
def new():
    customer_id = request.args.get("customer", type=int)
    customer = get_visible_or_404(Customer, customer_id, current_user) if customer_id else None
    form = DealForm(today=local_today())
    form.customer_id.choices = _customer_choices(customer)
    form.stage_id.choices = [(s.id, s.name_for(get_locale().language)) for s in stages() if s.is_open]
    if form.validate_on_submit():
        chosen = get_visible_or_404(Customer, form.customer_id.data, current_user)
        stage = next(s for s in stages() if s.id == form.stage_id.data)
        deal = create_deal(current_user, chosen, stage, form.title.data, form.value_vnd.data, form.expected_close.data,
                           next_step=(form.next_step.data, form.next_step_on.data), zone=user_zone())
        flash(_("Deal created."), "success")
        return redirect(url_for("deals.show", deal_id=deal.id), code=303)
    return render_page_or_block("deals/form.html", form=form, deal=None), (400 if form.errors else 200)


@bp.route("/deals/<int:deal_id>/edit", methods=["GET", "POST"])
@signed_in
def edit(deal_id):
    deal = get_visible_or_404(Deal, deal_id, current_user)
    needs_step = deal.stage.is_open and not has_scheduled_step(deal)
    form = DealForm(obj=deal, needs_next_step=needs_step, today=local_today())
    del form.customer_id, form.stage_id
    if request.method == "GET":
        form.version.data = deal.version
    if form.validate_on_submit():
        changes = {"title": form.title.data, "value_vnd": form.value_vnd.data, "expected_close": form.expected_close.data}
        step = (form.next_step.data, form.next_step_on.data) if form.next_step.data else None
        try:
            update_deal(deal, form.version.data, changes, next_step=step, zone=user_zone())
        except StaleVersion as stale:
            fresh = DealForm(formdata=None, obj=stale.deal, needs_next_step=needs_step)
            del fresh.customer_id, fresh.stage_id
            fresh.version.data = stale.deal.version
            notice = _("Someone changed this meanwhile — here is the latest version.")
            return render_page_or_block("deals/form.html", form=fresh, deal=stale.deal, notice=notice), 409
        flash(_("Changes saved."), "success")
        return redirect(url_for("deals.show", deal_id=deal.id), code=303)
    return render_page_or_block("deals/form.html", form=form, deal=deal, needs_step=needs_step), (400 if form.errors else 200)


def _customer_choices(customer):
    """The given customer, or the user's 50 most recently updated customers."""
    if customer is not None:
        return [(customer.id, customer.name)]
    recent = db.session.scalars(visible_to(Customer, current_user).order_by(Customer.updated_at.desc()).limit(50))
    return [(c.id, c.name) for c in recent]


@bp.route("/deals/<int:deal_id>/move-options")
@signed_in
def move_options(deal_id):
    deal = get_visible_or_404(Deal, deal_id, current_user)
    card_version = request.args.get("version", deal.version, type=int)
    return render_template("pipeline/_move_options.html", deal=deal, card_version=card_version, stages=stages(),
                           lost_reasons=lost_reasons())


@bp.route("/deals/<int:deal_id>/move", methods=["POST"])
@signed_in
def move(deal_id):
    stages()  # every stage into the session once: the lookups below then cost no query
    # The card in the answer shows the customer's name: loaded with the deal, not after.
    deal = get_visible_or_404(Deal, deal_id, current_user, joinedload(Deal.customer))
    form = MoveForm()
    from_stage = deal.stage
    to_stage = db.session.get(Stage, form.stage_id.data) if form.validate_on_submit() else None
    if to_stage is None:
        too_long = form.lost_reason.errors  # the stage was fine, the reason is over its limit
        return _card_with_error(deal, too_long[0] if too_long else _("Choose a stage from the list."), open_lost=bool(too_long))
    try:
        move_deal(deal, to_stage, current_user, form.version.data, lost_reason=form.lost_reason.data)
    except MoveRefused:
        return _card_with_error(deal, _("Say why the deal was lost."), open_lost=True)
    except StaleVersion as stale:
        notice = _("Someone changed this meanwhile — here is the latest version.")
        if not wants_fragment():
            flash(notice, "warning")
            return redirect(url_for("deals.show", deal_id=deal.id), code=303)
        return _moved(stale.deal, {from_stage, stale.deal.stage, to_stage}, status=409, notice=notice)
    if not wants_fragment():  # the tap menu also works as a plain form
        return redirect(url_for("deals.show", deal_id=deal.id), code=303)
    return _moved(deal, {from_stage, to_stage})


def _moved(deal, touched_stages, status=200, notice=None):
    """The card leaves where it was and comes back on top of its stage's column, with both headers updated."""
    board_filter = BoardFilter.from_args(current_url_args(), current_user)  # the filters the board shows
    heads = column_heads(current_user, touched_stages, board_filter)
    body = render_template("deals/_moved.html", card=cards_for([deal])[0], heads=heads, stages=stages(),
                           lost_reasons=lost_reasons(), notice=notice)
    return make_response(body, status)


def _card_with_error(deal, message, open_lost=False):
    db.session.rollback()
    deal = db.session.get(Deal, deal.id)
    if not wants_fragment():
        flash(message, "error")
        return redirect(url_for("deals.show", deal_id=deal.id), code=303)
    body = render_template("pipeline/_card.html", card=cards_for([deal])[0], stages=stages(), lost_reasons=lost_reasons(),
                           error=message, open_menu=True, open_lost=open_lost)
    return make_response(body, 422)
