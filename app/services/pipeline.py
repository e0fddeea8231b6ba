"""Pipeline figures: counts and values per stage, from aggregate queries."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import Deal, Stage
from app.services.scope import visible_owner_condition


def stage_totals(user):
    """[(stage, count, value_vnd, weighted_vnd)] for the deals user may see, in stage order."""
    totals = (
        select(Deal.stage_id, func.count(Deal.id), func.coalesce(func.sum(Deal.value_vnd), 0))
        .where(visible_owner_condition(Deal, user))
        .group_by(Deal.stage_id)
    )
    by_stage = {stage_id: (count, int(value)) for stage_id, count, value in db.session.execute(totals)}
    rows = []
    for stage in db.session.scalars(select(Stage).order_by(Stage.position)):
        count, value = by_stage.get(stage.id, (0, 0))
        rows.append((stage, count, value, (value * stage.probability + 50) // 100))
    return rows
