"""The quote reminder e-mail, with frozen time: once per sending of a quote, with the PDF, on the timeline; never
for a closed deal or an answered, revised or re-sent quote; claimed before SMTP so that neither a retry nor a racing
consumer sends it twice; a lost or failed job queued again by later passes, MAX_ATTEMPTS in all."""
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from app.formatting import local_today
from app.jobs import huey
from app.models import AutomationLog, Quote
from app.models.users import hash_token
from app.services.automation import reminder_delivery as quote_reminder_delivery
from app.services.automation.passes import detail_notes, instant_key_of
from app.services.pipeline.deals import move_deal
from app.services.quotes.delivery import send_quote
from app.services.automation.quote_reminders import MAX_ATTEMPTS
from tests.automation_support import (CUSTOMER_EMAIL, FAR_FUTURE, MONDAY, link_token, logs, rep, run_at,  # noqa: F401
                                      sent_quote, tasks, team, travel)
from tests.factories import make_user, stage

REMINDER_SUBJECT = "Nhắc báo giá"  # the customer's language: Vietnamese


def reminders(smtp_sink):
    return [m for m in smtp_sink.to(CUSTOMER_EMAIL) if m["Subject"].startswith(REMINDER_SUBJECT)]


def reminder_log():
    (log,) = logs("quote_reminder")
    return log


def send_again(quote, user, when, email=CUSTOMER_EMAIL):
    """The rep sends the same revision again (a new link; the quote e-mail goes out at once)."""
    with travel(when):
        quote = db.session.get(Quote, quote.id)
        send_quote(quote, user, email, "", local_today())
    return db.session.get(Quote, quote.id)


def smtp_down_at_the_reminder(quote, smtp_sink):
    """Follow-up call, then the reminder's first attempt fails: returns the queue's scheduled retry."""
    run_at(MONDAY + timedelta(days=2))
    smtp_sink.stop()
    run_at(MONDAY + timedelta(days=4))
    (retry,) = huey.read_schedule(FAR_FUTURE)
    smtp_sink.start()
    return retry


# --- once, with the PDF, on the timeline ----------------------------------------------------------

def test_the_customer_gets_one_reminder_with_the_pdf_and_it_is_on_the_timeline(client, auth, rep, smtp_sink):
    quote = sent_quote(rep, MONDAY)
    run_at(MONDAY + timedelta(days=2))  # the follow-up call
    run_at(MONDAY + timedelta(days=3, hours=23))  # 47 h after it: not yet
    assert smtp_sink.messages == []
    run_at(MONDAY + timedelta(days=4))
    run_at(MONDAY + timedelta(days=4))
    run_at(MONDAY + timedelta(days=6))
    (message,) = smtp_sink.messages
    assert message["To"] == CUSTOMER_EMAIL and message["Reply-To"] == rep.email and quote.number in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    valid_until = quote.valid_until.strftime("%d/%m/%Y")
    assert "12.345.000 ₫" in text and valid_until in text and "Nguyễn Văn An" in text and "0903 123 456" in text
    assert "/q/" not in text  # the link is not re-sent: it cannot be re-read, and a new one would close the first
    (pdf,) = list(message.iter_attachments())
    assert pdf.get_filename() == f"{quote.number}-v1.pdf" and pdf.get_content().startswith(b"%PDF")
    saved = db.session.get(Quote, quote.id)
    assert saved.token_hash == hash_token(link_token(quote)) and saved.status == "sent"
    (entry,) = tasks(rep, kind="email")
    assert entry.done_at is not None and entry.customer_id == quote.customer_id
    assert entry.subject == f"Quote reminder e-mail sent for {quote.number}"
    log = reminder_log()
    assert (log.action, log.activity_id, log.occurrence) == ("email_sent", entry.id, instant_key_of(MONDAY))
    assert detail_notes(log.detail) == {"text": quote.number, "tries": 1, "to": CUSTOMER_EMAIL}
    auth.login(rep.email)
    assert entry.subject in client.get(f"/customers/{quote.customer_id}").get_data(as_text=True)


def test_no_recipient_address_is_logged_once_and_nothing_is_sent(rep, smtp_sink):
    quote = sent_quote(rep, MONDAY, email=None)
    for days in (2, 4, 4, 5):
        run_at(MONDAY + timedelta(days=days))
    assert smtp_sink.messages == [] and tasks(rep, kind="email") == []
    log = reminder_log()
    assert (log.subject_id, log.action, log.detail) == (quote.id, "skipped_no_email", quote.number)


def test_a_quote_whose_own_email_was_not_delivered_gets_no_reminder(rep, smtp_sink):
    sent_quote(rep, MONDAY, send_state="failed")
    for days in (2, 4, 5):
        run_at(MONDAY + timedelta(days=days))
    assert len(tasks(rep, kind="call")) == 1  # the rep still calls
    assert smtp_sink.messages == [] and logs("quote_reminder") == []


