"""An accepted quote makes its deal Won at the quote's amount before VAT (after discounts), kept in the deal's log."""
from sqlalchemy import select

from app.extensions import db
from app.formatting import local_today
from app.models import Deal, DealStageChange, Quote
from app.services.quotes.answers import accept_quote
from tests.factories import make_customer, make_deal, make_quote, make_user

LINES = [
    {"description": "Máy lạnh Daikin 2HP", "unit": "bộ", "quantity": 2, "unit_price_vnd": 40_000_000, "vat_rate": 10},
    {"description": "Máy lạnh Daikin 3HP", "unit": "bộ", "quantity": 1, "unit_price_vnd": 35_000_000, "vat_rate": 10},
    {"description": "Ống đồng", "unit": "m", "quantity": 5, "unit_price_vnd": 1_000_000, "vat_rate": 8},
]
# 120.000.000 − 15 % (18.000.000) = 102.000.000 before VAT; VAT 6.800.000 + 2.975.000 + 340.000.
NET, TOTAL = 102_000_000, 112_115_000


def sent_quote(owner, deal_value=139_004_000):
    deal = make_deal(make_customer(owner, name="Công ty Đức Hưng"), "quote_sent", title="Điều hòa", value_vnd=deal_value)
    return make_quote(deal, lines=LINES, status="sent", discount_bp=1500)


def test_accepting_wins_the_deal_at_the_quotes_amount_before_vat(app):
    rep = make_user()
    quote = sent_quote(rep)
    assert (quote.total_vnd, quote.subtotal_vnd - quote.discount_vnd) == (TOTAL, NET)
    accept_quote(quote, "Trần Thị Chi", "203.0.113.7", "test", local_today())
    db.session.expire_all()
    deal = db.session.get(Deal, quote.deal_id)
    assert deal.stage.is_won and deal.value_vnd == NET
    won = db.session.scalars(select(DealStageChange).where(DealStageChange.deal_id == deal.id)
                             .order_by(DealStageChange.id.desc())).first()
    assert won.to_stage.is_won and (won.value_before_vnd, won.value_after_vnd) == (139_004_000, NET)
    assert db.session.get(Quote, quote.id).status == "accepted"


def test_the_deal_page_shows_the_value_change_in_its_history(app, client, auth):
    rep = make_user()
    quote = sent_quote(rep)
    accept_quote(quote, "Trần Thị Chi", None, None, local_today())
    auth.login(rep.email)
    page = client.get(f"/deals/{quote.deal_id}").get_data(as_text=True)
    assert "Giá trị 139.004.000 ₫ → 102.000.000 ₫" in page


def test_a_deal_already_won_takes_the_accepted_amount_too(app):
    rep = make_user()
    quote = sent_quote(rep)
    deal = quote.deal
    from app.models import Stage
    deal.stage = db.session.scalar(select(Stage).where(Stage.is_won.is_(True)))
    db.session.commit()
    accept_quote(quote, "Trần Thị Chi", None, None, local_today())
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).value_vnd == NET
