"""The private calendar feed: what it holds (parsed with icalendar), its times, the link's life, the settings page."""
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import event

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.users import hash_token
from app.services.agenda import calendar_feed
from tests.conftest import without_csrf_tokens
from tests.factories import make_activity, make_customer, make_user

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=HCM)
FEED_RE = re.compile(r'value="(https?://[^"]+/calendar/([A-Za-z0-9_-]{43})\.ics)"')


@pytest.fixture()
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture()
def rep(frozen):
    return make_user(email="an@example.vn", name="Nguyễn Văn An")


@pytest.fixture()
def customer(rep):
    return make_customer(rep, name="Công ty TNHH Đức Hưng", phone="+84903123456", address="12 Nguyễn Huệ",
                         ward="Phường Bến Nghé", district="Quận 1", province="TP. Hồ Chí Minh")


def at(day, hour, minute=0):
    """A local time in Ho Chi Minh City, November 2026 unless day is a date."""
    return datetime(2026, 11, day, hour, minute, tzinfo=HCM)


def events_of(body):
    calendar = Calendar.from_ical(body)
    return calendar, {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def uid(activity):
    return f"activity-{activity.id}@127.0.0.1"


def fresh_user(user_id):
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_the_feed_holds_exactly_my_open_scheduled_activities(client, rep, customer):
    other = make_user(email="binh@example.vn")
    mine = [make_activity(rep, customer, due_at=at(23, 10), kind="call"),
            make_activity(rep, customer, due_at=at(24, 14), kind="visit", subject="Viếng thăm kho"),
            make_activity(rep, None, due_at=at(25, 9), kind="meeting", subject="Họp nhóm"),
            make_activity(rep, customer, due_at=at(21, 8), kind="task", subject="Gửi catalogue"),  # overdue: kept
            make_activity(rep, customer, due_at=NOW - timedelta(days=29), kind="call"),
            make_activity(rep, customer, due_at=NOW + timedelta(days=89), kind="visit")]
    left_out = [make_activity(rep, customer, due_at=at(23, 11), done_at=utcnow(), outcome="reached"),  # done
                make_activity(other, make_customer(other), due_at=at(23, 12)),  # another rep's
                make_activity(rep, customer, due_at=NOW - timedelta(days=31)),  # too old
                make_activity(rep, customer, due_at=NOW + timedelta(days=91)),  # too far ahead
                make_activity(rep, customer, due_at=at(23, 15), kind="note", subject="Ghi chú"),  # not scheduled
                make_activity(rep, customer, due_at=at(23, 16), kind="email", subject="Email"),
                make_activity(rep, customer, due_at=None, kind="task", subject="Không hạn")]
    token = calendar_feed.issue_token(rep)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response.headers["Cache-Control"] and "max-age=300" in response.headers["Cache-Control"]
    calendar, events = events_of(response.data)
    assert set(events) == {uid(a) for a in mine}
    assert not {uid(a) for a in left_out} & set(events)
    starts = [e.start for e in calendar.walk("VEVENT")]
    assert starts == sorted(starts)  # by due time
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    assert str(calendar["X-WR-CALNAME"]) == "FieldCRM · Nguyễn Văn An"
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Ho_Chi_Minh"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert "X-PUBLISHED-TTL:PT1H" in response.get_data(as_text=True)


def test_times_are_utc_and_texts_keep_their_diacritics(client, rep, customer):
    call = make_activity(rep, customer, due_at=at(25, 23, 30), kind="call", subject="Gọi lại chị Chi về máy lọc nước")
    visit = make_activity(rep, customer, due_at=at(26, 8), kind="visit", subject="Viếng thăm")
    task = make_activity(rep, None, due_at=at(26, 9), kind="task", subject="Chuẩn bị hợp đồng")
    token = calendar_feed.issue_token(rep)
    _calendar, events = events_of(client.get(f"/calendar/{token}.ics").data)
    event_ = events[uid(call)]
    assert event_.start == datetime(2026, 11, 25, 16, 30, tzinfo=timezone.utc)  # 23:30 in Ho Chi Minh City
    assert event_["DTSTART"].to_ical() == b"20261125T163000Z"
    assert event_.duration == timedelta(minutes=15) and event_.end == datetime(2026, 11, 25, 16, 45, tzinfo=timezone.utc)
    assert events[uid(visit)].duration == timedelta(minutes=60)
    assert events[uid(task)].duration == timedelta(minutes=30)
    assert str(event_["SUMMARY"]) == "Gọi: Gọi lại chị Chi về máy lọc nước — Công ty TNHH Đức Hưng"
    assert str(event_["LOCATION"]) == "12 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"
    card = f"http://127.0.0.1:5000/customers/{customer.id}"
    assert "0903 123 456" in str(event_["DESCRIPTION"]) and card in str(event_["DESCRIPTION"])
    assert str(event_["URL"]) == card and event_["DTSTAMP"]
    assert str(events[uid(task)]["SUMMARY"]) == "Công việc: Chuẩn bị hợp đồng" and "LOCATION" not in events[uid(task)]


def test_the_feed_speaks_the_users_language(client, rep, customer):
    rep.locale = "en"
    db.session.commit()
    make_activity(rep, customer, due_at=at(23, 10), kind="visit", subject="Giao mẫu")
    token = calendar_feed.issue_token(rep)
    (event_,) = Calendar.from_ical(client.get(f"/calendar/{token}.ics").data).walk("VEVENT")
    assert str(event_["SUMMARY"]) == "Visit: Giao mẫu — Công ty TNHH Đức Hưng"
    assert "Phone: 0903 123 456" in str(event_["DESCRIPTION"])


def test_the_feed_is_one_query_whatever_the_number_of_customers(app, client, rep):
    for n in range(12):
        make_activity(rep, make_customer(rep, name=f"Khách {n}"), due_at=at(23, 8) + timedelta(hours=n))
    token = calendar_feed.issue_token(rep)
    statements = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        body = client.get(f"/calendar/{token}.ics").data
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert len(Calendar.from_ical(body).walk("VEVENT")) == 12
    # The token's user, then activities joined with their customers (the rate limiter's own counting, in the
    # database when there is no Redis, is one upsert whatever the number of customers).
    assert len([s for s in statements if "rate_limit_counters" not in s]) == 2


def test_a_new_link_revokes_the_old_one_and_turning_off_revokes_it(client, rep):
    first = calendar_feed.issue_token(rep)
    assert client.get(f"/calendar/{first}.ics").status_code == 200
    second = calendar_feed.issue_token(rep)
    assert client.get(f"/calendar/{first}.ics").status_code == 404
    assert client.get(f"/calendar/{second}.ics").status_code == 200
    calendar_feed.revoke(rep)
    assert client.get(f"/calendar/{second}.ics").status_code == 404
    assert fresh_user(rep.id).calendar_token_hash is None


def test_unknown_revoked_and_deactivated_links_are_the_same_plain_404(client, rep):
    revoked = calendar_feed.issue_token(rep)
    calendar_feed.revoke(rep)
    never = client.get("/calendar/" + "A" * 43 + ".ics")
    for path in (f"/calendar/{revoked}.ics", "/calendar/x.ics", "/calendar/" + "b" * 300 + ".ics"):
        response = client.get(path)
        assert response.status_code == 404 and without_csrf_tokens(response.get_data(as_text=True)) == without_csrf_tokens(never.get_data(as_text=True)), path
        assert "text/html" in response.headers["Content-Type"]
    active = calendar_feed.issue_token(rep)
    rep.active = False
    db.session.commit()
    response = client.get(f"/calendar/{active}.ics")
    assert response.status_code == 404 and without_csrf_tokens(response.get_data(as_text=True)) == without_csrf_tokens(never.get_data(as_text=True))


def test_the_link_never_signs_anyone_in(client, rep):
    token = calendar_feed.issue_token(rep)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert client.get("/more").status_code == 302  # still anonymous


def test_an_unchanged_feed_answers_304(client, rep, customer):
    make_activity(rep, customer, due_at=at(23, 10))
    token = calendar_feed.issue_token(rep)
    first = client.get(f"/calendar/{token}.ics")
    again = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_the_feed_is_rate_limited_per_link(app, client, rep):
    token = calendar_feed.issue_token(rep)
    app.config["CALENDAR_FEED_RATE_LIMIT"] = "3 per minute"
    try:
        answers = [client.get(f"/calendar/{token}.ics").status_code for _ in range(4)]
        other_link = calendar_feed.issue_token(make_user(email="binh@example.vn"))
        assert client.get(f"/calendar/{other_link}.ics").status_code == 200
    finally:
        app.config.pop("CALENDAR_FEED_RATE_LIMIT")
    assert answers == [200, 200, 200, 429]


# --- the settings page ---------------------------------------------------------------------------

def test_creating_a_link_shows_it_once_and_stores_only_its_hash(client, auth, rep, customer):
    make_activity(rep, customer, due_at=at(23, 10))
    auth.login(rep.email)
    auth.post("/language", {"lang": "en"})
    page = client.get("/more/reminders").get_data(as_text=True)
    assert "Create calendar link" in page and "Off" in page and ".ics" not in page
    response = auth.post("/more/reminders/calendar", token_path="/more/reminders")
    assert response.status_code == 303 and response.headers["Location"] == "/more/reminders"  # a reload never posts
    html = client.get("/more/reminders").get_data(as_text=True)
    url, token = FEED_RE.search(html).groups()
    assert f'href="webcal://127.0.0.1:5000/calendar/{token}.ics"' in html and "Copy it now" in html
    assert "iPhone" in html and "Google Calendar" in html
    user = fresh_user(rep.id)
    assert user.calendar_token_hash == hash_token(token) and token not in user.calendar_token_hash
    assert client.get(url.replace("http://127.0.0.1:5000", "")).status_code == 200
    later = client.get("/more/reminders").get_data(as_text=True)
    assert token not in later and ".ics" not in later
    assert "New link" in later and "Turn off" in later


def test_new_link_rotates_and_turn_off_revokes_from_the_page(client, auth, rep):
    auth.login(rep.email)
    auth.post("/more/reminders/calendar")
    first = FEED_RE.search(client.get("/more/reminders").get_data(as_text=True)).group(2)
    auth.post("/more/reminders/calendar")
    second = FEED_RE.search(client.get("/more/reminders").get_data(as_text=True)).group(2)
    assert first != second
    assert client.get(f"/calendar/{first}.ics").status_code == 404
    assert client.get(f"/calendar/{second}.ics").status_code == 200
    response = auth.post("/more/reminders/calendar/off")
    assert response.status_code == 303 and response.headers["Location"] == "/more/reminders"
    assert client.get(f"/calendar/{second}.ics").status_code == 404
    assert fresh_user(rep.id).calendar_token_hash is None


def test_get_never_changes_state(client, auth, rep):
    token = calendar_feed.issue_token(rep)
    auth.login(rep.email)
    for path in ("/more/reminders/calendar", "/more/reminders/calendar/off", "/more/reminders/digest"):
        assert client.get(path).status_code == 405, path
    user = fresh_user(rep.id)
    assert user.calendar_token_hash == hash_token(token) and user.digest_enabled is False
    assert client.get(f"/calendar/{token}.ics").status_code == 200


def test_posts_without_the_csrf_token_change_nothing(client, auth, rep):
    token = calendar_feed.issue_token(rep)
    auth.login(rep.email)
    for path, data in (("/more/reminders/calendar", {}), ("/more/reminders/calendar/off", {}),
                       ("/more/reminders/digest", {"enabled": "y"})):
        assert client.post(path, data=data).status_code == 400, path
    user = fresh_user(rep.id)
    assert user.calendar_token_hash == hash_token(token) and user.digest_enabled is False


def test_the_digest_switch(client, auth, rep):
    auth.login(rep.email)
    response = auth.post("/more/reminders/digest", {"enabled": "y"})
    assert response.status_code == 303 and fresh_user(rep.id).digest_enabled is True
    assert re.search(r"<input checked[^>]*name=\"enabled\"", client.get("/more/reminders").get_data(as_text=True))
    auth.post("/more/reminders/digest", {})
    assert fresh_user(rep.id).digest_enabled is False


def test_the_settings_page_is_linked_from_more_and_answers_htmx_with_a_fragment(client, auth, rep):
    auth.login(rep.email)
    assert 'href="/more/reminders"' in client.get("/more").get_data(as_text=True)
    fragment = client.get("/more/reminders", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
