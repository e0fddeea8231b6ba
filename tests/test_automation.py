"""The periodic rules, with frozen time: each fires once and only once (also when run twice and as the clock moves
on), honours its switch and parameters, and a rule that raises does not stop the others."""
import dataclasses
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.jobs import huey
from app.models import (Activity, AutomationLog, AutomationRun, Contact, Contract, Customer, Deal, Notification, Quote,
                        Setting)
from app.models.users import hash_token
from app.services import automation
from app.services.automation import DEFAULT_GREETING, RULES, run_all_rules
from app.services.automation_pass import Planned, RulePass
from app.services.deals import move_deal
from tests.factories import (make_activity, make_contact, make_customer, make_deal, make_quote, make_team, make_user,
                             stage)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=HCM)
LINES = [{"description": "Máy lọc nước RO 10 lõi", "unit": "bộ", "quantity": 1, "unit_price_vnd": 10_000_000,
          "vat_rate": 10}, {"description": "Công lắp đặt", "unit": "lần", "quantity": 1, "unit_price_vnd": 1_345_000,
                            "vat_rate": None}]
CUSTOMER_EMAIL = "chi.tran@duchung.vn"
FAR_FUTURE = datetime(2100, 1, 1)  # naive UTC, as huey reads its schedule


def travel(when):
    return time_machine.travel(when, tick=False)


def run_at(when, **settings):
    """One pass of the rules at `when` (Ho Chi Minh time), with these rules' settings stored first."""
    with travel(when):
        if settings:
            current = automation.rule_settings()
            for key, values in settings.items():
                current[key].update(values)
            automation.save_settings(current, 30, None)
        return {outcome.rule: outcome for outcome in run_all_rules()}


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def tasks(owner, kind=None):
    db.session.expire_all()
    stmt = select(Activity).where(Activity.owner_id == owner.id).order_by(Activity.id)
    return db.session.scalars(stmt.where(Activity.kind == kind) if kind else stmt).all()


@pytest.fixture()
def team():
    team = make_team("Kinh doanh Miền Nam")
    manager = make_user(role="manager", team=team, email="ha@example.vn", name="Phạm Thu Hà", locale="en")
    rep = make_user(team=team, email="an@example.vn", name="Nguyễn Văn An", locale="en", phone="+84903123456")
    return team, manager, rep


@pytest.fixture()
def rep(team):
    return team[2]


@pytest.fixture()
def manager(team):
    return team[1]


def link_token(quote):
    return f"the-link-of-deal-{quote.deal_id}"


def sent_quote(owner, sent_at, email=CUSTOMER_EMAIL, status="sent", **overrides):
    """A quote sent at sent_at (its customer's link: link_token(quote))."""
    with travel(sent_at):
        customer = make_customer(owner, name="Công ty TNHH Đức Hưng")
        deal = make_deal(customer, stage_key="quote_sent", title="Máy lọc nước văn phòng")
        return make_quote(deal, lines=LINES, status=status, sent_at=sent_at, recipient_email=email,
                          token_hash=hash_token(f"the-link-of-deal-{deal.id}"), send_state="sent", **overrides)


# --- quote follow-up ------------------------------------------------------------------------------

def test_a_sent_quote_gets_one_follow_up_call_after_two_days(rep):
    quote = sent_quote(rep, MONDAY)
    run_at(MONDAY + timedelta(days=1, hours=23))
    assert tasks(rep) == []
    run_at(MONDAY + timedelta(days=2))
    run_at(MONDAY + timedelta(days=2))  # the same pass twice
    run_at(MONDAY + timedelta(days=5))  # and later ones
    (call,) = tasks(rep)
    assert (call.kind, call.subject, call.done_at) == ("call", f"Call back about quote {quote.number}", None)
    assert (call.customer_id, call.deal_id) == (quote.customer_id, quote.deal_id)
    assert call.due_at == MONDAY + timedelta(days=2)
    (log,) = db.session.scalars(select(AutomationLog).where(AutomationLog.rule == "quote_follow_up")).all()
    assert (log.subject_id, log.action, log.activity_id) == (quote.id, "task_created", call.id)
    assert log.detail == quote.number


