"""Merging a duplicate customer into another, and finding the duplicates worth merging.

Everything that points at the removed customer moves to the survivor in one
transaction; the removed customer is kept as a snapshot (CustomerMerge) for review.
"""
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, distinct, func, insert, literal, select, union_all, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import Activity, AutomationLog, Contact, Customer, CustomerMerge, Deal
from app.models.audit import record
from app.models.base import utcnow
from app.models.customers import customer_tags
from app.services.common.scope import visible_owner_condition

# Records that belong to a customer and follow the survivor: (model, foreign key column).
# A new table that points at customers (quotes, contracts…) is one more line here.
MOVES = [
    (Contact, "customer_id"),
    (Deal, "customer_id"),
    (Activity, "customer_id"),
    (CustomerMerge, "survivor_id"),  # earlier merges into the removed customer stay reviewable
    (AutomationLog, "customer_id"),  # what the rules did for it: a rule does not act twice after a merge
]

# Fields the user chooses between; "location" is lat and lng together.
FIELD_COLUMNS = {
    "name": ("name",), "phone": ("phone",), "phone_alt": ("phone_alt",), "email": ("email",),
    "tax_code": ("tax_code",), "address": ("address",), "ward": ("ward",), "district": ("district",),
    "province": ("province",), "location": ("lat", "lng"), "source": ("source",), "lifecycle": ("lifecycle",),
    "birthday": ("birthday",), "notes": ("notes",),
}
FIELD_LABELS = {
    "name": _l("Name"), "phone": _l("Phone"), "phone_alt": _l("Other phone"), "email": _l("Email"),
    "tax_code": _l("Tax code"), "address": _l("Address"), "ward": _l("Ward"), "district": _l("District"),
    "province": _l("Province/City"), "location": _l("Location"), "source": _l("Source"), "lifecycle": _l("Lifecycle"),
    "birthday": _l("Birthday"), "notes": _l("Notes"),
}
MERGE_FIELDS = tuple(FIELD_COLUMNS)
SNAPSHOT_COLUMNS = ("id", "kind", "name", "tax_code", "phone", "phone_alt", "email", "address", "ward", "district",
                    "province", "lat", "lng", "lifecycle", "source", "owner_id", "score", "birthday", "notes",
                    "last_contact_at", "created_at", "updated_at", "version")
CONTACT_COLUMNS = ("id", "name", "title", "phone", "email", "is_primary", "birthday")


class StaleMerge(Exception):
    """One of the two customers changed (or went) since the user compared them; nothing was written."""


