"""The quote reminder rule: one e-mail to a customer still silent after_hours after the rep's follow-up call.

The rule logs "email_queued" (or "skipped_no_email") and queues a job; the job (app/jobs.py
send_quote_reminder) sends the e-mail with the quote's PDF, then marks the log row "email_sent" and
puts a done e-mail activity on the customer's timeline, in one commit. The log row is the guard
against a double send: a retry finds it sent and stops. The public link is not in the reminder:
only its hash is stored, and a new link would close the one the customer already has.
"""
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import gettext
from sqlalchemy import delete, exists, select

from app.extensions import db
from app.formatting import format_date, format_vnd, in_locale
from app.models import Activity, AutomationLog, Quote
from app.models.base import utcnow
from app.models.quotes import LIVE_FOR_CUSTOMER
from app.services.automation_pass import Planned, quote_label
from app.services.quote_documents import company, document_locale, quote_pdf, quote_pdf_filename

RULE = "quote_reminder"
FOLLOW_UP_RULE = "quote_follow_up"
NO_EMAIL = "skipped: no e-mail"


def quote_reminder(run):
    """Quotes still unanswered after_hours after their follow-up call was made → one reminder e-mail each."""
    followed_up = exists().where(AutomationLog.rule == FOLLOW_UP_RULE, AutomationLog.subject_id == Quote.id,
                                 AutomationLog.created_at <= run.now - timedelta(hours=run.settings["after_hours"]))
    stmt = (select(Quote.id, Quote.number, Quote.revision, Quote.owner_id, Quote.customer_id, Quote.recipient_email)
            .where(Quote.status.in_(LIVE_FOR_CUSTOMER), Quote.valid_until >= run.today, followed_up,
                   run.not_logged(Quote.id)))
    queued = []
    for rows in run.chunks(stmt, Quote.id):
        planned = [Planned(row.id, "", "email_queued" if row.recipient_email else "skipped_no_email", row.owner_id,
                           row.customer_id, quote_label(row.number, row.revision) if row.recipient_email else NO_EMAIL)
                   for row in rows]
        queued += [item.subject_id for item in run.record(planned) if item.action == "email_queued"]
    if queued:
        run.after_commit.append(lambda: queue_reminders(queued))


def queue_reminders(quote_ids):
    """Queue one reminder job per quote; when the queue is down, drop the log row so the next pass tries again."""
    from app.jobs import enqueue, send_quote_reminder

    for quote_id in quote_ids:
        try:
            enqueue(send_quote_reminder, quote_id)
        except Exception:  # noqa: BLE001 - the queue's storage (Redis, SQLite file) is unavailable
            current_app.logger.exception("could not queue the reminder of quote %s", quote_id)
            db.session.rollback()
            db.session.execute(delete(AutomationLog).where(
                AutomationLog.rule == RULE, AutomationLog.subject_id == quote_id, AutomationLog.occurrence == "",
                AutomationLog.action == "email_queued"))
            db.session.commit()


def _log_of(quote_id):
    return db.session.scalar(select(AutomationLog).where(
        AutomationLog.rule == RULE, AutomationLog.subject_id == quote_id, AutomationLog.occurrence == "")
        .execution_options(populate_existing=True))


def deliver_quote_reminder(quote_id, retries_left):
    """The job's work: send the reminder once; raise while SMTP fails (the queue retries). True when sent."""
    from app.mail import send_mail

    log = _log_of(quote_id)
    if log is None or log.action != "email_queued":
        return False  # sent by an earlier attempt, or given up
    quote = db.session.get(Quote, quote_id, populate_existing=True)
    if quote is None or quote.status not in LIVE_FOR_CUSTOMER or not quote.recipient_email:
        # Answered, revised or deleted since the pass: no reminder.
        log.action = "email_cancelled"
        log.detail = f"{quote.label}: {quote.status}" if quote is not None else f"{quote_id}: deleted"
        db.session.commit()
        return False
    try:
        pdf = quote_pdf(quote)
        subject, text, html = _message(quote)
        send_mail(quote.recipient_email, subject, text, html=html, reply_to=quote.owner.email,
                  attachments=[(quote_pdf_filename(quote), pdf, "application/pdf")])
    except Exception as exc:
        db.session.rollback()
        log = _log_of(quote_id)
        log.detail = f"{quote_id}: {type(exc).__name__}: {exc}"[:300]
        if not retries_left:
            log.action = "email_failed"
        db.session.commit()
        raise
    _record_sent(quote, log)
    return True


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


def _record_sent(quote, log):
    """The e-mail on the customer's timeline (a done activity of the owner) and the log row marked sent."""
    owner = quote.owner
    with in_locale(owner.locale):
        subject = gettext("Quote reminder e-mail sent for %(number)s", number=quote.label)
    now = utcnow()
    activity = Activity(kind="email", subject=subject[:200], body=quote.recipient_email, owner_id=owner.id,
                        customer_id=quote.customer_id, deal_id=quote.deal_id, done_at=now)
    log.action, log.activity, log.detail = "email_sent", activity, f"{quote.label} → {quote.recipient_email}"[:300]
    db.session.add(activity)
    db.session.commit()
