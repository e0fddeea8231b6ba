"""Quick call notes (a bottom sheet over the page, or a page of its own without JavaScript) and visits."""
import uuid
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import or_

from app.access import signed_in
from app.blueprints.activities.urls import note_url
from app.blueprints.activities.forms import NOTE_MAX_CHARS, ORIGINS, CheckInForm, NoteForm
from app.blueprints.main.forms import AGENDA_VIEWS
from app.blueprints.main.routes import VIEW_ENDPOINTS, agenda_context, agenda_template
from app.blueprints.errors.routes import render_error
from app.extensions import db
from app.formatting import format_datetime, format_time, local_today, to_local, user_zone
from app.htmx import render_named_block, render_page_or_block, trigger, wants_fragment
from app.models import Activity, Customer, Deal
from app.models.base import utcnow
from app.services.agenda.today import action_count
from app.services.customers.records import TimelineEntry
from app.services.activities.notes import NEXT_STEP_DAYS, log_call, next_step_day, next_step_due
from app.services.common.scope import get_visible_or_404, visible_to
from app.services.activities.visits import check_in, check_out, is_far, latest_visit, visit_minutes
from app.text import db_int

bp = Blueprint("activities", __name__)


# --- call notes ------------------------------------------------------------------------------------

@bp.route("/customers/<int:customer_id>/notes/new")
@signed_in
def new_note(customer_id):
    customer = get_visible_or_404(Customer, customer_id, current_user)
    deal_id = _record_id(request.args.get("deal"))
    if deal_id is not None:
        _customer_deal_or_404(customer, deal_id)
    item = _agenda_item_or_404(customer, request.args.get("activity"))
    origin = request.args.get("from") if request.args.get("from") in ORIGINS else "card"
    sheet = note_sheet(customer, deal_id=deal_id, agenda_item_id=item.id if item else None, origin=origin)
    return render_page_or_block("activities/note_page.html", block="sheet", sheet=sheet, customer=customer,
                                standalone=not wants_fragment())


@bp.route("/customers/<int:customer_id>/notes", methods=["POST"])
@signed_in
def create_note(customer_id):
    customer = get_visible_or_404(Customer, customer_id, current_user)
    zone, now = user_zone(), utcnow()
    form = NoteForm(today=local_today(zone), now=now.astimezone(zone))
    form.deal_id.choices = _deal_choices(customer, _record_id(request.form.get("deal_id")))
    item = _agenda_item_or_404(customer, form.activity_id.data)
    if not form.validate_on_submit():
        sheet = NoteSheet(customer, form, _note_source(customer, form), fresh=False)
        return render_page_or_block("activities/note_page.html", block="sheet", sheet=sheet, customer=customer,
                                    standalone=not wants_fragment()), 422
    deal = db.session.get(Deal, form.deal_choice) if form.deal_choice else None
    due = next_step_due(next_step_day(form.next_step.data, form.today, form.next_on.data), form.next_at.data, zone, now)
    logged = log_call(current_user, customer, form.outcome.data, form.body.data, form.client_key.data,
                      next_due=due, deal=deal, agenda_item=item, now=now)
    message = _note_message(logged)
    if not wants_fragment():
        flash(message, "success")
        return redirect(_page_of(form.origin.data, customer, deal), code=303)
    return _note_saved(customer, form, logged, message)


@dataclass
class NoteSheet:
    """The note form for one customer, and the address that renders it (how app.js knows the sheet is ready)."""

    customer: Customer
    form: NoteForm
    source: str
    fresh: bool = True  # a blank form: app.js gives it a new client key when the sheet opens
    max_chars: int = NOTE_MAX_CHARS

    @property
    def next_step_days(self):
        """The day each quick next-step choice stands for, shown next to it."""
        today = local_today()
        return {choice: next_step_day(choice, today) for choice in NEXT_STEP_DAYS}



