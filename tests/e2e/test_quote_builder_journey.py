"""A quote built on a phone: from the deal, a product and a free line, a 15 % discount with the totals
following each change without a reload, submitted for approval; the manager approves it from the queue."""
import re

from playwright.sync_api import expect

from app.extensions import db
from app.models import Quote
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE_WIDTH
from tests.e2e.test_accessibility import axe_page, violations  # noqa: F401  (the fixture, reused)
from tests.factories import make_customer, make_deal, make_product, make_quote, make_team, make_user


def total(page, name):
    return page.locator(f'#quote-totals [data-total="{name}"]')


def blur(page):
    """Tap outside the fields: the phone's way of finishing an edit (the input's change event)."""
    page.locator("#quote-head h1").tap()


def expect_same_document(page):
    assert page.evaluate("window.__builder === 1"), "the builder reloaded instead of swapping parts"


def test_a_rep_builds_a_quote_and_the_manager_approves_it(page, sign_in, console_errors, screenshot, live_server):
    team = make_team("Kinh doanh Miền Nam")
    rep = make_user(team=team, email="an.nguyen@example.vn", name="Nguyễn Văn An")
    manager = make_user(role="manager", team=team, email="ha.pham@example.vn", name="Phạm Thu Hà")
    deal = make_deal(make_customer(rep, name="Công ty TNHH Đức Hưng"), "consulting", title="Điều hòa văn phòng mới")
    make_product(sku="DK-15", name="Máy lạnh Daikin Inverter 1.5HP", unit="bộ", price_vnd=12_500_000, vat_rate=10)
    make_product(sku="DK-20", name="Máy lạnh Daikin Inverter 2HP", unit="bộ", price_vnd=16_900_000, vat_rate=10)

    # The rep opens the deal and creates a quote.
    sign_in(rep.email)
    page.goto(f"/deals/{deal.id}")
    page.locator('[data-action="new-quote"]').tap()  # one tap: no confirmation page in between
    expect(page).to_have_url(re.compile(r"/quotes/\d+$"))
    expect(page.locator("#quote-head h1")).to_contain_text(re.compile(r"BG-\d{4}-\d{5}"))
    expect(page.locator('#quote-head [data-status="draft"]')).to_be_visible()
    page.evaluate("window.__builder = 1")

    # A product from the search box: tapping it adds a line and the totals follow.
    page.locator("#product-search").press_sequentially("inverter 1.5")
    picks = page.locator("#product-results button[name=product_id]")
    expect(picks).to_have_count(1)
    picks.first.tap()
    lines = page.locator("#quote-lines > li.quote-line")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("Máy lạnh Daikin Inverter 1.5HP")
    expect(total(page, "total")).to_have_text("13.750.000 ₫")
    # The search box comes back empty and focused for the next product (htmx focuses it once the swap settles).
    expect(page.locator("#product-search")).to_be_focused()
    expect(page.locator("#product-search")).to_have_value("")
    quantity = lines.first.locator("input[name=quantity]")
    quantity.fill("-1")
    blur(page)
    expect(lines.first.locator(".field-error")).to_have_count(1)  # shown next to the field, nothing saved
    expect(total(page, "total")).to_have_text("13.750.000 ₫")
    lines.first.locator("input[name=quantity]").fill("2")
    blur(page)
    expect(lines.first.locator(".field-error")).to_have_count(0)
    expect(total(page, "total")).to_have_text("27.500.000 ₫")
    expect(lines.first.locator("[data-line-amount]")).to_have_text("25.000.000 ₫")
    expect(quantity).to_have_value("2")

    # A free line: installation, 8 % VAT.
    page.locator("#free-line-form summary").tap()
    page.locator("#free-description").fill("Công lắp đặt và vật tư")
    page.locator("#free-quantity").fill("2")
    page.locator("#free-unit").fill("bộ")
    page.locator("#free-unit_price_vnd").fill("1.500.000")
    page.locator("#free-vat_rate").select_option("8")
    page.locator("#free-line-form button[type=submit]").tap()
    expect(lines).to_have_count(2)
    expect(total(page, "total")).to_have_text("30.740.000 ₫")

    # 15 % off the whole quote: subtotal 28.000.000, discount 4.200.000, VAT 2.125.000 + 204.000.
    page.locator("#discount_pct").fill("15")
    blur(page)
    expect(total(page, "discount")).to_have_text("−4.200.000 ₫")
    expect(total(page, "vat-10")).to_have_text("2.125.000 ₫")
    expect(total(page, "vat-8")).to_have_text("204.000 ₫")
    expect(total(page, "total")).to_have_text("26.129.000 ₫")
    expect(total(page, "words")).to_have_text("Hai mươi sáu triệu một trăm hai mươi chín nghìn đồng")
    expect_same_document(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    screenshot("quote-builder")

    # Above 10 %: submitting sends it to the manager.
    page.locator('[data-action="submit"]').tap()
    expect(page.locator('#quote-head [data-status="pending_approval"]')).to_be_visible()
    db.session.expire_all()
    quote = db.session.scalar(db.select(Quote))
    assert (quote.status, quote.total_vnd) == ("pending_approval", 26_129_000)
    quote_url = f"/quotes/{quote.id}"

    # The manager approves it from the queue, in one tap.
    page.context.clear_cookies()
    sign_in(manager.email)
    page.locator("a.approvals-link").tap()
    item = page.locator(f"#approval-{quote.id}")
    expect(item).to_contain_text("Công ty TNHH Đức Hưng")
    expect(item).to_contain_text("26.129.000 ₫")
    screenshot("quote-approvals")
    item.locator("button[value=approve]").tap()
    expect(page.locator(f'#approval-{quote.id} [data-status="approved"]')).to_be_visible()

    # The rep sees it approved.
    page.context.clear_cookies()
    sign_in(rep.email)
    page.goto(quote_url)
    expect(page.locator('#quote-head [data-status="approved"]')).to_have_text(re.compile("Approved|Đã duyệt"))
    # Only the deliberate 400 (the negative quantity) may have been logged, by the browser and by htmx.
    assert [e for e in console_errors if "400" not in e and "htmx:responseError" not in e] == []


def test_quote_pages_have_no_serious_accessibility_violations(axe_page, live_server):
    team = make_team("Kinh doanh Miền Bắc")
    admin = make_user(role="admin", email="quantri@example.vn")
    rep = make_user(team=team, email="chi.le@example.vn")
    deal = make_deal(make_customer(rep, name="Nhà hàng Sen Tây Hồ"))
    pending = make_quote(deal, status="pending_approval", lines=[
        {"description": "Tủ đông Sanaky 400L", "quantity": 2, "unit_price_vnd": 9_800_000, "discount_bp": 1500}])
    draft = make_quote(deal, lines=[{"description": "Công lắp đặt", "quantity": 1, "unit_price_vnd": 500_000}])
    axe_page.goto("/login")
    axe_page.get_by_label("Email", exact=True).fill(admin.email)
    axe_page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    axe_page.get_by_role("button", name="Đăng nhập", exact=True).tap()
    axe_page.wait_for_url("**/")
    found = {}
    for path in (f"/quotes/{draft.id}", f"/quotes/{pending.id}", f"/quotes/new?deal={deal.id}", "/quotes",
                 "/quotes?status=pending_approval", "/approvals", "/quotes/approval-rules", f"/deals/{deal.id}"):
        axe_page.goto(path)
        problems = violations(axe_page)
        if problems:
            found[path] = problems
    assert found == {}