def test_a_follow_up_made_by_a_night_pass_is_due_at_nine(rep):
    sent_quote(rep, MONDAY.replace(hour=2))
    run_at(MONDAY.replace(hour=2) + timedelta(days=2))
    (call,) = tasks(rep)
    assert call.due_at == MONDAY.replace(hour=9) + timedelta(days=2)


def test_answered_expired_and_draft_quotes_get_no_follow_up(rep):
    for status in ("accepted", "declined", "draft"):
        sent_quote(rep, MONDAY, status=status)
    sent_quote(rep, MONDAY, valid_until=date(2026, 11, 24))  # validity over by the time a call is due
    run_at(MONDAY + timedelta(days=3))
    assert tasks(rep) == []


def test_a_changed_parameter_and_a_switched_off_rule_take_effect(rep):
    quote = sent_quote(rep, MONDAY)
    outcomes = run_at(MONDAY + timedelta(days=2), quote_follow_up={"after_days": 4})
    assert tasks(rep) == [] and outcomes["quote_follow_up"].actions == 0
    outcomes = run_at(MONDAY + timedelta(days=4), quote_follow_up={"enabled": False})
    assert tasks(rep) == [] and "quote_follow_up" not in outcomes
    run_at(MONDAY + timedelta(days=4), quote_follow_up={"enabled": True})
    assert [call.subject for call in tasks(rep)] == [f"Call back about quote {quote.number}"]


# --- quote reminder e-mail ------------------------------------------------------------------------

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
    (log,) = db.session.scalars(select(AutomationLog).where(AutomationLog.rule == "quote_reminder")).all()
    assert (log.action, log.activity_id) == ("email_sent", entry.id)
    auth.login(rep.email)
    assert entry.subject in client.get(f"/customers/{quote.customer_id}").get_data(as_text=True)


def test_no_recipient_address_is_logged_once_and_nothing_is_sent(rep, smtp_sink):
    quote = sent_quote(rep, MONDAY, email=None)
    for days in (2, 4, 4, 5):
        run_at(MONDAY + timedelta(days=days))
    assert smtp_sink.messages == [] and tasks(rep, kind="email") == []
    (log,) = db.session.scalars(select(AutomationLog).where(AutomationLog.rule == "quote_reminder")).all()
    assert (log.subject_id, log.action, log.detail) == (quote.id, "skipped_no_email", "skipped: no e-mail")


def test_smtp_down_the_reminder_is_retried_and_sent_exactly_once(app, rep, smtp_sink):
    quote = sent_quote(rep, MONDAY)
    run_at(MONDAY + timedelta(days=2))
    smtp_sink.stop()
    run_at(MONDAY + timedelta(days=4))
    log = db.session.scalar(select(AutomationLog).where(AutomationLog.rule == "quote_reminder"))
    assert log.action == "email_queued" and "Connection" in log.detail
    (retry,) = huey.read_schedule(FAR_FUTURE)
    assert retry.retries == app.config["JOBS_RETRIES"] - 1
    smtp_sink.start()
    run_at(MONDAY + timedelta(days=4, hours=1))  # a pass meanwhile queues nothing new
    huey.execute(retry, timestamp=retry.eta)
    huey.execute(retry, timestamp=retry.eta)  # delivered twice by racing consumers: mailed once
    assert len(smtp_sink.to(CUSTOMER_EMAIL)) == 1 and len(tasks(rep, kind="email")) == 1
    assert db.session.get(Quote, quote.id).status == "sent"


def test_a_quote_accepted_before_the_job_runs_gets_no_reminder(rep, smtp_sink):
    quote = sent_quote(rep, MONDAY)
    run_at(MONDAY + timedelta(days=2))
    smtp_sink.stop()
    run_at(MONDAY + timedelta(days=4))
    (retry,) = huey.read_schedule(FAR_FUTURE)
    db.session.get(Quote, quote.id).status = "accepted"
    db.session.commit()
    smtp_sink.start()
    huey.execute(retry, timestamp=retry.eta)
    assert smtp_sink.messages == [] and tasks(rep, kind="email") == []
    action = db.session.scalar(select(AutomationLog.action).where(AutomationLog.rule == "quote_reminder"))
    assert action == "email_cancelled"


# --- new leads not contacted ----------------------------------------------------------------------

