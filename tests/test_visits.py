"""Visit check-in and check-out: distance to the customer, the far flag, no location, one open visit,
idempotency, invalid positions refused with nothing stored, scoping, CSRF."""
import math
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Customer
from app.models.base import utcnow
from app.services.activities.visits import EARTH_RADIUS_M, haversine_m
from tests.factories import make_customer, make_user

HTMX = {"HX-Request": "true"}
# Chợ Bến Thành and Nhà thờ Đức Bà, Quận 1, TP. Hồ Chí Minh.
BEN_THANH = (10.772450, 106.698060)
NOTRE_DAME = (10.779780, 106.699020)


@pytest.fixture()
def rep():
    return make_user(email="minh@example.vn", name="Trần Văn Minh", locale="en")


@pytest.fixture()
def customer(rep):
    return make_customer(rep, name="Nhà thuốc Bình Minh", lat=BEN_THANH[0], lng=BEN_THANH[1])


@pytest.fixture()
def signed_in(client, auth, rep):
    auth.login(rep.email)
    return auth


def check_in(client, auth, customer, htmx=True, **fields):
    token = auth.token()
    data = {"client_key": str(uuid.uuid4()), **fields}
    headers = {**HTMX, "X-CSRFToken": token} if htmx else {}
    if not htmx:
        data["csrf_token"] = token
    return client.post(f"/customers/{customer.id}/visits", data=data, headers=headers)


def check_out(client, auth, visit_id, htmx=True):
    return client.post(f"/visits/{visit_id}/checkout", headers={**HTMX, "X-CSRFToken": auth.token()} if htmx else {},
                       data={} if htmx else {"csrf_token": auth.token()})


def visits_of(customer):
    db.session.expire_all()
    return db.session.scalars(select(Activity).where(Activity.customer_id == customer.id, Activity.kind == "visit")
                              .order_by(Activity.id)).all()


def north_of(point, metres):
    """A point metres due north: along a meridian the great-circle distance is R × Δφ exactly."""
    return point[0] + math.degrees(metres / EARTH_RADIUS_M), point[1]


# --- the distance ----------------------------------------------------------------------------------

def test_haversine_along_a_meridian_is_radius_times_angle():
    assert haversine_m(10.77, 106.70, 10.78, 106.70) == pytest.approx(EARTH_RADIUS_M * math.radians(0.01), abs=1e-6)
    assert haversine_m(*BEN_THANH, *BEN_THANH) == 0


def test_haversine_between_two_landmarks_of_district_1():
    # Over a few hundred metres the flat-earth (equirectangular) distance agrees with the sphere to a few cm.
    mean_lat = math.radians((BEN_THANH[0] + NOTRE_DAME[0]) / 2)
    dx = math.radians(NOTRE_DAME[1] - BEN_THANH[1]) * math.cos(mean_lat) * EARTH_RADIUS_M
    dy = math.radians(NOTRE_DAME[0] - BEN_THANH[0]) * EARTH_RADIUS_M
    flat = math.hypot(dx, dy)
    assert flat == pytest.approx(821.7, abs=0.5)
    assert haversine_m(*BEN_THANH, *NOTRE_DAME) == pytest.approx(flat, abs=1)
    assert haversine_m(*NOTRE_DAME, *BEN_THANH) == pytest.approx(flat, abs=1)


# --- check-in --------------------------------------------------------------------------------------------

def test_check_in_near_the_customer(client, signed_in, rep, customer):
    lat, lng = north_of(BEN_THANH, 120)
    response = check_in(client, signed_in, customer, lat=lat, lng=lng, accuracy="12.5")

    assert response.status_code == 201
    [visit] = visits_of(customer)
    assert (visit.owner_id, visit.distance_m, visit.accuracy_m) == (rep.id, 120, 12.5)
    assert visit.lat == pytest.approx(lat) and visit.lng == pytest.approx(lng)
    assert visit.checked_in_at == visit.done_at and visit.checked_out_at is None
    assert db.session.get(Customer, customer.id).last_contact_at == visit.checked_in_at
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert "120 m from the customer" in html and "is-far" not in html
    assert f"/visits/{visit.id}/checkout" in html  # the button is now "Check out"
    assert 'hx-swap-oob="afterbegin:#customer-timeline"' in html