def note_sheet(customer, deal_id=None, agenda_item_id=None, origin="card"):
    """A blank note form for customer, linked to deal_id (or to the customer's only open deal)."""
    form = NoteForm(formdata=None, origin=origin, activity_id=agenda_item_id or "", client_key=new_client_key())
    form.deal_id.choices = _deal_choices(customer, deal_id)
    open_deals = [value for value, _label in form.deal_id.choices if value]
    if deal_id in open_deals:
        form.deal_id.data = deal_id
    elif len(open_deals) == 1 and origin == "card":
        form.deal_id.data = open_deals[0]
    return NoteSheet(customer, form, note_url(customer.id, deal_id, agenda_item_id, origin))


@bp.app_template_global()
def note_url_for(customer_id, deal_id=None, agenda_item_id=None, origin="card"):
    """Template helper: address of the note form (the href of a "Note" button)."""
    return note_url(customer_id, deal_id, agenda_item_id, origin)


def _note_source(customer, form):
    deal_id = form.deal_choice if form.origin.data == "deal" else None
    return note_url(customer.id, deal_id, form.activity_id.data or None, form.origin.data)


def _deal_choices(customer, chosen_id=None):
    """"No deal" and the customer's open deals the user may see (and the chosen one, even when closed)."""
    condition = Deal.closed_at.is_(None) if not chosen_id else or_(Deal.closed_at.is_(None), Deal.id == chosen_id)
    deals = db.session.scalars(visible_to(Deal, current_user).where(Deal.customer_id == customer.id, condition)
                               .order_by(Deal.updated_at.desc()).limit(20))
    return [(0, _("No deal"))] + [(deal.id, deal.title) for deal in deals]


def _customer_deal_or_404(customer, deal_id):
    deal = get_visible_or_404(Deal, deal_id, current_user)
    if deal.customer_id != customer.id:
        abort(404)
    return deal


def _record_id(raw):
    """An id from a query or form value; None when absent, -1 (found nowhere) when it is no valid id."""
    if raw in (None, ""):
        return None
    value = db_int(str(raw))
    return value if value is not None and value >= 0 else -1


def _agenda_item_or_404(customer, raw_id):
    """The user's own activity of this customer that the call answers; 404 for anything else."""
    item_id = _record_id(raw_id)
    if item_id is None:
        return None
    item = db.session.get(Activity, item_id)
    if item is None or item.owner_id != current_user.id or item.customer_id != customer.id:
        abort(404)
    return item


def _note_message(logged):
    if logged.next_step is None:
        return _("Call saved.")
    return _("Call saved. Next step: %(when)s.", when=format_datetime(logged.next_step.due_at))


def _page_of(origin, customer, deal):
    """Where the page without JavaScript goes back to after saving."""
    if origin in AGENDA_VIEWS:
        return url_for(VIEW_ENDPOINTS[origin])
    if origin == "nearby":
        return url_for("field.nearby")
    if origin == "deal" and deal is not None:
        return url_for("deals.show", deal_id=deal.id)
    return url_for("customers.card", customer_id=customer.id)


def _note_saved(customer, form, logged, message):
    """The message and the part of the page the call changes (out of band); the sheet closes empty.

    No fresh form comes back: the sheet loads one (with a new key) the next time it opens.
    """
    origin = form.origin.data
    added = [a for a in (logged.note, logged.next_step) if a is not None] if logged.created else []
    agenda = badge = None
    if origin in AGENDA_VIEWS:  # Today, tomorrow or the week: that view's agenda again, without the item done
        agenda = Markup(render_named_block(agenda_template(origin), "agenda", **agenda_context(origin)))
        badge = action_count(current_user, zone=user_zone())
    body = render_template("activities/_note_saved.html", customer=customer, message=message,
                           card_entries=_card_entries(added) if origin == "card" else [],
                           deal_items=added if origin == "deal" else [], agenda_html=agenda, badge_count=badge)
    return trigger(make_response(body), {"note-saved": {"id": logged.note.id}})


