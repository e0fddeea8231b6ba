"""Likely duplicate customers: same phone, e-mail or tax code, or a very similar name."""
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from sqlalchemy import or_, select

from app.extensions import db
from app.models import Contact, Customer
from app.services.scope import visible_owner_condition
from app.text import fold, normalise_phone

# Words that say what kind of company it is, not which one: "Công ty TNHH Đức Hưng" ≈ "Đức Hưng".
_LEGAL_WORDS = {
    "cong", "ty", "cty", "tnhh", "co", "phan", "cp", "mtv", "tm", "dv", "tmdv", "xnk", "sx", "thuong", "mai", "dich",
    "vu", "san", "xuat", "trach", "nhiem", "huu", "han", "thanh", "vien", "mot", "doanh", "nghiep", "tu", "nhan", "dntn",
    "hkd", "ho", "kinh", "jsc", "ltd", "llc", "company", "co.,", "corp", "group", "tap", "doan", "chi", "nhanh",
}
_NOT_WORD = re.compile(r"[^0-9a-z]+")
SIMILAR_NAME = 0.88  # SequenceMatcher ratio of core names at or above which two names are "very similar"


def core_name(name):
    """The distinctive part of a customer name, folded: "CÔNG TY TNHH Đức Hưng" → "duc hung"."""
    words = [w for w in _NOT_WORD.split(fold(name)) if w]
    core = [w for w in words if w not in _LEGAL_WORDS]
    return " ".join(core or words)


def normalise_tax_code(raw):
    """A tax code without spaces or dots ("0312 345 678-001" → "0312345678-001"), or None when empty."""
    text = re.sub(r"[\s.]+", "", raw or "")
    return text or None


def normalise_email(raw):
    text = (raw or "").strip().lower()
    return text or None


def names_similar(a, b):
    a, b = core_name(a), core_name(b)
    return bool(a) and bool(b) and (a == b or SequenceMatcher(None, a, b).ratio() >= SIMILAR_NAME)


@dataclass
class Duplicates:
    """Likely duplicates of a new or edited customer: the ones the user may see, and a count of the others."""

    visible: list = field(default_factory=list)  # [(customer, [reason, ...])], reasons: phone, email, tax_code, name
    hidden_count: int = 0  # matches owned outside the user's scope: counted, never shown

    def __bool__(self):
        return bool(self.visible or self.hidden_count)


def likely_duplicates(user, *, name=None, phone=None, email=None, tax_code=None, exclude_id=None, limit=5):
    """Customers that look like the one described, found with indexed lookups only."""
    from app.services.search import customer_text_conditions

    reasons = {}

    def note(customers, reason):
        for customer in customers:
            if customer.id != exclude_id:
                reasons.setdefault(customer, [])
                if reason not in reasons[customer]:
                    reasons[customer].append(reason)

    phone = normalise_phone(phone) if phone else None
    if phone:
        note(db.session.scalars(select(Customer).where(or_(Customer.phone == phone, Customer.phone_alt == phone))
                                .limit(limit)), "phone")
        note(db.session.scalars(select(Customer).join(Contact).where(Contact.phone == phone).limit(limit)), "phone")
    if email := normalise_email(email):
        note(db.session.scalars(select(Customer).where(Customer.email == email).limit(limit)), "email")
    if tax_code := normalise_tax_code(tax_code):
        note(db.session.scalars(select(Customer).where(Customer.tax_code == tax_code).limit(limit)), "tax_code")
    core = core_name(name) if name else ""
    if core:
        # Candidates share the core name's longest word; similarity then decides, on a bounded set.
        longest = max(core.split(), key=len)
        candidates = db.session.scalars(
            select(Customer).where(*customer_text_conditions(longest)).order_by(Customer.id.desc()).limit(200))
        note([c for c in candidates if names_similar(c.name, name)], "name")

    visible_ids = set()
    if reasons:
        ids = [c.id for c in reasons]
        visible_ids = set(db.session.scalars(
            select(Customer.id).where(Customer.id.in_(ids), visible_owner_condition(Customer, user))))
    found = Duplicates()
    for customer, why in reasons.items():
        if customer.id in visible_ids:
            found.visible.append((customer, why))
        else:
            found.hidden_count += 1
    found.visible = found.visible[:limit]
    return found
