"""Journeys a rep repeats all day, with their taps counted against budgets (≤ 3 taps + typing)."""
import pytest
from playwright.sync_api import expect

from app.seed.demo import DEMO_PASSWORD, load_demo
from tests.e2e.taps import TapCounter, record

pytestmark = pytest.mark.journey


def test_find_a_customer_and_open_the_card(page, sign_in, console_errors):
    load_demo()
    sign_in("an.nguyen@demo.fieldcrm.vn", password=DEMO_PASSWORD)
    counter = TapCounter(page)
    search = page.get_by_role("search").get_by_role("searchbox").first
    counter.tap(search)
    counter.type(search, "duc hung")
    counter.press(search, "Enter")
    result = page.get_by_role("link", name="Công ty TNHH Thương mại Đức Hưng")
    counter.tap(result)
    expect(page.get_by_role("heading", level=1)).to_have_text("Công ty TNHH Thương mại Đức Hưng")
    record("find a customer and open the card", counter)
    assert counter.taps <= 3
    assert console_errors == []
