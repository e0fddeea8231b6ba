"""The stale deal rule: deals.stale_at set and cleared by set-based UPDATEs, never through the ORM.

The ORM would bump the deal's version column and a rep editing the deal meanwhile would get a false
409; a flag is not an edit, so neither version nor updated_at changes.
"""
from datetime import timedelta

from sqlalchemy import and_, exists, false, func, literal, not_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Activity, AutomationLog, Deal, Stage
from app.models.base import UTCDateTime
from app.services.automation.passes import instant_key


def stale_condition(stages, now):
    """SQL: an open deal longer in its stage than the stage's stale_after_days, with no open activity ahead."""
    too_long = [and_(Deal.stage_id == stage.id, Deal.stage_entered_at < now - timedelta(days=stage.stale_after_days))
                for stage in stages if stage.is_open]
    scheduled = exists().where(Activity.deal_id == Deal.id, Activity.done_at.is_(None), Activity.due_at >= now)
    return and_(or_(*too_long) if too_long else false(), ~scheduled)


def stale_deal(run):
    """Flag stale deals (deals.stale_at = now) and unflag those no longer stale: three set-based statements.

    Core UPDATEs, not ORM changes: the deal's version column stays as it is, so a rep editing the
    deal meanwhile gets no false conflict. Each newly flagged deal is logged once per stay in a stage
    (occurrence: when it entered the stage); flagged again in the same stay, it is not logged again.
    """
    stale = stale_condition(db.session.scalars(select(Stage)).all(), run.now)
    deals = Deal.__table__
    keep_updated_at = {"updated_at": deals.c.updated_at}  # a flag is not an edit: no onupdate timestamp
    run.counts["deal_unflagged"] = db.session.execute(
        update(deals).where(deals.c.stale_at.is_not(None), not_(stale)).values(stale_at=None, **keep_updated_at)
    ).rowcount
    flagged = db.session.execute(
        update(deals).where(deals.c.stale_at.is_(None), stale).values(stale_at=run.now, **keep_updated_at)
    ).rowcount
    flagged_now = (select(literal(run.rule), Deal.id, instant_key(Deal.stage_entered_at), literal("deal_flagged"),
                          Deal.owner_id, Deal.customer_id, func.substr(Deal.title, 1, 300),
                          literal(run.now, UTCDateTime)).where(Deal.stale_at == run.now))
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    logged = db.session.execute(dialect.insert(AutomationLog.__table__).from_select(
        ["rule", "subject_id", "occurrence", "action", "user_id", "customer_id", "detail", "created_at"], flagged_now
    ).on_conflict_do_nothing().execution_options(preserve_rowcount=True)).rowcount  # an INSERT's count: ask for it
    run.counts.update(deal_flagged=logged, deal_flagged_again=flagged - logged)
