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
