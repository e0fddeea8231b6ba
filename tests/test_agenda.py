"""Today's agenda: the user's own open work, split at local midnight, bounded, with true counts."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from app.formatting import local_today
from app.services.agenda import AGENDA_LIMIT, due_today_for, local_day_bounds
from tests.factories import make_activity, make_customer, make_user

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_overdue_and_today_are_split_at_local_midnight_not_utc(app):
    rep = make_user()
    start, end = local_day_bounds(local_today(HCM), HCM)
    now = datetime.now(timezone.utc)
    just_before = make_activity(rep, subject="23:59 hôm qua", due_in=(start - timedelta(minutes=1)) - now)
    first = make_activity(rep, subject="00:00 hôm nay", due_in=start - now)
    last = make_activity(rep, subject="23:59 hôm nay", due_in=(end - timedelta(minutes=1)) - now)
    make_activity(rep, subject="00:00 ngày mai", due_in=end - now)
    make_activity(rep, subject="đã xong", due_in=start - now + timedelta(hours=9), done_at=now)
    with app.test_request_context():
        agenda = due_today_for(rep, HCM)
    assert [a.id for a in agenda.overdue] == [just_before.id]
    assert [a.id for a in agenda.due_today] == [first.id, last.id]


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
