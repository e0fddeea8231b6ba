"""Quotes: the list, repeating a quote, and the builder (lines and terms edited in place, htmx)."""
from decimal import Decimal

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.forms import page_arg
from app.access import signed_in
from app.blueprints.quotes.forms import FreeLineForm, LineForm, TermsForm, VersionForm, local_number
from app.extensions import db
from app.formatting import local_today
from app.htmx import push_url, redirect_for_htmx, render_page_or_block, reswap, retarget, wants_fragment
from app.models import Product, Quote
from app.services.quotes import approvals as approval_service
from app.services.quotes import editing as service
from app.services.quotes.pricing import price
from app.services.common.scope import get_visible_or_404
from app.services.quotes.vnd_words import vnd_in_words

bp = Blueprint("quotes", __name__)

STALE = _l("Someone changed this meanwhile — here is the latest version.")


@bp.app_template_filter("quantity")
def format_quantity(value):
    """A stored quantity without trailing zeros: 2.000 → "2", 1.500 → "1,5" (vi)."""
    return local_number(value)


@bp.app_template_filter("percent_bp")
def format_percent_bp(value):
    """Basis points as a percentage without trailing zeros: 1250 → "12,5" (vi)."""
    return local_number(Decimal(value or 0) / 100)


@bp.app_template_global("approval_reasons_for")
def _approval_reasons_for(quote):
    return approval_service.approval_reasons_for(quote)


@bp.app_template_global("vnd_in_words")
def _vnd_in_words(amount):
    return vnd_in_words(amount)


@bp.route("/quotes")
@signed_in
def index():
    quote_filter = service.QuoteFilter.from_args(request.args, current_user)
    page = page_arg()
    quotes, has_more = service.list_quotes(current_user, quote_filter, page)
    return render_page_or_block("quotes/index.html", block="results", quotes=quotes, has_more=has_more, page=page,
                                quote_filter=quote_filter, scopes=service.scopes_for(current_user),
                                waiting=0 if wants_fragment() else approval_service.awaiting_count(current_user))


@bp.route("/quotes/<int:quote_id>/repeat", methods=["POST"])
@signed_in
def repeat(quote_id):
    quote = load(quote_id)
    if quote.owner_id != current_user.id or not VersionForm().validate_on_submit():
        abort(404 if quote.owner_id != current_user.id else 400)
    copy = service.repeat_quote(quote, current_user, local_today())
    flash(_("Quote %(number)s created with the lines of %(source)s.", number=copy.label, source=quote.label), "success")
    return redirect(url_for("quotes.show", quote_id=copy.id), code=303)


@bp.route("/quotes/<int:quote_id>")
@signed_in
def show(quote_id):
    return render_builder(load(quote_id))


@bp.route("/quotes/<int:quote_id>/lines", methods=["POST"])
@signed_in
def add_line(quote_id):
    quote = load(quote_id)
    if not service.editable_by(quote, current_user) and quote.status == "pending_approval":
        return refused(quote, _("This quote waits for approval: only its owner can change it."), 409)
    version, today = request.form.get("version"), local_today()
    try:
        if request.form.get("kind") == "product":
            product = _active_product(request.form.get("product_id", type=int))
            if product is None:
                return _add_refused(quote, _("Choose a product from the list."))
            edited, line = service.add_product_line(quote, version, product, today)
        else:
            form = FreeLineForm()
            if not form.validate_on_submit():
                return _free_line_invalid(quote, form)
            edited, line = service.add_free_line(quote, version, form.values(), today)
    except service.StaleQuote as stale:
        return refused(stale.quote, str(STALE), 409)
    except service.QuoteRefused:
        return refused(quote, read_only_message(quote), 409)
    return _edited(quote, edited, "quotes/_line_added.html", line=line)


