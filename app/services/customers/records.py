"""Customers a user may see: the filtered list and its CSV export, the card and its timeline, saving."""
import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.formatting import format_date, format_datetime, user_zone
from app.labels import LIFECYCLE_LABELS
from app.models import Activity, Customer, Deal, DealStageChange, Stage, Tag, User
from app.models.base import utcnow
from app.models.customers import LIFECYCLES, customer_tags
from app.services.common.csv_safe import BOM, safe_cell
from app.services.customers.dedup import likely_duplicates
from app.services.common.scope import users_visible_to, visible_owner_condition, visible_to
from app.services.common.search import customer_text_conditions
from app.services.pipeline.stages import stages
from app.text import db_int, format_phone

PAGE_SIZE = 20
MAX_PAGE = 500
TIMELINE_PAGE = 20
EXPORT_MAX_ROWS = 100_000  # a rep has a few thousand; an admin's whole book stays one sane file
EXPORT_BATCH = 1000

KIND_LABELS = {"company": _l("Company"), "person": _l("Person")}
# Where customers come from; other values (e.g. imported ones) are kept and shown as stored.
SOURCE_LABELS = {
    "website": _l("Website"), "referral": _l("Referral"), "zalo": "Zalo", "facebook": "Facebook",
    "event": _l("Event"), "cold_call": _l("Cold call"), "walk_in": _l("Walk-in"),
}
SORTS = {
    "updated": (Customer.updated_at.desc(), Customer.id.desc()),
    # search_text starts with the folded name: "Đức" sorts with D on SQLite and PostgreSQL alike.
    "name": (Customer.search_text.asc(), Customer.id.asc()),
    "last_contact": (Customer.last_contact_at.asc().nulls_first(), Customer.id.asc()),
    "score": (Customer.score.desc(), Customer.id.desc()),
}
DEFAULT_SORT = "updated"


@dataclass(frozen=True)
class CustomerFilter:
    """What the list (and its export) shows; every value is checked, so it is safe in URLs and queries."""

    q: str = ""
    lifecycle: str = ""
    owner_id: int | None = None
    source: str = ""
    tag_id: int | None = None
    due: bool = False
    sort: str = DEFAULT_SORT

    @classmethod
    def from_args(cls, args, user):
        """Read ?q=&lifecycle=&owner=&source=&tag=&due=&sort=, dropping what is unknown or not allowed."""
        owner = args.get("owner", type=int)
        if owner is not None and owner not in _visible_user_ids(user):
            owner = None
        lifecycle = args.get("lifecycle", "")
        sort = args.get("sort", DEFAULT_SORT)
        return cls(q=args.get("q", "")[:100].strip(), lifecycle=lifecycle if lifecycle in LIFECYCLES else "",
                   owner_id=owner, source=args.get("source", "")[:40].strip(), tag_id=args.get("tag", type=int),
                   due=args.get("due") == "1", sort=sort if sort in SORTS else DEFAULT_SORT)

    def conditions(self, user, due_days, now=None):
        """SQL conditions on Customer: the user's scope first, then each filter that is set."""
        owner_scoped = user.role != "admin" or self.owner_id is not None  # an owner index narrows the search
        conditions = [visible_owner_condition(Customer, user), *customer_text_conditions(self.q, owner_scoped)]
        if self.lifecycle:
            conditions.append(Customer.lifecycle == self.lifecycle)
        if self.owner_id is not None:
            conditions.append(Customer.owner_id == self.owner_id)
        if self.source:
            conditions.append(Customer.source == self.source)
        if self.tag_id is not None:
            conditions.append(Customer.tags.any(Tag.id == self.tag_id))
        if self.due:
            since = (now or utcnow()) - timedelta(days=due_days)
            conditions.append(or_(Customer.last_contact_at.is_(None), Customer.last_contact_at < since))
        return conditions

    def select(self, user, due_days, now=None):
        """select(Customer) of the matching customers in the chosen order."""
        return select(Customer).where(*self.conditions(user, due_days, now)).order_by(*SORTS[self.sort])

    def as_args(self):
        """The filter as URL query arguments (only those that are set)."""
        args = {"q": self.q, "lifecycle": self.lifecycle, "owner": self.owner_id, "source": self.source,
                "tag": self.tag_id, "due": "1" if self.due else None,
                "sort": self.sort if self.sort != DEFAULT_SORT else None}
        return {key: value for key, value in args.items() if value not in (None, "")}

    @property
    def narrows(self):
        """True when something besides the search words and the order is set (the filter panel opens)."""
        return bool(self.lifecycle or self.owner_id is not None or self.source or self.tag_id is not None or self.due)


