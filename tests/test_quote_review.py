"""Approval before and after submitting: the builder's warning, the manager's card on Today, the read-only review."""
import pytest

from app.extensions import db
from app.models import Quote
from app.services.quotes.approvals import approval_reasons, needs_approval
from app.services.quotes.pricing import price
from tests.factories import make_customer, make_deal, make_quote, make_team, make_user

HX = {"HX-Request": "true"}
LINES = [
    {"description": "Máy lạnh Daikin 2HP", "quantity": 2, "unit_price_vnd": 16_900_000, "vat_rate": 10},
    {"description": "Ống đồng", "quantity": 10, "unit_price_vnd": 250_000, "vat_rate": 10},
    {"description": "Công lắp đặt", "quantity": 1, "unit_price_vnd": 1_500_000, "vat_rate": 8},
]


@pytest.fixture()
def people():
    team = make_team(name="Miền Nam")
    manager = make_user(role="manager", team=team, email="ql@example.vn", name="Phạm Thu Hà")
    rep = make_user(team=team, email="an@example.vn", name="Nguyễn Văn An")
    return rep, manager


def quote_for(owner, **overrides):
    deal = make_deal(make_customer(owner, name="Công ty TNHH Đức Hưng"), "consulting")
    return make_quote(deal, lines=LINES, **overrides)


def fresh(quote_id):
    db.session.expire_all()
    return db.session.get(Quote, quote_id)


def test_the_rule_code_names_each_rule_broken():
    class Line:
        def __init__(self, discount_bp, price_vnd):
            self.quantity, self.unit_price_vnd, self.discount_bp, self.vat_rate = 1, price_vnd, discount_bp, 10

    rules = {"max_discount_bp": 1000, "max_total_vnd": 500_000_000}
    assert approval_reasons(price([Line(1000, 1_000_000)]), rules) == []
    (reason,) = approval_reasons(price([Line(0, 1_000_000)], 1500), rules)
    assert (reason.rule, reason.actual, reason.limit) == ("discount", 1500, 1000)
    both = approval_reasons(price([Line(1200, 600_000_000)]), rules)
    assert [r.rule for r in both] == ["discount", "total"] and needs_approval(price([Line(1200, 1)]), rules)


