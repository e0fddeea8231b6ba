"""The shell's fixed SQL: the signed-in user, the bell's unread count and the Today tab's count in one statement.

Counted on /bench/floor (50 cards from one query, in the shell) so that the saving cannot silently regress.
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from app import create_app
from app.extensions import db
from app.services.notifications.bell import notify
from tests.conftest import AuthActions, IsolatedClient
from tests.factories import make_activity, make_customer, make_team, make_user


@pytest.fixture(scope="module")
def bench_app(app):
    bench = create_app({**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI",
                                                        "SESSION_COOKIE_SECURE", "RATELIMIT_STORAGE_URI",
                                                        "PASSWORD_HASH_METHOD")}, "BENCH_MODE": True})
    bench.test_client_class = IsolatedClient
    yield bench
    with bench.app_context():
        db.engine.dispose()


@pytest.fixture()
def statements(bench_app):
    """The SQL statements the bench app runs, in order (listening from the first request on)."""
    seen = []
    with bench_app.app_context():
        engine = db.engine
    listener = lambda _conn, _cursor, sql, *_rest: seen.append(" ".join(sql.split()))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    yield seen
    event.remove(engine, "before_cursor_execute", listener)


def signed_in(bench_app, user):
    client = bench_app.test_client()
    AuthActions(client).login(user.email)
    return client


def with_unread_and_due(user, customers=3):
    for n in range(customers):
        make_customer(user, name=f"Khách Thử {n}", district="Quận 1")
    make_activity(user, due_in=timedelta(hours=-30))  # overdue
    make_activity(user)  # later today
    for n in range(2):
        notify(user, "test", f"Tin số {n}")
    db.session.commit()


def shell_badges(html):
    """(the bell's count, the Today tab's count) as shown."""
    bell = re.search(r'class="bell-count" aria-hidden="true">([^<]*)<', html).group(1)
    today = re.search(r'id="today-badge"[^>]*>(?:<span class="visually-hidden">[^<]*</span>)?([^<]*)</span>', html)
    return bell, today.group(1)


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_the_floor_reads_the_user_and_both_counts_in_one_statement(bench_app, statements, role):
    user = make_user(role=role, team=make_team() if role == "manager" else None)
    with_unread_and_due(user)
    client = signed_in(bench_app, user)
    statements.clear()
    response = client.get("/bench/floor")
    assert response.status_code == 200
    assert len(statements) == 2, statements  # the user with the bell's and the Today tab's counts; the cards
    assert "FROM users" in statements[0] and "notifications" in statements[0] and "activities" in statements[0]
    assert "customers" in statements[1] and "customers.email" not in statements[1]  # only the columns shown
    html = response.get_data(as_text=True)
    assert shell_badges(html) == ("2", "2") and html.count("Khách Thử") == 3


def test_today_counts_its_tab_with_its_agenda_not_twice(bench_app, statements):
    user = make_user()
    with_unread_and_due(user)
    client = signed_in(bench_app, user)
    statements.clear()
    html = client.get("/").get_data(as_text=True)
    assert "notifications" in statements[0] and "activities" not in statements[0]
    assert shell_badges(html) == ("2", "2")


def test_a_user_in_another_time_zone_gets_the_today_count_of_their_own_day(bench_app, statements):
    user = make_user(timezone="America/New_York")
    with_unread_and_due(user)
    client = signed_in(bench_app, user)
    statements.clear()
    html = client.get("/bench/floor").get_data(as_text=True)
    assert len(statements) == 3, statements  # the Today tab counted on its own, in the user's zone
    assert shell_badges(html)[0] == "2"


def test_the_bell_poll_is_one_statement_and_a_fragment_reads_no_counts(bench_app, statements):
    user = make_user()
    with_unread_and_due(user)
    client = signed_in(bench_app, user)
    statements.clear()
    poll = client.get("/notifications/bell", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and len(statements) == 1, statements
    statements.clear()
    fragment = client.get("/customers?q=khach", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert "notifications" not in statements[0]  # no bell, no tab bar in a fragment: the user alone


def test_an_unchanged_session_is_re_signed_hourly_not_on_every_page(client, auth):
    from datetime import datetime, timezone

    import time_machine

    def session_cookie(response):
        return [v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session=")]

    make_user(email="an@example.vn")
    with time_machine.travel(datetime.now(timezone.utc), tick=False) as clock:
        assert session_cookie(auth.login("an@example.vn"))
        assert client.get("/more").status_code == 200 and not session_cookie(client.get("/more"))
        clock.shift(timedelta(minutes=59))
        assert not session_cookie(client.get("/more"))
        clock.shift(timedelta(minutes=2))  # an hour on: the visit restarts the session's 14 days, as before
        refreshed = client.get("/more")
        assert refreshed.status_code == 200 and session_cookie(refreshed)
        assert not session_cookie(client.get("/more"))