# --- sending again: a new cycle -------------------------------------------------------------------

def test_sending_the_quote_again_starts_one_new_cycle(rep, smtp_sink):
    quote = sent_quote(rep, MONDAY)
    run_at(MONDAY + timedelta(days=2))  # first call
    thursday = MONDAY + timedelta(days=3)
    quote = send_again(quote, rep, thursday)
    run_at(MONDAY + timedelta(days=4))  # 48 h after the first call, but the quote went out again yesterday
    assert reminders(smtp_sink) == []
    for days in (2, 2, 3):
        run_at(thursday + timedelta(days=days))
    assert len(tasks(rep, kind="call")) == 2 and reminders(smtp_sink) == []
    for days in (4, 4, 6):
        run_at(thursday + timedelta(days=days))
    assert len(reminders(smtp_sink)) == 1 and len(tasks(rep, kind="email")) == 1
    assert [log.occurrence for log in logs("quote_reminder")] == [instant_key_of(thursday)]
    assert [log.occurrence for log in logs("quote_follow_up")] == [instant_key_of(MONDAY), instant_key_of(thursday)]


def test_a_cycle_skipped_for_want_of_an_address_does_not_block_the_next_sending(rep, smtp_sink):
    quote = sent_quote(rep, MONDAY, email=None)
    run_at(MONDAY + timedelta(days=2))
    run_at(MONDAY + timedelta(days=4))
    assert reminder_log().action == "skipped_no_email"
    friday = MONDAY + timedelta(days=4, hours=1)
    send_again(quote, rep, friday)
    run_at(friday + timedelta(days=2))
    run_at(friday + timedelta(days=4))
    run_at(friday + timedelta(days=5))
    assert len(reminders(smtp_sink)) == 1
    assert [log.action for log in logs("quote_reminder")] == ["skipped_no_email", "email_sent"]


# --- closed deals and answered quotes -------------------------------------------------------------

def test_no_reminder_when_the_deal_was_closed_after_the_follow_up_call(rep, smtp_sink):
    quote = sent_quote(rep, MONDAY)
    run_at(MONDAY + timedelta(days=2))
    with travel(MONDAY + timedelta(days=3)):
        move_deal(quote.deal, stage("won"), rep, quote.deal.version)  # signed on paper; the quote stays "sent"
    run_at(MONDAY + timedelta(days=4))
    run_at(MONDAY + timedelta(days=5))
    assert smtp_sink.messages == [] and logs("quote_reminder") == []


def _accept(quote, rep):
    quote.status = "accepted"


def _revise(quote, rep):
    quote.status = "superseded"


def _close_deal(quote, rep):
    move_deal(quote.deal, stage("lost"), rep, quote.deal.version, lost_reason="Khách hoãn dự án")


def _send_again(quote, rep):
    send_quote(quote, rep, CUSTOMER_EMAIL, "", local_today())


@pytest.mark.parametrize("change, reason", [
    (_accept, "accepted"), (_revise, "superseded"), (_close_deal, "deal_closed"), (_send_again, "resent")])
def test_a_reminder_queued_before_the_quote_or_deal_changed_is_cancelled_when_its_job_runs(rep, smtp_sink, change,
                                                                                          reason):
    quote = sent_quote(rep, MONDAY)
    retry = smtp_down_at_the_reminder(quote, smtp_sink)
    with travel(MONDAY + timedelta(days=4, minutes=1)):
        change(db.session.get(Quote, quote.id), rep)
        db.session.commit()
        sent_before = len(smtp_sink.messages)
        huey.execute(retry, timestamp=retry.eta)
    assert len(smtp_sink.messages) == sent_before and tasks(rep, kind="email") == []
    log = reminder_log()
    assert log.action == "email_cancelled" and detail_notes(log.detail) == {"text": quote.number, "reason": reason}


# --- never twice, never lost ----------------------------------------------------------------------

def test_smtp_down_the_reminder_is_retried_and_sent_exactly_once(app, rep, smtp_sink):
    quote = sent_quote(rep, MONDAY)
    run_at(MONDAY + timedelta(days=2))
    smtp_sink.stop()
    run_at(MONDAY + timedelta(days=4))
    log = reminder_log()
    assert log.action == "email_queued" and "Connection" in detail_notes(log.detail)["error"]
    (retry,) = huey.read_schedule(FAR_FUTURE)
    assert retry.retries == app.config["JOBS_RETRIES"] - 1
    smtp_sink.start()
    run_at(MONDAY + timedelta(days=4, minutes=15))  # a pass meanwhile queues nothing new
    with travel(MONDAY + timedelta(days=4, minutes=16)):  # the retry runs then, not at today's date (quote expired)
        huey.execute(retry, timestamp=retry.eta)
        huey.execute(retry, timestamp=retry.eta)  # delivered twice by the queue: mailed once
    assert len(reminders(smtp_sink)) == 1 and len(tasks(rep, kind="email")) == 1
    assert db.session.get(Quote, quote.id).status == "sent" and detail_notes(reminder_log().detail)["tries"] == 2