def test_the_team_manager_hears_once_about_a_new_lead_nobody_contacted(rep, manager):
    other_manager = make_user(role="manager", team=make_team(), email="khac@example.vn")
    with travel(MONDAY):
        lead = make_customer(rep, name="Quán Cơm Bà Ba")
        make_customer(rep, name="Đã gọi", last_contact_at=MONDAY + timedelta(hours=3))
        make_customer(rep, name="Đã mua", lifecycle="customer")
    with travel(MONDAY - timedelta(days=10)):
        make_customer(rep, name="Khách cũ")  # not new: a first pass must not flood the manager
    run_at(MONDAY + timedelta(hours=23))
    assert count(Notification) == 0
    for hours in (25, 25, 72):
        run_at(MONDAY + timedelta(hours=hours))
    (notice,) = db.session.scalars(select(Notification)).all()
    assert (notice.user_id, notice.kind, notice.url) == (manager.id, "lead_uncontacted", f"/customers/{lead.id}")
    assert "Quán Cơm Bà Ba" in notice.text and "Nguyễn Văn An" in notice.text and "24 hours" in notice.text
    assert count(Notification, Notification.user_id == other_manager.id) == 0


def test_without_a_team_manager_the_admins_hear_about_the_lead():
    loner = make_user(email="le@example.vn")
    admin = make_user(role="admin", email="admin@example.vn")
    make_user(role="admin", email="cu@example.vn", active=False)
    with travel(MONDAY):
        make_customer(loner, name="Tiệm Vàng Kim Long")
    run_at(MONDAY + timedelta(hours=30), uncontacted_lead={"after_hours": 48})
    assert count(Notification) == 0
    run_at(MONDAY + timedelta(hours=49))
    assert [n.user_id for n in db.session.scalars(select(Notification))] == [admin.id]


# --- contract renewal -----------------------------------------------------------------------------

def contract_for(owner, end_date):
    quote = sent_quote(owner, MONDAY - timedelta(days=400), status="accepted")
    contract = Contract(number="HD-2026-00007", quote_id=quote.id, deal_id=quote.deal_id, customer_id=quote.customer_id,
                        owner_id=owner.id, start_date=end_date - timedelta(days=365), end_date=end_date,
                        renewal_date=end_date - timedelta(days=30), value_vnd=quote.total_vnd)
    db.session.add(contract)
    db.session.commit()
    return contract


def test_a_contract_ending_within_30_days_gets_one_renewal_task_and_a_new_end_date_another(rep):
    contract = contract_for(rep, date(2026, 12, 24))
    run_at(MONDAY)  # 31 days before the end
    assert tasks(rep) == []
    for days in (1, 1, 20):
        run_at(MONDAY + timedelta(days=days))
    (task,) = tasks(rep)
    assert (task.kind, task.subject, task.customer_id, task.deal_id) == (
        "task", "Renew contract HD-2026-00007", contract.customer_id, contract.deal_id)
    assert task.due_at == datetime(2026, 11, 24, 9, 0, tzinfo=HCM)
    contract.end_date = date(2027, 12, 24)  # renewed for a year
    db.session.commit()
    run_at(datetime(2027, 11, 24, 10, 0, tzinfo=HCM))
    run_at(datetime(2027, 11, 25, 10, 0, tzinfo=HCM))
    assert [t.subject for t in tasks(rep)] == ["Renew contract HD-2026-00007"] * 2


# --- birthdays ------------------------------------------------------------------------------------

def test_birthdays_of_customers_and_contacts_get_one_greeting_task_a_year(rep):
    partner = make_customer(rep, name="Công ty Sen Vàng")
    make_contact(partner, name="Chị Lê Hoa", birthday=date(1990, 11, 23))
    highest = max(db.session.scalar(select(func.max(model.id))) for model in (Customer, Contact))
    shared_id = highest + 1000
    customer = make_customer(rep, id=shared_id, name="Anh Trần Minh", kind="person", birthday=date(1980, 11, 23))
    make_contact(partner, id=shared_id, name="Anh Cùng Số", birthday=date(1991, 11, 23))  # same id as the customer
    make_customer(rep, name="Sinh nhật mai", birthday=date(1985, 11, 24))
    for when in (MONDAY, MONDAY, MONDAY + timedelta(hours=8)):
        run_at(when)
    greetings = tasks(rep)
    assert sorted(t.subject for t in greetings) == [
        "Happy birthday to Anh Cùng Số", "Happy birthday to Anh Trần Minh", "Happy birthday to Chị Lê Hoa"]
    first = next(t for t in greetings if t.customer_id == customer.id)
    assert first.body == DEFAULT_GREETING.format(name="Anh Trần Minh", rep="Nguyễn Văn An")
    assert first.due_at == MONDAY.replace(hour=9) and first.kind == "task"
    run_at(MONDAY + timedelta(days=365))  # a year later: greeted again
    assert len(tasks(rep)) == 6


