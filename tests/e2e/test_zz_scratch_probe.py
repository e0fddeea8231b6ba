from playwright.sync_api import expect
from tests.e2e.test_pipeline_journey import board, rep, open_board, open_menu, card, column_cards, expect_head, stage  # noqa

def test_probe(page, sign_in, rep, board):
    big, small = board["big"], board["small"]
    open_board(page, sign_in, rep)
    open_menu(page, big).get_by_role("button", name="Đàm phán", exact=True).tap()
    expect_head(page, "negotiation", 1, 10_000_000)
    print("SWITCHER", page.locator(".stage-switcher").inner_text().replace("\n", " | "))
    print("NEGOTIATION LIST", column_cards(page, "negotiation").inner_text().replace("\n", " | "))
    open_menu(page, small).get_by_role("button", name="Đàm phán", exact=True).tap()
    expect_head(page, "new", 0, 0)
    print("NEW LIST", repr(column_cards(page, "new").inner_html()))
    page.screenshot(path="/tmp/pj_shots/probe.png")
