"""Issue #6: a quote from the first line to the contract, on three phones (390×844), through the UI only.

The rep builds a quote on a deal (a product line and a free line, 15 % off, the totals following without a
reload) and submits it; the team's manager approves it from the queue on their own phone; the rep sends it;
the customer opens the link from the e-mail the real SMTP sink caught, in a browser of their own (not signed
in), and accepts it; the rep's deal is Won and the contract's PDF is a real PDF naming the contract and the
customer. The rep's taps are counted as the journey "build and send a quote".
"""
import re
import subprocess

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Contract, Deal, Quote
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE_WIDTH
from tests.e2e.taps import TapCounter, record
from tests.factories import make_contact, make_customer, make_deal, make_product, make_team, make_user

pytestmark = pytest.mark.journey

CUSTOMER = "Công ty TNHH Thương mại Đức Hưng"
CUSTOMER_EMAIL = "chi.tran@duchung.vn"
DEAL = "Điều hòa văn phòng mới"
ACCEPTED_BY = "Trần Thị Chi"
LINK_RE = re.compile(r"https?://[^\s\"<>]+/q/[A-Za-z0-9_-]{43,}")
NUMBER_RE = re.compile(r"BG-\d{4}-\d{5}")
CONTRACT_RE = re.compile(r"HD-\d{4}-\d{5}")
# 12.500.000 (VAT 10 %) + 1.500.000 (VAT 8 %) = 14.000.000; 15 % off: −2.100.000, spread over the lines;
# VAT 10.625.000 × 10 % = 1.062.500 and 1.275.000 × 8 % = 102.000; grand total 13.064.500.
TOTAL = "13.064.500 ₫"
TOTAL_WORDS = "Mười ba triệu không trăm sáu mươi tư nghìn năm trăm đồng"


@pytest.fixture()
def public_links_to_the_live_server(app, live_server):
    """The customer's link in the e-mail points at the live server for this journey."""
    saved, app.config["PUBLIC_BASE_URL"] = app.config["PUBLIC_BASE_URL"], live_server.url
    yield
    app.config["PUBLIC_BASE_URL"] = saved


def another_phone(browser, browser_context_args, errors):
    """A second phone (its own cookies), whose console errors go to errors."""
    context = browser.new_context(**browser_context_args)
    phone = context.new_page()
    phone.set_default_timeout(5_000)
    phone.on("console", lambda msg: errors.append(f"console: {msg.text} [{phone.url}]") if msg.type == "error" else None)
    phone.on("pageerror", lambda exc: errors.append(f"pageerror: {exc} [{phone.url}]"))
    return context, phone


def sign_in_on(phone, email, live_server):
    """The sign_in fixture's steps, on a phone other than `page`."""
    phone.goto("/login")
    phone.get_by_label("Email", exact=True).fill(email)
    phone.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    phone.get_by_label("Ghi nhớ đăng nhập").set_checked(True)
    phone.get_by_role("button", name="Đăng nhập", exact=True).tap()
    expect(phone).to_have_url(f"{live_server.url}/")


def total(page, name):
    return page.locator(f'#quote-totals [data-total="{name}"]')


def status(page, label):
    """The quote's status badge in its header, as the app names it."""
    return page.locator("#quote-head").get_by_text(label, exact=True)


def pdf_text(pdf, tmp_path):
    path = tmp_path / "contract.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())  # words as read, whatever the line breaks of the layout


