"""Pipeline figures: counts and values per stage, from aggregate queries."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import Deal, Stage
from app.services.scope import visible_owner_condition


def stage_totals(user):
    """[(stage, count, value_vnd, weighted_vnd)] for the deals user may see, in stage order."""
    # Grouped by owner too, so the covering index (owner_id, stage_id, value_vnd) answers it alone;
    # the few (owner, stage) rows are then added up here.
    totals = (
        select(Deal.stage_id, func.count(Deal.id), func.coalesce(func.sum(Deal.value_vnd), 0))
        .where(visible_owner_condition(Deal, user))
        .group_by(Deal.owner_id, Deal.stage_id)
    )
    by_stage = {}
    for stage_id, count, value in db.session.execute(totals):
        previous_count, previous_value = by_stage.get(stage_id, (0, 0))
        by_stage[stage_id] = (previous_count + count, previous_value + int(value))
    rows = []
    for stage in db.session.scalars(select(Stage).order_by(Stage.position)):
        count, value = by_stage.get(stage.id, (0, 0))
        rows.append((stage, count, value, (value * stage.probability + 50) // 100))
    return rows
