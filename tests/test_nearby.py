"""Nearby and due: nearest first from a position (distance in SQL, bounding box widened once), scope and "due"
rules, the list by address without a position, invalid coordinates, the page and its fragment."""
import math
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer
from app.models.base import utcnow
from app.services.customers.contacts import directions_url
from app.services.agenda.nearby import PAGE_SIZE, bounding_box, distance_sql, due_by_address, nearby_due
from app.services.activities.visits import EARTH_RADIUS_M, haversine_m
from tests.factories import make_customer, make_team, make_user

HTMX = {"HX-Request": "true"}
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
# Chợ Bến Thành and Nhà thờ Đức Bà (Quận 1), Hồ Gươm (Hà Nội).
BEN_THANH = (10.772450, 106.698060)
NOTRE_DAME = (10.779780, 106.699020)
HOAN_KIEM = (21.028511, 105.852020)


def north_of(point, metres):
    """A point metres due north: along a meridian the great-circle distance is R × Δφ exactly."""
    return point[0] + math.degrees(metres / EARTH_RADIUS_M), point[1]


def at(owner, name, metres, **overrides):
    """A customer of owner metres north of Bến Thành (None: no stored position)."""
    lat, lng = north_of(BEN_THANH, metres) if metres is not None else (None, None)
    return make_customer(owner, name=name, lat=lat, lng=lng, **overrides)


def names(rows):
    return [row.name for row in rows]


@pytest.fixture()
def team():
    return make_team(name="Miền Nam")


@pytest.fixture()
def rep(team):
    return make_user(team=team, email="an@example.vn", name="Nguyễn Văn An", locale="en")


@pytest.fixture()
def manager(team):
    return make_user(role="manager", team=team, email="ha@example.vn", name="Phạm Thu Hà", locale="en")


@pytest.fixture()
def town(rep, team):
    """The rep's customers around Bến Thành, and others that must not show."""
    now = utcnow()
    customers = {
        "12 km": at(rep, "Đại lý Thủ Đức", 12_000),
        "0.5 km": at(rep, "Nhà thuốc Bến Thành", 500, phone="+84903123456", district="Quận 1"),
        "3 km": at(rep, "Quán cà phê Đa Kao", 3_000, last_contact_at=now - timedelta(days=45)),
        "300 km": at(rep, "Cửa hàng Phan Thiết", 300_000),
        "not due": at(rep, "Tiệm bánh vừa gọi", 1_000, last_contact_at=now - timedelta(days=2)),
        "churned": at(rep, "Khách đã rời bỏ", 2_000, lifecycle="churned"),
        "no position": at(rep, "Chưa có toạ độ", None),
        "teammate": at(make_user(team=team, name="Lê Thị Bình"), "Khách của Bình", 100),
        "other team": at(make_user(team=make_team(name="Miền Bắc")), "Khách nhóm khác", 200),
    }
    return customers


# --- the query -------------------------------------------------------------------------------------------

def test_nearest_first_with_known_coordinates(app, rep, town):
    with app.test_request_context():
        result = nearby_due(rep, *BEN_THANH)
    assert names(result.customers) == ["Nhà thuốc Bến Thành", "Quán cà phê Đa Kao", "Đại lý Thủ Đức"]
    assert [row.distance_m for row in result.customers] == [500, 3000, 12000]  # exact along a meridian, to the metre
    assert result.radius_km == 100  # fewer than 30 within 25 km: widened once, and 300 km away stays out


def test_a_manager_sees_the_team_and_an_admin_everyone(app, manager, town):
    with app.test_request_context():
        team_rows = nearby_due(manager, *BEN_THANH).customers
        everyone = nearby_due(make_user(role="admin"), *BEN_THANH).customers
    assert names(team_rows) == ["Khách của Bình", "Nhà thuốc Bến Thành", "Quán cà phê Đa Kao", "Đại lý Thủ Đức"]
    assert team_rows[0].owner_name == "Lê Thị Bình"
    assert names(everyone)[:2] == ["Khách của Bình", "Khách nhóm khác"]


