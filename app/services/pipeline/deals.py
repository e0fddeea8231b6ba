"""Deal rules: moving between stages, and when a deal counts as stale."""
from datetime import timedelta

from flask_babel import force_locale, gettext
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import Activity, Deal, DealStageChange, Stage
from app.models.base import utcnow
from app.services.common.sessions import commit_keeping_loaded

HANDOVER_DUE_IN = timedelta(days=1)


class StaleVersion(Exception):
    """The deal changed since the user loaded it; carries the current deal."""

    def __init__(self, deal):
        super().__init__(f"deal {deal.id} is at version {deal.version}")
        self.deal = deal


class MoveRefused(ValueError):
    """A move the rules do not allow; `code` names the rule."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def move_deal(deal, to_stage, actor, expected_version, lost_reason=None, now=None, value_vnd=None):
    """Move deal to to_stage for actor, if nobody changed it since expected_version; returns the change or None.

    value_vnd: the deal's new value, set and recorded with the move (an accepted quote's amount before VAT).
    Lost needs a reason. Won makes the customer a customer and gives the owner a hand-over task.
    Raises StaleVersion or MoveRefused; nothing is written then.
    """
    now = now or utcnow()
    if deal.version != expected_version:
        raise StaleVersion(deal)
    if to_stage.id == deal.stage_id:
        return None
    reason = (lost_reason or "").strip()
    if to_stage.is_lost and not reason:
        raise MoveRefused("lost_reason_required")
    change = DealStageChange(deal=deal, from_stage_id=deal.stage_id, to_stage=to_stage, changed_by_id=actor.id, changed_at=now)
    if value_vnd is not None and value_vnd != deal.value_vnd:
        change.value_before_vnd, change.value_after_vnd = deal.value_vnd, int(value_vnd)
        deal.value_vnd = int(value_vnd)
    db.session.add(change)
    deal.stage = to_stage
    deal.stage_entered_at = now
    deal.stale_at = None  # a move is progress: the stale-deal rule flags it again only if it stalls here too
    deal.closed_at = None if to_stage.is_open else now
    deal.lost_reason = reason if to_stage.is_lost else None
    if to_stage.is_won:
        deal.customer.lifecycle = "customer"
        db.session.add(_handover_task(deal, now))
    try:
        commit_keeping_loaded()  # the version column turns a concurrent change into StaleDataError
    except StaleDataError:
        db.session.rollback()
        raise StaleVersion(db.session.get(Deal, deal.id, populate_existing=True)) from None
    return change




def _handover_task(deal, now):
    with force_locale(deal.owner.locale):
        subject = gettext("Hand over: %(title)s", title=deal.title)
    return Activity(kind="task", subject=subject[:200], owner_id=deal.owner_id, customer_id=deal.customer_id,
                    deal_id=deal.id, due_at=now + HANDOVER_DUE_IN)


def next_activity_due(now=None):
    """Correlated subquery: the earliest open activity of a deal that is still ahead (None when there is none)."""
    now = now or utcnow()
    return (
        select(func.min(Activity.due_at))
        .where(Activity.deal_id == Deal.id, Activity.done_at.is_(None), Activity.due_at >= now)
        .correlate(Deal)
        .scalar_subquery()
    )


def stale_condition(now=None):
    """SQL: an open deal with nothing scheduled ahead (none at all, or only overdue) is stale.

    A scheduled future activity means not stale, whatever the deal's age in its stage; without
    one, a deal is stale anyway, and its time in stage only adds a reason (see stale_reasons).
    """
    now = now or utcnow()
    scheduled_ahead = exists().where(
        Activity.deal_id == Deal.id, Activity.done_at.is_(None), Activity.due_at >= now
    )
    return and_(~scheduled_ahead, Deal.stage.has(and_(Stage.is_won.is_(False), Stage.is_lost.is_(False))))


def stale_reasons(deal, next_due, overdue_exists, now=None):
    """Why a card is marked stale: [] when a future activity is scheduled or the deal is closed."""
    now = now or utcnow()
    if not deal.stage.is_open or next_due is not None:
        return []
    reasons = ["overdue" if overdue_exists else "no_next_step"]
    if deal.stage_entered_at < now - timedelta(days=deal.stage.stale_after_days):
        reasons.append("too_long_in_stage")
    return reasons



def next_step_activity(deal, subject, on_day, zone, kind="task", hour=9):
    """An open activity for deal's owner on on_day at 09:00 local time: the deal's next step."""
    from datetime import datetime, time

    due = datetime.combine(on_day, time(hour), tzinfo=zone)
    return Activity(kind=kind, subject=subject, owner=deal.owner, customer=deal.customer, deal=deal, due_at=due)


def has_scheduled_step(deal, now=None):
    """True when an open activity of deal is due from now on."""
    now = now or utcnow()
    return bool(db.session.scalar(select(exists().where(
        Activity.deal_id == deal.id, Activity.done_at.is_(None), Activity.due_at >= now))))


def create_deal(owner, customer, stage, title, value_vnd, expected_close, next_step=None, zone=None):
    """A new deal for owner, with its first stage change and (for an open deal) its next step."""
    deal = Deal(owner=owner, customer=customer, stage=stage, title=title, value_vnd=value_vnd,
                expected_close=expected_close, stage_entered_at=utcnow(), closed_at=None if stage.is_open else utcnow())
    db.session.add(deal)
    db.session.add(DealStageChange(deal=deal, from_stage_id=None, to_stage=stage, changed_by_id=owner.id))
    if next_step:
        db.session.add(next_step_activity(deal, *next_step, zone))
    db.session.commit()
    return deal


def update_deal(deal, expected_version, changes, next_step=None, zone=None):
    """Save changes (title, value_vnd, expected_close) if nobody changed the deal since expected_version."""
    if str(deal.version) != str(expected_version):
        raise StaleVersion(deal)
    for field in ("title", "value_vnd", "expected_close"):
        setattr(deal, field, changes[field])
    if next_step:
        db.session.add(next_step_activity(deal, *next_step, zone))
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleVersion(db.session.get(Deal, deal.id, populate_existing=True)) from None
    return deal
