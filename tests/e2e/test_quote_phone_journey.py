"""The quote journey on a phone (issue 20): the product search answers replace each other, the builder warns
before approval is needed, the manager decides from Today, the contact is chosen by a tap."""
import re

from playwright.sync_api import expect

from tests.factories import make_customer, make_deal, make_product, make_quote, make_team, make_user

WATER_FILTERS = ["Máy lọc nước RO Kangaroo", "Máy lọc nước Karofi", "Máy lọc không khí Sharp",
                 "Máy lọc nước Mutosi", "Máy lọc không khí Xiaomi"]


def test_typing_letter_by_letter_shows_each_product_once(page, sign_in, console_errors):
    rep = make_user(email="search.rep@example.vn")
    deal = make_deal(make_customer(rep, name="Công ty Lọc Sạch"), "consulting")
    for n, name in enumerate(WATER_FILTERS):
        make_product(sku=f"ML-{n}", name=name, unit="cái", price_vnd=5_000_000 + n, vat_rate=10)
    quote = make_quote(deal)

    sign_in(rep.email)
    page.goto(f"/quotes/{quote.id}")
    search = page.locator("#product-search")
    search.tap()
    # Slow enough for a search to go out after most letters: each answer must replace the one before.
    page.keyboard.type("may loc", delay=300)
    picks = page.locator("#product-results button[name=product_id]")
    expect(picks).to_have_count(5)
    page.wait_for_timeout(600)  # any late answer would have landed by now
    expect(picks).to_have_count(5)
    names = [text.strip() for text in page.locator("#product-results li").all_inner_texts()]
    for name in WATER_FILTERS:
        assert sum(name in text for text in names) == 1, names
    # Narrowing the search replaces the list again.
    page.keyboard.type(" nuoc", delay=300)
    expect(picks).to_have_count(3)
    assert not console_errors


def test_the_builder_warns_before_submit_when_the_discount_breaks_the_rule(page, sign_in, console_errors):
    rep = make_user(email="warn.rep@example.vn")
    quote = make_quote(make_deal(make_customer(rep), "consulting"), lines=[
        {"description": "Máy lạnh Daikin 2HP", "unit": "bộ", "quantity": 1, "unit_price_vnd": 16_900_000}])
    sign_in(rep.email)
    page.goto(f"/quotes/{quote.id}")
    warning = page.locator("#quote-totals [data-approval-warning]")
    expect(warning).to_have_count(0)
    discount = page.get_by_label("Chiết khấu toàn báo giá %", exact=True)
    discount.fill("15")
    page.locator("#quote-head h1").tap()
    expect(warning).to_have_text("cần quản lý duyệt: chiết khấu 15 % > 10 %")
    expect(page.locator('#quote-head [data-status="draft"]')).to_be_visible()  # nothing submitted yet
    discount.fill("10")
    page.locator("#quote-head h1").tap()
    expect(warning).to_have_count(0)
    assert not console_errors


def test_a_manager_rejects_from_today_with_a_reason_and_reviews_read_only(page, sign_in, console_errors):
    team = make_team("Miền Tây")
    rep = make_user(team=team, email="rej.rep@example.vn")
    manager = make_user(role="manager", team=team, email="rej.manager@example.vn")
    quote = make_quote(make_deal(make_customer(rep, name="Công ty Cần Thơ"), "consulting"), status="pending_approval",
                       discount_bp=2000, lines=[{"description": "Máy lọc nước", "quantity": 1, "unit_price_vnd": 8_000_000}])
    sign_in(manager.email)
    card = page.locator(f"#approval-{quote.id}")
    expect(card).to_contain_text("chiết khấu 20 % > 10 %")
    # "Mở": a review with nothing to edit.
    card.get_by_role("link", name="Mở", exact=True).tap()
    expect(page).to_have_url(re.compile(rf"/quotes/{quote.id}$"))
    expect(page.locator("#quote-builder input[name=quantity], #product-search, #quote-builder textarea[name=notes]")).to_have_count(0)
    page.go_back()
    card = page.locator(f"#approval-{quote.id}")
    card.get_by_text("Từ chối", exact=True).tap()
    card.get_by_label("Lý do từ chối?").fill("Chiết khấu 20 % cao quá, tối đa 12 %")
    card.get_by_role("button", name="Trả lại người lập", exact=True).tap()
    expect(card.locator('[data-status="draft"]')).to_be_visible()
    from app.extensions import db
    from app.models import Quote
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).decision_comment == "Chiết khấu 20 % cao quá, tối đa 12 %"
    assert not console_errors


def test_the_contacts_on_the_send_form_are_tappable_rows(page, sign_in, smtp_sink, console_errors):
    from tests.factories import make_contact

    rep = make_user(email="send.rep@example.vn")
    customer = make_customer(rep, name="Công ty TNHH Đức Hưng", email="info@duchung.vn")
    make_contact(customer, name="Chị Trần Chi", email="chi@duchung.vn", is_primary=True)
    make_contact(customer, name="Lê Văn Bình", email="binh@duchung.vn")
    quote = make_quote(make_deal(customer, "consulting"), status="approved", lines=[
        {"description": "Máy lọc nước", "quantity": 1, "unit_price_vnd": 8_000_000}])
    sign_in(rep.email)
    page.goto(f"/quotes/{quote.id}/send")
    row = page.locator("label.choice").filter(has_text="Lê Văn Bình")
    box = row.bounding_box()
    assert box["height"] >= 44, box
    row.tap()
    expect(page.get_by_role("radio", name=re.compile("Lê Văn Bình"))).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile("Trần Chi"))).not_to_be_checked()
    page.get_by_role("button", name="Gửi cho khách hàng", exact=True).tap()
    expect(page.locator('#quote-head [data-status="sent"]')).to_be_visible()
    (mail,) = smtp_sink.to("binh@duchung.vn")
    assert mail.get_body(("plain",)).get_content().startswith("Kính gửi anh/chị Lê Văn Bình,")
    assert not console_errors
