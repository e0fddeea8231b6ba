"""What the automation rule tests share: the frozen clock, a pass at a given time, a sent quote, a team."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, AutomationLog, Contract
from app.models.users import hash_token
from app.services.automation import registry as automation
from app.services.automation.registry import run_all_rules
from tests.factories import make_customer, make_deal, make_quote, make_team, make_user

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=HCM)
LINES = [{"description": "Máy lọc nước RO 10 lõi", "unit": "bộ", "quantity": 1, "unit_price_vnd": 10_000_000,
          "vat_rate": 10}, {"description": "Công lắp đặt", "unit": "lần", "quantity": 1, "unit_price_vnd": 1_345_000,
                            "vat_rate": None}]
CUSTOMER_EMAIL = "chi.tran@duchung.vn"
FAR_FUTURE = datetime(2100, 1, 1)  # naive UTC, as huey reads its schedule


def travel(when):
    return time_machine.travel(when, tick=False)


def run_at(when, **settings):
    """One pass of the rules at `when` (Ho Chi Minh time), with these rules' settings stored first."""
    with travel(when):
        if settings:
            current = automation.rule_settings()
            for key, values in settings.items():
                current[key].update(values)
            automation.save_settings(current, 30, None)
        return {outcome.rule: outcome for outcome in run_all_rules()}


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def tasks(owner, kind=None):
    db.session.expire_all()
    stmt = select(Activity).where(Activity.owner_id == owner.id).order_by(Activity.id)
    return db.session.scalars(stmt.where(Activity.kind == kind) if kind else stmt).all()


def logs(rule):
    db.session.expire_all()
    return db.session.scalars(select(AutomationLog).where(AutomationLog.rule == rule).order_by(AutomationLog.id)).all()


@pytest.fixture()
def team():
    team = make_team("Kinh doanh Miền Nam")
    manager = make_user(role="manager", team=team, email="ha@example.vn", name="Phạm Thu Hà", locale="en")
    rep = make_user(team=team, email="an@example.vn", name="Nguyễn Văn An", locale="en", phone="+84903123456")
    return team, manager, rep


@pytest.fixture()
def rep(team):
    return team[2]


@pytest.fixture()
def manager(team):
    return team[1]


def link_token(quote):
    return f"the-link-of-deal-{quote.deal_id}"


def sent_quote(owner, sent_at, email=CUSTOMER_EMAIL, status="sent", **overrides):
    """A quote sent at sent_at (its customer's link: link_token(quote))."""
    with travel(sent_at):
        customer = make_customer(owner, name="Công ty TNHH Đức Hưng")
        deal = make_deal(customer, stage_key="quote_sent", title="Máy lọc nước văn phòng")
        values = dict(sent_at=sent_at, recipient_email=email, token_hash=hash_token(f"the-link-of-deal-{deal.id}"),
                      send_state="sent")
        return make_quote(deal, lines=LINES, status=status, **{**values, **overrides})


def contract_for(owner, end_date, number="HD-2026-00007"):
    """A one-year contract of owner's, ending on end_date."""
    quote = sent_quote(owner, MONDAY - timedelta(days=400), status="accepted")
    contract = Contract(number=number, quote_id=quote.id, deal_id=quote.deal_id, customer_id=quote.customer_id,
                        owner_id=owner.id, start_date=end_date - timedelta(days=365), end_date=end_date,
                        renewal_date=end_date - timedelta(days=30), value_vnd=quote.total_vnd)
    db.session.add(contract)
    db.session.commit()
    return contract
