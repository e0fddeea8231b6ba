"""Submitting a quote, new revisions, the managers' approval queue and decisions, the approval rules."""
from decimal import Decimal

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.access import roles, signed_in
from app.blueprints.quotes.forms import ApprovalRulesForm, DecisionForm, VersionForm, percent_to_bp
from app.blueprints.quotes.routes import STALE, bp, load, read_only_message, refused
from app.extensions import db
from app.formatting import local_today
from app.htmx import render_page_or_block, wants_fragment
from app.models import Quote, User
from app.services.quotes import approvals as approval_service
from app.services.quotes import editing as service
from app.services.common.scope import get_visible_or_404

REFUSALS = {
    "no_lines": _l("Add at least one line before submitting the quote."),
    "not_draft": _l("Only a draft can be submitted."),
    "validity_passed": _l("The validity date has passed: set a new one first."),
    "not_pending": _l("This quote is no longer waiting for approval."),
    "comment_required": _l("Say why the quote is rejected."),
}


@bp.route("/quotes/<int:quote_id>/submit", methods=["POST"])
@signed_in
def submit(quote_id):
    quote = load(quote_id)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        waits = approval_service.submit_quote(quote, current_user, form.version.data, local_today())
    except service.StaleQuote as stale:
        return refused(stale.quote, str(STALE), 409)
    except service.QuoteRefused as refusal:
        return refused(quote, str(REFUSALS[refusal.code]), 422)
    if waits:
        flash(_("Sent to your manager for approval."), "success")
    else:
        flash(_("Approved: within the limits, no manager approval needed."), "success")
    return redirect(url_for("quotes.show", quote_id=quote.id), code=303)


@bp.route("/quotes/<int:quote_id>/revise", methods=["POST"])
@signed_in
def revise(quote_id):
    quote = load(quote_id)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        revision = service.revise(quote, form.version.data, local_today())
    except service.StaleQuote as stale:
        return refused(stale.quote, str(STALE), 409)
    except service.QuoteRefused:
        return refused(quote, read_only_message(quote), 409)
    flash(_("Revision %(revision)s of %(number)s created: the customer's copy stays as it was.",
            revision=revision.revision, number=revision.number), "success")
    return redirect(url_for("quotes.show", quote_id=revision.id), code=303)


@bp.route("/approvals")
@roles("manager", "admin")
def approvals():
    quotes = approval_service.awaiting_decision(current_user)
    return render_page_or_block("quotes/approvals.html", quotes=quotes, forms={q.id: _decision_form(q) for q in quotes})


@bp.route("/quotes/<int:quote_id>/decide", methods=["POST"])
@roles("manager", "admin")
def decide(quote_id):
    quote = get_visible_or_404(Quote, quote_id, current_user, selectinload(Quote.lines))
    if not approval_service.can_decide(quote, current_user):
        abort(403)  # visible but not theirs to decide: their own quote
    form = DecisionForm()
    if not form.validate_on_submit():
        message = form.comment.errors[0] if form.comment.errors else _("Approve or reject.")  # too long a comment
        return _decision_answer(quote, form, message, 400)
    approve = form.decision.data == "approve"
    try:
        approval_service.decide(quote, current_user, approve, form.comment.data, expected_version=form.version.data)
    except service.StaleQuote as stale:
        return _decision_answer(stale.quote, form, str(STALE), 409)
    except service.QuoteRefused as refusal:
        return _decision_answer(quote, form, str(REFUSALS[refusal.code]), 409 if refusal.code == "not_pending" else 400)
    if wants_fragment():
        return render_template("quotes/_approval_item.html", quote=quote, decided=True)
    flash(_("Quote %(number)s approved.", number=quote.label) if approve
          else _("Quote %(number)s sent back to its owner.", number=quote.label), "success")
    return redirect(url_for("quotes.show", quote_id=quote.id), code=303)


def _decision_form(quote, formdata=None):
    form = DecisionForm(formdata=formdata)
    form.version.data = quote.version
    return form


def _decision_answer(quote, form, message, status):
    """The queue's item (htmx) or the quote's page, showing the current quote and why nothing happened."""
    if not wants_fragment():
        return refused(quote, message, status)
    db.session.rollback()
    quote = db.session.get(Quote, quote.id, populate_existing=True)
    fresh = _decision_form(quote)
    if status == 400:  # keep what the manager typed
        fresh.comment.data = form.comment.data
    body = render_template("quotes/_approval_item.html", quote=quote, form=fresh, message=message,
                           decided=quote.status != "pending_approval")
    return make_response(body, status)


@bp.route("/quotes/approval-rules", methods=["GET", "POST"])
@roles("admin")
def approval_rules():
    form = ApprovalRulesForm()
    if request.method == "GET":
        rules = approval_service.approval_rules()
        form.max_discount_pct.data = Decimal(rules["max_discount_bp"]) / 100
        form.max_total_vnd.data = rules["max_total_vnd"]
    if form.validate_on_submit():
        approval_service.save_approval_rules(percent_to_bp(form.max_discount_pct.data), form.max_total_vnd.data, current_user)
        flash(_("Approval rules saved: they apply to quotes submitted from now on."), "success")
        return redirect(url_for("quotes.approval_rules"), code=303)
    setting = approval_service.approval_rules_setting()
    updated_by = db.session.get(User, setting.updated_by_id) if setting and setting.updated_by_id else None
    return render_page_or_block("quotes/approval_rules.html", form=form, setting=setting, updated_by=updated_by), (
        400 if form.errors else 200)