def test_a_29_february_birthday_is_greeted_on_28_february_when_the_year_has_none(rep):
    make_customer(rep, name="Chị Nhuận", kind="person", birthday=date(1988, 2, 29))
    run_at(datetime(2027, 2, 27, 10, 0, tzinfo=HCM))
    assert tasks(rep) == []
    run_at(datetime(2027, 2, 28, 10, 0, tzinfo=HCM))
    run_at(datetime(2027, 3, 1, 10, 0, tzinfo=HCM))
    assert len(tasks(rep)) == 1
    run_at(datetime(2028, 2, 28, 10, 0, tzinfo=HCM))  # 2028 has a 29 February
    assert len(tasks(rep)) == 1
    run_at(datetime(2028, 2, 29, 10, 0, tzinfo=HCM))
    assert len(tasks(rep)) == 2


def test_a_changed_greeting_template_is_used(rep):
    make_customer(rep, name="Anh Bảo", kind="person", birthday=date(1970, 11, 23))
    run_at(MONDAY, birthday={"template": "Mừng sinh nhật {name}! {rep} kính chúc."})
    assert tasks(rep)[0].body == "Mừng sinh nhật Anh Bảo! Nguyễn Văn An kính chúc."


# --- stale deals ----------------------------------------------------------------------------------

def test_a_stale_deal_is_flagged_and_cleared_without_touching_its_version(rep):
    customer = make_customer(rep)
    with travel(MONDAY - timedelta(days=20)):
        deal = make_deal(customer, stage_key="consulting")
        fresh = make_deal(customer, stage_key="consulting", stage_entered_at=MONDAY - timedelta(days=3))
        planned = make_deal(customer, stage_key="consulting")
        won = make_deal(customer, stage_key="won")
    with travel(MONDAY):
        make_activity(rep, customer, due_in=timedelta(days=2), deal=planned)
    version, updated_at = deal.version, deal.updated_at
    assert run_at(MONDAY)["stale_deal"].counts == {"deal_flagged": 1}
    for when in (MONDAY, MONDAY + timedelta(hours=1)):
        assert run_at(when)["stale_deal"].actions == 0
    flagged = {d.id: d.stale_at for d in db.session.scalars(select(Deal))}
    assert flagged == {deal.id: MONDAY, fresh.id: None, planned.id: None, won.id: None}
    saved = db.session.get(Deal, deal.id)
    assert (saved.version, saved.updated_at) == (version, updated_at)  # a rep editing it meets no false conflict
    assert count(AutomationLog, AutomationLog.rule == "stale_deal") == 1
    with travel(MONDAY + timedelta(hours=2)):
        step = make_activity(rep, customer, due_in=timedelta(days=1), deal=deal)
    assert run_at(MONDAY + timedelta(hours=2))["stale_deal"].counts == {"deal_unflagged": 1}
    assert db.session.get(Deal, deal.id).stale_at is None and db.session.get(Deal, deal.id).version == version
    step.done_at = MONDAY + timedelta(hours=3)
    db.session.commit()
    outcome = run_at(MONDAY + timedelta(hours=4))["stale_deal"]  # nothing scheduled again: flagged again, not logged
    assert outcome.counts == {"deal_flagged_again": 1}
    assert db.session.get(Deal, deal.id).stale_at == MONDAY + timedelta(hours=4)
    assert count(AutomationLog, AutomationLog.rule == "stale_deal") == 1


def test_a_moved_deal_is_unflagged_at_once_and_logged_again_when_it_stalls_in_its_new_stage(rep):
    with travel(MONDAY - timedelta(days=20)):
        deal = make_deal(make_customer(rep), stage_key="consulting")
    run_at(MONDAY)
    deal = db.session.get(Deal, deal.id)
    assert deal.stale_at is not None
    with travel(MONDAY + timedelta(days=1)):
        move_deal(deal, stage("negotiation"), rep, deal.version)
    assert db.session.get(Deal, deal.id).stale_at is None
    run_at(MONDAY + timedelta(days=10))
    assert db.session.get(Deal, deal.id).stale_at is None
    run_at(MONDAY + timedelta(days=16))
    assert db.session.get(Deal, deal.id).stale_at == MONDAY + timedelta(days=16)
    assert count(AutomationLog, AutomationLog.rule == "stale_deal", AutomationLog.subject_id == deal.id) == 2


