"""What a user has to do, on one screen: overdue and today's activities, then everything else that needs them.

Every section is the user's own work (the manager's team is on the team page), bounded (AGENDA_LIMIT, SECTION_LIMIT)
with its true total, and read as plain columns: a busy rep's agenda costs the same with 500,000 activities in
the database as with 500.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, or_, select

from app.extensions import db
from app.formatting import zone_named
from app.models import Activity, Contact, Contract, Customer, Deal, Quote, User
from app.models.base import utcnow
from app.models.customers import birthday_month_day
from app.services.scope import visible_owner_condition

AGENDA_LIMIT = 20  # overdue and today's activities: a phone screen, not a report; the totals say how many more
SECTION_LIMIT = 10  # the other sections: the first ten, each with its total
CHASE_AFTER = timedelta(days=2)  # a quote sent this long ago and not answered is worth a call
CONTRACTS_AHEAD_DAYS = 30
UPCOMING_LIMIT = 100  # tomorrow / the next 7 days: one page

SECTION_TITLES = {
    "overdue": _l("Overdue"),
    "today": _l("Today's calls, visits and tasks"),
    "quotes": _l("Quotes to chase"),
    "approvals": _l("Quotes waiting for your approval"),
    "leads": _l("New leads"),
    "deals": _l("Deals with no next step"),
    "contracts": _l("Contracts ending within 30 days"),
    "birthdays": _l("Birthdays today"),
}


def site_path(endpoint, **values):
    """The path of a page, also outside a request (e-mails, the digest)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


@dataclass
class AgendaItem:
    """One line of the agenda: what it is, what to show, and what the actions need (ids, phone)."""

    kind: str  # activity, quote, approval, lead, deal, contract, birthday
    id: int
    title: str
    subtitle: str | None = None
    when: datetime | date | None = None
    customer_id: int | None = None
    phone: str | None = None
    deal_id: int | None = None
    activity_kind: str | None = None  # call, visit, task … (activities only)
    flag: str | None = None  # "stale" deal, "viewed" quote, "contact" birthday …

    @property
    def url(self):
        """Where "open" goes."""
        if self.kind in ("quote", "approval"):
            return site_path("quotes.show", quote_id=self.id)
        if self.kind == "deal":
            return site_path("deals.show", deal_id=self.id)
        if self.kind == "contract":
            return site_path("delivery.contract", contract_id=self.id)
        if self.customer_id is not None:
            return site_path("customers.card", customer_id=self.customer_id)
        return site_path("main.today")


@dataclass
class Section:
    key: str
    items: list = field(default_factory=list)
    total: int = 0
    total_query: object = field(default=None, repr=False)  # the COUNT still to run when the list is full

    @property
    def title(self):
        return SECTION_TITLES[self.key]


@dataclass
class Agenda:
    day: date
    all_sections: list  # in display order; overdue and today always, the others when they apply to the user

    @property
    def sections(self):
        """The sections with something in them."""
        return [section for section in self.all_sections if section.total]

    def section(self, key):
        return next((s for s in self.all_sections if s.key == key), Section(key))

    @property
    def action_count(self):
        """Overdue and today's open activities: the Today tab's badge."""
        return self.section("overdue").total + self.section("today").total


def zone_of(user):
    """The user's time zone; the default (Asia/Ho_Chi_Minh) when theirs is unset or unknown."""
    return zone_named(user.timezone)


def local_day_bounds(day, zone):
    """(start, end) of a calendar day in zone, as aware datetimes."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def build_agenda(user, now=None, zone=None):
    """The user's agenda at `now` (default: this instant) in their time zone."""
    now = now or utcnow()
    zone = zone or zone_of(user)
    today = now.astimezone(zone).date()
    start, end = local_day_bounds(today, zone)
    sections = _activity_sections(user, start, end)
    sections.append(_quotes_to_chase(user, now, today))
    if user.role in ("manager", "admin"):
        sections.append(_approvals(user))
    sections += [_new_leads(user), _deals_without_next_step(user), _contracts_ending(user, today),
                 _birthdays(user, today)]
    _count_totals(sections)
    return Agenda(today, sections)


def action_count(user, now=None, zone=None):
    """Overdue plus today's open activities, in one indexed COUNT: the tab badge on every page."""
    now = now or utcnow()
    zone = zone or zone_of(user)
    _start, end = local_day_bounds(now.astimezone(zone).date(), zone)
    return db.session.scalar(select(func.count(Activity.id)).where(*_open_of(user), Activity.due_at < end))


def _open_of(user):
    return Activity.owner_id == user.id, Activity.done_at.is_(None), Activity.due_at.is_not(None)


_ACTIVITY_COLUMNS = (Activity.id, Activity.kind, Activity.subject, Activity.due_at, Customer.id.label("customer_id"),
                     Activity.deal_id, Customer.name, Customer.phone)


