"""The pipeline board: filters, column totals from aggregate queries, and pages of cards."""
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import func, select

from app.extensions import db
from app.formatting import local_today
from app.models import Activity, Customer, Deal, Stage, User
from app.models.base import utcnow
from app.models.users import initials_of
from app.services.pipeline.deals import stale_reasons
from app.services.pipeline.stages import stages
from app.services.common.scope import users_visible_to, visible_owner_condition
from app.text import db_int, search_terms

CARDS_PER_PAGE = 20


@dataclass(frozen=True)
class BoardFilter:
    """What the board shows; every value comes from an allow-list, so it is safe in URLs and queries."""

    owner: str = ""  # "mine", "team", "all" or a user id; "" means the role's default
    q: str = ""
    closing_this_month: bool = False

    @classmethod
    def from_args(cls, args, user):
        """Read ?owner=&q=&closing= and drop whatever user may not ask for."""
        owner = args.get("owner", "")
        allowed = {"mine"} | ({"team"} if user.role == "manager" else set()) | ({"all"} if user.is_admin else set())
        if owner not in allowed:
            owner = owner if db_int(owner) is not None and db_int(owner) in _visible_user_ids(user) else ""
        return cls(owner=owner, q=args.get("q", "")[:100].strip(), closing_this_month=args.get("closing") == "month")

    def effective_owner(self, user):
        if self.owner:
            return self.owner
        return {"admin": "all", "manager": "team"}.get(user.role, "mine")

    def conditions(self, user, today=None):
        """SQL conditions for Deal (joined with Customer when searching)."""
        conditions = [visible_owner_condition(Deal, user)]
        owner = self.effective_owner(user)
        if owner == "mine":
            conditions.append(Deal.owner_id == user.id)
        elif owner.isdigit():
            conditions.append(Deal.owner_id == int(owner))
        for term in search_terms(self.q):
            pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conditions.append(Deal.search_text.like(pattern, escape="\\") | Customer.search_text.like(pattern, escape="\\"))
        if self.closing_this_month:
            first, last = month_bounds(today or local_today())
            conditions.append(Deal.expected_close.between(first, last))
        return conditions

    @property
    def needs_customer_join(self):
        return bool(self.q)

    def as_args(self):
        """The filter as URL query arguments (only the ones that are set)."""
        args = {"owner": self.owner or None, "q": self.q or None, "closing": "month" if self.closing_this_month else None}
        return {key: value for key, value in args.items() if value}


def _visible_user_ids(user):
    return set(db.session.scalars(users_visible_to(user).with_only_columns(User.id)))


