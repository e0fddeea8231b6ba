"""Visit check-in and check-out, and how far the rep was from the customer's stored location."""
import math
from dataclasses import dataclass

from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Activity
from app.models.base import utcnow
from app.services.activities.notes import stored_by_key, touch_last_contact

# Mean Earth radius (IUGG, R1 = (2a + b) / 3 of WGS 84), in metres. A sphere is within 0.5 % of the
# ellipsoid: a few metres at the distances that matter here, less than a phone's GPS error.
EARTH_RADIUS_M = 6_371_008.8
NO_LOCATION_REASONS = ("denied", "unavailable", "timeout", "unsupported")


@dataclass
class CheckIn:
    visit: Activity
    created: bool  # False: an open visit (or this client key) was already there and is returned as is


def haversine_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres between two points given in decimal degrees.

    The haversine formula: a = sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2), d = 2R · asin(√a).
    Numerically sound for short distances, where the spherical law of cosines loses precision.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def distance_to_customer(customer, lat, lng):
    """Whole metres from (lat, lng) to the customer's stored location; None when either is unknown."""
    if None in (lat, lng, customer.lat, customer.lng):
        return None
    return round(haversine_m(lat, lng, customer.lat, customer.lng))


def open_visit(owner, customer):
    """The owner's visit to customer that is checked in and not yet out, or None."""
    return db.session.scalar(
        select(Activity).where(Activity.owner_id == owner.id, Activity.customer_id == customer.id,
                               Activity.kind == "visit", Activity.checked_in_at.is_not(None),
                               Activity.checked_out_at.is_(None))
        .order_by(Activity.checked_in_at.desc()).limit(1)
    )


def latest_visit(owner, customer):
    """The owner's most recent visit to customer (open or not), or None."""
    return db.session.scalar(
        select(Activity).where(Activity.owner_id == owner.id, Activity.customer_id == customer.id,
                               Activity.kind == "visit", Activity.checked_in_at.is_not(None))
        .order_by(Activity.checked_in_at.desc()).limit(1)
    )


def check_in(owner, customer, client_key, lat=None, lng=None, accuracy_m=None, no_location_reason=None, now=None):
    """Check owner in at customer now (a done `visit`); returns a CheckIn.

    One open visit per customer and rep: while one is open it is returned instead of a new one, as is
    the visit already stored under client_key. Without a position the visit is kept, with the reason.
    """
    existing = stored_by_key(owner, client_key) or open_visit(owner, customer)
    if existing is not None:
        return CheckIn(existing, created=False)
    now = now or utcnow()
    with force_locale(owner.locale):
        subject = gettext("Check-in")
        body = _no_location_text(no_location_reason) if lat is None else None
    visit = Activity(kind="visit", subject=subject, body=body, owner_id=owner.id, customer_id=customer.id,
                     due_at=now, done_at=now, checked_in_at=now, lat=lat, lng=lng, accuracy_m=accuracy_m,
                     distance_m=distance_to_customer(customer, lat, lng), client_key=client_key)
    try:
        db.session.add(visit)
        db.session.flush()  # the unique key is checked here
        touch_last_contact(customer, now)
        db.session.commit()
    except IntegrityError:  # the same key won a race a moment ago
        db.session.rollback()
        existing = stored_by_key(owner, client_key)
        if existing is None:
            raise
        return CheckIn(existing, created=False)
    return CheckIn(visit, created=True)


def check_out(visit, now=None):
    """Record the end of visit; False (and nothing written) when it was already checked out."""
    if visit.checked_out_at is not None:
        return False
    visit.checked_out_at = now or utcnow()
    db.session.commit()
    return True


def visit_minutes(visit):
    """Whole minutes between check-in and check-out (None while the visit is open)."""
    if visit.checked_in_at is None or visit.checked_out_at is None:
        return None
    return max(0, round((visit.checked_out_at - visit.checked_in_at).total_seconds() / 60))


def is_far(visit, max_distance_m):
    """True when the check-in was more than max_distance_m from the customer's stored location."""
    return visit.distance_m is not None and visit.distance_m > max_distance_m


def _no_location_text(reason):
    texts = {
        "denied": gettext("No location: permission denied"),
        "unavailable": gettext("No location: position unavailable"),
        "timeout": gettext("No location: the phone took too long"),
        "unsupported": gettext("No location: not supported by this browser"),
    }
    return texts.get(reason, gettext("No location"))