def test_two_consumers_running_the_reminder_at_the_same_moment_send_it_once(app, rep, smtp_sink):
    quote = sent_quote(rep, MONDAY)
    retry = smtp_down_at_the_reminder(quote, smtp_sink)
    start, errors = threading.Barrier(2), []

    def consumer():
        try:
            with app.app_context():
                start.wait()
                huey.execute(retry, timestamp=retry.eta)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with travel(MONDAY + timedelta(days=4, minutes=1)):
        threads = [threading.Thread(target=consumer) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == [] and len(reminders(smtp_sink)) == 1 and len(tasks(rep, kind="email")) == 1
    assert reminder_log().action == "email_sent"


def test_a_reminder_sent_but_not_recorded_on_the_timeline_is_not_sent_again(rep, smtp_sink, monkeypatch):
    def timeline_down(*_args):
        raise RuntimeError("timeline write failed")

    monkeypatch.setattr(quote_reminder_delivery, "_record_sent", timeline_down)
    sent_quote(rep, MONDAY)
    run_at(MONDAY + timedelta(days=2))
    run_at(MONDAY + timedelta(days=4))  # SMTP took it; writing the timeline entry failed
    assert len(reminders(smtp_sink)) == 1 and reminder_log().action == "email_sent"
    monkeypatch.undo()
    for hours in (1, 2, 3):
        run_at(MONDAY + timedelta(days=4, hours=hours))
    with travel(MONDAY + timedelta(days=4, hours=3)):
        for retry in huey.read_schedule(FAR_FUTURE):  # a retry the queue may hold: it finds the reminder sent
            huey.execute(retry, timestamp=retry.eta)
    assert len(reminders(smtp_sink)) == 1 and reminder_log().action == "email_sent"


@pytest.mark.parametrize("state", ["email_queued", "email_sending"])
def test_a_reminder_whose_job_was_lost_is_queued_again_after_an_hour_and_sent_once(rep, smtp_sink, state):
    quote = sent_quote(rep, MONDAY)
    retry = smtp_down_at_the_reminder(quote, smtp_sink)  # the retry is never run: the queue lost it
    lost_at = MONDAY + timedelta(days=4)
    db.session.execute(update(AutomationLog).where(AutomationLog.rule == "quote_reminder").values(
        action=state, created_at=lost_at))  # "email_sending": the worker died after claiming it, before SMTP
    db.session.commit()
    run_at(lost_at + timedelta(minutes=45))
    assert reminders(smtp_sink) == [] and reminder_log().action == state
    outcome = run_at(lost_at + timedelta(minutes=61))["quote_reminder"]
    assert outcome.counts == {"email_requeued": 1}
    assert len(reminders(smtp_sink)) == 1 and reminder_log().action == "email_sent"
    run_at(lost_at + timedelta(hours=3))
    with travel(lost_at + timedelta(hours=3)):
        huey.execute(retry, timestamp=retry.eta)  # the lost job turns up after all
    assert len(reminders(smtp_sink)) == 1 and len(tasks(rep, kind="email")) == 1


def test_a_failing_reminder_is_tried_max_attempts_times_in_all_then_given_up_and_shown_on_the_log(
        app, client, auth, rep, smtp_sink, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_RETRIES", 1)  # each job retries once; the passes queue it again
    sent_quote(rep, MONDAY)
    run_at(MONDAY + timedelta(days=2))
    smtp_sink.stop()
    when = MONDAY + timedelta(days=4)
    for _ in range(MAX_ATTEMPTS):
        run_at(when)
        for job in huey.read_schedule(FAR_FUTURE):
            with travel(when):
                huey.execute(job, timestamp=job.eta)
        when += timedelta(minutes=15)
    log = reminder_log()
    assert log.action == "email_gave_up" and detail_notes(log.detail)["tries"] == MAX_ATTEMPTS
    smtp_sink.start()
    run_at(when + timedelta(hours=2))
    assert smtp_sink.messages == [] and reminder_log().action == "email_gave_up"
    admin = make_user(role="admin", email="admin@example.vn", locale="en")
    auth.login(admin.email)
    page = client.get("/admin/automation/log?rule=quote_reminder").get_data(as_text=True)
    assert "E-mail failed for good" in page and f"{MAX_ATTEMPTS} attempts" in page


def test_a_reminder_for_an_expired_quote_is_not_sent(rep, smtp_sink):
    sent_quote(rep, MONDAY, valid_until=date(2026, 11, 26))
    run_at(MONDAY + timedelta(days=2))
    run_at(MONDAY + timedelta(days=4))  # 27/11: past its validity
    assert smtp_sink.messages == [] and logs("quote_reminder") == []