def _json(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def snapshot(customer):
    """A customer's fields, contacts and tags as JSON-ready data."""
    data = {column: _json(getattr(customer, column)) for column in SNAPSHOT_COLUMNS}
    data["contacts"] = [{column: _json(getattr(c, column)) for column in CONTACT_COLUMNS} for c in customer.contacts]
    data["tags"] = [tag.name for tag in customer.tags]
    return data


def snapshot_values(data):
    """A stored snapshot with its dates and times as date and datetime again (for display)."""
    values = dict(data)
    for key in ("birthday",):
        if values.get(key):
            values[key] = date.fromisoformat(values[key])
    for key in ("created_at", "updated_at", "last_contact_at"):
        if values.get(key):
            values[key] = datetime.fromisoformat(values[key])
    return values


def field_value(customer, name):
    """The value of a merge field (a (lat, lng) pair for location; None when empty)."""
    values = tuple(getattr(customer, column) for column in FIELD_COLUMNS[name])
    if name == "location":
        return values if None not in values else None
    return values[0] if values[0] not in (None, "") else None


def default_choice(name, survivor_value, other_value):
    """Which value a field keeps unless the user says otherwise: the survivor's, unless it is empty."""
    if name == "notes" and survivor_value and other_value:
        return "both"
    return "other" if survivor_value is None and other_value is not None else "survivor"


@dataclass
class FieldComparison:
    name: str
    label: str
    a: object
    b: object

    @property
    def differs(self):
        return self.a != self.b


def compare(a, b):
    """FieldComparisons of every merge field of customers a and b."""
    return [FieldComparison(name, FIELD_LABELS[name], field_value(a, name), field_value(b, name)) for name in MERGE_FIELDS]


def related_counts(customer):
    """{table name: count} of the records that would move with this customer."""
    counts = {}
    for model, column in MOVES:
        counts[model.__tablename__] = db.session.scalar(
            select(func.count()).select_from(model).where(getattr(model, column) == customer.id))
    counts["tags"] = len(customer.tags)
    return counts


def merge_customers(survivor, other, actor, *, survivor_version, other_version, choices=None, ip=None):
    """Merge other into survivor and commit; returns the CustomerMerge.

    choices maps a merge field to "survivor", "other" or (notes) "both"; fields not
    given follow default_choice(). Raises StaleMerge (nothing written) when either
    customer is not at the version the user saw.
    """
    if survivor.id == other.id:
        raise ValueError("a customer cannot be merged into itself")
    if survivor.version != survivor_version or other.version != other_version:
        raise StaleMerge()
    choices = choices or {}
    before, removed = snapshot(survivor), snapshot(other)
    new_values = _chosen_values(survivor, other, choices)
    last_contact = max((t for t in (survivor.last_contact_at, other.last_contact_at) if t is not None), default=None)
    other_id = other.id
    db.session.expunge(other)  # from here on it is changed with SQL statements only

    moved = {}
    for model, column in MOVES:
        foreign_key = getattr(model, column)
        moved[model.__tablename__] = db.session.scalars(select(model.id).where(foreign_key == other_id).order_by(model.id)).all()
        if moved[model.__tablename__]:
            db.session.execute(update(model).where(foreign_key == other_id).values({column: survivor.id}),
                               execution_options={"synchronize_session": False})
    moved["tags"] = _union_tags(survivor.id, other_id)
    # Deleting the other customer first frees its tax code (unique) before the survivor takes it.
    gone = db.session.execute(delete(Customer).where(Customer.id == other_id, Customer.version == other_version))
    if gone.rowcount != 1:
        db.session.rollback()
        raise StaleMerge()

    for name, value in new_values.items():
        columns = FIELD_COLUMNS[name]
        for column, part in zip(columns, value if len(columns) > 1 else (value,)):
            setattr(survivor, column, part)
    survivor.last_contact_at = last_contact  # the other's calls and visits moved too
    survivor.updated_at = utcnow()  # always an UPDATE: the version check also covers "nothing chosen"
    merge = CustomerMerge(survivor_id=survivor.id, merged_customer_id=other_id, merged_name=removed["name"],
                          snapshot=removed, moved=moved, actor_id=actor.id)
    db.session.add(merge)
    try:
        db.session.flush()
        record("customer.merge", survivor, actor=actor, ip=ip,
               before={"survivor": {k: before[k] for k in before if k not in ("contacts", "tags")}, "merged": removed},
               after={"survivor": {k: _json(v) for k, v in new_values.items()}, "merge_id": merge.id,
                      "moved": {table: len(ids) for table, ids in moved.items()}})
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleMerge() from None
    return merge


def _chosen_values(survivor, other, choices):
    values = {}
    for name in MERGE_FIELDS:
        mine, theirs = field_value(survivor, name), field_value(other, name)
        if mine == theirs:
            continue
        choice = choices.get(name) or default_choice(name, mine, theirs)
        if choice == "both" and name == "notes":
            values[name] = "\n\n".join(v for v in (mine, theirs) if v)
        elif choice == "other":
            values[name] = theirs if theirs is not None else ((None, None) if name == "location" else None)
    return values


def _union_tags(survivor_id, other_id):
    """Give the survivor the other's tags it lacks; returns the ids of the tags added."""
    mine = set(db.session.scalars(select(customer_tags.c.tag_id).where(customer_tags.c.customer_id == survivor_id)))
    theirs = db.session.scalars(select(customer_tags.c.tag_id).where(customer_tags.c.customer_id == other_id)).all()
    added = sorted(set(theirs) - mine)
    if added:
        db.session.execute(insert(customer_tags), [{"customer_id": survivor_id, "tag_id": tag_id} for tag_id in added])
    return added


# --- Review and finding duplicates --------------------------------------------------------------

PAGE_SIZE = 20
MAX_PAGE = 500


def merges_visible_to(user):
    """select(CustomerMerge) of merges whose survivor user may see (admins: every merge), newest first."""
    stmt = select(CustomerMerge).options(selectinload(CustomerMerge.survivor), selectinload(CustomerMerge.actor))
    if user.role != "admin":
        stmt = stmt.join(Customer, Customer.id == CustomerMerge.survivor_id).where(visible_owner_condition(Customer, user))
    return stmt.order_by(CustomerMerge.created_at.desc(), CustomerMerge.id.desc())


def merge_page(user, page):
    """(merges, has_more) for one page of the merges user may review."""
    page = min(max(page, 1), MAX_PAGE)
    rows = db.session.scalars(merges_visible_to(user).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


@dataclass
class DuplicateGroup:
    reason: str  # phone, email or tax_code
    value: str
    customers: list

    @property
    def pairs(self):
        """(first, other) for every other customer of the group: the merges to offer."""
        return [(self.customers[0], other) for other in self.customers[1:]]


def _shared_expressions():
    """(reason, normalised value expression) pairs a duplicate may share."""
    return [
        ("phone", Customer.phone), ("phone", Customer.phone_alt),
        ("email", func.lower(func.trim(Customer.email))),
        ("tax_code", func.replace(func.replace(Customer.tax_code, " ", ""), ".", "")),
    ]


def duplicate_groups(user, page=1):
    """(groups, has_more): one page of phones, e-mails and tax codes shared by customers user may see.

    One GROUP BY query with LIMIT finds the page's shared values; a query per expression loads their customers.
    """
    page = min(max(page, 1), MAX_PAGE)
    scope = visible_owner_condition(Customer, user)
    shared = union_all(*[
        select(literal(reason).label("reason"), value.label("value"), Customer.id.label("customer_id"))
        .where(scope, value.is_not(None), value != "")
        for reason, value in _shared_expressions()
    ]).subquery()
    count = func.count(distinct(shared.c.customer_id))
    keys = db.session.execute(
        select(shared.c.reason, shared.c.value).group_by(shared.c.reason, shared.c.value).having(count > 1)
        .order_by(shared.c.reason, shared.c.value).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    has_more, keys = len(keys) > PAGE_SIZE, keys[:PAGE_SIZE]
    members = {}
    for reason, expression in _shared_expressions():
        values = [value for r, value in keys if r == reason]
        if values:
            for customer_id, value in db.session.execute(select(Customer.id, expression).where(scope, expression.in_(values))):
                members.setdefault((reason, value), set()).add(customer_id)
    ids = {i for found in members.values() for i in found}
    customers = {c.id: c for c in db.session.scalars(
        select(Customer).where(Customer.id.in_(ids)).options(selectinload(Customer.owner)))} if ids else {}
    groups = [DuplicateGroup(reason, value, [customers[i] for i in sorted(members.get((reason, value), ()))])
              for reason, value in keys]
    return [g for g in groups if len(g.customers) > 1], has_more