# --- the pass as a whole --------------------------------------------------------------------------

def test_a_rule_that_raises_is_recorded_and_the_others_still_run(rep, monkeypatch):
    def broken(_run):
        raise RuntimeError("database said no")

    monkeypatch.setitem(RULES, "birthday", dataclasses.replace(RULES["birthday"], run=broken))
    sent_quote(rep, MONDAY)
    outcomes = run_at(MONDAY + timedelta(days=2))
    assert outcomes["birthday"].error == "RuntimeError: database said no"
    runs = {run.rule: run for run in db.session.scalars(select(AutomationRun))}
    assert set(runs) == set(RULES)
    assert runs["birthday"].error == "RuntimeError: database said no" and runs["birthday"].actions == 0
    assert runs["quote_follow_up"].error is None and runs["quote_follow_up"].actions == 1
    assert len(tasks(rep)) == 1


def test_an_item_a_concurrent_pass_logged_first_is_skipped_not_doubled(rep):
    """The race the unique key settles: both passes selected the same candidates; the other one logged first."""
    first, second = make_customer(rep), make_customer(rep)
    db.session.add(AutomationLog(rule="birthday", subject_id=first.id, occurrence="c2026", action="task_created"))
    db.session.commit()
    with travel(MONDAY):
        run = RulePass("birthday", {"enabled": True}, MONDAY)
        automation.begin_rule_transaction()
        done = run.record([Planned(c.id, "c2026", "task_created", rep.id, c.id, c.name, activity=dict(
            kind="task", subject=f"Chúc mừng {c.name}", owner_id=rep.id, customer_id=c.id, due_at=MONDAY))
            for c in (first, second)])
        db.session.commit()
    assert [item.subject_id for item in done] == [second.id] and run.counts == {"task_created": 1}
    assert [t.customer_id for t in tasks(rep)] == [second.id]
    assert count(AutomationLog) == 2


def test_a_task_whose_log_row_was_lost_is_not_made_again_and_not_retried_forever(rep):
    customer = make_customer(rep, name="Anh Sinh Nhật", kind="person", birthday=date(1980, 11, 23))
    run_at(MONDAY)
    db.session.execute(AutomationLog.__table__.delete())  # e.g. gone with a merged customer
    db.session.commit()
    outcomes = run_at(MONDAY + timedelta(hours=1))
    assert outcomes["birthday"].actions == 0 and len(tasks(rep)) == 1  # the activity's key refused a copy
    (log,) = db.session.scalars(select(AutomationLog)).all()
    assert (log.subject_id, log.action) == (customer.id, "already_done")
    run_at(MONDAY + timedelta(hours=2))
    assert count(AutomationLog) == 1 and len(tasks(rep)) == 1


def test_settings_stored_wrong_fall_back_to_the_defaults(rep):
    db.session.add(Setting(key="automation", value={"quote_follow_up": {"after_days": "2; DROP"}, "birthday": {
        "template": "{name.__class__}", "enabled": "yes"}}))
    db.session.commit()
    settings = automation.rule_settings()
    assert settings["quote_follow_up"] == {"enabled": True, "after_days": 2}
    assert settings["birthday"] == {"enabled": True, "template": DEFAULT_GREETING}


def test_flask_rules_run_prints_what_each_rule_did(rep, runner):
    sent_quote(rep, MONDAY)
    with travel(MONDAY + timedelta(days=2)):
        result = runner.invoke(args=["rules", "run"])
        again = runner.invoke(args=["rules", "run", "--rule", "quote_follow_up"])
    assert result.exit_code == 0, result.output
    assert "quote_follow_up" in result.output and "task_created 1" in result.output
    assert "pass finished in" in result.output
    assert again.exit_code == 0 and "nothing to do" in again.output and "birthday" not in again.output
    assert runner.invoke(args=["rules", "run", "--rule", "nope"]).exit_code != 0
