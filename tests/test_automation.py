"""The periodic rules, with frozen time: each fires once and only once (also when run twice and as the clock moves
on), honours its switch and parameters, gives a deactivated owner's work to a stand-in, and a rule that raises
does not stop the others. The quote reminder e-mail: tests/test_automation_reminders.py."""
import dataclasses
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from app.extensions import db
from app.models import AutomationLog, AutomationRun, Contact, Customer, Deal, Notification, Setting
from app.services.automation import registry as automation
from app.services.automation.registry import DEFAULT_GREETING, RULES
from app.services.automation.passes import Planned, RulePass, instant_key_of
from app.services.pipeline.deals import move_deal
from tests.automation_support import (HCM, MONDAY, contract_for, count, logs, manager, rep, run_at,  # noqa: F401
                                      sent_quote, tasks, team, travel)
from tests.factories import make_activity, make_contact, make_customer, make_deal, make_team, make_user, stage


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
    (log,) = logs("quote_follow_up")
    assert (log.subject_id, log.action, log.activity_id) == (quote.id, "task_created", call.id)
    assert log.detail == quote.number and log.occurrence == instant_key_of(MONDAY) == "20261123T030000"


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


def test_a_quote_whose_deal_was_won_or_lost_gets_no_follow_up(rep):
    won, lost, still_open = (sent_quote(rep, MONDAY) for _ in range(3))
    with travel(MONDAY + timedelta(days=1)):
        move_deal(won.deal, stage("won"), rep, won.deal.version)  # e.g. signed on paper, quote never answered
        move_deal(lost.deal, stage("lost"), rep, lost.deal.version, lost_reason="Chọn nhà cung cấp khác")
    run_at(MONDAY + timedelta(days=2))
    run_at(MONDAY + timedelta(days=3))
    assert [call.deal_id for call in tasks(rep, kind="call")] == [still_open.deal_id]


def test_quotes_sent_long_ago_get_no_follow_up_when_the_rule_is_switched_on(rep):
    """Switched on over an old database: only quotes sent within the last after_days + 7 days get a call."""
    sent_quote(rep, MONDAY - timedelta(days=30))
    too_old = sent_quote(rep, MONDAY - timedelta(days=9, minutes=1))
    recent = sent_quote(rep, MONDAY - timedelta(days=8, hours=23))
    outcomes = run_at(MONDAY, quote_follow_up={"enabled": True})
    assert outcomes["quote_follow_up"].actions == 1
    assert [call.deal_id for call in tasks(rep)] == [recent.deal_id]
    run_at(MONDAY + timedelta(days=1))
    assert too_old.deal_id not in [call.deal_id for call in tasks(rep)]


def test_a_changed_parameter_and_a_switched_off_rule_take_effect(rep):
    quote = sent_quote(rep, MONDAY)
    outcomes = run_at(MONDAY + timedelta(days=2), quote_follow_up={"after_days": 4})
    assert tasks(rep) == [] and outcomes["quote_follow_up"].actions == 0
    outcomes = run_at(MONDAY + timedelta(days=4), quote_follow_up={"enabled": False})
    assert tasks(rep) == [] and "quote_follow_up" not in outcomes
    run_at(MONDAY + timedelta(days=4), quote_follow_up={"enabled": True})
    assert [call.subject for call in tasks(rep)] == [f"Call back about quote {quote.number}"]


# --- a deactivated owner's tasks ------------------------------------------------------------------

def test_a_deactivated_owners_follow_up_renewal_and_birthday_go_to_the_team_manager(rep, manager):
    quote = sent_quote(rep, MONDAY - timedelta(days=2))
    contract = contract_for(rep, date(2026, 12, 1))
    make_customer(rep, name="Anh Trần Minh", kind="person", birthday=date(1980, 11, 23))
    rep.active = False  # left the company; the customers are not reassigned yet
    db.session.commit()
    run_at(MONDAY)
    run_at(MONDAY + timedelta(hours=1))
    assert tasks(rep) == []
    work = tasks(manager)
    assert sorted(t.subject for t in work) == [
        f"Call back about quote {quote.number}", "Happy birthday to Anh Trần Minh", f"Renew contract {contract.number}"]
    greeting = next(t for t in work if t.subject.startswith("Happy"))
    assert greeting.body == DEFAULT_GREETING.format(name="Anh Trần Minh", rep="Phạm Thu Hà")  # signed by who sends it
    for rule in ("quote_follow_up", "contract_renewal", "birthday"):
        (log,) = logs(rule)
        assert log.user_id == manager.id and '"instead_of": "Nguyễn Văn An"' in log.detail


