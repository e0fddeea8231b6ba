"""A customer's contacts (seen through the customer's visibility, one main contact) and the links a card offers
(Zalo, map directions)."""
from urllib.parse import quote

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.extensions import db
from app.models import Contact, Customer
from app.services.common.scope import visible_owner_condition


def visible_contact_or_404(user, contact_id):
    """The contact if its customer is visible to user; raises 404 otherwise, exactly as for a missing id."""
    contact = db.session.scalar(
        select(Contact).join(Contact.customer)
        .where(Contact.id == contact_id, visible_owner_condition(Customer, user))
        .options(contains_eager(Contact.customer)))
    if contact is None:
        abort(404)
    return contact


def save_contact(customer, values, contact=None):
    """Create or update a contact of customer; a main contact makes the others not main."""
    if contact is None:
        contact = Contact(customer=customer)
        db.session.add(contact)
    for name, value in values.items():
        setattr(contact, name, value)
    if contact.is_primary:
        for other in customer.contacts:
            if other is not contact:
                other.is_primary = False
    db.session.commit()
    return contact


def delete_contact(contact):
    db.session.delete(contact)
    db.session.commit()


def zalo_url(phone):
    """zalo.me link of a Vietnamese number (national form, leading 0), or None."""
    return f"https://zalo.me/0{phone[3:]}" if phone and phone.startswith("+84") else None


def directions_url(customer):
    """Google Maps directions to the customer: by position when known, else by address; None without either."""
    if customer.lat is not None and customer.lng is not None:
        destination = f"{_coordinate(customer.lat)},{_coordinate(customer.lng)}"
    elif customer.full_address:
        destination = customer.full_address
    else:
        return None
    return "https://www.google.com/maps/dir/?api=1&destination=" + quote(destination, safe=",")


def _coordinate(value):
    return f"{value:.6f}".rstrip("0").rstrip(".")