@bp.route("/quotes/<int:quote_id>/lines/<int:line_id>", methods=["POST"])
@signed_in
def update_line(quote_id, line_id):
    quote = load(quote_id)
    if not service.editable_by(quote, current_user) and quote.status == "pending_approval":
        return refused(quote, _("This quote waits for approval: only its owner can change it."), 409)
    line = _line_of(quote, line_id)
    form = LineForm()
    if not form.validate_on_submit():
        return _line_invalid(quote, line, form)
    try:
        edited, line = service.update_line(quote, request.form.get("version"), line, form.values(), local_today())
    except service.StaleQuote as stale:
        return refused(stale.quote, str(STALE), 409)
    except service.QuoteRefused:
        return refused(quote, read_only_message(quote), 409)
    return _edited(quote, edited, "quotes/_line_answer.html", keep_form=True, line=line, stepped=bool(form.step.data))


@bp.route("/quotes/<int:quote_id>/lines/<int:line_id>/delete", methods=["POST"])
@signed_in
def remove_line(quote_id, line_id):
    quote = load(quote_id)
    if not service.editable_by(quote, current_user) and quote.status == "pending_approval":
        return refused(quote, _("This quote waits for approval: only its owner can change it."), 409)
    line = _line_of(quote, line_id)
    try:
        edited = service.remove_line(quote, request.form.get("version"), line, local_today())
    except service.StaleQuote as stale:
        return refused(stale.quote, str(STALE), 409)
    except service.QuoteRefused:
        return refused(quote, read_only_message(quote), 409)
    return _edited(quote, edited, "quotes/_oob.html")


@bp.route("/quotes/<int:quote_id>/lines/<int:line_id>/move", methods=["POST"])
@signed_in
def move_line(quote_id, line_id):
    quote = load(quote_id)
    if not service.editable_by(quote, current_user) and quote.status == "pending_approval":
        return refused(quote, _("This quote waits for approval: only its owner can change it."), 409)
    line = _line_of(quote, line_id)
    step = -1 if request.form.get("direction") == "up" else 1
    try:
        edited = service.move_line(quote, request.form.get("version"), line, step, local_today())
    except service.StaleQuote as stale:
        return refused(stale.quote, str(STALE), 409)
    except service.QuoteRefused:
        return refused(quote, read_only_message(quote), 409)
    return _edited(quote, edited, "quotes/_lines_answer.html")


@bp.route("/quotes/<int:quote_id>/terms", methods=["POST"])
@signed_in
def update_terms(quote_id):
    quote = load(quote_id)
    if not service.editable_by(quote, current_user) and quote.status == "pending_approval":
        return refused(quote, _("This quote waits for approval: only its owner can change it."), 409)
    form = TermsForm(today=local_today())
    if not form.validate_on_submit():
        if not wants_fragment():
            return render_builder(quote, status=400, terms_form=form)
        return render_template("quotes/_terms.html", quote=quote, terms_form=form), 400
    try:
        edited = service.update_terms(quote, request.form.get("version"), form.values(), local_today())
    except service.StaleQuote as stale:
        return refused(stale.quote, str(STALE), 409)
    except service.QuoteRefused:
        return refused(quote, read_only_message(quote), 409)
    return _edited(quote, edited, "quotes/_terms_answer.html", keep_form=True)


# --- shared by the quote views ---------------------------------------------------------------------

def load(quote_id):
    """The quote if the user may see it, with its lines; 404 otherwise."""
    return get_visible_or_404(Quote, quote_id, current_user, selectinload(Quote.lines))


def _line_of(quote, line_id):
    line = next((line for line in quote.lines if line.id == line_id), None)
    if line is None:
        abort(404)
    return line


def _active_product(product_id):
    product = db.session.get(Product, product_id) if product_id else None
    return product if product is not None and product.active else None


