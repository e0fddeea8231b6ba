"""Starting a quote on a phone (390×844): from the Quotes tab's inline picker and from the customer card; and the
quantity steppers of the builder's lines, with the totals following each tap."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Deal, Quote
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE_WIDTH
from tests.e2e.test_accessibility import axe_page, violations  # noqa: F401  (the fixture, reused)
from tests.factories import make_customer, make_deal, make_quote, make_user


def lines(page):
    return page.locator("#quote-lines > li.quote-line")


def total(page):
    return page.locator('#quote-totals [data-total="total"]')


def quotes_tab(page):
    return page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Báo giá", exact=True)


def test_a_new_quote_from_the_quotes_tab_picks_a_customer_then_a_deal(page, sign_in, console_errors, screenshot):
    rep = make_user(email="an.nguyen@example.vn", name="Nguyễn Văn An")
    customer = make_customer(rep, name="Công ty TNHH Đức Hưng", district="Quận 1", province="TP Hồ Chí Minh")
    make_customer(rep, name="Nhà hàng Sông Hàn")
    make_customer(make_user(email="binh@example.vn"), name="Công ty Đức Hưng Phát")  # another rep's: never listed
    make_deal(customer, "consulting", title="Điều hòa văn phòng mới")
    wanted = make_deal(customer, "negotiation", title="Máy lọc nước tầng 3")
    sign_in(rep.email)
    quotes_tab(page).tap()
    page.evaluate("window.__quotes_tab = 1")
    page.locator('[data-action="start-quote"]').tap()
    search = page.locator("#quote-customer-search")
    expect(search).to_be_focused()  # opened in place, the keyboard up: no tap on the box
    assert page.evaluate("window.__quotes_tab === 1"), "the picker must open inline, not as a new page"
    page.keyboard.type("duc hung", delay=20)  # no diacritics typed
    picks = page.locator('#quote-start-customers [data-action="quote-customer"]')
    expect(picks).to_have_count(1)
    expect(picks.first).to_contain_text("Công ty TNHH Đức Hưng")
    picks.first.tap()
    deals = page.locator('#quote-start [data-action="quote-for-deal"]')
    expect(deals).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    screenshot("quote-start-deals")
    deals.filter(has_text="Máy lọc nước tầng 3").tap()
    expect(page).to_have_url(re.compile(r"/quotes/\d+$"))
    expect(page.locator('#quote-head [data-status="draft"]')).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(select(Quote)).deal_id == wanted.id
    assert not console_errors


def test_a_customer_without_an_open_deal_gets_one_with_the_quote(page, sign_in, console_errors):
    rep = make_user(email="an.nguyen@example.vn")
    customer = make_customer(rep, name="Nhà hàng Sông Hàn")
    make_deal(customer, "lost", lost_reason="Giá cao")
    sign_in(rep.email)
    quotes_tab(page).tap()
    page.locator('[data-action="start-quote"]').tap()
    page.keyboard.type("song han", delay=20)
    page.locator('#quote-start-customers [data-action="quote-customer"]').filter(has_text="Sông Hàn").tap()
    expect(page.locator("#quote-start")).to_contain_text("chưa có cơ hội đang mở")
    page.get_by_role("button", name="Tạo cơ hội cho báo giá này", exact=True).tap()
    expect(page).to_have_url(re.compile(r"/quotes/\d+$"))
    db.session.expire_all()
    quote = db.session.scalar(select(Quote))
    deal = db.session.get(Deal, quote.deal_id)
    assert deal.customer_id == customer.id and deal.stage.is_open and deal.title == "Báo giá dành cho Nhà hàng Sông Hàn"
    assert not console_errors


def test_the_customer_card_starts_a_quote_in_one_tap_or_asks_which_deal(page, sign_in, console_errors):
    rep = make_user(email="an.nguyen@example.vn")
    single = make_customer(rep, name="Công ty TNHH Đức Hưng")
    only_deal = make_deal(single, "consulting", title="Điều hòa văn phòng mới")
    several = make_customer(rep, name="Nhà hàng Sông Hàn")
    make_deal(several, title="Tủ đông nhà bếp")
    second = make_deal(several, title="Máy lạnh sảnh")
    sign_in(rep.email)
    page.goto(f"/customers/{single.id}")
    page.get_by_role("button", name="Thêm báo giá", exact=True).tap()  # one open deal: straight to the builder
    expect(page).to_have_url(re.compile(r"/quotes/\d+$"))
    page.goto(f"/customers/{several.id}")
    page.get_by_role("link", name="Thêm báo giá", exact=True).tap()
    expect(page).to_have_url(re.compile(rf"/quotes/start\?customer={several.id}$"))
    page.locator('[data-action="quote-for-deal"]').filter(has_text="Máy lạnh sảnh").tap()
    expect(page).to_have_url(re.compile(r"/quotes/\d+$"))
    db.session.expire_all()
    assert [q.deal_id for q in db.session.scalars(select(Quote).order_by(Quote.id))] == [only_deal.id, second.id]
    assert not console_errors


def test_the_steppers_change_the_quantity_by_one_and_the_totals_follow(page, sign_in, console_errors, screenshot):
    rep = make_user(email="an.nguyen@example.vn")
    quote = make_quote(make_deal(make_customer(rep)), lines=[
        {"description": "Máy lạnh Daikin Inverter 1.5HP", "unit": "bộ", "quantity": 1, "unit_price_vnd": 12_500_000},
        {"description": "Ống đồng", "unit": "m", "quantity": "1.5", "unit_price_vnd": 200_000}])
    sign_in(rep.email)
    page.goto(f"/quotes/{quote.id}")
    page.evaluate("window.__builder = 1")
    first = lines(page).first
    plus = first.get_by_role("button", name="Tăng số lượng thêm 1", exact=True)
    minus = first.get_by_role("button", name="Giảm số lượng đi 1", exact=True)
    quantity = first.locator("input[name=quantity]")
    for button in (plus, minus):
        box = button.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    plus.tap()
    expect(quantity).to_have_value("2")
    expect(first.locator("[data-line-amount]")).to_have_text("25.000.000 ₫")
    expect(total(page)).to_have_text("27.830.000 ₫")  # (25.000.000 + 300.000) × 1,1
    for _ in range(3):  # quick taps: each one counts
        plus.tap()
    expect(quantity).to_have_value("5")
    expect(total(page)).to_have_text("69.080.000 ₫")
    for _ in range(6):
        minus.tap()
    expect(quantity).to_have_value("1")  # never below 1
    expect(total(page)).to_have_text("14.080.000 ₫")
    # A decimal stays a decimal: 1,5 + 1 = 2,5 on the second line; what was typed counts before the step.
    second = lines(page).nth(1)
    second.get_by_role("button", name="Tăng số lượng thêm 1", exact=True).tap()
    expect(second.locator("input[name=quantity]")).to_have_value("2,5")
    first_quantity = quantity
    first_quantity.fill("7")
    plus.tap()
    expect(quantity).to_have_value("8")
    expect(first.locator("[data-line-amount]")).to_have_text("100.000.000 ₫")
    assert page.evaluate("window.__builder === 1"), "the builder reloaded instead of swapping parts"
    screenshot("quote-line-steppers")
    db.session.expire_all()
    saved = db.session.get(Quote, quote.id)
    assert [str(line.quantity.normalize()) for line in saved.lines] == ["8", "2.5"]
    assert saved.total_vnd == 110_550_000  # (100.000.000 + 500.000) × 1,1
    assert not console_errors


def test_a_stepper_tap_on_a_quote_changed_elsewhere_shows_the_latest_version(page, sign_in, console_errors):
    from app.formatting import local_today
    from app.services.quotes import editing

    rep = make_user(email="an.nguyen@example.vn")
    quote = make_quote(make_deal(make_customer(rep)), lines=[
        {"description": "Máy lạnh", "unit": "bộ", "quantity": 1, "unit_price_vnd": 1_000_000}])
    sign_in(rep.email)
    page.goto(f"/quotes/{quote.id}")
    db.session.expire_all()
    current = db.session.get(Quote, quote.id)
    editing.update_line(current, current.version, current.lines[0], {"quantity": 4}, local_today())  # another phone
    lines(page).first.get_by_role("button", name="Tăng số lượng thêm 1", exact=True).tap()
    expect(page.locator("#quote-builder .flash-warning")).to_contain_text("Dữ liệu vừa được người khác cập nhật")
    expect(lines(page).first.locator("input[name=quantity]")).to_have_value("4")
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).lines[0].quantity == 4
    assert [e for e in console_errors if "409" not in e and "htmx:responseError" not in e] == []


def test_the_quote_entries_have_no_serious_accessibility_violations(axe_page):
    rep = make_user(email="chi.le@example.vn")
    customer = make_customer(rep, name="Nhà hàng Sen Tây Hồ")
    deal = make_deal(customer)
    make_deal(customer)
    make_quote(deal, status="sent", lines=[{"description": "Tủ đông", "quantity": 2, "unit_price_vnd": 9_800_000}])
    draft = make_quote(deal, lines=[{"description": "Công lắp đặt", "quantity": 1, "unit_price_vnd": 500_000}])
    axe_page.goto("/login")
    axe_page.get_by_label("Email", exact=True).fill(rep.email)
    axe_page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    axe_page.get_by_role("button", name="Đăng nhập", exact=True).tap()
    axe_page.wait_for_url("**/")
    found = {}
    for path in ("/quotes/start", "/quotes/start?q=sen", f"/quotes/start?customer={customer.id}",
                 f"/customers/{customer.id}", f"/quotes/{draft.id}"):
        axe_page.goto(path)
        problems = violations(axe_page)
        if problems:
            found[path] = problems
    assert found == {}
