"""The reminder job's work: claim the log row, check the quote once more, send, record — never twice.

The claim ("email_queued" → "email_sending", committed before SMTP is called, as app/services/agenda/digest.py
claims a day) is what keeps a retry or a racing copy of the job from sending again. The public link is
not in the reminder: only its hash is stored, and a new link would close the one the customer has.
"""
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import gettext
from sqlalchemy import select, update

from app.extensions import db
from app.formatting import format_date, format_vnd, in_locale
from app.models import Activity, AutomationLog, Quote
from app.models.base import utcnow
from app.models.quotes import LIVE_FOR_CUSTOMER
from app.services.automation.passes import detail_notes, instant_key_of, log_detail
from app.services.quotes.documents import company, document_locale, quote_pdf, quote_pdf_filename
from app.services.automation.quote_reminders import MAX_ATTEMPTS, RULE, attempts_of


def deliver_quote_reminder(quote_id, occurrence, retries_left):
    """Send the reminder of this sending of the quote once; raise while SMTP fails (the queue retries).

    True when it was sent by this call."""
    from app.mail import send_mail

    log = db.session.scalar(select(AutomationLog).where(
        AutomationLog.rule == RULE, AutomationLog.subject_id == quote_id, AutomationLog.occurrence == occurrence)
        .execution_options(populate_existing=True))
    if log is None or log.action != "email_queued":
        return False  # sent, being sent, cancelled or given up
    log_id, label, tries = log.id, detail_notes(log.detail).get("text"), attempts_of(log.detail) + 1
    if not _claim(log, log_detail(label, tries=tries)):
        return False  # another copy of the job has it
    quote = db.session.get(Quote, quote_id, populate_existing=True)
    reason = cancel_reason(quote, occurrence)
    if reason:
        _set(log_id, "email_cancelled", log_detail(label, reason=reason))
        return False
    sent = log_detail(label, tries=tries, to=quote.recipient_email)
    try:
        subject, text, html = _message(quote)
        send_mail(quote.recipient_email, subject, text, html=html, reply_to=quote.owner.email,
                  attachments=[(quote_pdf_filename(quote), quote_pdf(quote), "application/pdf")])
    except Exception as exc:
        db.session.rollback()
        # Back in the queue while the job retries; else "failed", for a later pass (or for good after the last try).
        action = "email_gave_up" if tries >= MAX_ATTEMPTS else "email_queued" if retries_left else "email_failed"
        _set(log_id, action, log_detail(label, tries=tries, error=f"{type(exc).__name__}: {exc}"))
        raise
    try:
        _record_sent(quote, log_id, sent)
    except Exception:  # noqa: BLE001 - the e-mail is gone: say so, or a later pass would send it again
        db.session.rollback()
        current_app.logger.exception("reminder of quote %s sent but not put on the timeline", quote_id)
        _set(log_id, "email_sent", sent)
    return True


def _claim(log, detail):
    """Take the queued reminder for this call, unless another took it since it was read; committed at once."""
    taken = db.session.execute(update(AutomationLog).where(
        AutomationLog.id == log.id, AutomationLog.action == "email_queued", AutomationLog.detail == log.detail)
        .values(action="email_sending", detail=detail, created_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return taken == 1


def _set(log_id, action, detail, **values):
    """The reminder's new state (and when it got there), committed."""
    db.session.execute(update(AutomationLog).where(AutomationLog.id == log_id).values(
        action=action, detail=detail, created_at=utcnow(), **values).execution_options(synchronize_session=False))
    db.session.commit()


def cancel_reason(quote, occurrence):
    """Why this reminder must not go out any more (a code the log page words), or None."""
    if quote is None:
        return "deleted"
    if quote.status not in LIVE_FOR_CUSTOMER:
        return quote.status  # accepted, declined, expired, superseded (revised)
    if quote.deal.closed_at is not None:
        return "deal_closed"
    if quote.sent_at is None or instant_key_of(quote.sent_at) != occurrence:
        return "resent"  # the new sending has its own cycle
    if quote.send_state != "sent":
        return "not_delivered"
    today = utcnow().astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    if quote.valid_until < today:
        return "expired"
    return None if quote.recipient_email else "no_email"


def _message(quote):
    """(subject, text, html) of the reminder, in the customer's language."""
    locale = document_locale()
    with in_locale(locale):
        subject = gettext("Reminder: quote %(number)s from %(company)s", number=quote.label,
                          company=current_app.config["COMPANY_NAME"])
        context = dict(quote=quote, company=company(), locale=locale, total=format_vnd(quote.total_vnd, locale),
                       valid_until=quote.valid_until.strftime("%d/%m/%Y"),
                       sent_on=format_date(quote.sent_at, ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])))
        return subject, render_template("email/quote_reminder.txt", **context), render_template(
            "email/quote_reminder.html", **context)


def _record_sent(quote, log_id, detail):
    """The e-mail on the customer's timeline (a done activity of the owner) and the log row marked sent."""
    owner = quote.owner
    with in_locale(owner.locale):
        subject = gettext("Quote reminder e-mail sent for %(number)s", number=quote.label)
    activity = Activity(kind="email", subject=subject[:200], body=quote.recipient_email, owner_id=owner.id,
                        customer_id=quote.customer_id, deal_id=quote.deal_id, done_at=utcnow())
    db.session.add(activity)
    db.session.flush()
    _set(log_id, "email_sent", detail, activity_id=activity.id)