def test_the_circle_widens_only_while_it_holds_too_few(app, rep):
    for metres in (500, 1_000, 8_000, 60_000, 150_000):
        at(rep, f"Khách {metres} m", metres)
    with app.test_request_context():
        enough = nearby_due(rep, *BEN_THANH, limit=2)
        wider = nearby_due(rep, *BEN_THANH, limit=3)
        widest = nearby_due(rep, *BEN_THANH, limit=5)
    assert (names(enough.customers), enough.radius_km) == (["Khách 500 m", "Khách 1000 m"], 2)
    assert (names(wider.customers), wider.radius_km) == (["Khách 500 m", "Khách 1000 m", "Khách 8000 m"], 10)
    assert (names(widest.customers), widest.radius_km) == (
        ["Khách 500 m", "Khách 1000 m", "Khách 8000 m", "Khách 60000 m"], 100)  # 150 km stays out


def test_the_database_computes_sorts_and_limits(app, rep):
    from sqlalchemy import event

    for n in range(40):
        at(rep, f"Khách {n}", 50 * (n + 1))  # all within the first circle (2 km)
    statements = []

    def keep(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        with app.test_request_context():
            rows = nearby_due(rep, *BEN_THANH, limit=30).customers
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    [query] = [s for s in statements if "FROM customers" in s]  # one query (30 found: no widening), no N+1
    assert "asin(" in query and "ORDER BY distance_m" in query and "LIMIT" in query
    assert [row.distance_m for row in rows] == [50 * (n + 1) for n in range(30)]


def test_due_follows_the_admin_setting(app, rep):
    from app.models import Setting

    at(rep, "Gọi 10 ngày trước", 800, last_contact_at=utcnow() - timedelta(days=10))
    with app.test_request_context():
        assert nearby_due(rep, *BEN_THANH).customers == []  # default: 30 days
        db.session.add(Setting(key="agenda", value={"contact_due_days": 7}))
        db.session.commit()
        assert names(nearby_due(rep, *BEN_THANH).customers) == ["Gọi 10 ngày trước"]


def test_sql_distance_agrees_with_haversine_on_known_pairs(app, rep):
    notre_dame = make_customer(rep, name="Nhà thờ Đức Bà", lat=NOTRE_DAME[0], lng=NOTRE_DAME[1])
    hoan_kiem = make_customer(rep, name="Hồ Gươm", lat=HOAN_KIEM[0], lng=HOAN_KIEM[1])
    distance = distance_sql(*BEN_THANH)
    near = db.session.scalar(select(distance).where(Customer.id == notre_dame.id))
    far = db.session.scalar(select(distance).where(Customer.id == hoan_kiem.id))
    assert near == pytest.approx(821.7, abs=1)  # the flat-earth distance over these few hundred metres
    assert far == pytest.approx(haversine_m(*BEN_THANH, *HOAN_KIEM), abs=0.01)
    # An independent formula (the spherical law of cosines, sound at this range): 1,144 km, city to city.
    (p1, l1), (p2, l2) = (map(math.radians, point) for point in (BEN_THANH, HOAN_KIEM))
    cosines = EARTH_RADIUS_M * math.acos(math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(l2 - l1))
    assert far == pytest.approx(cosines, abs=1) and 1_140_000 < far < 1_150_000


def test_bounding_box_edges():
    box = bounding_box(0.0, 106.7, 25_000)
    half = 25_000 / EARTH_RADIUS_M * 180 / math.pi
    assert box.lat_min == pytest.approx(-half) and box.lat_max == pytest.approx(half)
    assert box.lng_ranges == (pytest.approx((106.7 - half, 106.7 + half)),)
    assert bounding_box(60.0, 10.0, 25_000).lng_ranges[0][1] - 10.0 == pytest.approx(2 * half, rel=1e-3)  # cos 60° = ½
    assert bounding_box(89.9, 10.0, 25_000).lng_ranges == ((-180.0, 180.0),)  # the pole is inside
    assert bounding_box(89.9, 10.0, 25_000).lat_max == 90.0
    assert bounding_box(-90.0, 0.0, 1_000).lat_min == -90.0
    east = bounding_box(10.0, 179.95, 25_000).lng_ranges
    assert len(east) == 2 and east[0][1] == 180.0 and east[1][0] == -180.0 and -180 < east[1][1] < -179.7


def test_across_the_180th_meridian(app, rep):
    make_customer(rep, name="Bên kia kinh tuyến 180", lat=-16.5, lng=-179.98)
    make_customer(rep, name="Bên này", lat=-16.5, lng=179.90)
    with app.test_request_context():
        rows = nearby_due(rep, -16.5, 179.99).customers
    assert names(rows) == ["Bên kia kinh tuyến 180", "Bên này"]
    assert rows[0].distance_m == pytest.approx(haversine_m(-16.5, 179.99, -16.5, -179.98), abs=1)
    assert rows[0].distance_m < 4_000


def test_by_address_order_with_missing_parts_last(app, rep):
    spots = [("Cuối danh sách", None, None), ("B Quận 3", "TP. Hồ Chí Minh", "Quận 3"),
             ("A Ba Đình", "Hà Nội", "Quận Ba Đình"), ("Chưa có quận", "TP. Hồ Chí Minh", None),
             ("A Quận 1", "TP. Hồ Chí Minh", "Quận 1"), ("B Quận 1", "TP. Hồ Chí Minh", "Quận 1")]
    for name, province, district in spots:
        make_customer(rep, name=name, province=province, district=district)
    make_customer(rep, name="Vừa liên hệ", province="Hà Nội", last_contact_at=utcnow())
    with app.test_request_context():
        rows, has_more = due_by_address(rep)
    assert names(rows) == ["A Ba Đình", "A Quận 1", "B Quận 1", "B Quận 3", "Chưa có quận", "Cuối danh sách"]
    assert has_more is False


# --- the page --------------------------------------------------------------------------------------------

def test_the_page_lists_nearest_first_with_actions(client, auth, rep, town):
    auth.login(rep.email)
    lat, lng = BEN_THANH
    response = client.get(f"/nearby?lat={lat}&lng={lng}", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    found = re.findall(r"<strong>([^<]+)</strong>", html)
    assert found == ["Nhà thuốc Bến Thành", "Quán cà phê Đa Kao", "Đại lý Thủ Đức"]
    assert '<span class="distance">500 m</span>' in html and '<span class="distance">3.0 km</span>' in html
    assert '<span class="distance">12.0 km</span>' in html
    assert "Nearest first, within 100 km of you." in html
    contacted = (utcnow() - timedelta(days=45)).astimezone(HCM).strftime("%d/%m/%Y")
    assert f"Last contact: {contacted}" in html and "Never contacted" in html
    assert 'href="tel:+84903123456"' in html
    first = town["0.5 km"]
    assert directions_url(first).replace("&", "&amp;") in html and "google.com/maps/dir/" in html
    assert f'href="/customers/{first.id}/notes/new?from=nearby" data-note-open' in html
    assert f'href="/customers/{first.id}"' in html
    for hidden in ("Khách của Bình", "Khách nhóm khác", "Tiệm bánh vừa gọi", "Khách đã rời bỏ", "Cửa hàng Phan Thiết"):
        assert hidden not in html


def test_distances_use_a_decimal_comma_in_vietnamese(client, auth, rep, town):
    rep.locale = "vi"
    db.session.commit()
    auth.login(rep.email)
    html = client.get(f"/nearby?lat={BEN_THANH[0]}&lng={BEN_THANH[1]}", headers=HTMX).get_data(as_text=True)
    assert '<span class="distance">3,0 km</span>' in html and '<span class="distance">500 m</span>' in html


def test_the_page_without_a_position_is_sorted_by_address_and_says_why(client, auth, rep):
    make_customer(rep, name="Khách Quận 3", province="TP. Hồ Chí Minh", district="Quận 3")
    make_customer(rep, name="Khách Quận 1", province="TP. Hồ Chí Minh", district="Quận 1", lat=10.77, lng=106.7)
    auth.login(rep.email)
    page = client.get("/nearby")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "Without your position, customers are sorted by address." in html
    assert html.index("Khách Quận 1") < html.index("Khách Quận 3")
    assert "data-nearby-auto" in html and 'id="note-sheet"' in html
    denied = client.get("/nearby?reason=denied", headers=HTMX).get_data(as_text=True)
    assert "Location is not allowed for this site, so customers are sorted by address." in denied
    assert "<html" not in denied and "Khách Quận 1" in denied
    assert "Without your position" in client.get("/nearby?reason=<b>x</b>", headers=HTMX).get_data(as_text=True)


def test_the_list_by_address_comes_in_pages(client, auth, rep):
    for n in range(PAGE_SIZE + 5):
        make_customer(rep, name=f"Khách số {n:02d}", province="TP. Hồ Chí Minh", district="Quận 1", address=f"{n:02d} Lê Lợi")
    auth.login(rep.email)
    first = client.get("/nearby", headers=HTMX).get_data(as_text=True)
    assert first.count("Khách số") == PAGE_SIZE and 'hx-get="/nearby?page=2"' in first
    second = client.get("/nearby?page=2", headers=HTMX).get_data(as_text=True)
    assert second.count("Khách số") == 5 and "Khách số 34" in second and "?page=3" not in second


@pytest.mark.parametrize("query", [
    "lat=91&lng=106.7", "lat=-90.01&lng=106.7", "lat=10.7&lng=180.5", "lat=10.7&lng=-181", "lat=nan&lng=106.7",
    "lat=10.7&lng=inf", "lat=abc&lng=106.7", "lat=10.7", "lng=106.7", "lat=1e400&lng=1",
])
def test_invalid_coordinates_answer_400_with_the_list_by_address(client, auth, rep, town, query):
    auth.login(rep.email)
    before = db.session.scalar(select(func.count(Customer.id)))
    response = client.get(f"/nearby?{query}", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The position sent is not valid" in html and "Nhà thuốc Bến Thành" in html
    assert 'class="distance"' not in html and "lat=" not in html  # no distance, the bad position not echoed back
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Customer.id))) == before
    assert db.session.get(Customer, town["0.5 km"].id).last_contact_at is None


