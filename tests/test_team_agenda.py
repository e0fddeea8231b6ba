"""The team agenda: per-rep counts split at local midnight (23:30 is today, 00:30 tomorrow is not), today's
visits with check-in distances, filtering by rep, who may see which team, and a fixed number of queries."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import event

from app.extensions import db
from app.models import Activity
from app.services.agenda.team_day import OVERDUE_LIMIT, team_day, team_reps
from tests.factories import make_customer, make_team, make_user

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 22, 23, 45, tzinfo=HCM)  # late evening: UTC is still the 22nd, 16:45
HTMX = {"HX-Request": "true"}


def local(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=HCM)


def activity(owner, customer=None, kind="call", subject="Gọi chăm sóc", due=None, done=None, **values):
    item = Activity(kind=kind, subject=subject, owner=owner, customer=customer, due_at=due, done_at=done, **values)
    db.session.add(item)
    db.session.commit()
    return item


def visit(owner, customer, checked_in, minutes=None, distance_m=None, located=True):
    out = checked_in + timedelta(minutes=minutes) if minutes is not None else None
    return activity(owner, customer, kind="visit", subject="Check-in", due=checked_in, done=checked_in,
                    checked_in_at=checked_in, checked_out_at=out, distance_m=distance_m,
                    lat=10.77 if located else None, lng=106.70 if located else None)


@pytest.fixture()
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture()
def south(frozen):
    """Team South: manager Hà, reps An and Bình (and an inactive rep); team North: manager Nam, rep Cường."""
    team, north = make_team(name="Miền Nam"), make_team(name="Miền Bắc")
    people = {
        "manager": make_user(role="manager", team=team, email="ha@example.vn", name="Phạm Thu Hà", locale="en"),
        "an": make_user(team=team, email="an@example.vn", name="Nguyễn Văn An"),
        "binh": make_user(team=team, email="binh@example.vn", name="Lê Thị Bình"),
        "gone": make_user(team=team, email="cu@example.vn", name="Người đã nghỉ", active=False),
        "north_manager": make_user(role="manager", team=north, email="nam@example.vn", name="Trần Nam", locale="en"),
        "cuong": make_user(team=north, email="cuong@example.vn", name="Đỗ Văn Cường"),
        "north": north,
    }
    an, binh, cuong = people["an"], people["binh"], people["cuong"]
    shop = make_customer(an, name="Nhà thuốc Tâm An")
    activity(an, shop, subject="Gọi 23:30 hôm nay", due=local(22, 23, 30))          # due today (already past: not overdue)
    activity(an, shop, subject="Gọi 00:30 ngày mai", due=local(23, 0, 30))          # tomorrow: not counted
    activity(an, shop, kind="task", subject="Việc hôm qua", due=local(21, 10))      # overdue
    activity(an, shop, subject="Đã gọi 23:30", due=local(22, 9), done=local(22, 23, 30))   # done today
    activity(an, shop, subject="Đã gọi 00:30", due=local(22, 9), done=local(22, 0, 30))    # today, though still the 21st in UTC
    activity(an, shop, subject="Đã gọi hôm qua", due=local(21, 9), done=local(21, 23, 30))  # done yesterday
    cafe = make_customer(binh, name="Quán cà phê Góc Phố")
    visit(binh, cafe, local(22, 9), minutes=25, distance_m=820)
    visit(binh, cafe, local(22, 10), located=False)
    visit(binh, cafe, local(21, 23, 30), minutes=10, distance_m=40)  # yesterday
    activity(people["gone"], subject="Việc của người đã nghỉ", due=local(20, 9))
    far_away = make_customer(cuong, name="Khách Hà Nội")
    activity(cuong, far_away, subject="Việc nhóm Bắc", due=local(20, 9))
    visit(cuong, far_away, local(22, 11), minutes=5, distance_m=10)
    return people


def counts(html):
    """{rep id: {count: number}} read from the reps' lines."""
    rows = {}
    for rep_id, body in re.findall(r'<li class="list-item team-rep" data-rep="(\d+)">(.*?)</li>', html, re.S):
        rows[int(rep_id)] = {name: int(n) for name, n in re.findall(r'data-count="(\w+)">(\d+)<', body)}
    return rows


def test_counts_per_rep_split_at_local_midnight(client, auth, south):
    auth.login(south["manager"].email)
    response = client.get("/team")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Team agenda" in html
    assert counts(html) == {
        south["an"].id: {"overdue": 1, "due_today": 1, "done_today": 2, "visits": 0},
        south["binh"].id: {"overdue": 0, "due_today": 0, "done_today": 2, "visits": 2},
    }
    assert html.index("Lê Thị Bình") < html.index("Nguyễn Văn An")  # by name
    for hidden in ("Đỗ Văn Cường", "Khách Hà Nội", "Người đã nghỉ"):
        assert hidden not in html


