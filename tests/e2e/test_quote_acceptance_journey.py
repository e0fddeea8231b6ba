"""From an approved quote to a contract on phones: the rep sends it, the customer opens the link from the
e-mail in their own browser and accepts, the deal is Won and the contract PDF opens."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Contract, Deal, Quote
from tests.e2e.test_accessibility import axe_page  # noqa: F401  (fixture)
from tests.factories import make_contact, make_customer, make_deal, make_quote, make_team, make_user

CUSTOMER = "Công ty TNHH Thương mại Đức Hưng"
CUSTOMER_EMAIL = "chi.tran@duchung.vn"
LINK_RE = re.compile(r"https?://[^\s\"<>]+/q/[A-Za-z0-9_-]{43,}")
LINES = [
    {"description": "Máy lọc nước RO Kangaroo 10 lõi", "unit": "bộ", "quantity": 1, "unit_price_vnd": 10_000_000,
     "vat_rate": 10},
    {"description": "Công lắp đặt tại nhà", "unit": "lần", "quantity": 1, "unit_price_vnd": 1_345_000, "vat_rate": None},
]


@pytest.fixture()
def approved(app, live_server):
    rep = make_user(team=make_team("Kinh doanh Quận 1"), email="hoa.le@example.vn", name="Lê Thị Hoa")
    customer = make_customer(rep, name=CUSTOMER)
    make_contact(customer, name="Chị Trần Chi", email=CUSTOMER_EMAIL, is_primary=True)
    deal = make_deal(customer, stage_key="consulting", title="Máy lọc nước văn phòng")
    # Public links point at the live server for this journey.
    saved, app.config["PUBLIC_BASE_URL"] = app.config["PUBLIC_BASE_URL"], live_server.url
    yield rep, make_quote(deal, lines=LINES, status="approved")  # make_quote applies the totals
    app.config["PUBLIC_BASE_URL"] = saved


def test_rep_sends_customer_accepts_deal_won_contract_pdf(page, browser, browser_context_args, sign_in, smtp_sink,
                                                          approved, console_errors):
    rep, quote = approved
    sign_in(rep.email)

    # The rep sends the quote from its page.
    page.goto(f"/quotes/{quote.id}")
    page.locator("#quote-delivery").get_by_role("link", name=re.compile("Gửi cho khách hàng|Send to customer")).tap()
    expect(page).to_have_url(re.compile(rf"/quotes/{quote.id}/send$"))
    expect(page.locator(f'input[name=to_email][value="{CUSTOMER_EMAIL}"]')).to_be_checked()  # the primary contact's
    page.locator("form.send-form button[type=submit]").tap()
    expect(page).to_have_url(re.compile(rf"/quotes/{quote.id}$"))
    expect(page.locator("#quote-delivery .send-state-sent")).to_contain_text(CUSTOMER_EMAIL)

    # The customer reads the e-mail and opens the link in their own browser (no cookies of the rep).
    (message,) = smtp_sink.to(CUSTOMER_EMAIL)
    link = LINK_RE.search(message.get_body(("plain",)).get_content()).group(0)
    customer_context = browser.new_context(**browser_context_args)
    customer = customer_context.new_page()
    customer.set_default_timeout(5_000)
    customer.goto(link)
    expect(customer.locator("h1")).to_contain_text(quote.number)
    expect(customer.locator(".grand")).to_contain_text("12.345.000 ₫")
    expect(customer.locator(".tabbar")).to_have_count(0)  # the public layout, not the app
    customer.locator("#full_name").fill("Trần Thị Chi")
    customer.locator("#confirm").check()
    customer.locator("form.accept-form button[type=submit]").tap()
    expect(customer.locator("#answer.state-accepted")).to_contain_text("Trần Thị Chi")
    customer_context.close()

    # The rep's deal is Won and its contract PDF opens.
    db.session.expire_all()
    contract = db.session.scalar(select(Contract).where(Contract.quote_id == quote.id))
    assert contract is not None and db.session.get(Quote, quote.id).status == "accepted"
    page.goto(f"/deals/{quote.deal_id}")
    expect(page.locator("dl.facts")).to_contain_text(re.compile("Thắng|Won"))
    pdf_link = page.locator(".deal-contracts a[href$='.pdf']")
    expect(pdf_link).to_have_count(1)
    response = page.request.get(pdf_link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    assert db.session.get(Deal, quote.deal_id).stage.key == "won"
    assert console_errors == []


def test_the_customer_page_and_the_send_page_have_no_serious_violations(axe_page, approved, smtp_sink):
    from app.formatting import local_today
    from app.services.quotes.delivery import send_quote
    from tests.conftest import PASSWORD
    from tests.e2e.test_accessibility import violations

    rep, quote = approved
    link = send_quote(quote, rep, CUSTOMER_EMAIL, "Kính gửi chị Chi,", local_today())
    axe_page.goto(link)
    assert violations(axe_page) == []
    axe_page.goto("/login")
    axe_page.get_by_label("Email", exact=True).fill(rep.email)
    axe_page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    axe_page.get_by_role("button", name="Đăng nhập", exact=True).tap()
    axe_page.wait_for_url("**/")
    for path in (f"/quotes/{quote.id}/send", "/contracts"):
        axe_page.goto(path)
        assert violations(axe_page) == [], path