def month_bounds(day):
    """First and last date of day's month."""
    first = day.replace(day=1)
    next_month = date(first.year + (first.month // 12), first.month % 12 + 1, 1)
    return first, date.fromordinal(next_month.toordinal() - 1)


def owner_choices(user):
    """(value, label) pairs for the owner filter, in the order shown."""
    choices = [("mine", None)]
    if user.role == "manager":
        choices.insert(0, ("team", None))
    if user.is_admin:
        choices.insert(0, ("all", None))
    if user.role in ("manager", "admin"):
        choices += [(str(u.id), u.name) for u in db.session.scalars(users_visible_to(user)) if u.id != user.id]
    return choices


@dataclass
class Column:
    stage: Stage
    count: int = 0
    value_vnd: int = 0
    cards: list = field(default_factory=list)
    has_more: bool = False

    @property
    def weighted_vnd(self):
        return (self.value_vnd * self.stage.probability + 50) // 100


@dataclass
class Card:
    deal: Deal
    next_activity: Activity | None
    stale: list
    days_in_stage: int


def stage_totals(user, board_filter=None):
    """{stage_id: (count, value_vnd)} for the deals user may see through the filter."""
    board_filter = board_filter or BoardFilter()
    # Grouped by owner too, so the covering index (owner_id, stage_id, value_vnd) answers it alone;
    # the few (owner, stage) rows are then added up here. count(*), not count(id): the id is not in that
    # index on PostgreSQL, and asking for it would send the scan to the table.
    stmt = select(Deal.stage_id, func.count(), func.coalesce(func.sum(Deal.value_vnd), 0))
    if board_filter.needs_customer_join:
        stmt = stmt.join(Deal.customer)
    stmt = stmt.where(*board_filter.conditions(user)).group_by(Deal.owner_id, Deal.stage_id)
    totals = {}
    for stage_id, count, value in db.session.execute(stmt):
        previous_count, previous_value = totals.get(stage_id, (0, 0))
        totals[stage_id] = (previous_count + count, previous_value + int(value))
    return totals


def parse_cursor(text):
    """"<iso time>_<id>" of the last card shown → (aware datetime, id), or None when absent or malformed."""
    stamp, _sep, deal_id = (text or "").rpartition("_")
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if db_int(deal_id) is None or when.tzinfo is None:
        return None
    return when, db_int(deal_id)


@dataclass(frozen=True)
class BoardPerson:
    """A deal's owner or customer as a card shows them: a name (and the owner's initials)."""

    name: str

    @property
    def initials(self):
        return initials_of(self.name)


@dataclass(frozen=True)
class BoardDeal:
    """The columns of a deal a board card shows: plain values, read without building ORM objects.

    A column of 20 cards cost ~2.5 ms of ORM loading for 0.1 ms of SQL; the card macro reads the
    same attributes from this as from a Deal (the card after a move renders a real Deal).
    """

    id: int
    version: int
    title: str
    value_vnd: int
    stage: Stage
    stage_entered_at: datetime
    customer: BoardPerson
    owner: BoardPerson


def column_cards(user, stage, board_filter, after=None, now=None):
    """(cards, has_more): one page of a column, newest in the stage first, after the cursor (time, id) if given."""
    now = now or utcnow()
    stmt = (
        select(Deal.id, Deal.version, Deal.title, Deal.value_vnd, Deal.stage_entered_at, Deal.owner_id,
               Customer.name.label("customer_name"))
        .join(Deal.customer)
        .where(Deal.stage_id == stage.id, *board_filter.conditions(user))
        .order_by(Deal.stage_entered_at.desc(), Deal.id.desc())
        .limit(CARDS_PER_PAGE + 1)
    )
    if after is not None:
        when, last_id = after
        stmt = stmt.where((Deal.stage_entered_at < when) | ((Deal.stage_entered_at == when) & (Deal.id < last_id)))
    rows = db.session.execute(stmt).all()
    has_more = len(rows) > CARDS_PER_PAGE
    rows = rows[:CARDS_PER_PAGE]
    owner_ids = {row.owner_id for row in rows}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(owner_ids))).all()) if rows else {}
    deals = [BoardDeal(row.id, row.version, row.title, row.value_vnd, stage, _aware(row.stage_entered_at),
                       BoardPerson(row.customer_name), BoardPerson(names.get(row.owner_id, "")))
             for row in rows]
    return cards_for(deals, now), has_more


def _aware(value):
    """Column values selected alone come back as stored: make sure the time is aware UTC like the ORM gives."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


def cards_for(deals, now=None):
    """Cards for deals, with one query for all of them (their open scheduled activities), whatever their number."""
    now = now or utcnow()
    ids = [d.id for d in deals]
    upcoming, overdue = {}, set()
    if ids:
        # A deal has a handful of open activities: read them all, oldest first, and keep per deal
        # the first one still ahead (the next step) and whether any is behind (overdue).
        for activity in db.session.scalars(
            select(Activity).where(Activity.deal_id.in_(ids), Activity.done_at.is_(None), Activity.due_at.is_not(None))
            .order_by(Activity.deal_id, Activity.due_at)
        ):
            if activity.due_at < now:
                overdue.add(activity.deal_id)
            else:
                upcoming.setdefault(activity.deal_id, activity)
    cards = []
    for deal in deals:
        following = upcoming.get(deal.id)
        reasons = stale_reasons(deal, following.due_at if following else None, deal.id in overdue, now)
        cards.append(Card(deal, following, reasons, max((now - deal.stage_entered_at).days, 0)))
    return cards


def board(user, board_filter, now=None):
    """Every column's totals from one aggregate query; cards only for the first column that has any.

    A phone shows one column at a time: the others fetch their first page when they scroll into
    view, so the page costs the same whatever the number of deals and columns.
    """
    totals = stage_totals(user, board_filter)
    columns = []
    for stage in stages():
        count, value = totals.get(stage.id, (0, 0))
        columns.append(Column(stage, count, value, has_more=bool(count)))
    first = next((column for column in columns if column.count), None)
    if first is not None:
        first.cards, first.has_more = column_cards(user, first.stage, board_filter, now=now)
    return columns


def column_heads(user, stages_touched, board_filter):
    """Columns with totals only (the headers to refresh after a move), from one aggregate query."""
    totals = stage_totals(user, board_filter)
    return [Column(stage, *totals.get(stage.id, (0, 0))) for stage in sorted(stages_touched, key=lambda s: s.position)]



def lost_reasons():
    """Suggested lost reasons (LOST_REASONS in the configuration); a rep may also type their own."""
    from flask import current_app
    from flask_babel import gettext

    configured = current_app.config.get("LOST_REASONS")
    if configured:
        return list(configured)
    return [gettext("Price higher than a competitor"), gettext("No budget yet"), gettext("Chose another supplier"),
            gettext("Could not reach the decision maker"), gettext("Delivery time did not fit")]
