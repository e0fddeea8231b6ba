"""Today's agenda: sections in order on a frozen clock, local midnight, bounded lists, actions in place."""
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import update

from app.extensions import db
from app.models import Activity, Contract, Deal
from app.services.agenda.today import AGENDA_LIMIT, build_agenda
from tests.factories import make_activity, make_contact, make_customer, make_deal, make_quote, make_team, make_user

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=HCM)  # a Sunday morning in Ho Chi Minh City


def at(day, hour, minute=0):
    """An aware time in Ho Chi Minh City on 2026-11-<day>."""
    return datetime(2026, 11, day, hour, minute, tzinfo=HCM)


def activity(owner, when, customer=None, **values):
    values.setdefault("subject", f"Việc lúc {when:%d/%m %H:%M}")
    return make_activity(owner, customer, due_in=when - datetime.now(timezone.utc), **values)


@pytest.fixture()
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def keys_and_titles(agenda):
    return [(section.key, [item.title for item in section.items]) for section in agenda.sections]


def test_sections_come_in_order_each_sorted(frozen):
    rep, other = make_user(), make_user()
    customer = make_customer(rep, name="Nhà hàng Sen Vàng", lifecycle="customer", last_contact_at=at(20, 9))
    activity(rep, at(21, 15), customer, subject="Gọi lại hôm qua")
    activity(rep, at(20, 8), customer, subject="Gửi catalogue", kind="task")
    activity(rep, at(22, 14), customer, subject="Thăm cửa hàng", kind="visit")
    activity(rep, at(22, 9, 30), customer, subject="Gọi sáng nay")  # passed, still today's
    activity(rep, at(22, 23, 30), customer, subject="Nhắn Zalo tối", kind="task")
    activity(rep, at(23, 0, 30), customer, subject="Ngày mai")
    activity(rep, at(22, 11), customer, subject="Đã xong", done_at=at(22, 8))
    activity(other, at(22, 11), make_customer(other), subject="Của người khác")

    with_step = make_deal(customer, title="Máy lọc nước cho bếp")
    activity(rep, at(25, 9), customer, subject="Demo máy", deal=with_step)
    make_deal(customer, title="Tủ đông nhỏ", value_vnd=5_000_000)
    make_deal(customer, title="Tủ đông lớn", value_vnd=50_000_000)
    stale = make_deal(customer, title="Bếp công nghiệp", value_vnd=1_000_000)
    db.session.execute(update(Deal).where(Deal.id == stale.id).values(stale_at=at(21, 0)))
    make_deal(customer, title="Đã thắng", stage_key="won", closed_at=at(20, 9))

    lines = [{"description": "Máy lọc", "quantity": 1, "unit_price_vnd": 9_000_000}]
    chase_old = make_quote(with_step, lines, status="viewed", sent_at=at(17, 9), viewed_at=at(18, 9))
    chase = make_quote(with_step, lines, status="sent", sent_at=at(20, 9))
    make_quote(with_step, lines, status="sent", sent_at=at(21, 9))  # only one day ago
    make_quote(with_step, lines, status="accepted", sent_at=at(10, 9))

    make_customer(rep, name="Khách mới A", created_at=at(20, 9))
    make_customer(rep, name="Khách mới B", created_at=at(21, 9))
    make_customer(rep, name="Đã gọi rồi", last_contact_at=at(21, 10))
    make_customer(other, name="Khách của người khác")

    for number, end in (("HD-2026-00002", date(2026, 12, 20)), ("HD-2026-00001", date(2026, 12, 2)),
                        ("HD-2026-00003", date(2027, 1, 10))):
        db.session.add(Contract(number=number, quote=make_quote(with_step, lines, status="accepted"),
                                deal_id=with_step.id, customer_id=customer.id, owner_id=rep.id,
                                start_date=date(2025, 12, 1), end_date=end, renewal_date=end - timedelta(days=30),
                                value_vnd=9_900_000))
    db.session.commit()

    born = make_customer(rep, name="Chị Hạnh", kind="person", birthday=date(1990, 11, 22), last_contact_at=at(21, 9))
    make_contact(customer, name="Anh Tuấn", birthday=date(1985, 11, 22))
    make_contact(born, name="Không phải hôm nay", birthday=date(1985, 11, 23))
    _someone_elses_day(other, lines)

    agenda = build_agenda(rep)
    assert keys_and_titles(agenda) == [
        ("overdue", ["Gửi catalogue", "Gọi lại hôm qua"]),
        ("today", ["Gọi sáng nay", "Thăm cửa hàng", "Nhắn Zalo tối"]),
        ("quotes", [chase_old.number, chase.number]),
        ("leads", ["Khách mới B", "Khách mới A"]),
        ("deals", ["Bếp công nghiệp", "Tủ đông lớn", "Tủ đông nhỏ"]),
        ("contracts", ["HD-2026-00001", "HD-2026-00002"]),
        ("birthdays", ["Chị Hạnh", "Anh Tuấn"]),
    ]
    assert agenda.section("deals").items[0].flag == "stale"
    assert agenda.section("birthdays").items[1].subtitle == "Nhà hàng Sen Vàng"
    assert agenda.action_count == 5