def _activity_item(row):
    return AgendaItem("activity", row.id, row.subject, row.name, row.due_at, row.customer_id, row.phone,
                      row.deal_id, activity_kind=row.kind)


def activity_items(user, conditions, limit):
    """Open activities matching conditions, by time, as agenda items (one query, customer columns joined).

    The customer shows only when user may see it: an activity left behind by a reassignment never leaks the
    customer's name or phone, and is still listed, to be done or moved.
    """
    customer = and_(Customer.id == Activity.customer_id, visible_owner_condition(Customer, user))
    stmt = (select(*_ACTIVITY_COLUMNS).outerjoin(Customer, customer)
            .where(*conditions).order_by(Activity.due_at, Activity.id).limit(limit))
    return [_activity_item(row) for row in _rows(stmt)]


def _activity_sections(user, start, end):
    overdue, today = Activity.due_at < start, and_(Activity.due_at >= start, Activity.due_at < end)
    counts = _rows(select(
        func.count(case((overdue, 1))), func.count(case((today, 1)))
    ).where(*_open_of(user), Activity.due_at < end)).one()
    return [Section("overdue", activity_items(user, (*_open_of(user), overdue), AGENDA_LIMIT), counts[0]),
            Section("today", activity_items(user, (*_open_of(user), today), AGENDA_LIMIT), counts[1])]


def upcoming(user, days, now=None, zone=None):
    """Open activities from tomorrow on, for `days` days: [(day, [items])] and the true total."""
    now = now or utcnow()
    zone = zone or zone_of(user)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    start, _ = local_day_bounds(tomorrow, zone)
    end, _ = local_day_bounds(tomorrow + timedelta(days=days), zone)
    when = (*_open_of(user), Activity.due_at >= start, Activity.due_at < end)
    items = activity_items(user, when, UPCOMING_LIMIT)
    total = db.session.scalar(select(func.count(Activity.id)).where(*when))
    by_day = {}
    for item in items:
        by_day.setdefault(item.when.astimezone(zone).date(), []).append(item)
    return list(by_day.items()), total


def _rows(stmt):
    """Rows of a plain-column select, through Core: no ORM entities here, so no ORM bookkeeping to pay for."""
    return db.session.connection().execute(stmt)


def _bounded(key, stmt, total_stmt, to_item):
    """The first SECTION_LIMIT items; the total is counted only when the list is full (and later, in one query)."""
    items = [to_item(row) for row in _rows(stmt.limit(SECTION_LIMIT))]
    section = Section(key, items, len(items))
    if len(items) == SECTION_LIMIT:
        section.total_query = total_stmt
    return section


def _count_totals(sections):
    """The true totals of the full sections, all in one statement (one round trip instead of one per section)."""
    pending = [section for section in sections if section.total_query is not None]
    if pending:
        totals = _rows(select(*(s.total_query.scalar_subquery() for s in pending))).one()
        for section, total in zip(pending, totals):
            section.total, section.total_query = total, None


def _quotes_to_chase(user, now, today):
    """Sent (or only viewed) at least CHASE_AFTER ago, still valid, no answer: oldest first."""
    conditions = (Quote.owner_id == user.id, Quote.status.in_(("sent", "viewed")), Quote.sent_at <= now - CHASE_AFTER,
                  Quote.valid_until >= today)
    stmt = (select(Quote.id, Quote.number, Quote.status, Quote.sent_at, Quote.total_vnd, Quote.customer_id,
                   Quote.deal_id, Customer.name, Customer.phone)
            .join(Customer, Customer.id == Quote.customer_id).where(*conditions).order_by(Quote.sent_at, Quote.id))
    return _bounded("quotes", stmt, select(func.count(Quote.id)).where(*conditions), lambda r: AgendaItem(
        "quote", r.id, r.number, r.name, r.sent_at, r.customer_id, r.phone, r.deal_id, flag=r.status))


def _approvals(user):
    from app.services.quotes import awaiting_conditions

    conditions = awaiting_conditions(user)
    stmt = (select(Quote.id, Quote.number, Quote.submitted_at, Quote.total_vnd, Quote.customer_id, Quote.deal_id,
                   Customer.name, User.name.label("owner_name"))
            .join(Customer, Customer.id == Quote.customer_id).join(User, User.id == Quote.owner_id)
            .where(*conditions).order_by(Quote.submitted_at, Quote.id))
    total = select(func.count(Quote.id)).join(User, User.id == Quote.owner_id).where(*conditions)
    return _bounded("approvals", stmt, total, lambda r: AgendaItem(
        "approval", r.id, r.number, f"{r.name} · {r.owner_name}", r.submitted_at, r.customer_id, deal_id=r.deal_id))


