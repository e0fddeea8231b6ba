"""The bell: unread count and badge, the polled fragment, the list, opening one, marking all read, scope."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Notification
from app.models.base import utcnow
from app.services.notifications.bell import notify
from tests.conftest import without_csrf_tokens
from tests.factories import make_user

HX = {"HX-Request": "true"}
BADGE_RE = re.compile(r'<span class="bell-count"[^>]*>([^<]+)</span>')


@pytest.fixture()
def rep():
    return make_user(email="an@example.vn", name="Nguyễn Văn An")


@pytest.fixture()
def other():
    return make_user(email="binh@example.vn", name="Trần Thị Bình")


def add(user, text="Báo giá BG-2026-00012 đã được duyệt.", url="/quotes/1", read=False, created_at=None):
    notification = Notification(user_id=user.id, kind="quote_approved", text=text, url=url,
                                created_at=created_at or utcnow(), read_at=utcnow() if read else None)
    db.session.add(notification)
    db.session.commit()
    return notification


def fresh(notification_id):
    db.session.expire_all()
    return db.session.get(Notification, notification_id)


def badge(html):
    match = BADGE_RE.search(html)
    return match.group(1) if match else None


def test_the_bell_shows_the_unread_count_on_every_page(client, auth, rep, other):
    add(rep)
    add(rep)
    add(rep, read=True)
    add(other)
    auth.login(rep.email)
    for path in ("/", "/customers", "/more"):
        html = client.get(path).get_data(as_text=True)
        assert badge(html) == "2", path
        assert 'href="/notifications"' in html and 'hx-trigger="every 60s"' in html


def test_the_badge_is_hidden_at_zero_and_capped_at_99(client, auth, rep):
    auth.login(rep.email)
    html = client.get("/more").get_data(as_text=True)
    assert 'id="bell"' in html and badge(html) is None
    db.session.add_all([Notification(user_id=rep.id, kind="test", text=f"Thông báo {n}", created_at=utcnow())
                        for n in range(100)])
    db.session.commit()
    assert badge(client.get("/more").get_data(as_text=True)) == "99+"


def test_polling_answers_a_small_fragment_from_one_count(app, client, auth, rep):
    add(rep)
    auth.login(rep.email)
    statements = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        response = client.get("/notifications/bell", headers=HX)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "<body" not in html
    assert badge(html) == "1" and 'hx-swap="outerHTML"' in html and 'hx-get="/notifications/bell"' in html
    about_notifications = [s for s in statements if "notifications" in s]
    assert len(about_notifications) == 1 and "count(" in about_notifications[0].lower()
    assert len(statements) <= 3  # the signed-in user, the bell's count, the Today tab's count
    assert 'id="today-badge"' in html and 'hx-swap-oob="true"' in html
    assert "no-store" in response.headers["Cache-Control"]


def test_polling_when_signed_out_sends_the_window_to_the_login_page(client):
    response = client.get("/notifications/bell", headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login")


def test_the_list_is_newest_first_unread_highlighted_in_the_users_time_zone(client, auth, rep, other):
    auth.login(rep.email)
    auth.post("/language", {"lang": "en"})
    older = add(rep, text="Chị Chi đã mở báo giá BG-2026-00007.", read=True,
                created_at=datetime(2026, 11, 20, 2, 5, tzinfo=timezone.utc))
    newer = add(rep, text="Anh Phạm Thu Hà đã duyệt báo giá BG-2026-00012.",
                created_at=datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc))  # 23:30 in Ho Chi Minh City
    add(other, text="Không phải của An")
    html = client.get("/notifications").get_data(as_text=True)
    assert html.index(newer.text) < html.index(older.text)
    assert "Không phải của An" not in html
    assert "22/11/2026 23:30" in html and "20/11/2026 09:05" in html
    rows = re.findall(r'<li class="list-item notification( is-unread)?">.*?</li>', html, re.S)
    assert rows == [" is-unread", ""]
    assert "Mark all as read" in html


def test_opening_one_marks_it_read_and_goes_where_it_points(client, auth, rep):
    notification = add(rep, url="/quotes/12?tab=lines")
    auth.login(rep.email)
    response = auth.post(f"/notifications/{notification.id}/open")
    assert response.status_code == 303 and response.headers["Location"] == "/quotes/12?tab=lines"
    assert fresh(notification.id).read_at is not None
    assert badge(client.get("/more").get_data(as_text=True)) is None


@pytest.mark.parametrize("url", ["//evil.example/phish", "https://evil.example/", "/\\evil.example", None, "",
                                 "javascript:alert(1)"])
def test_opening_never_leaves_the_site(client, auth, rep, url):
    notification = add(rep, url=url)
    auth.login(rep.email)
    response = auth.post(f"/notifications/{notification.id}/open")
    assert response.status_code == 303 and response.headers["Location"] == "/notifications"
    assert fresh(notification.id).read_at is not None


def test_another_users_notification_is_404_and_stays_unread(client, auth, rep, other):
    theirs = add(other)
    auth.login(rep.email)
    missing = auth.post("/notifications/999999/open")
    response = auth.post(f"/notifications/{theirs.id}/open")
    assert response.status_code == 404 and missing.status_code == 404
    # The same page as for a notification that does not exist (its CSRF token is time-stamped: a second may pass).
    assert without_csrf_tokens(response.get_data(as_text=True)) == without_csrf_tokens(missing.get_data(as_text=True))
    assert fresh(theirs.id).read_at is None


def test_mark_all_read_touches_only_my_unread_ones(client, auth, rep, other):
    mine = [add(rep), add(rep)]
    read_before = add(rep, read=True)
    stamp = read_before.read_at
    theirs = add(other)
    auth.login(rep.email)
    response = auth.post("/notifications/read-all")
    assert response.status_code == 303 and response.headers["Location"] == "/notifications"
    assert all(fresh(n.id).read_at is not None for n in mine)
    assert fresh(read_before.id).read_at == stamp
    assert fresh(theirs.id).read_at is None


def test_get_never_changes_anything_and_posts_need_the_csrf_token(client, auth, rep):
    notification = add(rep)
    auth.login(rep.email)
    assert client.get(f"/notifications/{notification.id}/open").status_code == 405
    assert client.get("/notifications/read-all").status_code == 405
    assert client.post(f"/notifications/{notification.id}/open").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    assert fresh(notification.id).read_at is None


def test_more_pages_follow_one_another_without_gaps_or_repeats(client, auth, rep):
    base = datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc)
    # 45 notifications, some sharing a timestamp: the cursor must still neither skip nor repeat.
    for n in range(45):
        add(rep, text=f"Thông báo số {n:02d}", created_at=base + timedelta(minutes=n // 3))
    auth.login(rep.email)
    seen = []
    html = client.get("/notifications").get_data(as_text=True)
    while True:
        seen += re.findall(r"Thông báo số (\d\d)", html)
        more = re.search(r'hx-get="(/notifications/more\?after=[^"]+)"', html)
        if not more:
            break
        response = client.get(more.group(1).replace("&amp;", "&"), headers=HX)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in html
    ids = db.session.scalars(select(Notification.text).where(Notification.user_id == rep.id)
                             .order_by(Notification.created_at.desc(), Notification.id.desc())).all()
    assert seen == [text[-2:] for text in ids] and len(seen) == 45


def test_a_malformed_cursor_shows_the_first_page(client, auth, rep):
    add(rep, text="Thông báo đầu tiên")
    auth.login(rep.email)
    for cursor in ("x", "2026-11-22T10:00:00_abc", "2026-11-22T10:00:00_1", "_" * 50):
        response = client.get(f"/notifications/more?after={cursor}")
        assert response.status_code == 200 and "Thông báo đầu tiên" in response.get_data(as_text=True)


def test_notification_text_is_escaped(client, auth, rep):
    add(rep, text='<script>alert("x")</script> Công ty <b>Đức Hưng</b>')
    auth.login(rep.email)
    html = client.get("/notifications").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "&lt;b&gt;Đức Hưng" in html


def test_notify_writes_in_the_users_language_and_only_site_paths(rep):
    from flask_babel import gettext

    rep.locale = "en"
    db.session.commit()
    notification = notify(rep, "reminder", lambda: gettext("Notifications"), "/customers/5")
    db.session.commit()
    saved = fresh(notification.id)
    assert (saved.text, saved.url, saved.user_id, saved.read_at) == ("Notifications", "/customers/5", rep.id, None)
    for bad in ("https://evil.example/", "//evil.example"):
        with pytest.raises(ValueError):
            notify(rep, "reminder", "x", bad)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Notification.id))) == 1


def test_a_quote_decision_reaches_the_bell(client, auth):
    from tests.factories import make_customer, make_deal, make_quote, make_team

    team = make_team()
    manager = make_user(role="manager", team=team, email="ha@example.vn")
    owner = make_user(team=team, email="an@example.vn", name="Nguyễn Văn An")
    quote = make_quote(make_deal(make_customer(owner)), lines=[{"description": "Máy lạnh", "quantity": 1,
                                                                "unit_price_vnd": 10_000_000, "discount_bp": 2000}])
    auth.login(owner.email)
    auth.post(f"/quotes/{quote.id}/submit", {"version": quote.version})
    auth.logout()
    auth.login(manager.email)
    assert badge(client.get("/more").get_data(as_text=True)) == "1"
    (notification,) = db.session.scalars(select(Notification).where(Notification.user_id == manager.id)).all()
    response = auth.post(f"/notifications/{notification.id}/open")
    assert response.headers["Location"] == f"/quotes/{quote.id}"
