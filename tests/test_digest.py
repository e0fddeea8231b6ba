"""The morning digest: from 07:00 local, once a local day, only for those who asked, retried when SMTP is down."""
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from app.extensions import db
from app.models import User
from app.services.agenda.digest import send_due_digests
from tests.factories import make_activity, make_customer, make_user

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 11, 23)


def local(hour, minute=0, day=DAY, zone=HCM):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


@pytest.fixture()
def rep():
    with time_machine.travel(local(6), tick=False):
        user = make_user(email="an@example.vn", name="Nguyễn Văn An", digest_enabled=True, locale="en")
        customer = make_customer(user, name="Công ty TNHH Đức Hưng", lifecycle="customer")
        make_activity(user, customer, due_at=local(16, day=DAY - timedelta(days=1)), subject="Gửi báo giá máy lọc nước")
        make_activity(user, customer, due_at=local(9), kind="visit", subject="Viếng thăm kho Bình Dương")
        make_activity(user, customer, due_at=local(14, 30), subject="Gọi lại chị Chi")
    return user


def sent_on(user):
    db.session.expire_all()
    return db.session.get(User, user.id).digest_sent_on


def run_at(moment):
    with time_machine.travel(moment, tick=False):
        return send_due_digests()


def test_nothing_before_seven_then_one_email_at_seven(rep, smtp_sink):
    assert run_at(local(6, 59)) == 0
    assert smtp_sink.messages == [] and sent_on(rep) is None
    assert run_at(local(7, 0)) == 1
    (message,) = smtp_sink.to(rep.email)
    assert sent_on(rep) == DAY
    assert message["Subject"] == "Your day: 1 overdue, 2 for today"


def test_once_per_local_day_however_often_it_runs(rep, smtp_sink):
    for moment in (local(7), local(7), local(7, 15), local(12), local(23, 59)):
        run_at(moment)
    assert len(smtp_sink.to(rep.email)) == 1
    run_at(local(6, 59, day=DAY + timedelta(days=1)))
    assert len(smtp_sink.to(rep.email)) == 1
    run_at(local(7, 0, day=DAY + timedelta(days=1)))
    assert len(smtp_sink.to(rep.email)) == 2 and sent_on(rep) == DAY + timedelta(days=1)


def test_never_sent_late_in_the_day(rep, smtp_sink):
    assert run_at(local(10, 59)) == 1
    rep.digest_sent_on = None
    db.session.commit()
    assert run_at(local(11, 0)) == 0  # e.g. turned on in the evening: tomorrow morning, not now
    assert smtp_sink.to(rep.email)[1:] == [] and sent_on(rep) == DAY
    assert run_at(local(12, 0)) == 0


def test_two_workers_at_the_same_moment_send_one_email(app, rep, smtp_sink):
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            with app.app_context():
                start.wait()
                results.append(send_due_digests(now=local(7, 5)))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and sorted(results) == [0, 1]
    assert len(smtp_sink.to(rep.email)) == 1 and sent_on(rep) == DAY


def test_each_user_gets_it_at_seven_in_their_own_time_zone(rep, smtp_sink):
    with time_machine.travel(local(5), tick=False):
        tokyo = make_user(email="kenji@example.jp", name="Kenji", digest_enabled=True, timezone="Asia/Tokyo",
                          locale="en")
        make_activity(tokyo, make_customer(tokyo), due_at=local(11))
    run_at(local(5, 0))  # 07:00 in Tokyo, 05:00 in Ho Chi Minh City
    assert len(smtp_sink.to(tokyo.email)) == 1 and smtp_sink.to(rep.email) == []
    assert sent_on(tokyo) == DAY and sent_on(rep) is None
    run_at(local(7, 0))
    assert len(smtp_sink.to(tokyo.email)) == 1 and len(smtp_sink.to(rep.email)) == 1