def test_the_edges_of_the_valid_range_are_accepted(client, auth, rep):
    auth.login(rep.email)
    for query in ("lat=90&lng=180", "lat=-90&lng=-180", "lat=0&lng=0"):
        assert client.get(f"/nearby?{query}", headers=HTMX).status_code == 200, query


def test_a_manager_page_shows_owners(client, auth, manager, town):
    auth.login(manager.email)
    html = client.get(f"/nearby?lat={BEN_THANH[0]}&lng={BEN_THANH[1]}", headers=HTMX).get_data(as_text=True)
    assert "Khách của Bình" in html and "Lê Thị Bình" in html and "Khách nhóm khác" not in html


def test_signed_out_users_go_to_the_login_page(client):
    response = client.get(f"/nearby?lat={BEN_THANH[0]}&lng={BEN_THANH[1]}")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_a_position_never_changes_anything(client, auth, rep, town):
    auth.login(rep.email)
    stamp = [(c.id, c.updated_at, c.version) for c in db.session.scalars(select(Customer).order_by(Customer.id))]
    client.get(f"/nearby?lat={BEN_THANH[0]}&lng={BEN_THANH[1]}")
    db.session.expire_all()
    assert [(c.id, c.updated_at, c.version) for c in db.session.scalars(select(Customer).order_by(Customer.id))] == stamp
    assert client.post(f"/nearby?lat={BEN_THANH[0]}&lng={BEN_THANH[1]}").status_code == 405


def test_a_box_corner_beyond_the_radius_never_crowds_out_a_nearer_customer(app, rep):
    # 20 km north and 20 km east: inside the 25 km box, but 28 km away; 27 km due north is outside the box.
    lat, _ = north_of(BEN_THANH, 20_000)
    east = math.degrees(20_000 / (EARTH_RADIUS_M * math.cos(math.radians(BEN_THANH[0]))))
    make_customer(rep, name="Góc hộp 28 km", lat=lat, lng=BEN_THANH[1] + east)
    at(rep, "Phía bắc 27 km", 27_000)
    with app.test_request_context():
        found = nearby_due(rep, *BEN_THANH, limit=1)
    assert (names(found.customers), found.radius_km) == (["Phía bắc 27 km"], 100)
