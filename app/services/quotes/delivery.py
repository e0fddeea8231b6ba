"""Sending a quote to the customer: the checks, the new link, the deal's stage, and the e-mail job.

Only an approved quote is sent (or one already sent or viewed: the same revision again, with a new link
that closes the old one). The e-mail goes through the job queue (app/queue.py, the job in app/jobs.py); each attempt is
recorded on the quote (send_state sending → sent, or failed while the queue retries).
"""
import secrets

from flask import current_app, render_template
from flask_babel import gettext
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.formatting import format_vnd, in_locale
from app.models import Contract, Quote, Stage
from app.models.audit import record
from app.models.base import utcnow
from app.models.quotes import LIVE_FOR_CUSTOMER
from app.models.users import hash_token
from app.queue import enqueue
from app.services.pipeline.deals import StaleVersion, move_deal
from app.services.quotes.answers import public_link
from app.services.quotes.documents import (company, contract_pdf, contract_pdf_filename, document_locale, quote_pdf,
                                          quote_pdf_filename)

SENDABLE = ("approved", "sent", "viewed")  # approved: the first send; sent/viewed: the same revision again


class SendRefused(ValueError):
    """The quote cannot be sent; `message` says why, in the user's language."""

    def __init__(self, code, message):
        super().__init__(code)
        self.code = code
        self.message = message


def _refusal(quote, today):
    if quote.status in ("draft", "pending_approval"):
        return SendRefused("not_approved", gettext("This quote must be approved before it is sent to the customer."))
    if quote.status not in SENDABLE:
        return SendRefused("closed", gettext("This quote can no longer be sent (it is %(status)s).",
                                             status=_status_label(quote.status)))
    if quote.valid_until < today:
        return SendRefused("expired", gettext("This quote expired on %(date)s: make a new revision to send it.",
                                              date=quote.valid_until.strftime("%d/%m/%Y")))
    return None


def _status_label(status):
    from app.labels import QUOTE_STATUS_LABELS

    return str(QUOTE_STATUS_LABELS.get(status, status))


def can_send(quote, today):
    """True when send_quote would accept this quote."""
    return _refusal(quote, today) is None


def send_refusal(quote, today):
    """Why send_quote would refuse this quote (a sentence for the user), or None."""
    refusal = _refusal(quote, today)
    return refusal.message if refusal else None


def send_quote(quote, user, to_email, message, today, now=None):
    """Send quote to to_email by the job queue, with a new public link; returns the link.

    Only an approved quote is sent (or one already sent or viewed: the same revision again, with a new
    link — the old one stops working). The deal moves to "Quote sent" when it is earlier in the pipeline.
    Raises SendRefused (not sendable, or changed by someone meanwhile); nothing is written then.
    """

    refusal = _refusal(quote, today)
    if refusal:
        raise refusal
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    quote.token_hash = hash_token(token)
    quote.recipient_email = to_email
    quote.send_state, quote.send_attempts, quote.send_error = "sending", 0, None
    if quote.status == "approved":
        quote.move_to("sent")
    quote.sent_at = now
    try:
        if not _advance_deal(quote.deal, user, now):  # move_deal commits the quote with the deal
            db.session.commit()
    except (StaleVersion, StaleDataError):
        db.session.rollback()
        raise SendRefused("changed", gettext("Someone changed this quote or its deal meanwhile. Please try again.")) from None
    try:
        enqueue("send_quote_email", quote.id, token, message or "")
    except Exception as exc:  # the queue's storage is down: say so on the quote instead of "sending" forever
        current_app.logger.exception("could not queue the e-mail of quote %s", quote.id)
        _record_send(quote.id, send_state="failed", send_error=f"queue: {exc}"[:500])
    db.session.expire(quote)  # an immediate job (tests) or the failure above wrote it behind the ORM's back
    return public_link(token)


def revoke_link(quote, user, ip=None):
    """Close the customer's link now (a wrong address, a leaked e-mail): the token stops opening anything.

    Sending again later makes a new link. Returns False when there was no open link.
    """
    if quote.token_hash is None or quote.status not in LIVE_FOR_CUSTOMER:
        return False
    quote.token_hash = None
    record("quote.link_revoked", quote, actor=user, ip=ip)
    db.session.commit()
    return True