def test_without_an_active_manager_a_deactivated_owners_task_goes_to_an_admin():
    loner = make_user(email="le@example.vn", name="Lê Văn Tư", active=False)
    make_user(role="admin", email="cu@example.vn", active=False)
    admin = make_user(role="admin", email="admin@example.vn")
    make_customer(loner, name="Chị Lan", kind="person", birthday=date(1990, 11, 23))
    run_at(MONDAY)
    assert [t.subject for t in tasks(admin)] == ["Chúc mừng sinh nhật Chị Lan"]  # in the admin's language (vi)


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


def test_several_new_leads_make_one_summary_per_owner_for_each_manager(client, auth, team, rep, manager):
    second_manager = make_user(role="manager", team=team[0], email="binh@example.vn", locale="en")
    colleague = make_user(team=team[0], email="tu@example.vn", name="Trần Thị Tư")
    with travel(MONDAY):
        leads = [make_customer(rep, name=f"Tiệm Tạp Hóa Số {n}") for n in range(1, 6)]
        single = make_customer(colleague, name="Nhà Thuốc Minh Châu")
    make_customer(colleague, name="Khách của Tư, không phải lead", lifecycle="prospect")
    run_at(MONDAY + timedelta(hours=25))
    run_at(MONDAY + timedelta(hours=26))
    notices = db.session.scalars(select(Notification).order_by(Notification.user_id, Notification.id)).all()
    assert len(notices) == 4  # 2 managers × 2 owners, however many leads
    mine = [n for n in notices if n.user_id == manager.id]
    summary = next(n for n in mine if "Nguyễn Văn An" in n.text)
    assert summary.text == "5 new leads of Nguyễn Văn An not contacted within 24 h"
    url = urlsplit(summary.url)
    assert url.path == "/customers" and parse_qs(url.query) == {"owner": [str(rep.id)], "lifecycle": ["lead"]}
    assert next(n for n in mine if n is not summary).url == f"/customers/{single.id}"
    assert {n.user_id for n in notices} == {manager.id, second_manager.id}
    assert count(AutomationLog, AutomationLog.rule == "uncontacted_lead") == 6  # each lead counted once
    auth.login(manager.email)
    page = client.get(summary.url).get_data(as_text=True)  # the link shows that rep's leads, not the colleague's
    assert all(lead.name in page for lead in leads) and "Nhà Thuốc Minh Châu" not in page


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


EARLY = datetime(2026, 11, 23, 6, 30, tzinfo=HCM)  # 22/11 23:30 UTC: the UTC date is still the day before


def test_at_half_past_six_local_the_renewal_window_is_counted_from_the_local_day(rep):
    ending = contract_for(rep, date(2026, 12, 23), number="HD-2026-00001")  # local today + 30
    contract_for(rep, date(2026, 11, 22), number="HD-2026-00002")  # ended yesterday, local time
    run_at(EARLY)
    (task,) = tasks(rep)
    assert task.subject == f"Renew contract {ending.number}" and task.due_at == datetime(2026, 11, 23, 9, tzinfo=HCM)


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


def test_at_half_past_six_local_the_birthday_of_the_local_day_is_greeted(rep):
    make_customer(rep, name="Anh Hôm Nay", kind="person", birthday=date(1980, 11, 23))
    make_customer(rep, name="Chị Hôm Qua", kind="person", birthday=date(1980, 11, 22))  # the UTC date's
    run_at(EARLY)
    assert [(t.subject, t.due_at) for t in tasks(rep)] == [
        ("Happy birthday to Anh Hôm Nay", datetime(2026, 11, 23, 9, tzinfo=HCM))]


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


def test_braces_and_markup_in_a_name_stay_literal_text_in_the_greeting(client, auth, rep):
    name = "{rep} {name.__class__} <script>"
    customer = make_customer(rep, name=name, kind="person", birthday=date(1980, 11, 23))
    run_at(MONDAY, birthday={"template": "Chúc mừng {name}! — {rep}"})
    (task,) = tasks(rep)
    assert task.body == "Chúc mừng {rep} {name.__class__} <script>! — Nguyễn Văn An"
    assert task.subject == "Happy birthday to {rep} {name.__class__} <script>"
    with travel(MONDAY):  # signed in on that day too: a session cookie dated after the request is refused
        auth.login(rep.email)
        page = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Chúc mừng {rep} {name.__class__} &lt;script&gt;! — Nguyễn Văn An" in page and "<script>!" not in page


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