def _someone_elses_day(other, lines):
    """Everything the agenda lists, owned by another rep: none of it may show on mine."""
    theirs = make_customer(other, name="Khách của người khác", kind="person", birthday=date(1980, 11, 22))
    make_contact(theirs, name="Liên hệ của người khác", birthday=date(1981, 11, 22))
    deal = make_deal(theirs, title="Cơ hội của người khác")
    quote = make_quote(deal, lines, status="sent", sent_at=at(17, 9))
    db.session.add(Contract(number="HD-2026-00009", quote=make_quote(deal, lines, status="accepted"), deal_id=deal.id,
                            customer_id=theirs.id, owner_id=other.id, start_date=date(2025, 12, 1),
                            end_date=date(2026, 12, 5), renewal_date=date(2026, 11, 5), value_vnd=1))
    db.session.commit()
    return quote


def test_an_activity_at_23_30_local_is_today_until_local_midnight():
    rep = make_user()
    late = datetime(2026, 11, 22, 23, 30, tzinfo=HCM)  # 16:30 UTC
    with time_machine.travel(datetime(2026, 11, 22, 7, 0, tzinfo=HCM), tick=False):  # 00:00 UTC, same UTC day
        activity(rep, late, subject="Gọi lúc 23:30")
        assert [i.title for i in build_agenda(rep).section("today").items] == ["Gọi lúc 23:30"]
    with time_machine.travel(datetime(2026, 11, 22, 23, 50, tzinfo=HCM), tick=False):
        assert [i.title for i in build_agenda(rep).section("today").items] == ["Gọi lúc 23:30"]
    # 00:10 on the 23rd in Vietnam is still the 22nd in UTC: the call is now overdue, not today's
    with time_machine.travel(datetime(2026, 11, 23, 0, 10, tzinfo=HCM), tick=False):
        agenda = build_agenda(rep)
        assert [i.title for i in agenda.section("overdue").items] == ["Gọi lúc 23:30"]
        assert agenda.section("today").items == []


def test_lists_are_bounded_but_counts_are_true(client, auth):
    rep = make_user()
    other = make_user()
    customer = make_customer(rep)
    for n in range(AGENDA_LIMIT + 5):
        make_activity(rep, customer, subject=f"Việc quá hạn {n}", due_in=-timedelta(days=2, minutes=n))
    make_activity(other, subject="Việc của người khác", due_in=-timedelta(days=1))
    auth.login(rep.email)
    html = client.get("/").get_data(as_text=True)
    assert f'<span class="count">{AGENDA_LIMIT + 5}</span>' in html
    assert f"Đang hiển thị {AGENDA_LIMIT} trên tổng số {AGENDA_LIMIT + 5}." in html
    assert html.count("Việc quá hạn") == AGENDA_LIMIT
    assert "Việc của người khác" not in html


def test_a_29_february_birthday_is_celebrated_on_28_february_in_other_years():
    rep = make_user()
    make_customer(rep, name="Sinh ngày nhuận", kind="person", birthday=date(1996, 2, 29), last_contact_at=NOW)
    with time_machine.travel(datetime(2027, 2, 28, 9, 0, tzinfo=HCM), tick=False):
        assert [i.title for i in build_agenda(rep).section("birthdays").items] == ["Sinh ngày nhuận"]
    with time_machine.travel(datetime(2028, 2, 28, 9, 0, tzinfo=HCM), tick=False):  # 2028 has its own 29th
        assert build_agenda(rep).section("birthdays").items == []