def test_digest_off_or_deactivated_users_get_nothing(rep, smtp_sink):
    with time_machine.travel(local(6), tick=False):
        quiet = make_user(email="quiet@example.vn")  # digest off by default
        make_activity(quiet, make_customer(quiet), due_at=local(10))
        gone = make_user(email="gone@example.vn", digest_enabled=True, active=False)
        make_activity(gone, make_customer(gone), due_at=local(10))
    assert quiet.digest_enabled is False
    run_at(local(8))
    assert [str(m["To"]) for m in smtp_sink.messages] == [rep.email]
    assert sent_on(quiet) is None and sent_on(gone) is None


def test_a_day_with_nothing_to_do_sends_nothing_but_counts_as_done(smtp_sink):
    with time_machine.travel(local(6), tick=False):
        idle = make_user(email="idle@example.vn", digest_enabled=True)
    assert run_at(local(7)) == 0
    assert smtp_sink.messages == [] and sent_on(idle) == DAY
    with time_machine.travel(local(8), tick=False):
        make_activity(idle, make_customer(idle, lifecycle="customer"), due_at=local(15))
    run_at(local(9))
    assert smtp_sink.messages == []  # today's digest was settled at 07:00


def test_smtp_down_is_not_marked_sent_and_the_next_run_sends_it(rep, smtp_sink, caplog):
    smtp_sink.stop()
    assert run_at(local(7)) == 0
    assert sent_on(rep) is None
    assert any("morning digest" in record.getMessage() for record in caplog.records)
    smtp_sink.start()
    assert run_at(local(7, 15)) == 1
    assert len(smtp_sink.to(rep.email)) == 1 and sent_on(rep) == DAY
    run_at(local(7, 30))
    assert len(smtp_sink.to(rep.email)) == 1


def test_smtp_down_gives_back_the_day_as_it_was(rep, smtp_sink):
    rep.digest_sent_on = DAY - timedelta(days=1)
    db.session.commit()
    smtp_sink.stop()
    run_at(local(7))
    assert sent_on(rep) == DAY - timedelta(days=1)


def test_the_email_lists_the_day_with_links_in_text_and_html(app, rep, smtp_sink):
    with time_machine.travel(local(6), tick=False):
        customer = make_customer(rep, name="Quán <b>Cơm</b> Bà Ba", lifecycle="customer")
        for n in range(5):
            make_activity(rep, customer, due_at=local(15 + n % 3, 5 * n), subject=f"Việc chiều số {n}")
    run_at(local(7))
    (message,) = smtp_sink.to(rep.email)
    assert message["Subject"] == "Your day: 1 overdue, 7 for today"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    base = app.config["PUBLIC_BASE_URL"]
    for part in (text, html):
        assert "Viếng thăm kho Bình Dương" in part and "Gửi báo giá máy lọc nước" in part
        assert "Nguyễn Văn An" in part and "Công ty TNHH Đức Hưng" in part
        assert "Overdue" in part and "22/11/2026 16:00" in part and "09:00" in part
        assert f"{base}/customers/" in part and f"{base}/more/reminders" in part
        assert "and 2 more" in part  # 7 for today, the first 5 shown
    assert text.count("Việc chiều số") + text.count("Gọi lại chị Chi") == 4  # 5 shown: the visit and the next 4
    assert "Quán <b>Cơm</b> Bà Ba" in text and "Quán &lt;b&gt;Cơm&lt;/b&gt; Bà Ba" in html and "<b>Cơm" not in html
    assert "Visit: Viếng thăm kho Bình Dương" in text


def test_a_vietnamese_users_email_keeps_every_diacritic(rep, smtp_sink):
    rep.locale = "vi"
    db.session.commit()
    run_at(local(7))
    (message,) = smtp_sink.to(rep.email)
    html = message.get_body(("html",)).get_content()
    assert '<html lang="vi">' in html and "Viếng thăm: Viếng thăm kho Bình Dương" in html
    assert "Nguyễn Văn An" in message.get_body(("plain",)).get_content()


def test_the_periodic_job_sends_them(rep, smtp_sink):
    from app.jobs import send_morning_digests

    with time_machine.travel(local(7, 15), tick=False):
        send_morning_digests()
    assert len(smtp_sink.to(rep.email)) == 1 and sent_on(rep) == DAY