def test_rep_builds_manager_approves_rep_sends_customer_accepts_deal_won_contract_pdf(
        page, browser, browser_context_args, live_server, sign_in, smtp_sink, public_links_to_the_live_server,
        console_errors, tmp_path):
    team = make_team("Kinh doanh Quận 1")
    rep = make_user(team=team, email="hoa.le@example.vn", name="Lê Thị Hoa")
    manager = make_user(role="manager", team=team, email="ha.pham@example.vn", name="Phạm Thu Hà")
    customer = make_customer(rep, name=CUSTOMER)
    make_contact(customer, name="Chị Trần Chi", email=CUSTOMER_EMAIL, is_primary=True)
    deal = make_deal(customer, "consulting", title=DEAL)
    make_product(sku="DK-15", name="Máy lạnh Daikin Inverter 1.5HP", unit="bộ", price_vnd=12_500_000, vat_rate=10)
    make_product(sku="DK-20", name="Máy lạnh Daikin Inverter 2HP", unit="bộ", price_vnd=16_900_000, vat_rate=10)
    other_errors = []

    # --- The rep, on the deal: a new quote. --------------------------------------------------------------
    sign_in(rep.email)
    page.goto(f"/deals/{deal.id}")
    counter = TapCounter(page)
    counter.tap(page.get_by_role("button", name="Thêm báo giá", exact=True))  # no confirmation page
    expect(page).to_have_url(re.compile(r"/quotes/\d+$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(rf"^Báo giá {NUMBER_RE.pattern}$"))
    number = NUMBER_RE.search(heading.inner_text()).group(0)
    expect(status(page, "Nháp")).to_be_visible()
    page.evaluate("window.__builder = 1")  # gone if the page is ever loaded again

    # A product from the search box.
    search = page.get_by_role("searchbox", name="Thêm sản phẩm")
    counter.tap(search)
    counter.type(search, "inverter 1.5")
    picks = page.locator("#product-results").get_by_role("button")
    expect(picks).to_have_count(1)
    expect(picks).to_contain_text("Máy lạnh Daikin Inverter 1.5HP")
    counter.tap(picks.first)
    lines = page.locator("#quote-lines > li.quote-line")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("Máy lạnh Daikin Inverter 1.5HP")
    expect(total(page, "total")).to_have_text("13.750.000 ₫")

    # A free line: installation, 8 % VAT (quantity 1, the form's default).
    free = page.locator("#free-line-form")
    counter.tap(free.get_by_text("Thêm dòng ngoài bảng giá", exact=True))
    for label, text in (("Mô tả", "Công lắp đặt và vật tư"), ("Đơn vị tính", "bộ"), ("Đơn giá (₫)", "1500000")):
        field = free.get_by_label(label, exact=True)
        counter.tap(field)
        counter.type(field, text)
    free.get_by_label("Thuế GTGT", exact=True).select_option("8")
    counter.taps += 2  # the phone's picker: open it, tap "8%"
    counter.tap(free.get_by_role("button", name="Thêm dòng", exact=True))
    expect(lines).to_have_count(2)
    expect(lines.nth(1)).to_contain_text("Công lắp đặt và vật tư")
    expect(total(page, "subtotal")).to_have_text("14.000.000 ₫")
    expect(total(page, "total")).to_have_text("15.370.000 ₫")

    # 15 % off the whole quote: the field shows 0; the rep erases it, types 15 and taps outside.
    discount = page.get_by_label("Chiết khấu toàn báo giá %", exact=True)
    expect(discount).to_have_value("0")
    counter.tap(discount)
    counter.press(discount, "Backspace")
    counter.type(discount, "15")
    expect(discount).to_have_value("15")
    counter.tap(heading)
    expect(total(page, "discount")).to_have_text("−2.100.000 ₫")
    expect(total(page, "vat-10")).to_have_text("1.062.500 ₫")
    expect(total(page, "vat-8")).to_have_text("102.000 ₫")
    expect(total(page, "total")).to_have_text(TOTAL)
    expect(total(page, "words")).to_have_text(TOTAL_WORDS)
    assert page.evaluate("window.__builder === 1"), "the builder reloaded instead of swapping parts"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH

    # Above 10 %: submitting sends it to the manager.
    counter.tap(page.get_by_role("button", name="Gửi duyệt", exact=True))
    expect(status(page, "Chờ duyệt")).to_be_visible()
    expect(page.get_by_text("Đang chờ quản lý duyệt.", exact=True)).to_be_visible()
    db.session.expire_all()
    quote = db.session.scalar(select(Quote).where(Quote.number == number))
    assert (quote.status, quote.discount_bp, quote.total_vnd) == ("pending_approval", 1500, 13_064_500)

    # --- The manager, on their own phone: approves it from the queue. ---------------------------------
    manager_context, manager_phone = another_phone(browser, browser_context_args, other_errors)
    sign_in_on(manager_phone, manager.email, live_server)
    manager_phone.get_by_role("link", name="Chờ bạn duyệt (1)", exact=True).tap()
    expect(manager_phone).to_have_url(re.compile(r"/approvals$"))
    item = manager_phone.get_by_role("listitem").filter(has_text=number)
    expect(item).to_contain_text(CUSTOMER)
    expect(item).to_contain_text(TOTAL)
    expect(item).to_contain_text("Chiết khấu cao nhất 15%")
    item.get_by_role("button", name="Duyệt", exact=True).tap()
    expect(item.get_by_text("Đã duyệt", exact=True)).to_be_visible()
    expect(item.get_by_role("button", name="Duyệt", exact=True)).to_have_count(0)
    manager_context.close()

    # --- The rep opens the quote again and sends it to the customer's address. ------------------------
    counter.tap(page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Báo giá", exact=True))
    expect(page).to_have_url(re.compile(r"/quotes$"))
    counter.tap(page.get_by_role("link", name=re.compile(number)))
    expect(page).to_have_url(re.compile(rf"/quotes/{quote.id}$"))
    expect(status(page, "Đã duyệt")).to_be_visible()
    counter.tap(page.get_by_role("link", name="Gửi cho khách hàng", exact=True))
    expect(page).to_have_url(re.compile(rf"/quotes/{quote.id}/send$"))
    expect(page.get_by_role("radio", name=re.compile(re.escape(CUSTOMER_EMAIL)))).to_be_checked()  # the primary contact's
    counter.tap(page.get_by_role("button", name="Gửi cho khách hàng", exact=True))
    expect(page).to_have_url(re.compile(rf"/quotes/{quote.id}$"))
    expect(page.locator("#quote-delivery").get_by_role("status")).to_have_text(f"Đã gửi đến {CUSTOMER_EMAIL}")
    expect(status(page, "Đã gửi")).to_be_visible()
    record("build and send a quote", counter)

    # --- The customer: the link from the e-mail, in a browser of their own, not signed in. -------------
    (message,) = smtp_sink.to(CUSTOMER_EMAIL)
    assert number in message["Subject"]
    link = LINK_RE.search(message.get_body(("plain",)).get_content()).group(0)
    customer_context, customer_phone = another_phone(browser, browser_context_args, other_errors)
    customer_phone.goto(link)
    expect(customer_phone.get_by_role("heading", level=1)).to_have_text(f"Báo giá {number}")
    expect(customer_phone.get_by_role("navigation", name="Menu chính")).to_have_count(0)  # not the app
    expect(customer_phone.locator(".grand")).to_contain_text(TOTAL)
    customer_phone.get_by_label("Họ và tên của Quý khách").fill(ACCEPTED_BY)
    customer_phone.get_by_label("Tôi đã đọc và đồng ý với báo giá này").check()
    customer_phone.get_by_role("button", name="Đồng ý báo giá", exact=True).tap()
    expect(customer_phone.get_by_role("heading", name="Quý khách đã đồng ý báo giá này")).to_be_visible()
    expect(customer_phone.locator("#answer")).to_contain_text(ACCEPTED_BY)
    customer_context.close()

    # --- The rep: the deal is Won, and its contract's PDF is the contract. ------------------------------
    page.get_by_role("link", name=DEAL).tap()
    expect(page).to_have_url(re.compile(rf"/deals/{deal.id}$"))
    expect(page.locator("dl.facts dt:text-is('Giai đoạn') + dd")).to_have_text(re.compile(r"^Thắng\b"))
    contracts = page.locator(".deal-contracts")
    expect(contracts.get_by_role("listitem")).to_have_count(1)
    contract_number = contracts.get_by_role("link", name=CONTRACT_RE).inner_text()
    pdf_link = contracts.get_by_role("link", name="PDF", exact=True)
    response = page.request.get(pdf_link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    text = pdf_text(response.body(), tmp_path)
    assert contract_number in text
    assert CUSTOMER in text
    assert ACCEPTED_BY in text

    db.session.expire_all()
    contract = db.session.scalar(select(Contract).where(Contract.quote_id == quote.id))
    assert contract is not None and contract.number == contract_number
    assert db.session.get(Quote, quote.id).status == "accepted"
    assert db.session.get(Deal, deal.id).stage.key == "won"
    assert console_errors == []
    assert other_errors == []
