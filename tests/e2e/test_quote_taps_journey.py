"""The quote journeys of issue 20, with their tap budgets (typing counted apart), on a 390×844 phone.

`make bench` reports these counts next to the budgets (bench/run.py TAP_BUDGETS)."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Quote
from tests.e2e.taps import TapCounter, record
from tests.factories import make_contact, make_customer, make_deal, make_product, make_quote, make_team, make_user

pytestmark = pytest.mark.journey

PRODUCTS = [("DK-15", "Máy lạnh Daikin Inverter 1.5HP", 12_500_000), ("DK-20", "Máy lạnh Daikin Inverter 2HP", 16_900_000),
            ("ONG-10", "Ống đồng Thái Lan 10m", 1_200_000), ("LOC-RO", "Máy lọc nước RO Kangaroo", 7_800_000)]


@pytest.fixture()
def shop():
    team = make_team("Kinh doanh Quận 1")
    rep = make_user(team=team, email="hoa.le@example.vn", name="Lê Thị Hoa")
    manager = make_user(role="manager", team=team, email="ha.pham@example.vn", name="Phạm Thu Hà")
    customer = make_customer(rep, name="Công ty TNHH Đức Hưng")
    make_contact(customer, name="Chị Trần Chi", email="chi.tran@duchung.vn", is_primary=True)
    deal = make_deal(customer, "consulting", title="Điều hòa văn phòng mới")
    for sku, name, price in PRODUCTS:
        make_product(sku=sku, name=name, unit="bộ", price_vnd=price, vat_rate=10)
    return rep, manager, deal


def lines(page):
    return page.locator("#quote-lines > li.quote-line")


def add_product(counter, page, words, count):
    """Type into the focused search box, tap the one result: one tap per product."""
    counter.keyboard(words, delay=20)
    picks = page.locator("#product-results button[name=product_id]")
    expect(picks).to_have_count(1)
    counter.tap(picks.first)
    expect(lines(page)).to_have_count(count)
    expect(page.locator("#product-search")).to_be_focused()  # ready for the next product, no tap needed
    expect(page.locator("#product-search")).to_have_value("")


def build_three_lines(page, counter, deal):
    page.goto(f"/deals/{deal.id}")
    counter.tap(page.get_by_role("button", name="Thêm báo giá", exact=True))
    expect(page).to_have_url(re.compile(r"/quotes/\d+$"))
    counter.tap(page.locator("#product-search"))
    add_product(counter, page, "inverter 1.5", 1)
    add_product(counter, page, "inverter 2hp", 2)
    add_product(counter, page, "ong dong", 3)


def test_a_three_line_quote_from_the_catalogue_within_10_taps(page, sign_in, shop, console_errors):
    rep, _manager, deal = shop
    sign_in(rep.email)
    counter = TapCounter(page)
    build_three_lines(page, counter, deal)
    counter.tap(page.get_by_role("button", name="Gửi duyệt", exact=True))
    expect(page.locator('#quote-head [data-status="approved"]')).to_be_visible()  # within the rules: approved at once
    record("quote: 3 catalogue lines, submitted", counter)
    assert counter.taps <= 10, counter.taps
    assert not console_errors


def test_one_free_line_more_within_13_taps(page, sign_in, shop, console_errors):
    rep, _manager, deal = shop
    sign_in(rep.email)
    counter = TapCounter(page)
    build_three_lines(page, counter, deal)
    free = page.locator("#free-line-form")
    counter.tap(free.get_by_text("Thêm dòng ngoài bảng giá", exact=True))
    for label, text in (("Mô tả", "Công lắp đặt"), ("Đơn vị tính", "lần"), ("Đơn giá (₫)", "1500000")):
        field = free.get_by_label(label, exact=True)
        counter.tap(field)
        counter.type(field, text)
    counter.tap(free.get_by_role("button", name="Thêm dòng", exact=True))
    expect(lines(page)).to_have_count(4)
    counter.tap(page.get_by_role("button", name="Gửi duyệt", exact=True))
    expect(page.locator('#quote-head [data-status="approved"]')).to_be_visible()
    record("quote: 3 catalogue lines + 1 free line, submitted", counter)
    assert counter.taps <= 13, counter.taps
    assert not console_errors


def test_repeating_the_last_quote_for_the_customer_within_4_taps(page, sign_in, shop, console_errors):
    rep, _manager, deal = shop
    last = make_quote(deal, status="sent", lines=[
        {"description": "Máy lạnh Daikin Inverter 2HP", "unit": "bộ", "quantity": 3, "unit_price_vnd": 16_900_000}])
    sign_in(rep.email)
    counter = TapCounter(page)
    counter.tap(page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Báo giá", exact=True))
    counter.tap(page.get_by_role("link", name=re.compile(last.number)))
    counter.tap(page.get_by_role("button", name="Lặp lại báo giá này", exact=True))
    expect(lines(page)).to_have_count(1)
    expect(lines(page).first).to_contain_text("Máy lạnh Daikin Inverter 2HP")
    counter.tap(page.get_by_role("button", name="Gửi duyệt", exact=True))
    expect(page.locator('#quote-head [data-status="approved"]')).to_be_visible()
    db.session.expire_all()
    copies = db.session.scalars(select(Quote).where(Quote.deal_id == deal.id).order_by(Quote.id)).all()
    assert len(copies) == 2 and copies[1].number != last.number and copies[1].total_vnd == last.total_vnd
    record("quote: repeat the last one, submitted", counter)
    assert counter.taps <= 4, counter.taps
    assert not console_errors


def test_the_manager_approves_from_today_and_the_rep_sends_from_the_notification(
        page, sign_in, shop, smtp_sink, console_errors, screenshot):
    rep, manager, deal = shop
    quote = make_quote(deal, status="pending_approval", discount_bp=1500, lines=[
        {"description": "Máy lạnh Daikin Inverter 2HP", "unit": "bộ", "quantity": 2, "unit_price_vnd": 16_900_000}])
    # 33.800.000 − 15 % = 28.730.000, VAT 10 %: 31.603.000.
    sign_in(manager.email)
    counter = TapCounter(page)
    card = page.locator(f"#approval-{quote.id}")
    expect(card).to_be_in_viewport()  # near the top of Today, no scrolling
    expect(card).to_contain_text("Công ty TNHH Đức Hưng")
    expect(card).to_contain_text("31.603.000 ₫")
    expect(card).to_contain_text("chiết khấu 15 % > 10 %")
    screenshot("quote-approval-card-today")
    counter.tap(card.get_by_role("button", name="Duyệt", exact=True))
    expect(card.locator('[data-status="approved"]')).to_be_visible()
    expect(card.get_by_role("button", name="Duyệt", exact=True)).to_have_count(0)
    record("approve a quote from Today", counter)
    assert counter.taps <= 2, counter.taps

    page.context.clear_cookies()
    sign_in(rep.email)
    page.goto("/notifications")
    counter = TapCounter(page)
    counter.tap(page.locator(".notification-open").filter(has_text=quote.number))
    expect(page).to_have_url(re.compile(rf"/quotes/{quote.id}/send$"))
    counter.tap(page.get_by_role("button", name="Gửi cho khách hàng", exact=True))
    expect(page.locator('#quote-head [data-status="sent"]')).to_be_visible()
    record("send an approved quote from the notification", counter)
    assert counter.taps <= 2, counter.taps
    (mail,) = smtp_sink.to("chi.tran@duchung.vn")
    assert mail.get_body(("plain",)).get_content().startswith("Kính gửi anh/chị Trần Chi,")
    assert not console_errors


def test_a_three_line_quote_started_from_the_quotes_tab_within_10_taps(page, sign_in, shop, console_errors):
    rep, _manager, deal = shop
    sign_in(rep.email)
    counter = TapCounter(page)
    counter.tap(page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Báo giá", exact=True))
    counter.tap(page.locator('[data-action="start-quote"]'))
    expect(page.locator("#quote-customer-search")).to_be_focused()  # the picker opened in place, ready to type
    counter.keyboard("duc hung", delay=20)
    customer = page.locator('#quote-start-customers [data-action="quote-customer"]')
    expect(customer).to_have_count(1)
    counter.tap(customer)
    counter.tap(page.get_by_role("button", name=re.compile(deal.title)))
    expect(page).to_have_url(re.compile(r"/quotes/\d+$"))
    counter.tap(page.locator("#product-search"))
    add_product(counter, page, "inverter 1.5", 1)
    add_product(counter, page, "inverter 2hp", 2)
    add_product(counter, page, "ong dong", 3)
    counter.tap(page.get_by_role("button", name="Gửi duyệt", exact=True))
    expect(page.locator('#quote-head [data-status="approved"]')).to_be_visible()
    record("quote: 3 catalogue lines from the Quotes tab, submitted", counter)
    assert counter.taps <= 10, counter.taps
    assert not console_errors


def test_repeating_the_last_quote_from_the_customer_card_within_4_taps(page, sign_in, shop, console_errors):
    rep, _manager, deal = shop
    last = make_quote(deal, status="sent", lines=[
        {"description": "Máy lạnh Daikin Inverter 2HP", "unit": "bộ", "quantity": 3, "unit_price_vnd": 16_900_000}])
    sign_in(rep.email)
    page.goto(f"/customers/{deal.customer_id}")
    counter = TapCounter(page)
    counter.tap(page.get_by_role("button", name="Lặp lại báo giá gần nhất", exact=True))
    expect(lines(page)).to_have_count(1)
    expect(lines(page).first).to_contain_text("Máy lạnh Daikin Inverter 2HP")
    counter.tap(page.get_by_role("button", name="Gửi duyệt", exact=True))
    expect(page.locator('#quote-head [data-status="approved"]')).to_be_visible()
    db.session.expire_all()
    copy = db.session.scalars(select(Quote).where(Quote.deal_id == deal.id).order_by(Quote.id.desc())).first()
    assert copy.number != last.number and copy.total_vnd == last.total_vnd
    record("quote: repeat the last one from the customer card, submitted", counter)
    assert counter.taps <= 4, counter.taps
    assert not console_errors


def second_line_quantity(page):
    return lines(page).nth(1).locator("input[name=quantity]")


@pytest.mark.parametrize("how", ["stepper", "typed"])
def test_a_three_line_quote_with_two_units_of_one_line(page, sign_in, shop, console_errors, how):
    """The steppers' worth, counted: quantity 2 on a line by a tap on + against tapping the field, typing
    over the 1 and tapping away (the phone's way to finish an edit)."""
    rep, _manager, deal = shop
    sign_in(rep.email)
    counter = TapCounter(page)
    build_three_lines(page, counter, deal)
    quantity = second_line_quantity(page)
    if how == "stepper":
        counter.tap(lines(page).nth(1).get_by_role("button", name="Tăng số lượng thêm 1", exact=True))
    else:
        counter.tap(quantity)
        counter.press(quantity, "Backspace")
        counter.type(quantity, "2")
        counter.tap(page.locator("#quote-head h1"))
    expect(quantity).to_have_value("2")
    expect(lines(page).nth(1).locator("[data-line-amount]")).to_have_text("33.800.000 ₫")
    counter.tap(page.get_by_role("button", name="Gửi duyệt", exact=True))
    expect(page.locator('#quote-head [data-status="approved"]')).to_be_visible()
    db.session.expire_all()
    quote = db.session.scalars(select(Quote).where(Quote.deal_id == deal.id)).one()
    assert [int(line.quantity) for line in quote.lines] == [1, 2, 1]
    record(f"quote: 3 catalogue lines, one of 2 units ({'+ stepper' if how == 'stepper' else 'typed'}), submitted",
           counter)
    assert counter.taps <= 10, counter.taps
    assert not console_errors