def test_the_builder_warns_before_submit_as_soon_as_the_discount_breaks_the_rule(client, auth, people):
    rep, _manager = people
    quote = quote_for(rep)
    auth.login(rep.email)
    assert "cần quản lý duyệt" not in client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    answer = auth.post(f"/quotes/{quote.id}/terms", {
        "version": quote.version, "discount_pct": "15", "valid_until": quote.valid_until.strftime("%d/%m/%Y"),
        "payment_terms": "", "notes": ""}, headers=HX, token_path=f"/quotes/{quote.id}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_data(as_text=True)
    assert "cần quản lý duyệt: chiết khấu 15 % > 10 %" in body, body[body.find('id="quote-totals"'):][:1500]
    assert fresh(quote.id).status == "draft"  # only a warning: nothing submitted
    page = client.get(f"/quotes/{quote.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "cần quản lý duyệt: chiết khấu 15 % > 10 %" in page


def test_the_warning_is_in_english_for_an_english_user(client, auth, people):
    rep, _manager = people
    rep.locale = "en"
    db.session.commit()
    quote = quote_for(rep, discount_bp=1500)
    auth.login(rep.email)
    page = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert "needs manager approval: discount 15 % > 10 %" in page


def test_the_manager_decides_from_the_card_on_today(client, auth, people):
    rep, manager = people
    quote = quote_for(rep, discount_bp=1500, status="pending_approval")
    auth.login(manager.email)
    today = client.get("/").get_data(as_text=True)
    card = today[today.index(f'id="approval-{quote.id}"'):]
    card = card[:card.index("</li>")]
    assert "Công ty TNHH Đức Hưng" in card and f"{fresh(quote.id).total_vnd:,}".replace(",", ".") + " ₫" in card
    assert "chiết khấu 15 % > 10 %" in card and 'value="approve"' in card and 'name="csrf_token"' in card
    # The card comes before the day's activities.
    assert today.index('id="agenda-approvals"') < today.index('id="agenda-overdue"')
    answer = auth.post(f"/quotes/{quote.id}/decide", {"decision": "approve", "version": fresh(quote.id).version},
                       headers=HX)
    assert answer.status_code == 200 and "<html" not in answer.get_data(as_text=True)
    assert 'data-status="approved"' in answer.get_data(as_text=True)
    assert fresh(quote.id).status == "approved"


def test_a_rejection_from_the_card_needs_a_reason(client, auth, people):
    rep, manager = people
    quote = quote_for(rep, discount_bp=1500, status="pending_approval")
    auth.login(manager.email)
    answer = auth.post(f"/quotes/{quote.id}/decide", {"decision": "reject", "comment": "",
                                                       "version": fresh(quote.id).version}, headers=HX)
    assert answer.status_code == 400 and "Hãy nhập lý do từ chối báo giá." in answer.get_data(as_text=True)
    assert "<details class=\"reject-panel\" open>" in answer.get_data(as_text=True)  # the reason field stays open
    assert fresh(quote.id).status == "pending_approval"
    answer = auth.post(f"/quotes/{quote.id}/decide", {"decision": "reject", "comment": "Chiết khấu cao quá",
                                                       "version": fresh(quote.id).version}, headers=HX)
    assert answer.status_code == 200
    quote = fresh(quote.id)
    assert (quote.status, quote.decision_comment) == ("draft", "Chiết khấu cao quá")


def test_the_manager_reviews_a_waiting_quote_read_only(client, auth, people):
    rep, manager = people
    quote = quote_for(rep, discount_bp=1500, status="pending_approval")
    line = quote.lines[0]
    auth.login(manager.email)
    page = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert 'name="quantity"' not in page and 'id="product-search"' not in page and 'name="discount_pct"' not in page
    assert 'value="approve"' in page  # deciding stays possible there
    version = fresh(quote.id).version
    answer = auth.post(f"/quotes/{quote.id}/lines/{line.id}", {"version": version, "quantity": "9", "unit": "bộ",
                       "discount_pct": "0", "unit_price_vnd": "1", "vat_rate": "10"}, headers=HX)
    assert answer.status_code == 409
    quote = fresh(quote.id)
    assert (quote.status, quote.version, quote.lines[0].quantity) == ("pending_approval", version, 2)


def test_the_owner_still_edits_a_waiting_quote_back_to_draft(client, auth, people):
    rep, _manager = people
    quote = quote_for(rep, discount_bp=1500, status="pending_approval")
    auth.login(rep.email)
    assert 'name="quantity"' in client.get(f"/quotes/{quote.id}").get_data(as_text=True)


def test_repeating_a_quote_copies_its_lines_into_a_new_draft_and_only_for_its_owner(client, auth, people):
    rep, manager = people
    quote = quote_for(rep, discount_bp=500, status="sent")
    other = make_user(email="khac@example.vn")
    auth.login(other.email)
    assert auth.post(f"/quotes/{quote.id}/repeat", {"version": quote.version}).status_code == 404
    auth.logout()
    auth.login(rep.email)
    answer = auth.post(f"/quotes/{quote.id}/repeat", {"version": quote.version})
    assert answer.status_code == 303
    db.session.expire_all()
    copies = db.session.scalars(db.select(Quote).where(Quote.deal_id == quote.deal_id).order_by(Quote.id)).all()
    assert len(copies) == 2
    source, copy = copies
    assert copy.status == "draft" and copy.number != source.number and copy.discount_bp == 500
    assert [(l.description, l.quantity, l.unit_price_vnd) for l in copy.lines] == \
        [(l.description, l.quantity, l.unit_price_vnd) for l in source.lines]
    assert copy.total_vnd == source.total_vnd and answer.headers["Location"].endswith(f"/quotes/{copy.id}")


def test_the_approval_notification_opens_the_send_page(client, auth, people):
    from app.models import Notification
    rep, manager = people
    quote = quote_for(rep, discount_bp=1500, status="pending_approval")
    auth.login(manager.email)
    auth.post(f"/quotes/{quote.id}/decide", {"decision": "approve", "version": fresh(quote.id).version})
    note = db.session.scalar(db.select(Notification).where(Notification.kind == "quote_approved"))
    assert note.user_id == rep.id and note.url == f"/quotes/{quote.id}/send"


def test_the_picker_shows_the_reps_often_quoted_products_before_typing(client, auth, people):
    from tests.factories import make_product
    rep, _manager = people
    often = make_product(sku="OFT-1", name="Máy lạnh hay bán", price_vnd=9_000_000)
    rare = make_product(sku="OFT-2", name="Máy sấy ít bán", price_vnd=3_000_000)
    make_product(sku="OFT-3", name="Chưa từng báo giá", price_vnd=1_000_000)
    deal = make_deal(make_customer(rep), "consulting")
    for _ in range(2):
        make_quote(deal, lines=[{"description": often.name, "quantity": 1, "unit_price_vnd": 1, "product_id": often.id}])
    make_quote(deal, lines=[{"description": rare.name, "quantity": 1, "unit_price_vnd": 1, "product_id": rare.id}])
    other = make_user(email="khac2@example.vn")
    make_quote(make_deal(make_customer(other), "consulting"),
               lines=[{"description": "x", "quantity": 1, "unit_price_vnd": 1, "product_id": rare.id}] * 3)
    draft = make_quote(deal)
    auth.login(rep.email)
    page = client.get(f"/quotes/{draft.id}").get_data(as_text=True)
    results = page[page.index('id="product-results"'):]
    results = results[:results.index("</ul>")]
    assert "Hay báo giá" in results and "Chưa từng báo giá" not in results
    assert results.index("Máy lạnh hay bán") < results.index("Máy sấy ít bán")  # most quoted (by this rep) first