def test_check_in_farther_than_500_m_is_flagged(client, signed_in, customer):
    response = check_in(client, signed_in, customer, lat=NOTRE_DAME[0], lng=NOTRE_DAME[1], accuracy="8")
    html = response.get_data(as_text=True)
    assert visits_of(customer)[0].distance_m == round(haversine_m(*NOTRE_DAME, *BEN_THANH))
    assert "is-far" in html and "Farther than 500 m from the customer’s address" in html
    assert "822 m from the customer" in html


def test_the_limit_comes_from_the_configuration(app, client, signed_in, customer):
    app.config["CHECKIN_MAX_DISTANCE_M"] = 1000
    try:
        html = check_in(client, signed_in, customer, lat=NOTRE_DAME[0], lng=NOTRE_DAME[1]).get_data(as_text=True)
    finally:
        app.config["CHECKIN_MAX_DISTANCE_M"] = 500
    assert "is-far" not in html


@pytest.mark.parametrize("reason, text", [
    ("denied", "No location: permission denied"), ("timeout", "No location: the phone took too long"),
    ("unavailable", "No location: position unavailable"), ("", "No location")])
def test_check_in_without_a_position_is_kept_with_the_reason(client, signed_in, customer, reason, text):
    response = check_in(client, signed_in, customer, reason=reason)
    assert response.status_code == 201
    [visit] = visits_of(customer)
    assert (visit.lat, visit.lng, visit.accuracy_m, visit.distance_m, visit.body) == (None, None, None, None, text)
    assert "no location" in response.get_data(as_text=True)
    assert db.session.get(Customer, customer.id).last_contact_at is not None


def test_a_customer_without_location_has_no_distance(client, signed_in, rep):
    somewhere = make_customer(rep, name="Chưa có toạ độ")
    check_in(client, signed_in, somewhere, lat=BEN_THANH[0], lng=BEN_THANH[1])
    assert visits_of(somewhere)[0].distance_m is None


