"""The quote reminder rule: one e-mail per sending of a quote, to a customer still silent after_hours after
the rep's follow-up call, and the re-queueing that makes sure it is never lost.

A pass logs "email_queued" (or "skipped_no_email") under the occurrence of the quote's sending (its sent_at:
sending the quote again starts a new cycle) and queues a job after its commit. The job
(app/services/automation/reminder_delivery.py) claims the row ("email_sending", committed) before calling SMTP,
so a retry never sends twice. A row whose job was lost (queued or sending for over STUCK_AFTER: the queue
lost it, the worker died) or that failed is queued again by the next pass, up to MAX_ATTEMPTS deliveries
in all; then it stays "email_gave_up". For these rows created_at is when they reached their current state.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, exists, or_, select, update

from app.extensions import db
from app.models import AutomationLog, Deal, Quote
from app.models.quotes import LIVE_FOR_CUSTOMER
from app.queue import enqueue
from app.services.automation.passes import Planned, detail_notes, instant_key, instant_key_of, log_detail, quote_label

RULE = "quote_reminder"
FOLLOW_UP_RULE = "quote_follow_up"
MAX_ATTEMPTS = 20  # deliveries tried in all: the job's own retries (minutes apart), then one per pass (every 15 min), ~3.5 h of SMTP outage
STUCK_AFTER = timedelta(hours=1)  # a job that has not finished by then was lost
LATE_WINDOW = timedelta(days=7)  # a quote sent longer ago than its reminder was due (rule off meanwhile): none


def quote_reminder(run):
    """Quotes still unanswered after_hours after their follow-up call, sent at least follow-up days + after_hours
    ago and still delivered, valid and with an open deal → one reminder e-mail per sending."""
    hours = run.settings["after_hours"]
    due_since = run.now - timedelta(days=run.all_settings.get(FOLLOW_UP_RULE, {}).get("after_days", 2), hours=hours)
    occurrence = instant_key(Quote.sent_at)
    followed_up = exists().where(AutomationLog.rule == FOLLOW_UP_RULE, AutomationLog.subject_id == Quote.id,
                                 AutomationLog.occurrence == occurrence,
                                 AutomationLog.created_at <= run.now - timedelta(hours=hours))
    stmt = (select(Quote.id, Quote.number, Quote.revision, Quote.owner_id, Quote.customer_id, Quote.recipient_email,
                   Quote.sent_at)
            .join(Deal, Deal.id == Quote.deal_id)
            .where(Quote.status.in_(LIVE_FOR_CUSTOMER), Quote.send_state == "sent", Quote.sent_at <= due_since,
                   Quote.sent_at > due_since - LATE_WINDOW, Quote.valid_until >= run.today,
                   Deal.closed_at.is_(None), followed_up, run.not_logged(Quote.id, occurrence)))
    jobs = _requeue(run)
    for rows in run.chunks(stmt, Quote.id):
        planned = [Planned(row.id, instant_key_of(row.sent_at), "email_queued" if row.recipient_email
                           else "skipped_no_email", row.owner_id, row.customer_id,
                           quote_label(row.number, row.revision)) for row in rows]
        jobs += [(item.subject_id, item.occurrence) for item in run.record(planned) if item.action == "email_queued"]
    if jobs:
        run.after_commit.append(lambda: queue_reminders(jobs, instant_key_of(run.now)))


def attempts_of(detail):
    """How many deliveries of a reminder were tried (kept in its log row's detail)."""
    return int(detail_notes(detail).get("tries") or 0)


def _requeue(run):
    """Reminders whose job was lost or failed: queued again (returned as (quote id, occurrence)), or given up after
    MAX_ATTEMPTS."""
    lost = and_(AutomationLog.action.in_(("email_queued", "email_sending")),
                AutomationLog.created_at < run.now - STUCK_AFTER)
    rows = db.session.execute(select(AutomationLog.id, AutomationLog.subject_id, AutomationLog.occurrence,
                                     AutomationLog.action, AutomationLog.detail)
                              .where(AutomationLog.rule == RULE, or_(AutomationLog.action == "email_failed", lost))
                              .order_by(AutomationLog.id)).all()
    jobs = []
    for row in rows:
        tries = attempts_of(row.detail)
        action = "email_gave_up" if tries >= MAX_ATTEMPTS else "email_requeued"
        values = {"action": "email_gave_up"} if tries >= MAX_ATTEMPTS else {"action": "email_queued",
                                                                             "created_at": run.now}
        # Only if unchanged since read: a job that claimed the row meanwhile keeps it.
        changed = db.session.execute(update(AutomationLog).where(
            AutomationLog.id == row.id, AutomationLog.action == row.action, AutomationLog.detail == row.detail)
            .values(**values).execution_options(synchronize_session=False)).rowcount
        if changed:
            run.counts[action] = run.counts.get(action, 0) + 1
            if action == "email_requeued":
                jobs.append((row.subject_id, row.occurrence))
    return jobs


def queue_reminders(jobs, queued):
    """Queue one job per reminder ((quote id, occurrence)), named with when (queued); when the queue is down, the
    row is marked failed, and the next pass queues it again."""

    for quote_id, occurrence in jobs:
        try:
            enqueue("send_quote_reminder", quote_id, occurrence, queued)
        except Exception as exc:  # noqa: BLE001 - the queue's storage (Redis, SQLite file) is unavailable
            current_app.logger.exception("could not queue the reminder of quote %s", quote_id)
            db.session.rollback()
            log = db.session.scalar(select(AutomationLog).where(
                AutomationLog.rule == RULE, AutomationLog.subject_id == quote_id,
                AutomationLog.occurrence == occurrence, AutomationLog.action == "email_queued"))
            if log is not None:
                log.action = "email_failed"
                log.detail = log_detail(detail_notes(log.detail).get("text"), tries=attempts_of(log.detail) or None,
                                        error=f"queue: {exc}")
            db.session.commit()