def test_managers_see_quotes_waiting_for_them_reps_do_not(frozen):
    team = make_team()
    manager, rep = make_user(role="manager", team=team), make_user(team=team)
    deal = make_deal(make_customer(rep, last_contact_at=NOW))
    quote = make_quote(deal, [{"description": "Máy", "quantity": 1, "unit_price_vnd": 1_000_000}],
                       status="pending_approval", submitted_at=at(22, 8))
    elsewhere = make_deal(make_customer(make_user(team=make_team()), last_contact_at=NOW))
    make_quote(elsewhere, [{"description": "Máy", "quantity": 1, "unit_price_vnd": 1_000_000}],
               status="pending_approval", submitted_at=at(22, 7))  # another team's: not this manager's to decide
    assert [i.title for i in build_agenda(manager).section("approvals").items] == [quote.number]
    assert "approvals" not in [s.key for s in build_agenda(rep).all_sections]


# --- the page and its actions --------------------------------------------------------------------

@pytest.fixture()
def rep(auth, frozen):
    user = make_user(email="an@example.vn")
    auth.login(user.email)
    return user


def test_the_page_shows_sections_with_actions_and_the_tab_badge(client, rep):
    customer = make_customer(rep, name="Tạp hóa Bình Minh", phone="+84903123456", last_contact_at=at(20, 9))
    call = activity(rep, at(22, 15), customer, subject="Gọi báo giá")
    activity(rep, at(21, 15), subject="Nộp báo cáo tuần", kind="task")
    make_customer(rep, name="Khách mới toanh")
    html = client.get("/").get_data(as_text=True)
    assert "Khách mới toanh" in html and "Tiềm năng mới" in html
    item = html.split(f'id="agenda-activity-{call.id}"')[1].split("</li>")[0]
    assert 'href="tel:+84903123456"' in item and "data-note-open" in item and "Dời lịch" in item
    assert f"activity={call.id}" in item
    badge = re.search(r'id="today-badge"[^>]*><span class="visually-hidden">[^<]*</span>([^<]*)</span>',
                      client.get("/customers").get_data(as_text=True))
    assert badge.group(1) == "2"


