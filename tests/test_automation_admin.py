"""The admin page of the automation rules: switches and parameters saved together or not at all, "Run now",
the last runs, the log of what the rules did, and who may see any of it."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, AutomationLog, AutomationRun, Setting
from app.services.automation.registry import DEFAULT_GREETING, RULES
from tests.factories import make_customer, make_deal, make_quote, make_team, make_user

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
HX = {"HX-Request": "true"}
DEFAULTS = {
    "quote_follow_up-enabled": "y", "quote_follow_up-after_days": "2",
    "quote_reminder-enabled": "y", "quote_reminder-after_hours": "48",
    "uncontacted_lead-enabled": "y", "uncontacted_lead-after_hours": "24",
    "contract_renewal-enabled": "y", "contract_renewal-days_before": "30",
    "birthday-enabled": "y", "birthday-template": DEFAULT_GREETING,
    "stale_deal-enabled": "y", "contact_due_days": "30",
}


@pytest.fixture()
def admin():
    return make_user(role="admin", email="admin@example.vn", name="Quản Trị", locale="en")


def stored():
    db.session.expire_all()
    return {key: (setting.value if setting else None)
            for key, setting in ((k, db.session.get(Setting, k)) for k in ("automation", "agenda"))}


def test_the_page_shows_every_rule_with_its_defaults(client, auth, admin):
    auth.login(admin.email)
    page = client.get("/admin/automation").get_data(as_text=True)
    for rule in RULES.values():
        assert f'id="rule-{rule.key}"' in page and f'name="{rule.key}-enabled"' in page
    assert re.search('name="quote_follow_up-after_days"[^>]* value="2"', page)
    assert re.search('name="contract_renewal-days_before"[^>]* value="30"', page)
    assert "Chúc mừng sinh nhật {name}!" in page and 'name="contact_due_days"' in page
    assert page.count("Not run yet.") == len(RULES)
    assert "/admin/automation" in client.get("/more").get_data(as_text=True)


def test_saving_switches_and_parameters(client, auth, admin):
    auth.login(admin.email)
    data = {**DEFAULTS, "quote_follow_up-after_days": "3", "birthday-template": "Mừng sinh nhật {name} — {rep}",
            "contact_due_days": "45"}
    del data["stale_deal-enabled"]  # an unticked box is not sent
    response = auth.post("/admin/automation", data)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/automation"
    settings = stored()
    assert settings["automation"]["quote_follow_up"] == {"enabled": True, "after_days": 3}
    assert settings["automation"]["birthday"] == {"enabled": True, "template": "Mừng sinh nhật {name} — {rep}"}
    assert settings["automation"]["stale_deal"] == {"enabled": False}
    assert settings["agenda"] == {"contact_due_days": 45}
    assert db.session.get(Setting, "automation").updated_by_id == admin.id
    page = client.get("/admin/automation").get_data(as_text=True)
    assert "Automation settings saved" in page and 'value="45"' in page
    assert 'name="stale_deal-enabled" type="checkbox" value="y">' in page  # shown off


@pytest.mark.parametrize("field, value, message", [
    ("quote_follow_up-after_days", "0", "Enter a number from 1 to 30."),
    ("quote_follow_up-after_days", "31", "Enter a number from 1 to 30."),
    ("quote_reminder-after_hours", "721", "Enter a number from 1 to 720."),
    ("uncontacted_lead-after_hours", "hai", "Not a valid integer value."),
    ("contract_renewal-days_before", "", "Required field"),
    ("birthday-template", "Chúc mừng {name.__class__}", "Only {name} and {rep} can be used, not {name.__class__}."),
    ("birthday-template", "Chúc mừng {customer}", "Only {name} and {rep} can be used, not {customer}."),
    ("birthday-template", "Chúc mừng {name!r}", "Only {name} and {rep} can be used, not {name!r}."),
    ("birthday-template", "Chúc mừng {name", "A single { or } is not allowed"),
    ("birthday-template", "Chúc mừng } {name}", "A single { or } is not allowed"),
    ("birthday-template", "x" * 1001, "The message can have at most 1000 characters."),
    ("contact_due_days", "366", "Enter a number from 1 to 365."),
])
def test_an_invalid_setting_is_explained_next_to_its_field_and_nothing_is_saved(client, auth, admin, field, value,
                                                                               message):
    auth.login(admin.email)
    assert auth.post("/admin/automation", {**DEFAULTS, "quote_follow_up-after_days": "5"}).status_code == 303
    before = stored()
    other, valid = ("contract_renewal-days_before", "45") if field.startswith("quote_reminder") else (
        "quote_reminder-after_hours", "72")
    response = auth.post("/admin/automation", {**DEFAULTS, other: valid, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    error_at = page.index(f'id="{field}-error"')
    assert message in page[error_at:error_at + 300].replace("&#39;", "'").replace("&lt;", "<")
    assert stored() == before  # the valid change posted with it is not saved either
    assert re.search(f'name="{other}"[^>]* value="{valid}"', page)  # what the admin typed is kept on the page


def test_the_greeting_template_is_never_evaluated_as_code(client, auth, admin):
    auth.login(admin.email)
    evil = "{{name}} {rep} <script>alert(1)</script>"
    assert auth.post("/admin/automation", {**DEFAULTS, "birthday-template": evil}).status_code == 303
    assert stored()["automation"]["birthday"]["template"] == evil  # literal braces are fine: {{ shows a brace
    page = client.get("/admin/automation").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_only_admins_see_or_change_the_rules(client, auth, role):
    user = make_user(role=role, team=make_team())
    auth.login(user.email)
    assert client.get("/admin/automation").status_code == 403
    assert client.get("/admin/automation/log").status_code == 403
    assert auth.post("/admin/automation", {**DEFAULTS, "quote_follow_up-after_days": "9"}).status_code == 403
    assert auth.post("/admin/automation/run").status_code == 403
    assert stored() == {"automation": None, "agenda": None}
    assert db.session.scalars(select(AutomationRun)).all() == []


def test_run_now_runs_a_pass_and_the_page_shows_each_rules_last_run(client, auth, admin):
    now = datetime(2026, 11, 22, 11, 0, tzinfo=HCM)
    with time_machine.travel(now, tick=False):  # signed in at that time too: a session is never from the future
        rep = make_user(email="an@example.vn", name="Nguyễn Văn An")
        deal = make_deal(make_customer(rep, name="Công ty Đức Hưng"), stage_key="quote_sent")
        quote = make_quote(deal, lines=[{"description": "Máy lạnh", "quantity": 1, "unit_price_vnd": 10_000_000}],
                           status="sent", sent_at=now - timedelta(days=2, hours=1), recipient_email=None)
        auth.login(admin.email)
        response = auth.post("/admin/automation/run")
        assert response.status_code == 303 and response.headers["Location"] == "/admin/automation"
        page = client.get("/admin/automation").get_data(as_text=True)
    assert {run.rule for run in db.session.scalars(select(AutomationRun))} == set(RULES)
    (call,) = db.session.scalars(select(Activity).where(Activity.owner_id == rep.id)).all()
    assert call.kind == "call" and quote.number in call.subject
    assert "A pass of the rules was started" in page
    assert page.count("Last run 22/11/2026 11:00: 0 actions.") == len(RULES) - 1
    assert "Last run 22/11/2026 11:00: 1 action." in page and "Not run yet." not in page


def test_a_failed_rule_shows_its_error_on_the_page(client, auth, admin):
    db.session.add(AutomationRun(rule="birthday", actions=0, error="RuntimeError: database said no",
                                 finished_at=datetime.now(HCM)))
    db.session.commit()
    auth.login(admin.email)
    page = client.get("/admin/automation").get_data(as_text=True)
    assert "failed." in page and "RuntimeError: database said no" in page


def log_rows(customer, count, rule="quote_follow_up", start=datetime(2026, 11, 1, tzinfo=HCM)):
    for n in range(count):
        db.session.add(AutomationLog(rule=rule, subject_id=1000 + n, occurrence="", action="task_created",
                                     customer_id=customer.id, user_id=customer.owner_id, detail=f"BG-2026-{n:05d}",
                                     created_at=start + timedelta(minutes=n)))
    db.session.commit()


def test_the_log_is_newest_first_paginated_and_filtered_by_rule(client, auth, admin):
    customer = make_customer(admin, name="Công ty <b>Đức Hưng</b>")
    log_rows(customer, 55)
    log_rows(customer, 2, rule="birthday", start=datetime(2026, 10, 1, tzinfo=HCM))
    auth.login(admin.email)
    first = client.get("/admin/automation/log").get_data(as_text=True)
    assert first.index("BG-2026-00054") < first.index("BG-2026-00053")
    assert "BG-2026-00005" in first and "BG-2026-00004" not in first  # 50 a page
    assert "Công ty &lt;b&gt;Đức Hưng&lt;/b&gt;" in first and "Task created" in first and "Quản Trị" in first
    assert 'href="/admin/automation/log?page=2"' in first
    second = client.get("/admin/automation/log?page=2").get_data(as_text=True)
    assert "BG-2026-00004" in second and "BG-2026-00000" in second and "BG-2026-00054" not in second
    birthdays = client.get("/admin/automation/log?rule=birthday").get_data(as_text=True)
    assert birthdays.count('data-rule="birthday"') == 2 and 'data-rule="quote_follow_up"' not in birthdays
    unknown = client.get("/admin/automation/log?rule=1%20OR%201=1&page=-3")
    assert unknown.status_code == 200 and unknown.get_data(as_text=True).count('data-rule="') == 50
    fragment = client.get("/admin/automation/log?rule=birthday", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


@pytest.mark.parametrize("page", ["99999999999999999999999", "-5", "201", "abc"])
def test_a_log_page_out_of_range_is_answered_not_an_error(client, auth, admin, page):
    log_rows(make_customer(admin, name="Công ty Đức Hưng"), 3)
    auth.login(admin.email)
    response = client.get(f"/admin/automation/log?page={page}")
    assert response.status_code == 200
    shown = response.get_data(as_text=True).count('data-rule="')
    assert shown == (3 if page in ("-5", "abc") else 0)  # before the first page: the first; past the last: none


def worker_warning(client):
    page = client.get("/admin/automation").get_data(as_text=True)
    return "automation-worker-silent" in page, page


def test_the_page_warns_when_no_pass_has_run_for_45_minutes(client, auth, admin):
    now = datetime(2026, 11, 23, 10, 0, tzinfo=HCM)
    with time_machine.travel(now, tick=False):
        auth.login(admin.email)
        warned, page = worker_warning(client)
        assert warned and "The rules have never run" in page
        db.session.add(AutomationRun(rule="birthday", started_at=now - timedelta(minutes=44), actions=0))
        db.session.commit()
        assert worker_warning(client)[0] is False
    with time_machine.travel(now + timedelta(minutes=2), tick=False):
        warned, page = worker_warning(client)
        assert warned and "since 23/11/2026 09:16" in page
        assert "huey_consumer app.jobs.huey --workers 2 --worker-type thread --flush-locks" in page
        every_rule_off = {key: value for key, value in DEFAULTS.items() if not key.endswith("-enabled")}
        assert auth.post("/admin/automation", every_rule_off).status_code == 303
    with time_machine.travel(now + timedelta(hours=5), tick=False):
        assert worker_warning(client)[0] is False  # nothing to run: nothing to warn about


def test_log_details_are_worded_in_the_readers_language(client, auth, admin):
    customer = make_customer(admin, name="Công ty Đức Hưng")
    rows = [("skipped_no_email", "skipped: no e-mail"), ("skipped_no_email", "BG-2026-00002"),
            ("email_cancelled", '{"reason": "deal_closed", "text": "BG-2026-00003"}'),
            ("email_cancelled", '{"reason": "resent", "text": "BG-2026-00004"}'),
            ("task_created", '{"instead_of": "Nguyễn Văn An", "text": "BG-2026-00005"}')]
    for n, (action, detail) in enumerate(rows):
        db.session.add(AutomationLog(rule="quote_reminder", subject_id=n, occurrence="", action=action,
                                     customer_id=customer.id, detail=detail))
    db.session.commit()
    auth.login(admin.email)
    page = client.get("/admin/automation/log").get_data(as_text=True).replace("&#39;", "'")
    assert page.count("Skipped: no e-mail address") == 2 and "#0 · no e-mail address" in page  # an older row too
    assert "skipped: no e-mail" not in page and "#1 · BG-2026-00002" in page
    assert page.count("E-mail cancelled") == 2 and "E-mail cancelled: quote answered" not in page
    assert "BG-2026-00003 · the deal was closed" in page
    assert "BG-2026-00004 · the quote was sent again: its new sending gets its own reminder" in page
    assert "BG-2026-00005 · given to a stand-in: Nguyễn Văn An is no longer active" in page
    assert "deal_closed" not in page and "instead_of" not in page and "{" not in page.split('id="automation-log"')[1]