def builder_context(quote, only_line=None, **overrides):
    """What the builder's template needs: the figures from the stored lines, the forms filled from the quote.

    only_line: the answer to one line's edit (the live total) needs that line's form, the figures and the
    head/totals/actions, not every line's form, the terms form or the revision list.
    """
    totals = price(quote.lines, quote.discount_bp)
    line_forms = {}
    for line in quote.lines if only_line is None else [only_line]:
        line_forms[line.id] = LineForm(formdata=None)
        line_forms[line.id].fill_from(line)
    context = dict(quote=quote, totals=totals, figures=dict(zip([line.id for line in quote.lines], totals.lines)),
                   line_forms=line_forms, editable=service.editable_by(quote, current_user),
                   approval_needs=approval_service.approval_reasons(totals) if quote.status == "draft" else [],
                   revisable=quote.status in service.REVISED_ON_EDIT,
                   can_decide=quote.status == "pending_approval" and approval_service.can_decide(quote, current_user),
                   notice=None, error=None)
    if only_line is None:
        terms_form = TermsForm(formdata=None)
        terms_form.fill_from(quote)
        context.update(terms_form=terms_form, free_form=FreeLineForm(formdata=None),
                       revisions=service.revisions_of(quote), latest=service.latest_revision(quote),
                       often_quoted=service.often_quoted_products(current_user) if context["editable"] else [])
    context.update(overrides)
    return context


def render_builder(quote, status=200, **overrides):
    """The builder page, or only its #quote-builder block for an htmx fragment request."""
    context = builder_context(quote, **overrides)
    if wants_fragment():
        return render_page_or_block("quotes/show.html", block="builder", **context), status
    return render_page_or_block("quotes/show.html", **context), status


def refused(quote, message, status):
    """The current quote with a notice: the whole builder (page, or swapped over the htmx request's target)."""
    db.session.rollback()
    quote = db.session.get(Quote, quote.id, populate_existing=True)
    body, status = render_builder(quote, status, notice=message if status == 409 else None,
                                  error=message if status != 409 else None)
    response = make_response(body, status)
    if wants_fragment():
        return retarget(response, "#quote-builder")
    return push_url(response, url_for("quotes.show", quote_id=quote.id))


def read_only_message(quote):
    if quote.status == "superseded":
        return _("This is an old revision: open the latest one to make changes.")
    return _("This quote can no longer be changed.")


def _edited(quote, edited, template, keep_form=False, **context):
    """The answer to a saved edit: the changed part and, out of band, the head, totals, actions and version.

    keep_form: the form the user is typing in stays as it is (swap none: a field typed into while the answer
    was on its way keeps its text) unless it showed errors, which the fresh form clears.
    """
    if edited is not quote:  # the edit made a new revision: open it
        flash(_("Revision %(revision)s of %(number)s created: the customer's copy stays as it was.",
                revision=edited.revision, number=edited.number), "success")
        location = url_for("quotes.show", quote_id=edited.id)
        return redirect_for_htmx(location) if wants_fragment() else redirect(location, code=303)
    if not wants_fragment():
        return redirect(url_for("quotes.show", quote_id=quote.id), code=303)
    keep = keep_form and not request.form.get("had_errors")
    only_line = context.get("line") if keep_form else None
    # When the form stays as it is, its fresh copy would be thrown away: only the out-of-band parts go.
    response = make_response(render_template(template, **builder_context(quote, only_line=only_line),
                                             skip_main=keep, **context))
    if keep:
        reswap(response, "none")
    return response


def _add_refused(quote, message):
    if not wants_fragment():
        return render_builder(quote, status=400, error=message)
    response = make_response(render_template("quotes/_add_feedback.html", message=message), 400)
    return retarget(response, "#add-feedback", "outerHTML")


def _free_line_invalid(quote, form):
    if not wants_fragment():
        return render_builder(quote, status=400, free_form=form)
    response = make_response(render_template("quotes/_free_line.html", quote=quote, free_form=form), 400)
    return retarget(response, "#free-line-form")


def _line_invalid(quote, line, form):
    """The line as the user typed it, with the errors next to the fields; nothing is saved."""
    if not wants_fragment():
        context = builder_context(quote)
        context["line_forms"][line.id] = form
        return render_page_or_block("quotes/show.html", **context), 400
    context = builder_context(quote, line=line)
    context["line_forms"][line.id] = form
    return render_template("quotes/_line.html", **context), 400
