"""Deal rules: stage moves (with history, lost reasons, won hand-over, versions) and stale deals."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Activity, Deal, DealStageChange
from app.models.base import utcnow
from app.services.pipeline.deals import MoveRefused, StaleVersion, move_deal, stale_condition, stale_reasons
from tests.factories import make_activity, make_customer, make_deal, make_user, stage


@pytest.fixture()
def rep():
    return make_user(name="Nguyễn Văn An")


def changes_of(deal):
    return db.session.scalars(select(DealStageChange).where(DealStageChange.deal_id == deal.id).order_by(DealStageChange.id)).all()


def test_a_move_records_who_moved_it_from_where_to_where(app, rep):
    deal = make_deal(make_customer(rep), "new")
    with app.test_request_context():
        change = move_deal(deal, stage("consulting"), rep, expected_version=deal.version)
    assert (change.from_stage.key, change.to_stage.key, change.changed_by_id) == ("new", "consulting", rep.id)
    db.session.expire_all()
    deal = db.session.get(Deal, deal.id)
    assert deal.stage.key == "consulting" and deal.version == 2 and deal.closed_at is None
    assert [c.to_stage.key for c in changes_of(deal)] == ["consulting"]


def test_moving_to_the_same_stage_changes_nothing(app, rep):
    deal = make_deal(make_customer(rep), "new")
    with app.test_request_context():
        assert move_deal(deal, stage("new"), rep, expected_version=1) is None
    assert changes_of(deal) == [] and db.session.get(Deal, deal.id).version == 1


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_lost_needs_a_reason_and_nothing_changes_without_one(app, rep, reason):
    deal = make_deal(make_customer(rep), "negotiation")
    with app.test_request_context(), pytest.raises(MoveRefused) as refused:
        move_deal(deal, stage("lost"), rep, expected_version=1, lost_reason=reason)
    assert refused.value.code == "lost_reason_required"
    db.session.rollback()
    assert db.session.get(Deal, deal.id).stage.key == "negotiation" and changes_of(deal) == []


def test_lost_with_a_reason_closes_the_deal_and_reopening_clears_it(app, rep):
    deal = make_deal(make_customer(rep), "negotiation")
    with app.test_request_context():
        move_deal(deal, stage("lost"), rep, expected_version=1, lost_reason="  Giá cao hơn đối thủ ")
        assert (deal.lost_reason, deal.closed_at is not None) == ("Giá cao hơn đối thủ", True)
        move_deal(deal, stage("consulting"), rep, expected_version=deal.version)
    assert deal.lost_reason is None and deal.closed_at is None and len(changes_of(deal)) == 2


def test_won_makes_a_customer_and_gives_the_owner_a_hand_over_task(app, rep):
    customer = make_customer(rep, lifecycle="prospect")
    deal = make_deal(customer, "negotiation", title="Lắp đặt 5 điều hòa")
    with app.test_request_context():
        move_deal(deal, stage("won"), rep, expected_version=1)
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).customer.lifecycle == "customer"
    task = db.session.scalar(select(Activity).where(Activity.deal_id == deal.id))
    assert task.kind == "task" and task.owner_id == rep.id and task.subject == "Bàn giao: Lắp đặt 5 điều hòa"
    assert task.due_at > utcnow() and task.done_at is None


def test_a_stale_version_is_refused_and_nothing_is_written(app, rep):
    deal = make_deal(make_customer(rep), "new")
    with app.test_request_context(), pytest.raises(StaleVersion) as stale:
        move_deal(deal, stage("consulting"), rep, expected_version=0)
    assert stale.value.deal.version == 1 and changes_of(deal) == []


def test_a_concurrent_change_between_load_and_save_is_caught(app, rep):
    deal = make_deal(make_customer(rep), "new")
    loaded_version = deal.version
    with db.engine.begin() as other_writer:  # someone else saves the deal meanwhile
        other_writer.execute(update(Deal.__table__).where(Deal.__table__.c.id == deal.id).values(title="Đã sửa", version=2))
    with app.test_request_context(), pytest.raises(StaleVersion) as stale:
        move_deal(deal, stage("consulting"), rep, expected_version=loaded_version)
    assert stale.value.deal.title == "Đã sửa" and stale.value.deal.stage.key == "new"
    assert db.session.scalar(select(func.count(DealStageChange.id))) == 0


def stale_ids():
    return set(db.session.scalars(select(Deal.id).where(stale_condition())))


def test_stale_rules(rep):
    customer = make_customer(rep)
    nothing = make_deal(customer, "new")
    only_overdue = make_deal(customer, "consulting")
    make_activity(rep, customer, deal=only_overdue, due_in=-timedelta(days=1))
    ancient_but_planned = make_deal(customer, "negotiation", stage_entered_at=utcnow() - timedelta(days=100))
    make_activity(rep, customer, deal=ancient_but_planned, due_in=timedelta(days=2))
    make_activity(rep, customer, deal=ancient_but_planned, due_in=-timedelta(days=3))  # an old miss does not matter
    done_only = make_deal(customer, "new")
    make_activity(rep, customer, deal=done_only, due_in=timedelta(days=1), done_at=utcnow())
    won = make_deal(customer, "won")
    assert stale_ids() == {nothing.id, only_overdue.id, done_only.id}
    assert won.id not in stale_ids()


def test_stale_reasons_explain_the_mark(rep):
    customer = make_customer(rep)
    old = make_deal(customer, "new", stage_entered_at=utcnow() - timedelta(days=15))
    fresh = make_deal(customer, "new")
    assert stale_reasons(old, next_due=None, overdue_exists=False) == ["no_next_step", "too_long_in_stage"]
    assert stale_reasons(fresh, next_due=None, overdue_exists=True) == ["overdue"]
    assert stale_reasons(fresh, next_due=utcnow() + timedelta(days=1), overdue_exists=True) == []