@pytest.mark.parametrize("fields", [
    {"lat": "91", "lng": "106.7"}, {"lat": "-90.5", "lng": "106.7"}, {"lat": "10.7", "lng": "180.1"},
    {"lat": "10.7", "lng": "-181"}, {"lat": "10.7", "lng": "106.7", "accuracy": "-1"},
    {"lat": "nan", "lng": "106.7"}, {"lat": "10.7", "lng": "inf"}, {"lat": "abc", "lng": "106.7"},
    {"lat": "10.7"}, {"reason": "<script>"},
])
def test_invalid_positions_are_refused_and_nothing_is_stored(client, signed_in, customer, fields):
    response = check_in(client, signed_in, customer, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The location sent is not valid" in html and 'role="alert"' in html
    assert "<script>" not in html
    assert visits_of(customer) == []
    assert db.session.get(Customer, customer.id).last_contact_at is None
    page = check_in(client, signed_in, customer, htmx=False, **fields)
    assert page.status_code == 422 and "The location sent is not valid" in page.get_data(as_text=True)
    assert visits_of(customer) == []


def test_a_second_check_in_returns_the_open_visit(client, signed_in, customer):
    first = check_in(client, signed_in, customer, lat=BEN_THANH[0], lng=BEN_THANH[1])
    second = check_in(client, signed_in, customer, lat=NOTRE_DAME[0], lng=NOTRE_DAME[1])
    assert (first.status_code, second.status_code) == (201, 200)
    [visit] = visits_of(customer)
    assert visit.distance_m == 0
    assert "You have been checked in here since" in second.get_data(as_text=True)
    assert "customer-timeline" not in second.get_data(as_text=True)


def test_the_same_client_key_stores_one_visit_even_after_check_out(client, signed_in, customer):
    key = str(uuid.uuid4())
    check_in(client, signed_in, customer, client_key=key)
    check_out(client, signed_in, visits_of(customer)[0].id)
    assert check_in(client, signed_in, customer, client_key=key).status_code == 200  # a late retry
    assert len(visits_of(customer)) == 1


def test_without_javascript_check_in_redirects_to_the_card(client, signed_in, customer):
    response = check_in(client, signed_in, customer, htmx=False, reason="unsupported")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/customers/{customer.id}")
    assert len(visits_of(customer)) == 1


# --- check-out -------------------------------------------------------------------------------------------

def test_check_out_records_the_time_and_shows_the_duration(client, signed_in, customer):
    check_in(client, signed_in, customer, lat=BEN_THANH[0], lng=BEN_THANH[1])
    visit = visits_of(customer)[0]
    visit.checked_in_at = utcnow() - timedelta(minutes=35, seconds=10)
    db.session.commit()

    response = check_out(client, signed_in, visit.id)

    assert response.status_code == 200
    visit = visits_of(customer)[0]
    stayed = visit.checked_out_at - visit.checked_in_at
    assert timedelta(minutes=35, seconds=10) <= stayed < timedelta(minutes=35, seconds=15)
    html = response.get_data(as_text=True)
    assert "Visit 35 min" in html
    assert f'/customers/{customer.id}/visits' in html  # "Check in" again
    card = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Visit 35 min" in card


def test_checking_out_twice_changes_nothing_and_says_so(client, signed_in, customer):
    check_in(client, signed_in, customer)
    visit_id = visits_of(customer)[0].id
    check_out(client, signed_in, visit_id)
    out_at = visits_of(customer)[0].checked_out_at
    response = check_out(client, signed_in, visit_id)
    assert response.status_code == 200
    assert "You already checked out at" in response.get_data(as_text=True)
    assert visits_of(customer)[0].checked_out_at == out_at
    page = check_out(client, signed_in, visit_id, htmx=False)
    assert page.status_code == 303 and visits_of(customer)[0].checked_out_at == out_at


# --- access -----------------------------------------------------------------------------------------------

def test_another_reps_customer_and_visit_are_404_and_nothing_changes(client, auth, signed_in, customer):
    other = make_user()
    theirs = make_customer(other, lat=BEN_THANH[0], lng=BEN_THANH[1])
    assert check_in(client, signed_in, theirs, lat=BEN_THANH[0], lng=BEN_THANH[1]).status_code == 404
    assert visits_of(theirs) == []
    assert db.session.get(Customer, theirs.id).last_contact_at is None

    their_visit = Activity(kind="visit", subject="Check-in", owner_id=other.id, customer_id=theirs.id,
                           checked_in_at=utcnow(), done_at=utcnow())
    db.session.add(their_visit)
    db.session.commit()
    assert check_out(client, signed_in, their_visit.id).status_code == 404
    assert check_out(client, signed_in, 999_999).status_code == 404
    assert visits_of(theirs)[0].checked_out_at is None


def test_a_call_is_not_a_visit_to_check_out(client, signed_in, rep, customer):
    call = Activity(kind="call", subject="Gọi", owner_id=rep.id, customer_id=customer.id, done_at=utcnow())
    db.session.add(call)
    db.session.commit()
    assert check_out(client, signed_in, call.id).status_code == 404


def test_csrf_token_is_required(client, signed_in, customer):
    response = client.post(f"/customers/{customer.id}/visits", data={"client_key": str(uuid.uuid4())}, headers=HTMX)
    assert response.status_code == 400
    assert visits_of(customer) == []
    check_in(client, signed_in, customer)
    visit_id = visits_of(customer)[0].id
    assert client.post(f"/visits/{visit_id}/checkout", headers=HTMX).status_code == 400
    assert visits_of(customer)[0].checked_out_at is None


def test_the_card_offers_check_in_then_check_out(client, signed_in, customer):
    card = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert f'action="/customers/{customer.id}/visits"' in card and "data-checkin" in card
    check_in(client, signed_in, customer, lat=BEN_THANH[0], lng=BEN_THANH[1])
    card = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert f"/visits/{visits_of(customer)[0].id}/checkout" in card
    assert "0 m from the customer" in card