def _visible_user_ids(user):
    return set(db.session.scalars(users_visible_to(user).with_only_columns(User.id)))


def list_customers(user, customer_filter, due_days, page=1):
    """(customers, has_more) for one page of the filtered list, owner and tags loaded."""
    page = min(max(page, 1), MAX_PAGE)
    # The page's ids first, from the indexes alone (owner_id, updated_at …), then those rows: sorting whole
    # rows made SQLite read every match in a manager's team (8.4 → ~3 ms for "duc hung").
    page_ids = (customer_filter.select(user, due_days).with_only_columns(Customer.id)
                .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    stmt = (select(Customer).where(Customer.id.in_(page_ids)).order_by(*SORTS[customer_filter.sort])
            .options(selectinload(Customer.owner), selectinload(Customer.tags)))
    rows = db.session.scalars(stmt).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def filter_choices(user):
    """Owners and tags the filter offers: the people and tags of the user's own scope."""
    owners = db.session.scalars(users_visible_to(user)).all() if user.role in ("manager", "admin") else []
    tags = select(Tag).order_by(Tag.name).limit(200)
    if user.role != "admin":  # only tags on customers the user may see
        used = (select(customer_tags.c.tag_id).join(Customer, Customer.id == customer_tags.c.customer_id)
                .where(visible_owner_condition(Customer, user)))
        tags = tags.where(Tag.id.in_(used))
    return {"owners": owners, "tags": db.session.scalars(tags).all()}


def export_header():
    return [_("ID"), _("Name"), _("Kind"), _("Lifecycle"), _("Phone"), _("Other phone"), _("Email"), _("Tax code"),
            _("Address"), _("Ward"), _("District"), _("Province/City"), _("Latitude"), _("Longitude"), _("Source"),
            _("Tags"), _("Owner"), _("Score"), _("Birthday"), _("Last contact"), _("Created"), _("Notes")]


def export_csv(user, customer_filter, due_days, batch=None, max_rows=EXPORT_MAX_ROWS):
    """The filtered list as CSV text chunks for Excel (BOM, CRLF, formulas neutralised), one chunk per batch of rows.

    Scope, language and time zone are settled now, while the request is there, and the query runs and
    its first batch is written now too: whatever fails before the first byte leaves as the app's own
    error page. The other rows are then streamed (yield_per) through a session of their own, so memory
    holds one batch whatever the number of rows. A failure mid-stream is logged and ends the file with
    a line saying the export was interrupted, so a cut file never passes as a complete one.
    """
    batch = batch or current_app.config.get("EXPORT_BATCH", EXPORT_BATCH)
    stmt = (customer_filter.select(user, due_days).options(selectinload(Customer.owner), selectinload(Customer.tags))
            .limit(max_rows).execution_options(yield_per=batch))
    labels = {name: {code: str(label) for code, label in table.items()}
              for name, table in (("kind", KIND_LABELS), ("lifecycle", LIFECYCLE_LABELS), ("source", SOURCE_LABELS))}
    zone = user_zone()
    rows_text = _csv_writer(labels, zone)
    session = Session(db.engine)
    try:
        partitions = session.scalars(stmt).partitions()
        header = BOM + rows_text([[safe_cell(str(title)) for title in export_header()]], header=True)
        first = [header, rows_text(next(partitions, []))]
    except Exception:
        session.close()
        raise
    interrupted = _("Export interrupted — please try again")
    return _csv_chunks(session, partitions, first, rows_text, interrupted, current_app.logger)


def _csv_writer(labels, zone):
    """A function: rows (customers, or a header row when header=True) → their CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def rows_text(rows, header=False):
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            writer.writerow(row if header else [safe_cell(value) for value in _export_row(row, labels, zone)])
        return buffer.getvalue()

    return rows_text


def _csv_chunks(session, partitions, first, rows_text, interrupted, logger):
    try:
        yield from (chunk for chunk in first if chunk)
        for batch in partitions:
            yield rows_text(batch)
    except Exception:
        logger.exception("customer export interrupted")
        yield f"# {interrupted}\r\n"
    finally:
        session.close()


def _export_row(customer, labels, zone):
    return [customer.id, customer.name, labels["kind"].get(customer.kind, customer.kind),
            labels["lifecycle"].get(customer.lifecycle, customer.lifecycle), format_phone(customer.phone),
            format_phone(customer.phone_alt), customer.email, customer.tax_code, customer.address, customer.ward,
            customer.district, customer.province, customer.lat, customer.lng,
            labels["source"].get(customer.source, customer.source), ", ".join(t.name for t in customer.tags),
            customer.owner.name, customer.score, format_date(customer.birthday),
            format_datetime(customer.last_contact_at, zone), format_datetime(customer.created_at, zone), customer.notes]


def customer_card(user, customer_id):
    """(customer, open deals) for the card; 404 when the customer is not visible to user."""
    customer = db.session.scalar(
        visible_to(Customer, user).where(Customer.id == customer_id)
        .options(selectinload(Customer.tags), selectinload(Customer.contacts)))
    if customer is None:
        abort(404)
    return customer, open_deals_for(user, customer)


def open_deals_for(user, customer, limit=50):
    """The customer's open deals user may see, most recently updated first, with their stages."""
    # A customer can have deals of other owners (e.g. after a hand-over): each is scoped too.
    return db.session.scalars(
        visible_to(Deal, user).join(Deal.stage)
        .where(Deal.customer_id == customer.id, Stage.is_won.is_(False), Stage.is_lost.is_(False))
        .options(contains_eager(Deal.stage)).order_by(Deal.updated_at.desc()).limit(limit)
    ).all()


@dataclass(frozen=True)
class TimelineEntry:
    """An activity or a stage change of one of the customer's deals, at the time it happened."""

    at: datetime
    rank: int  # at the same instant, activities (1) come before stage changes (0)
    record: object

    @property
    def is_activity(self):
        return self.rank == 1

    @property
    def cursor(self):
        return f"{self.at.isoformat()}_{'a' if self.is_activity else 's'}{self.record.id}"


def parse_timeline_cursor(text):
    """"<iso time>_<a|s><id>" of the last entry shown → (time, rank, id), or None when absent or malformed."""
    stamp, _sep, key = (text or "").rpartition("_")
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if when.tzinfo is None or len(key) < 2 or key[0] not in "as" or db_int(key[1:]) is None:
        return None
    return when, 1 if key[0] == "a" else 0, db_int(key[1:])


def _after(time_column, id_column, rank, cursor):
    """SQL: rows of this rank that come after the cursor in the order (time, rank, id) descending."""
    when, cursor_rank, cursor_id = cursor
    if rank < cursor_rank:
        return time_column <= when
    if rank > cursor_rank:
        return time_column < when
    return or_(time_column < when, and_(time_column == when, id_column < cursor_id))


def timeline(user, customer, after=None, limit=TIMELINE_PAGE):
    """(entries, has_more): the customer's activities and deal stage changes the user may see, newest first.

    Each source is read newest first from its index, at most limit + 1 rows after the cursor; the
    two short lists are then merged, so a page costs the same with 10 or 10,000 activities.
    """
    # Owners, authors and stages are many-to-one: once the few users and the stages are in the
    # session (the signed-in user always is; stages() reads them all once per request), each lookup
    # is answered from the identity map. A selectinload would query again for rows already there.
    stages()
    activities = (visible_to(Activity, user).where(Activity.customer_id == customer.id)
                  .order_by(Activity.created_at.desc(), Activity.id.desc()).limit(limit + 1))
    changes = (select(DealStageChange).join(Deal, Deal.id == DealStageChange.deal_id)
               .where(Deal.customer_id == customer.id, visible_owner_condition(Deal, user))
               .options(contains_eager(DealStageChange.deal))
               .order_by(DealStageChange.changed_at.desc(), DealStageChange.id.desc()).limit(limit + 1))
    if after is not None:
        activities = activities.where(_after(Activity.created_at, Activity.id, 1, after))
        changes = changes.where(_after(DealStageChange.changed_at, DealStageChange.id, 0, after))
    entries = [TimelineEntry(a.created_at, 1, a) for a in db.session.scalars(activities)]
    entries += [TimelineEntry(c.changed_at, 0, c) for c in db.session.scalars(changes)]
    entries.sort(key=lambda e: (e.at, e.rank, e.record.id), reverse=True)
    return entries[:limit], len(entries) > limit


class StaleCustomer(Exception):
    """The customer changed since the user loaded it; carries the current customer."""

    def __init__(self, customer):
        super().__init__(f"customer {customer.id} is at version {customer.version}")
        self.customer = customer


class TaxCodeTaken(Exception):
    """Another customer got this tax code first (a race the form's check could not see)."""


def tags_named(names):
    """Tags with these names (an existing "VIP" serves "vip"), the missing ones created; safe when two save at once."""
    if not names:
        return []
    lowered = [n.lower() for n in names]
    known = or_(Tag.name.in_(names), func.lower(Tag.name).in_(lowered))  # SQLite's lower() folds ASCII only
    existing = {t.name.lower(): t for t in db.session.scalars(select(Tag).where(known))}
    missing = [n for n in names if n.lower() not in existing]
    if missing:
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        db.session.execute(dialect.insert(Tag).values([{"name": n} for n in missing]).on_conflict_do_nothing())
        existing.update({t.name.lower(): t for t in db.session.scalars(select(Tag).where(Tag.name.in_(missing)))})
    return [existing[n.lower()] for n in names if n.lower() in existing]


def _commit(tax_code):
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if tax_code and db.session.scalar(select(Customer.id).where(Customer.tax_code == tax_code)) is not None:
            raise TaxCodeTaken(tax_code) from None
        raise


def create_customer(owner_id, values, tag_names):
    """A new customer owned by owner_id with the given column values and tags. Raises TaxCodeTaken."""
    tags = tags_named(tag_names)
    customer = Customer(owner_id=owner_id, **values)
    customer.tags = tags
    db.session.add(customer)
    _commit(values.get("tax_code"))
    return customer


def update_customer(customer, expected_version, values, tag_names, owner_id=None):
    """Save values and tags if nobody changed the customer since expected_version. Raises StaleCustomer, TaxCodeTaken."""
    if str(customer.version) != str(expected_version):
        raise StaleCustomer(customer)
    tags = tags_named(tag_names)  # before touching the customer: this query flushes the session
    for name, value in values.items():
        setattr(customer, name, value)
    if owner_id is not None and owner_id != customer.owner_id:
        customer.owner_id = owner_id
        # The customer's open calls, visits and tasks go with it: the new owner's agenda, not the old one's.
        db.session.execute(update(Activity).where(Activity.customer_id == customer.id, Activity.done_at.is_(None))
                           .values(owner_id=owner_id).execution_options(synchronize_session=False))
    customer.tags = tags
    customer.updated_at = utcnow()  # a tags-only change still bumps the version
    try:
        _commit(values.get("tax_code"))
    except StaleDataError:
        db.session.rollback()
        raise StaleCustomer(db.session.get(Customer, customer.id, populate_existing=True)) from None
    return customer


def possible_duplicates(user, values, customer=None):
    """Likely duplicates of a new customer, or of an edited one whose phone, e-mail or tax code changed (else None)."""
    keys = ("phone", "phone_alt", "email", "tax_code")
    changed = {k: values.get(k) for k in keys if values.get(k) and (customer is None or values[k] != getattr(customer, k))}
    name = values.get("name") if customer is None else None
    if not (name or changed):
        return None
    exclude_id = customer.id if customer is not None else None
    phones = [changed[k] for k in ("phone", "phone_alt") if changed.get(k)]
    found = likely_duplicates(user, name=name, phone=phones, email=changed.get("email"),
                              tax_code=changed.get("tax_code"), exclude_id=exclude_id)
    return found or None