# --- visits ----------------------------------------------------------------------------------------

@bp.route("/customers/<int:customer_id>/visits", methods=["POST"])
@signed_in
def create_visit(customer_id):
    customer = get_visible_or_404(Customer, customer_id, current_user)
    form = CheckInForm()
    if not form.validate_on_submit():
        message = _("The location sent is not valid: %(details)s", details=form.error_text)
        if not wants_fragment():
            return render_error(422, message)
        return _visit_answer(customer, error=message, status=422)
    lat, lng = form.lat.data, form.lng.data
    accuracy = form.accuracy.data if lat is not None else None
    result = check_in(current_user, customer, form.client_key.data, lat, lng, accuracy, form.reason.data or None)
    notice = None if result.created else _("You have been checked in here since %(time)s.",
                                            time=format_time(result.visit.checked_in_at))
    if not wants_fragment():
        flash(notice or _("Checked in."), "warning" if notice else "success")
        return redirect(url_for("customers.card", customer_id=customer.id), code=303)
    return _visit_answer(customer, notice=notice, added=result.visit if result.created else None,
                         status=201 if result.created else 200)


@bp.route("/visits/<int:visit_id>/checkout", methods=["POST"])
@signed_in
def checkout_visit(visit_id):
    visit = get_visible_or_404(Activity, visit_id, current_user)
    if visit.owner_id != current_user.id or visit.kind != "visit" or visit.checked_in_at is None:
        abort(404)  # only the rep who checked in checks out
    notice = None if check_out(visit) else _("You already checked out at %(time)s.",
                                               time=format_time(visit.checked_out_at))
    if not wants_fragment():
        flash(notice or _("Checked out."), "warning" if notice else "success")
        return redirect(url_for("customers.card", customer_id=visit.customer_id), code=303)
    return _visit_answer(visit.customer, notice=notice)


@dataclass
class VisitPanel:
    """The visit shown next to the card's check-in button: the open one, or the last one checked out today."""

    visit: Activity | None
    is_open: bool = False
    minutes: int | None = None
    far: bool = False
    max_distance_m: int = 500


@bp.app_template_global()
def visit_panel(customer):
    """Template helper: the current user's visit to customer worth showing on the card."""
    max_m = current_app.config["CHECKIN_MAX_DISTANCE_M"]
    visit = latest_visit(current_user, customer) if current_user.is_authenticated else None
    if visit is None:
        return VisitPanel(None, max_distance_m=max_m)
    is_open = visit.checked_out_at is None
    if not is_open and to_local(visit.checked_out_at).date() != local_today():
        return VisitPanel(None, max_distance_m=max_m)
    return VisitPanel(visit, is_open, visit_minutes(visit), is_far(visit, max_m), max_m)


@bp.app_template_filter("distance")
def format_distance(metres):
    """120 → "120 m"; 1234 → "1,2 km" (vi) or "1.2 km" (en)."""
    if metres is None:
        return ""
    if metres < 1000:
        return f"{metres} m"
    km = f"{metres / 1000:.1f}"
    locale = get_locale()
    return (km if locale is not None and locale.language == "en" else km.replace(".", ",")) + " km"


def _visit_answer(customer, notice=None, error=None, added=None, status=200):
    body = render_template("activities/_visit_answer.html", customer=customer, visit_notice=notice, visit_error=error,
                           card_entries=_card_entries([added] if added is not None else []))
    return make_response(body, status)


def _card_entries(activities):
    """New activities as entries of the card's timeline, newest first as the card orders them."""
    entries = (TimelineEntry(a.created_at, 1, a) for a in activities)
    return sorted(entries, key=lambda e: (e.at, e.record.id), reverse=True)


@bp.app_template_global()
def new_client_key():
    """Template helper: a fresh idempotency key for a form (app.js replaces it with its own when it runs)."""
    return str(uuid.uuid4())
