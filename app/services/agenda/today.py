"""What a user has to do, on one screen: overdue and today's activities, then everything else that needs them.

Every section is the user's own work (the manager's team is on the team page), bounded (AGENDA_LIMIT, SECTION_LIMIT)
with its true total, and read as plain columns: a busy rep's agenda costs the same with 500,000 activities in
the database as with 500.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.formatting import zone_named
from app.models import Customer, Quote, User
from app.models.base import utcnow
from app.models.customers import birthday_month_day
from app.services.agenda import queries as q
from app.services.agenda.queries import AGENDA_LIMIT, EPOCH, SECTION_LIMIT, UPCOMING_LIMIT
from app.services.common.scope import team_member_ids

CHASE_AFTER = timedelta(days=2)  # a quote sent this long ago and not answered is worth a call
CONTRACTS_AHEAD_DAYS = 30

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
    record: object = None  # approvals only: the Quote, with its customer, owner and lines (the card shows them)

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
    total_cap: int | None = None  # counting stops there: the total reads "99+"
    pending_total: bool = field(default=False, repr=False)  # the list is full: its COUNT is still to run

    @property
    def total_text(self):
        """The total as shown: "536", or "99+" for a count that stopped at its cap."""
        return f"{self.total_cap - 1}+" if self.total_cap and self.total >= self.total_cap else str(self.total)

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
    params = _params(user, start=start, end=end, chase_before=now - CHASE_AFTER, today=today,
                     until=today + timedelta(days=CONTRACTS_AHEAD_DAYS), keys=birthday_keys(today))
    sections = _activity_sections(user, params)
    sections.append(_section("quotes", params, lambda r: AgendaItem(
        "quote", r.id, r.number, r.name, r.sent_at, r.customer_id, r.phone, r.deal_id, flag=r.status)))
    if user.role in ("manager", "admin"):
        sections.append(_approvals(user))
    sections += [
        _section("leads", params, lambda r: AgendaItem("lead", r.id, r.name, r.district, r.created_at, r.id, r.phone)),
        _deals_without_next_step(params),
        _section("contracts", params, lambda r: AgendaItem(
            "contract", r.id, r.number, r.name, r.end_date, r.customer_id, r.phone, r.deal_id)),
        _birthdays(params),
    ]
    _count_totals(sections, params)
    return Agenda(today, sections)


def action_count(user, now=None, zone=None):
    """Overdue plus today's open activities, in one indexed COUNT: the tab badge on every page."""
    now = now or utcnow()
    zone = zone or zone_of(user)
    _start, end = local_day_bounds(now.astimezone(zone).date(), zone)
    return _rows(q.activities_between(), _params(user, lo=EPOCH, hi=end)).scalar()


def _params(user, **values):
    """Bind parameters of the agenda's statements for user (and the team ids a manager may see)."""
    values["owner"] = user.id
    if q.scope_of(user) == "team":
        values["team"] = team_member_ids(user)
    return values


def _rows(stmt, params):
    """Rows of a prebuilt plain-column statement, through Core: no ORM entities, no ORM bookkeeping."""
    return db.session.connection().execute(stmt, params)


def _activity_item(row):
    return AgendaItem("activity", row.id, row.subject, row.name, row.due_at, row.customer_id, row.phone,
                      row.deal_id, activity_kind=row.kind)


def activity_items(user, params, limit):
    """Open activities due in [params lo, hi), by time, as agenda items (one query, customer columns joined).

    The customer shows only when user may see it: an activity left behind by a reassignment never leaks the
    customer's name or phone, and is still listed, to be done or moved.
    """
    return [_activity_item(row) for row in _rows(q.activity_lines(q.scope_of(user), limit), params)]


def _activity_sections(user, params):
    overdue, today = _rows(q.activity_counts(), params).one()
    return [Section("overdue", activity_items(user, {**params, "lo": EPOCH, "hi": params["start"]}, AGENDA_LIMIT),
                    overdue),
            Section("today", activity_items(user, {**params, "lo": params["start"], "hi": params["end"]},
                                            AGENDA_LIMIT), today)]