def _advance_deal(deal, user, now):
    """Move deal to the quote_sent stage when it is open and earlier; True when it moved (and was committed)."""
    target = db.session.scalar(select(Stage).where(Stage.key == "quote_sent"))
    if target is None or not deal.stage.is_open or deal.stage.position >= target.position:
        return False
    return move_deal(deal, target, user, deal.version, now=now) is not None


def _record_send(quote_id, **values):
    """Write the e-mail's progress with one UPDATE (bumping the version, so a concurrent edit notices)."""
    db.session.execute(update(Quote).where(Quote.id == quote_id).values(version=Quote.version + 1, **values),
                       execution_options={"synchronize_session": False})
    db.session.commit()


def deliver_quote_email(quote_id, token, message, retries_left):
    """The job's work: e-mail the quote once; record each attempt; raise while SMTP fails (the queue retries).

    Skipped when the quote is already sent, or when a newer send replaced this token (its own job mails it).
    """
    from app.mail import send_mail

    quote = db.session.get(Quote, quote_id, populate_existing=True)
    if quote is None or quote.token_hash != hash_token(token) or quote.send_state == "sent":
        return False
    attempt = quote.send_attempts + 1
    _record_send(quote_id, send_state="sending", send_attempts=attempt)
    try:
        pdf = quote_pdf(quote)
        link = public_link(token)
        with in_locale(document_locale()):
            subject = gettext("Quote %(number)s from %(company)s", number=quote.label,
                              company=current_app.config["COMPANY_NAME"])
            context = dict(quote=quote, link=link, message=message, company=company(), greeting=greeting_for(quote, message),
                           valid_until=quote.valid_until.strftime("%d/%m/%Y"),
                           total=format_vnd(quote.total_vnd, document_locale()))
            text = render_template("email/quote.txt", **context)
            html = render_template("email/quote.html", **context)
        send_mail(quote.recipient_email, subject, text, html=html, reply_to=quote.owner.email,
                  attachments=[(quote_pdf_filename(quote), pdf, "application/pdf")])
    except Exception as exc:
        db.session.rollback()
        note = "retrying" if retries_left else "gave up"
        _record_send(quote_id, send_state="failed", send_error=f"{type(exc).__name__}: {exc} ({note})"[:500])
        raise
    _record_send(quote_id, send_state="sent", send_error=None)
    return True


HONORIFICS = ("anh", "chị", "ông", "bà", "cô", "chú", "em")


def greeting_for(quote, message=""):
    """The e-mail's first line: the contact it goes to by name ("Kính gửi anh/chị Trần Chi,"), else the customer.

    Call inside the document's locale. A contact saved as "Chị Trần Chi" is greeted without the doubled title;
    a message that opens with its own greeting gets none ("" then).
    """
    if (message or "").lstrip().lower().startswith(("kính gửi", "dear ")):
        return ""
    email = (quote.recipient_email or "").lower()
    contact = next((c for c in quote.customer.contacts if c.email and c.email.lower() == email), None)
    if contact is None:
        return gettext("Dear %(customer)s,", customer=quote.customer.name)
    words = contact.name.split()
    if len(words) > 1 and words[0].lower() in HONORIFICS:
        words = words[1:]
    return gettext("Dear Mr/Ms %(name)s,", name=" ".join(words))


def send_progress(quote):
    """What the rep sees of the e-mail: idle, sending, sent, retrying (failed, will try again) or failed."""
    if quote.send_state != "failed":
        return quote.send_state
    return "retrying" if quote.send_attempts <= current_app.config["JOBS_RETRIES"] else "failed"


def deliver_contract_email(contract_id):
    """The job's work: e-mail the contract PDF to the customer who accepted; raises while SMTP fails."""
    from app.mail import send_mail

    contract = db.session.get(Contract, contract_id)
    if contract is None or not contract.quote.recipient_email:
        return False
    quote = contract.quote
    pdf = contract_pdf(contract)
    with in_locale(document_locale()):
        subject = gettext("Contract %(number)s from %(company)s", number=contract.number,
                          company=current_app.config["COMPANY_NAME"])
        context = dict(contract=contract, quote=quote, company=company(),
                       start=contract.start_date.strftime("%d/%m/%Y"), end=contract.end_date.strftime("%d/%m/%Y"),
                       value=format_vnd(contract.value_vnd, document_locale()))
        text = render_template("email/contract.txt", **context)
        html = render_template("email/contract.html", **context)
    send_mail(quote.recipient_email, subject, text, html=html, reply_to=quote.owner.email,
              attachments=[(contract_pdf_filename(contract), pdf, "application/pdf")])
    return True
