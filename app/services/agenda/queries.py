"""The agenda's statements, built once per process with bind parameters.

Today runs a dozen small indexed queries; building each select and its cache key anew on every request cost
more than running them (0.8 ms per query against 0.25 ms prebuilt). Parameters: owner (the user's id), team
(ids a manager may see), start/end (the local day), lo/hi (a range of due times), chase_before, today, until,
keys (birthdays as month * 100 + day).
"""
from datetime import datetime, timezone
from functools import cache

from sqlalchemy import and_, bindparam, case, exists, func, select, true

from app.models import Activity, Contact, Contract, Customer, Deal, Quote

AGENDA_LIMIT = 20  # overdue and today's activities: a phone screen, not a report; the totals say how many more
SECTION_LIMIT = 10  # the other sections: the first ten, each with its total
UPCOMING_LIMIT = 100  # tomorrow / the next 7 days: one page
DEALS_COUNT_CAP = 100  # deals with no next step are counted up to here ("99+")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # "due any time before": the lower end of the overdue range

P = bindparam
OPEN = (Activity.owner_id == P("owner"), Activity.done_at.is_(None), Activity.due_at.is_not(None))


def scope_of(user):
    """Which customers user may see, as a statement variant: own, team or all."""
    if user.role == "admin":
        return "all"
    return "team" if user.role == "manager" and user.team_id is not None else "own"


def _visible_customer(scope):
    if scope == "all":
        return true()
    return Customer.owner_id.in_(P("team", expanding=True)) if scope == "team" else Customer.owner_id == P("owner")


@cache
def activity_lines(scope, limit):
    """Open activities of owner due in [lo, hi), by time; the customer only when the user may see it."""
    customer = and_(Customer.id == Activity.customer_id, _visible_customer(scope))
    return (select(Activity.id, Activity.kind, Activity.subject, Activity.due_at, Customer.id.label("customer_id"),
                   Activity.deal_id, Customer.name, Customer.phone)
            .outerjoin(Customer, customer).where(*OPEN, Activity.due_at >= P("lo"), Activity.due_at < P("hi"))
            .order_by(Activity.due_at, Activity.id).limit(limit))


@cache
def activity_counts():
    """(overdue, due today) of owner for the local day [start, end)."""
    return (select(func.count(case((Activity.due_at < P("start"), 1))),
                   func.count(case((Activity.due_at >= P("start"), 1))))
            .where(*OPEN, Activity.due_at < P("end")))


@cache
def activities_between():
    """How many open activities of owner are due in [lo, hi)."""
    return select(func.count(Activity.id)).where(*OPEN, Activity.due_at >= P("lo"), Activity.due_at < P("hi"))


def _chased():
    return (Quote.owner_id == P("owner"), Quote.status.in_(("sent", "viewed")), Quote.sent_at <= P("chase_before"),
            Quote.valid_until >= P("today"))


def _new_leads():
    return Customer.owner_id == P("owner"), Customer.lifecycle == "lead", Customer.last_contact_at.is_(None)


def _contracts_ending():
    return Contract.owner_id == P("owner"), Contract.end_date >= P("today"), Contract.end_date <= P("until")


def _open_deals():
    return Deal.owner_id == P("owner"), Deal.closed_at.is_(None)


def _no_open_step():
    return ~exists().where(Activity.deal_id == Deal.id, Activity.done_at.is_(None))


@cache
def lines(key):
    """The first SECTION_LIMIT lines of a section (for deals: the flagged ones, then those without a next step)."""
    if key == "quotes":
        return (select(Quote.id, Quote.number, Quote.status, Quote.sent_at, Quote.customer_id, Quote.deal_id,
                       Customer.name, Customer.phone)
                .join(Customer, Customer.id == Quote.customer_id).where(*_chased())
                .order_by(Quote.sent_at, Quote.id).limit(SECTION_LIMIT))
    if key == "leads":
        return (select(Customer.id, Customer.name, Customer.phone, Customer.created_at, Customer.district)
                .where(*_new_leads()).order_by(Customer.created_at.desc(), Customer.id.desc()).limit(SECTION_LIMIT))
    if key == "contracts":
        return (select(Contract.id, Contract.number, Contract.end_date, Contract.customer_id, Contract.deal_id,
                       Customer.name, Customer.phone)
                .join(Customer, Customer.id == Contract.customer_id).where(*_contracts_ending())
                .order_by(Contract.end_date, Contract.id).limit(SECTION_LIMIT))
    if key == "birthday_customers":
        return (select(Customer.id, Customer.name, Customer.phone, Customer.birthday)
                .where(Customer.birthday_md.in_(P("keys", expanding=True)), Customer.owner_id == P("owner"))
                .order_by(Customer.name, Customer.id).limit(SECTION_LIMIT))
    if key == "birthday_contacts":
        return (select(Contact.id, Contact.name, Contact.phone, Contact.birthday, Customer.id.label("customer_id"),
                       Customer.name.label("customer_name"), Customer.phone.label("customer_phone"))
                .join(Customer, Customer.id == Contact.customer_id)
                .where(Contact.birthday_md.in_(P("keys", expanding=True)), Customer.owner_id == P("owner"))
                .order_by(Contact.name, Contact.id).limit(SECTION_LIMIT))
    # Deals: two short reads on partial indexes (the flagged deals; the open ones by value, stopping at the tenth
    # without a next step) instead of sorting every open deal of the owner.
    columns = (Deal.id, Deal.title, Deal.stale_at, Deal.customer_id, Deal.stage_entered_at, Customer.name,
               Customer.phone)
    flagged = Deal.stale_at.is_not(None) if key == "deals_flagged" else and_(Deal.stale_at.is_(None), _no_open_step())
    return (select(*columns).join(Customer, Customer.id == Deal.customer_id).where(*_open_deals(), flagged)
            .order_by(Deal.value_vnd.desc(), Deal.id).limit(SECTION_LIMIT))


def _count(key):
    """The COUNT behind a section's total (deals: up to DEALS_COUNT_CAP)."""
    if key == "quotes":
        return select(func.count(Quote.id)).where(*_chased())
    if key == "leads":
        return select(func.count(Customer.id)).where(*_new_leads())
    if key == "contracts":
        return select(func.count(Contract.id)).where(*_contracts_ending())
    if key == "birthdays":
        contacts = (select(func.count(Contact.id)).join(Customer, Customer.id == Contact.customer_id)
                    .where(Contact.birthday_md.in_(P("keys", expanding=True)), Customer.owner_id == P("owner")))
        return (select(func.count(Customer.id) + contacts.scalar_subquery())
                .where(Customer.birthday_md.in_(P("keys", expanding=True)), Customer.owner_id == P("owner")))
    # Two capped counts, not one with OR: PostgreSQL turns "flagged OR NOT EXISTS" into a hash of every open
    # activity (125,000 rows), while each half alone is an index read that stops at the cap.
    flagged = select(Deal.id).where(*_open_deals(), Deal.stale_at.is_not(None)).limit(DEALS_COUNT_CAP).subquery()
    rest = (select(Deal.id).where(*_open_deals(), Deal.stale_at.is_(None), _no_open_step())
            .limit(DEALS_COUNT_CAP).subquery())
    return select(select(func.count()).select_from(flagged).scalar_subquery()
                  + select(func.count()).select_from(rest).scalar_subquery())


@cache
def totals(keys):
    """The totals of several sections in one statement (one round trip), for a tuple of section keys."""
    return select(*(_count(key).scalar_subquery() for key in keys))
