"""Quote PDFs, the send-to-customer form and its progress, and contracts (all scoped to the user)."""
from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.access import signed_in
from app.blueprints.delivery.forms import SendQuoteForm
from app.blueprints.errors.routes import render_error
from app.extensions import db
from app.formatting import in_locale, local_today
from app.htmx import render_page_or_block
from app.models import Contact, Contract, Quote
from app.models.quotes import LIVE_FOR_CUSTOMER
from app.pdf import PdfError
from app.services.quotes import delivery
from app.services.quotes import documents
from app.services.quotes.answers import public_state
from app.services.common.scope import get_visible_or_404, visible_to

bp = Blueprint("delivery", __name__)


def pdf_response(make_pdf, filename):
    """The PDF shown in the browser (inline), or a 503 page when it could not be made in time."""
    try:
        body = make_pdf()
    except PdfError:
        current_app.logger.exception("PDF %s could not be made", filename)
        return render_error(503, _("The PDF could not be made in time. Please try again in a moment."))
    return current_app.response_class(body, mimetype="application/pdf",
                                      headers={"Content-Disposition": f'inline; filename="{filename}"'})


def _quote_or_404(quote_id):
    return get_visible_or_404(Quote, quote_id, current_user, selectinload(Quote.lines), joinedload(Quote.customer))


@bp.route("/quotes/<int:quote_id>.pdf")
@signed_in
def quote_pdf(quote_id):
    quote = _quote_or_404(quote_id)
    return pdf_response(lambda: documents.quote_pdf(quote), documents.quote_pdf_filename(quote))


@bp.route("/quotes/<int:quote_id>/delivery")
@signed_in
def quote_actions(quote_id):
    """The quote's delivery box alone: polled by htmx while its e-mail is being sent."""
    return render_page_or_block("delivery/quote_actions.html", quote=_quote_or_404(quote_id))


def recipients_of(customer):
    """(email, label) choices: the customer's contacts with an e-mail, then the customer's own e-mail."""
    contacts = db.session.scalars(select(Contact).where(Contact.customer_id == customer.id, Contact.email.is_not(None))
                                  .order_by(Contact.name)).all()
    choices = [(contact.email, f"{contact.name} <{contact.email}>") for contact in contacts if contact.email]
    if customer.email and customer.email not in {email for email, _label in choices}:
        choices.append((customer.email, f"{customer.name} <{customer.email}>"))
    return choices


def _default_message(quote):
    """The rep's own words; the e-mail adds the greeting (the chosen contact's name), the link and the PDF."""
    with in_locale(documents.document_locale()):
        return _("Thank you for your interest. Please reply to this e-mail or call me with any question.\n\n"
                 "Best regards,\n%(name)s", name=current_user.name)


@bp.route("/quotes/<int:quote_id>/send", methods=["GET", "POST"])
@signed_in
def send(quote_id):
    quote = _quote_or_404(quote_id)
    today = local_today()
    recipients = recipients_of(quote.customer)
    chosen = quote.recipient_email or (recipients[0][0] if recipients else "")
    if recipients and chosen not in {email for email, _label in recipients}:  # sent before to a typed address
        data = {"to_email": "", "other_email": chosen}
    else:
        data = {"to_email": chosen}
    # A post is read as sent: no pre-chosen contact may stand in for a choice the form did not carry.
    form = SendQuoteForm() if request.method == "POST" else SendQuoteForm(data={**data, "message": _default_message(quote)})
    if form.validate_on_submit():
        try:
            delivery.send_quote(quote, current_user, form.recipient, form.message.data, today)
        except delivery.SendRefused as refused:
            return render_page_or_block("delivery/send.html", quote=quote, form=form, recipients=recipients,
                                        refusal=refused.message), 409
        flash(_("Sending quote %(number)s to %(email)s…", number=quote.label, email=form.recipient), "success")
        return redirect(url_for("quotes.show", quote_id=quote.id), code=303)
    refusal = delivery.send_refusal(quote, today)
    return render_page_or_block("delivery/send.html", quote=quote, form=form, recipients=recipients,
                                refusal=refusal), (400 if form.errors else 200)


@bp.route("/quotes/<int:quote_id>/link/revoke", methods=["POST"])
@signed_in
def revoke_link(quote_id):
    quote = _quote_or_404(quote_id)
    if delivery.revoke_link(quote, current_user, request.remote_addr):
        flash(_("The customer's link is closed: it no longer opens the quote. Send again to make a new one."), "success")
    else:
        flash(_("This quote has no open customer link."), "warning")
    return redirect(url_for("quotes.show", quote_id=quote.id), code=303)


@bp.route("/contracts")
@signed_in
def contracts():
    rows = db.session.scalars(visible_to(Contract, current_user).options(joinedload(Contract.customer))
                              .order_by(Contract.created_at.desc(), Contract.id.desc()).limit(200)).all()
    return render_page_or_block("delivery/contracts.html", contracts=rows)


def _contract_or_404(contract_id):
    return get_visible_or_404(Contract, contract_id, current_user, joinedload(Contract.customer),
                              joinedload(Contract.quote))


@bp.route("/contracts/<int:contract_id>")
@signed_in
def contract(contract_id):
    return render_page_or_block("delivery/contract.html", contract=_contract_or_404(contract_id))


@bp.route("/contracts/<int:contract_id>.pdf")
@signed_in
def contract_pdf(contract_id):
    contract = _contract_or_404(contract_id)
    return pdf_response(lambda: documents.contract_pdf(contract), documents.contract_pdf_filename(contract))


@bp.app_template_global()
def quote_delivery_status(quote):
    """What the quote page's delivery box needs: progress of the e-mail, the link, the contract."""
    contract = None
    if quote.status == "accepted":
        contract = db.session.scalar(visible_to(Contract, current_user).where(Contract.quote_id == quote.id))
    return {"progress": delivery.send_progress(quote), "can_send": delivery.can_send(quote, local_today()),
            "link_state": public_state(quote) if quote.token_hash else ("closed" if quote.status in LIVE_FOR_CUSTOMER else None),
            "link_expires": quote.valid_until, "contract": contract}


@bp.app_template_global()
def contracts_of_deal(deal):
    """The deal's contracts the current user may see (the deal page lists them)."""
    return db.session.scalars(visible_to(Contract, current_user).where(Contract.deal_id == deal.id)
                              .order_by(Contract.id.desc())).all()
