"""Customers due for a call or visit: nearest first from the phone's position, or by address without one.

The distance is computed by the database (a bounding box on the lat/lng index, then the haversine
formula in SQL, ORDER BY distance LIMIT n): no customer list is ever loaded to be sorted in Python.
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from app.extensions import db
from app.models import Customer, User
from app.models.base import utcnow
from app.services.customers.contacts import directions_url
from app.services.common.scope import visible_owner_condition
from app.services.common.settings import contact_due_days
from app.services.activities.visits import EARTH_RADIUS_M

NEARBY_LIMIT = 30
# Circles tried in turn until one holds `limit` customers: in a dense city a 2 km box already does, and computing
# the distance of every customer within 25 km (thousands, for a manager's team) would cost more than the page.
RADII_KM = (2, 10, 25, 100)
PAGE_SIZE = 30
MAX_PAGE = 200

# In DueCustomer's field order: a row becomes DueCustomer(*row).
COLUMNS = (Customer.id, Customer.name, Customer.phone, Customer.address, Customer.ward, Customer.district,
           Customer.province, Customer.lat, Customer.lng, Customer.last_contact_at, Customer.owner_id)


class InvalidPosition(ValueError):
    """The coordinates sent are not a position on Earth (missing half, not a number, out of range)."""


@dataclass
class DueCustomer:
    """One customer of the list: what a row shows, and the distance in whole metres when a position was given."""

    id: int
    name: str
    phone: str | None
    address: str | None
    ward: str | None
    district: str | None
    province: str | None
    lat: float | None
    lng: float | None
    last_contact_at: datetime | None
    owner_id: int
    distance_m: int | None = None
    owner_name: str = ""

    @property
    def full_address(self):
        return ", ".join(p for p in (self.address, self.ward, self.district, self.province) if p)

    @property
    def directions_url(self):
        return directions_url(self)


@dataclass
class Nearby:
    customers: list
    radius_km: float  # the circle the list was taken from (the smallest of RADII_KM holding enough)


@dataclass(frozen=True)
class Box:
    lat_min: float
    lat_max: float
    lng_ranges: tuple  # one (low, high) range, or two when the box crosses the 180° meridian


def parse_position(lat_text, lng_text):
    """(lat, lng) from query strings; None when neither is given; raises InvalidPosition otherwise."""
    if lat_text in (None, "") and lng_text in (None, ""):
        return None
    try:
        lat, lng = float(lat_text), float(lng_text)
    except (TypeError, ValueError):
        raise InvalidPosition("not a number") from None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        raise InvalidPosition("out of range")
    return lat, lng


def bounding_box(lat, lng, radius_m):
    """The lat/lng box holding every point within radius_m of (lat, lng).

    Longitude degrees shrink with cos(latitude): the half-width is asin(sin δ / cos φ) (δ the angular
    radius). When the circle reaches a pole every longitude is in it; across ±180° the box splits in two.
    """
    delta = radius_m / EARTH_RADIUS_M
    phi = math.radians(lat)
    lat_min, lat_max = math.degrees(phi - delta), math.degrees(phi + delta)
    if lat_min <= -90 or lat_max >= 90:  # a pole inside: no division by cos φ ≈ 0
        return Box(max(lat_min, -90.0), min(lat_max, 90.0), ((-180.0, 180.0),))
    # |φ| + δ < π/2 here, so cos φ > sin δ > 0 and the asin argument stays below 1.
    half_width = math.degrees(math.asin(math.sin(delta) / math.cos(phi)))
    low, high = lng - half_width, lng + half_width
    if low < -180:
        ranges = ((low + 360, 180.0), (-180.0, high))
    elif high > 180:
        ranges = ((low, 180.0), (-180.0, high - 360))
    else:
        ranges = ((low, high),)
    return Box(lat_min, lat_max, ranges)


def distance_sql(lat, lng):
    """SQL for the great-circle distance in metres from (lat, lng) to each customer (haversine).

    Only sin, cos, asin, sqrt and radians: built into PostgreSQL and into SQLite's math functions. The
    box keeps every row within ~150 km, so √a stays far below 1 and asin needs no clamping.
    """
    phi, lam = math.radians(lat), math.radians(lng)
    half_dlat = func.sin((func.radians(Customer.lat) - phi) / 2)
    half_dlng = func.sin((func.radians(Customer.lng) - lam) / 2)
    a = half_dlat * half_dlat + math.cos(phi) * func.cos(func.radians(Customer.lat)) * half_dlng * half_dlng
    return 2 * EARTH_RADIUS_M * func.asin(func.sqrt(a))


def due_conditions(user, now=None):
    """SQL conditions: customers user may see, not churned, with no contact for contact_due_days() days."""
    since = (now or utcnow()) - timedelta(days=contact_due_days())
    return [visible_owner_condition(Customer, user), Customer.lifecycle != "churned",
            or_(Customer.last_contact_at.is_(None), Customer.last_contact_at < since)]


def nearby_due(user, lat, lng, now=None, radii_km=RADII_KM, limit=NEARBY_LIMIT):
    """The due customers nearest to (lat, lng), nearest first, at most limit, with their distance in metres.

    The smallest circle of radii_km holding `limit` customers, else everyone within the largest.
    """
    conditions = due_conditions(user, now)
    for radius_km in radii_km:
        customers = _nearest(conditions, lat, lng, radius_km, limit)
        if len(customers) == limit:
            break
    _add_owner_names(customers, user)
    return Nearby(customers, radius_km)


def _nearest(conditions, lat, lng, radius_km, limit):
    box = bounding_box(lat, lng, radius_km * 1000)
    in_box = and_(Customer.lat.is_not(None), Customer.lat.between(box.lat_min, box.lat_max),
                  or_(*(Customer.lng.between(low, high) for low, high in box.lng_ranges)))
    distance = distance_sql(lat, lng)
    # The box serves the index; the circle is the promise ("within 25 km"): a box corner is 1.41 × the radius
    # away and must not crowd out a nearer customer found only when widening.
    labelled = distance.label("distance_m")
    stmt = (select(*COLUMNS, labelled).where(*conditions, in_box, distance <= radius_km * 1000)
            .order_by(labelled, Customer.id).limit(limit))
    return [DueCustomer(*row[:-1], distance_m=round(row.distance_m)) for row in db.session.execute(stmt)]


def due_by_address(user, now=None, page=1):
    """(customers, has_more): one page of the due customers by province, district, ward, address, name."""
    page = min(max(page, 1), MAX_PAGE)
    order = [column.asc().nulls_last() for column in
             (Customer.province, Customer.district, Customer.ward, Customer.address, Customer.name)]
    stmt = (select(*COLUMNS).where(*due_conditions(user, now)).order_by(*order, Customer.id)
            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    customers = [DueCustomer(*row) for row in db.session.execute(stmt)]
    _add_owner_names(customers[:PAGE_SIZE], user)
    return customers[:PAGE_SIZE], len(customers) > PAGE_SIZE


def _add_owner_names(customers, user):
    """Owner names for a manager's or admin's list, in one query (a rep sees only their own customers)."""
    if user.role == "rep" or not customers:
        return
    owner_ids = {customer.owner_id for customer in customers}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(owner_ids))).all())
    for customer in customers:
        customer.owner_name = names.get(customer.owner_id, "")