def test_todays_visits_newest_first_with_distance_and_duration(client, auth, south):
    auth.login(south["manager"].email)
    html = client.get("/team", headers=HTMX).get_data(as_text=True)
    assert "<html" not in html
    visits = re.findall(r'<li class="list-item team-visit( is-far)?">(.*?)</li>', html, re.S)
    assert len(visits) == 2  # yesterday's visit and the other team's are not there
    (newest_far, newest), (oldest_far, oldest) = visits
    assert "Checked in at 10:00" in newest and "no location" in newest and not newest_far
    assert "Visit 25 min (09:00–09:25)" in oldest and "820 m from the customer" in oldest
    assert oldest_far and "Farther than 500 m from the customer’s address" in oldest
    assert "Quán cà phê Góc Phố" in oldest and "Lê Thị Bình" in oldest


def test_filter_by_rep_shows_their_overdue_items(client, auth, south):
    an = south["an"]
    for n in range(OVERDUE_LIMIT + 4):
        activity(an, subject=f"Quá hạn số {n:02d}", due=local(20, 8) + timedelta(minutes=n))
    auth.login(south["manager"].email)
    html = client.get(f"/team?rep={an.id}", headers=HTMX).get_data(as_text=True)
    assert list(counts(html)) == [an.id]
    assert counts(html)[an.id]["overdue"] == OVERDUE_LIMIT + 5
    assert html.count("Quá hạn số") == OVERDUE_LIMIT and "Quá hạn số 00" in html  # oldest first
    assert "Việc hôm qua" not in html  # the newest of the 25 is past the first 20
    assert f"Showing the first {OVERDUE_LIMIT} of {OVERDUE_LIMIT + 5}." in html
    assert "team-visit" not in html and "No visits checked in today yet." in html
    assert f'<option value="{an.id}" selected>' in html


def test_another_teams_rep_or_a_non_rep_is_not_found(client, auth, south):
    auth.login(south["manager"].email)
    for rep_id in (south["cuong"].id, south["manager"].id, south["gone"].id, 999_999, "abc", "1e3", "-1", "²"):
        assert client.get(f"/team?rep={rep_id}").status_code == 404, rep_id
    assert client.get(f"/team?team={south['north'].id}").status_code == 200  # a manager's team is fixed
    assert "Đỗ Văn Cường" not in client.get(f"/team?team={south['north'].id}").get_data(as_text=True)


def test_a_rep_is_refused(client, auth, south):
    auth.login(south["an"].email)
    assert client.get("/team").status_code == 403
    assert client.get(f"/team?rep={south['an'].id}", headers=HTMX).status_code == 403


def test_the_other_manager_sees_only_their_team(client, auth, south):
    auth.login(south["north_manager"].email)
    html = client.get("/team").get_data(as_text=True)
    assert list(counts(html)) == [south["cuong"].id]
    assert counts(html)[south["cuong"].id] == {"overdue": 1, "due_today": 0, "done_today": 1, "visits": 1}
    assert client.get(f"/team?rep={south['an'].id}").status_code == 404


def test_an_admin_sees_every_active_rep_and_filters_by_team(client, auth, south):
    admin = make_user(role="admin", email="admin@example.vn", locale="en")
    auth.login(admin.email)
    html = client.get("/team").get_data(as_text=True)
    assert set(counts(html)) == {south["an"].id, south["binh"].id, south["cuong"].id}
    assert "All teams" in html and "Miền Bắc" in html
    north = client.get(f"/team?team={south['north'].id}", headers=HTMX).get_data(as_text=True)
    assert list(counts(north)) == [south["cuong"].id]
    assert f"rep={south['cuong'].id}" in north and f'name="team" value="{south["north"].id}"' in north
    assert client.get(f"/team?team={south['north'].id}&rep={south['an'].id}").status_code == 404
    assert client.get("/team?team=999999").status_code == 404
    assert client.get("/team?team=x").status_code == 404


def test_a_manager_without_a_team_sees_an_empty_table(client, auth, frozen):
    lonely = make_user(role="manager", email="mot@example.vn", locale="en")
    make_user(email="rep@example.vn")
    auth.login(lonely.email)
    html = client.get("/team").get_data(as_text=True)
    assert counts(html) == {} and "No active reps to show." in html


def test_queries_do_not_grow_with_the_number_of_reps(app, south):
    team = south["an"].team
    statements = []

    def count(*_args):
        statements.append(1)

    def run():
        statements.clear()
        with app.test_request_context():
            reps = team_reps(south["manager"])
            day = team_day(reps, zone=HCM)
        return len(statements), day

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        few, day = run()
        for n in range(6):
            activity(make_user(team=team, name=f"Nhân viên mới {n}"), subject="Việc quá hạn", due=local(21, 9))
        many, bigger = run()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(bigger.rows) == len(day.rows) + 6
    assert many == few
    assert sum(row.overdue for row in bigger.rows) == 7


def test_a_visit_marked_done_without_a_check_in_is_shown_and_flagged(client, auth, south):
    shop = make_customer(south["an"], name="Tiệm vàng Kim Phát")
    activity(south["an"], shop, kind="visit", subject="Ghé tiệm vàng", due=local(22, 14), done=local(22, 15))
    auth.login(south["manager"].email)
    html = client.get("/team").get_data(as_text=True)
    assert counts(html)[south["an"].id]["visits"] == 1
    visits = re.findall(r'<li class="list-item team-visit( is-far)?">(.*?)</li>', html, re.S)
    newest = visits[0][1]
    assert "Tiệm vàng Kim Phát" in newest and "Marked done without a check-in at 15:00" in newest