def test_reschedule_to_tomorrow_keeps_the_time_and_leaves_today(client, auth, rep):
    call = activity(rep, at(22, 15), make_customer(rep), subject="Gọi chị Mai")
    response = auth.post(f"/agenda/activities/{call.id}/reschedule", {"when": "tomorrow", "view": "today"},
                         headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "Gọi chị Mai" not in html.split('hx-swap-oob="innerHTML:#flashes"')[0]
    assert "Đã dời sang 23/11/2026 15:00." in html
    assert 'id="today-badge" class="tab-badge" hx-swap-oob="true" hidden' in html
    db.session.expire_all()
    assert db.session.get(Activity, call.id).due_at == at(23, 15)


def test_reschedule_next_week_and_to_a_date_with_a_time(client, auth, rep):
    first = activity(rep, at(22, 8), subject="Việc một", kind="task")
    second = activity(rep, at(22, 8), subject="Việc hai", kind="task")
    auth.post(f"/agenda/activities/{first.id}/reschedule", {"when": "next_week"})
    response = auth.post(f"/agenda/activities/{second.id}/reschedule", {"when": "date", "on": "2026-12-01", "at": "16:45"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Activity, first.id).due_at == at(29, 8)
    assert db.session.get(Activity, second.id).due_at == datetime(2026, 12, 1, 16, 45, tzinfo=HCM)


@pytest.mark.parametrize("values", [{"when": "date", "on": "2026-11-21"}, {"when": "date", "on": "2026-11-22", "at": "09:59"},
                                    {"when": "date"}, {"when": "yesterday"}])
def test_reschedule_into_the_past_or_without_a_date_is_refused_next_to_the_item(client, auth, rep, values):
    call = activity(rep, at(22, 15), subject="Gọi anh Phúc")
    response = auth.post(f"/agenda/activities/{call.id}/reschedule", {**values, "view": "today"},
                         headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    item = html.split(f'id="agenda-activity-{call.id}"')[1].split("</li>")[0]
    assert 'class="reschedule-form"' in item and 'role="alert"' in item and 'aria-invalid="true"' in item
    db.session.expire_all()
    assert db.session.get(Activity, call.id).due_at == at(22, 15)


def test_another_users_activity_is_404_and_unchanged(client, auth, rep):
    theirs = activity(make_user(), at(22, 15), subject="Không phải của tôi")
    for url, values in ((f"/agenda/activities/{theirs.id}/reschedule", {"when": "tomorrow"}),
                        (f"/agenda/activities/{theirs.id}/done", {})):
        assert auth.post(url, values).status_code == 404
    db.session.expire_all()
    stored = db.session.get(Activity, theirs.id)
    assert stored.due_at == at(22, 15) and stored.done_at is None


def test_done_without_a_customer_completes_in_place_and_twice_is_409(client, auth, rep):
    task = activity(rep, at(22, 15), subject="Nộp chi phí", kind="task")
    response = auth.post(f"/agenda/activities/{task.id}/done", {"view": "today"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Đã xong: Nộp chi phí." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Activity, task.id).done_at == NOW
    again = auth.post(f"/agenda/activities/{task.id}/done", {"view": "today"}, headers={"HX-Request": "true"})
    assert again.status_code == 409


def test_agenda_actions_are_post_only(client, rep):
    task = activity(rep, at(22, 15), subject="Việc")
    assert client.get(f"/agenda/activities/{task.id}/done").status_code == 405
    form = client.get(f"/agenda/activities/{task.id}/reschedule?view=week", headers={"HX-Request": "true"})
    html = form.get_data(as_text=True)  # GET shows the form, changes nothing
    assert form.status_code == 200 and "<html" not in html and 'name="view" value="week"' in html
    assert 'method="post"' in html and db.session.get(Activity, task.id).due_at == at(22, 15)


def test_the_reschedule_form_is_fetched_on_demand_and_404_for_someone_else(client, rep):
    mine = activity(rep, at(22, 15), subject="Việc của tôi")
    theirs = activity(make_user(), at(22, 15), subject="Việc của người khác")
    page = client.get("/").get_data(as_text=True)
    assert page.count('class="reschedule-form"') == 0  # one form per line would weigh more than the agenda
    assert f'hx-get="/agenda/activities/{mine.id}/reschedule?view=today"' in page
    assert client.get(f"/agenda/activities/{theirs.id}/reschedule").status_code == 404
    full = client.get(f"/agenda/activities/{mine.id}/reschedule").get_data(as_text=True)  # without JavaScript
    assert "<html" in full and "Việc của tôi" in full and 'class="reschedule-form"' in full


def test_done_through_the_note_sheet_completes_a_visit_and_it_leaves_today(client, auth, rep):
    customer = make_customer(rep, name="Cửa hàng Phát Đạt")
    visit = activity(rep, at(22, 15), customer, subject="Ghé cửa hàng", kind="visit")
    sheet = client.get(f"/customers/{customer.id}/notes/new?activity={visit.id}&from=today",
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    key = re.search(r'name="client_key" type="hidden" value="([^"]+)"', sheet).group(1)
    response = auth.post(f"/customers/{customer.id}/notes", {
        "outcome": "reached", "body": "Đã gặp chủ cửa hàng", "next_step": "none", "client_key": key,
        "origin": "today", "activity_id": str(visit.id), "deal_id": "0"}, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="agenda" hx-swap-oob="true"' in html
    assert "Ghé cửa hàng" not in html and 'id="today-badge"' in html
    db.session.expire_all()
    assert db.session.get(Activity, visit.id).done_at is not None


def test_tomorrow_and_the_next_7_days_are_one_tap_away(client, rep):
    activity(rep, at(22, 15), subject="Gọi trong ngày 22")
    activity(rep, at(23, 8), subject="Ngày mai sáng")
    activity(rep, at(23, 23, 30), subject="Ngày mai khuya")
    activity(rep, at(29, 9), subject="Chủ nhật sau")
    activity(rep, at(30, 9), subject="Quá 7 ngày")
    today = client.get("/").get_data(as_text=True)
    assert 'href="/agenda/tomorrow"' in today and 'href="/agenda/week"' in today
    tomorrow = client.get("/agenda/tomorrow").get_data(as_text=True)
    assert "Ngày mai sáng" in tomorrow and "Ngày mai khuya" in tomorrow
    assert "Gọi trong ngày 22" not in tomorrow and "Chủ nhật sau" not in tomorrow
    week = client.get("/agenda/week").get_data(as_text=True)
    assert week.index("Ngày mai sáng") < week.index("Chủ nhật sau") and "Quá 7 ngày" not in week
    assert "Thứ Hai 23/11/2026" in week and "Chủ Nhật 29/11/2026" in week


def test_english_agenda(client, auth, rep):
    make_customer(rep, name="Fresh lead")
    activity(rep, at(21, 9), subject="Late call")
    auth.post("/language", {"lang": "en"})
    html = client.get("/").get_data(as_text=True)
    for text in ("Overdue", "Today's calls, visits and tasks", "New leads", "Reschedule", "Next 7 days"):
        assert text in html


def test_a_reassigned_customers_open_work_moves_to_the_new_owner(client, auth, rep):
    from app.services.customers.records import update_customer

    new_owner = make_user()
    customer = make_customer(rep, name="Quán Phở Hà Thành", phone="+84988777666", last_contact_at=at(20, 9))
    call = activity(rep, at(22, 15), customer, subject="Gọi hỏi đơn tuần sau")
    done = activity(rep, at(21, 9), customer, subject="Đã gọi", done_at=at(21, 9))
    update_customer(customer, customer.version, {}, [], owner_id=new_owner.id)
    db.session.expire_all()
    assert db.session.get(Activity, call.id).owner_id == new_owner.id  # the open call goes with the customer
    assert db.session.get(Activity, done.id).owner_id == rep.id  # history stays with who did it
    assert "Quán Phở Hà Thành" not in client.get("/").get_data(as_text=True)
    assert [i.title for i in build_agenda(new_owner).section("today").items] == ["Gọi hỏi đơn tuần sau"]


def test_an_activity_left_on_a_customer_i_cannot_see_shows_no_customer(client, auth, rep):
    customer = make_customer(make_user(), name="Đại lý Tân Phú", phone="+84911222333")
    task = activity(rep, at(22, 15), customer, subject="Gửi mẫu hàng", kind="task")
    html = client.get("/").get_data(as_text=True)
    item = html.split(f'id="agenda-activity-{task.id}"')[1].split("</li>")[0]
    assert "Gửi mẫu hàng" in item and "Đại lý Tân Phú" not in html and "+84911222333" not in html
    assert f"/agenda/activities/{task.id}/done" in item  # still done in place, without the note sheet


def test_done_from_the_week_view_answers_with_the_week(client, auth, rep):
    customer = make_customer(rep, name="Cửa hàng Minh Châu", last_contact_at=at(20, 9))
    tomorrow = activity(rep, at(23, 10), customer, subject="Gọi ngày mai")
    activity(rep, at(25, 10), customer, subject="Gọi thứ tư")
    page = client.get("/agenda/week").get_data(as_text=True)
    assert f"activity={tomorrow.id}&amp;from=week" in page
    sheet = client.get(f"/customers/{customer.id}/notes/new?activity={tomorrow.id}&from=week",
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    key = re.search(r'name="client_key" type="hidden" value="([^"]+)"', sheet).group(1)
    html = auth.post(f"/customers/{customer.id}/notes", {
        "outcome": "reached", "next_step": "none", "client_key": key, "origin": "week",
        "activity_id": str(tomorrow.id), "deal_id": "0"}, headers={"HX-Request": "true"}).get_data(as_text=True)
    agenda = html.split('id="agenda" hx-swap-oob="true"')[1]
    assert "Gọi thứ tư" in agenda and "Gọi ngày mai" not in agenda and "Thứ Tư 25/11/2026" in agenda


@pytest.fixture()
def deals_cap_of_12(monkeypatch):
    from app.services.agenda import queries as agenda_queries

    monkeypatch.setattr(agenda_queries, "DEALS_COUNT_CAP", 12)
    agenda_queries.totals.cache_clear()  # the statements are built once: again with the small cap
    yield
    agenda_queries.totals.cache_clear()


def test_deals_with_no_next_step_are_counted_up_to_a_cap(client, rep, deals_cap_of_12):
    customer = make_customer(rep, last_contact_at=at(20, 9))
    for n in range(14):
        make_deal(customer, title=f"Cơ hội số {n}", value_vnd=1_000_000 * (n + 1))
    section = build_agenda(rep).section("deals")
    assert [i.title for i in section.items][:2] == ["Cơ hội số 13", "Cơ hội số 12"] and len(section.items) == 10
    assert (section.total, section.total_text) == (12, "11+")
    html = client.get("/").get_data(as_text=True)
    assert '<span class="count">11+</span>' in html and "Đang hiển thị 10 trên tổng số 11+." in html