def _new_leads(user):
    """Leads of mine nobody has called, visited or met yet: newest first."""
    conditions = (Customer.owner_id == user.id, Customer.lifecycle == "lead", Customer.last_contact_at.is_(None))
    stmt = (select(Customer.id, Customer.name, Customer.phone, Customer.created_at, Customer.district)
            .where(*conditions).order_by(Customer.created_at.desc(), Customer.id.desc()))
    return _bounded("leads", stmt, select(func.count(Customer.id)).where(*conditions), lambda r: AgendaItem(
        "lead", r.id, r.name, r.district, r.created_at, r.id, r.phone))


def _deals_without_next_step(user):
    """Open deals with nothing scheduled, and those the stale rule flagged: flagged first, then by value.

    Two short reads on partial indexes (the flagged deals; the open ones by value, stopping at the tenth without a
    next step) instead of sorting every open deal of the owner.
    """
    no_open_step = ~exists().where(Activity.deal_id == Deal.id, Activity.done_at.is_(None))
    mine_open = (Deal.owner_id == user.id, Deal.closed_at.is_(None))
    columns = (Deal.id, Deal.title, Deal.stale_at, Deal.customer_id, Deal.stage_entered_at, Customer.name,
               Customer.phone)
    order = (Deal.value_vnd.desc(), Deal.id)
    flagged = list(_rows(select(*columns).join(Customer, Customer.id == Deal.customer_id)
                         .where(*mine_open, Deal.stale_at.is_not(None)).order_by(*order).limit(SECTION_LIMIT)))
    rest = list(_rows(select(*columns).join(Customer, Customer.id == Deal.customer_id)
                      .where(*mine_open, Deal.stale_at.is_(None), no_open_step).order_by(*order)
                      .limit(SECTION_LIMIT - len(flagged)))) if len(flagged) < SECTION_LIMIT else []
    items = [AgendaItem("deal", r.id, r.title, r.name, r.stage_entered_at, r.customer_id, r.phone, r.id,
                        flag="stale" if r.stale_at else None) for r in flagged + rest]
    section = Section("deals", items, len(items))
    if len(items) == SECTION_LIMIT:
        section.total_query = select(func.count(Deal.id)).where(*mine_open, or_(Deal.stale_at.is_not(None), no_open_step))
    return section


def _contracts_ending(user, today):
    conditions = (Contract.owner_id == user.id, Contract.end_date >= today,
                  Contract.end_date <= today + timedelta(days=CONTRACTS_AHEAD_DAYS))
    stmt = (select(Contract.id, Contract.number, Contract.end_date, Contract.customer_id, Contract.deal_id,
                   Customer.name, Customer.phone)
            .join(Customer, Customer.id == Contract.customer_id).where(*conditions)
            .order_by(Contract.end_date, Contract.id))
    return _bounded("contracts", stmt, select(func.count(Contract.id)).where(*conditions), lambda r: AgendaItem(
        "contract", r.id, r.number, r.name, r.end_date, r.customer_id, r.phone, r.deal_id))


def birthday_keys(day):
    """The birthday_md values celebrated on day: 29/02 birthdays are celebrated on 28/02 in other years."""
    keys = [birthday_month_day(day)]
    if (day.month, day.day) == (2, 28) and not _is_leap(day.year):
        keys.append(229)
    return keys


def _is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _birthdays(user, today):
    """My customers and my customers' contacts born on this day, with the true total of both."""
    keys = birthday_keys(today)
    mine = (Customer.birthday_md.in_(keys), Customer.owner_id == user.id)
    contacts_of_mine = (Contact.birthday_md.in_(keys), Customer.owner_id == user.id)
    customers = _rows(
        select(Customer.id, Customer.name, Customer.phone, Customer.birthday)
        .where(*mine).order_by(Customer.name, Customer.id).limit(SECTION_LIMIT)).all()
    contacts = _rows(
        select(Contact.id, Contact.name, Contact.phone, Contact.birthday, Customer.id.label("customer_id"),
               Customer.name.label("customer_name"), Customer.phone.label("customer_phone"))
        .join(Customer, Customer.id == Contact.customer_id)
        .where(*contacts_of_mine).order_by(Contact.name, Contact.id).limit(SECTION_LIMIT)).all()
    items = [AgendaItem("birthday", r.id, r.name, None, r.birthday, r.id, r.phone) for r in customers]
    items += [AgendaItem("birthday", r.id, r.name, r.customer_name, r.birthday, r.customer_id,
                         r.phone or r.customer_phone, flag="contact") for r in contacts]
    section = Section("birthdays", items[:SECTION_LIMIT], len(items))
    if len(customers) == SECTION_LIMIT or len(contacts) == SECTION_LIMIT:
        contacts_total = (select(func.count(Contact.id)).join(Customer, Customer.id == Contact.customer_id)
                          .where(*contacts_of_mine).scalar_subquery())
        section.total_query = select(func.count(Customer.id) + contacts_total).where(*mine)
    return section
