"""The customer list and card on a phone: live search and filters, infinite scroll, the timeline's "more"."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.models.base import utcnow
from tests.e2e.conftest import PHONE_WIDTH
from tests.factories import make_activity, make_customer, make_team, make_user


@pytest.fixture()
def rep():
    user = make_user(team=make_team("Kinh doanh Quận 1"), email="lan.pham@example.vn", name="Phạm Ngọc Lan")
    now = utcnow()
    for n in range(28):
        make_customer(user, name=f"Cửa hàng số {n:02d}", lifecycle="customer" if n % 2 else "lead",
                      updated_at=now - timedelta(minutes=n))
    duc_hung = make_customer(user, name="Công ty Đức Hưng", phone="+84903123456", lat=10.77, lng=106.7,
                             updated_at=now - timedelta(days=1))
    for n in range(25):
        make_activity(user, duc_hung, subject=f"Ghi chú {n:02d}", created_at=now - timedelta(hours=n), done_at=now)
    return user


def rows(page):
    return page.locator("#customer-list > li.list-item")


def test_search_filters_and_scrolling_on_a_phone(page, sign_in, console_errors, screenshot, live_server, rep):
    sign_in(rep.email)
    page.goto("/customers")
    expect(rows(page)).to_have_count(20)
    page.evaluate("window.__sameDocument = true")

    page.locator("#customer-search").fill("duc hung")
    expect(rows(page)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/customers\?q=duc(\+|%20)hung$"))  # only what is set, no empty fields

    page.locator("#customer-search").fill("")
    expect(rows(page)).to_have_count(20)
    page.get_by_text("Lọc và sắp xếp").tap()
    page.locator("#filter-lifecycle").select_option("customer")
    expect(rows(page)).to_have_count(14)
    expect(page).to_have_url(re.compile(r"/customers\?lifecycle=customer$"))
    expect(page.get_by_role("link", name="Xuất tệp CSV")).to_have_attribute("href", "/customers/export.csv?lifecycle=customer")

    page.locator("#filter-lifecycle").select_option("")
    expect(rows(page)).to_have_count(20)
    page.locator("#customer-list > li.more").scroll_into_view_if_needed()
    expect(rows(page)).to_have_count(29)  # the next page arrived on its own
    assert page.evaluate("window.__sameDocument === true"), "the list reloaded the page instead of swapping"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    screenshot("customers-filtered")
    assert console_errors == []


def test_the_card_timeline_loads_more_as_it_scrolls(page, sign_in, console_errors, screenshot, rep):
    sign_in(rep.email)
    page.goto("/customers?q=duc+hung")
    page.get_by_role("link", name="Công ty Đức Hưng").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Công ty Đức Hưng")
    expect(page.get_by_role("link", name="Zalo")).to_have_attribute("href", "https://zalo.me/0903123456")
    entries = page.locator("#customer-timeline > li.timeline-entry")
    expect(entries).to_have_count(20)
    page.locator("#customer-timeline > li.more").scroll_into_view_if_needed()
    expect(entries).to_have_count(25)
    expect(entries.last).to_contain_text("Ghi chú 24")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    screenshot("customer-card-actions")
    assert console_errors == []