def upcoming(user, days, now=None, zone=None):
    """Open activities from tomorrow on, for `days` days: [(day, [items])] and the true total."""
    now = now or utcnow()
    zone = zone or zone_of(user)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    start, _ = local_day_bounds(tomorrow, zone)
    end, _ = local_day_bounds(tomorrow + timedelta(days=days), zone)
    params = _params(user, lo=start, hi=end)
    items = activity_items(user, params, UPCOMING_LIMIT)
    total = len(items) if len(items) < UPCOMING_LIMIT else _rows(q.activities_between(), params).scalar()
    by_day = {}
    for item in items:
        by_day.setdefault(item.when.astimezone(zone).date(), []).append(item)
    return list(by_day.items()), total


def _section(key, params, to_item):
    """The first SECTION_LIMIT lines; the total is counted only when the list is full (later, in one query)."""
    items = [to_item(row) for row in _rows(q.lines(key), params)]
    section = Section(key, items, len(items))
    section.pending_total = len(items) == SECTION_LIMIT
    return section


def _count_totals(sections, params):
    """The true totals of the full sections, all in one statement (one round trip instead of one per section)."""
    pending = [section for section in sections if section.pending_total]
    if pending:
        totals = _rows(q.totals(tuple(s.key for s in pending)), params).one()
        for section, total in zip(pending, totals):
            section.total, section.pending_total = total, False


def _approvals(user):
    """Quotes user may decide (managers: their team's; admins: all), oldest submission first, each with its
    Quote: the card on Today shows the customer, the total and the rules broken, and decides in place."""
    from app.services.quotes.approvals import awaiting_conditions, awaiting_decision

    quotes = awaiting_decision(user, limit=SECTION_LIMIT)
    items = [AgendaItem("approval", quote.id, quote.number, f"{quote.customer.name} · {quote.owner.name}",
                        quote.submitted_at, quote.customer_id, deal_id=quote.deal_id, record=quote) for quote in quotes]
    total = len(items)
    if total == SECTION_LIMIT:
        total = db.session.scalar(select(func.count(Quote.id)).join(User, User.id == Quote.owner_id)
                                  .where(*awaiting_conditions(user)))
    return Section("approvals", items, total)


def _deals_without_next_step(params):
    """Open deals with nothing scheduled, and those the stale rule flagged: flagged first, then by value."""
    rows = list(_rows(q.lines("deals_flagged"), params))
    if len(rows) < SECTION_LIMIT:
        rows += list(_rows(q.lines("deals_without_step"), params))[:SECTION_LIMIT - len(rows)]
    items = [AgendaItem("deal", r.id, r.title, r.name, r.stage_entered_at, r.customer_id, r.phone, r.id,
                        flag="stale" if r.stale_at else None) for r in rows]
    section = Section("deals", items, len(items), total_cap=q.DEALS_COUNT_CAP)
    section.pending_total = len(items) == SECTION_LIMIT  # counted up to the cap: every open deal would be probed
    return section


def birthday_keys(day):
    """The birthday_md values celebrated on day: 29/02 birthdays are celebrated on 28/02 in other years."""
    keys = [birthday_month_day(day)]
    if (day.month, day.day) == (2, 28) and not _is_leap(day.year):
        keys.append(229)
    return keys


def _is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _birthdays(params):
    """My customers and my customers' contacts born on this day, with the true total of both."""
    customers = _rows(q.lines("birthday_customers"), params).all()
    contacts = _rows(q.lines("birthday_contacts"), params).all()
    items = [AgendaItem("birthday", r.id, r.name, None, r.birthday, r.id, r.phone) for r in customers]
    items += [AgendaItem("birthday", r.id, r.name, r.customer_name, r.birthday, r.customer_id,
                         r.phone or r.customer_phone, flag="contact") for r in contacts]
    section = Section("birthdays", items[:SECTION_LIMIT], len(items))
    section.pending_total = SECTION_LIMIT in (len(customers), len(contacts))
    return section
