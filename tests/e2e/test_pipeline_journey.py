"""The pipeline board on a phone: move a deal by the tap menu or by dragging, lost needs a reason,
won asks first, a stale card is refreshed instead of overwritten."""
from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, Customer, Deal, DealStageChange
from tests.conftest import PASSWORD
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.taps import TapCounter, record
from tests.factories import make_customer, make_deal, make_team, make_user, stage

STALE_NOTICE = "Dữ liệu vừa được người khác cập nhật — đây là bản mới nhất."
LOST_REASON_NEEDED = "Hãy nhập lý do thua."


# --- expected values, computed here rather than by the app ------------------------------------

def vnd(amount):
    """12345000 → "12.345.000 ₫"."""
    return f"{amount:,}".replace(",", ".") + " ₫"


def weighted(amount, probability):
    """amount × probability %, rounded half up to whole đồng."""
    return int((Decimal(amount) * probability / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- the board ---------------------------------------------------------------------------------

def card(page, deal):
    return page.locator(f"#deal-{deal.id}")


def column_cards(page, stage_key):
    return page.locator(f"#stage-{stage(stage_key).id}-cards")


def open_menu(page, deal):
    """Tap "Chuyển sang…" on a deal's card; returns the card."""
    the_card = card(page, deal)
    the_card.get_by_text("Chuyển sang…", exact=True).tap()
    expect(the_card.locator("details.move-menu")).to_have_attribute("open", "")
    return the_card


def expect_head(page, stage_key, count, total):
    """A column header shows its name and count, the total and the weighted total, in Vietnamese format."""
    the_stage = stage(stage_key)
    head = page.locator(f"#stage-{the_stage.id}-head")
    expect(head.get_by_role("heading", level=2)).to_have_text(f"{the_stage.name_vi} {count}")
    expect(head.locator("[data-total]")).to_have_text(vnd(total))
    expect(head.locator("[data-weighted]")).to_have_text(vnd(weighted(total, the_stage.probability)))
    expect(head).to_contain_text(f"{the_stage.probability}% · Dự kiến")


def expect_in_column(page, deal, stage_key):
    expect(column_cards(page, stage_key).locator(f"#deal-{deal.id}")).to_have_count(1)
    expect(card(page, deal)).to_have_count(1)  # moved, not copied


def mark_document(page):
    page.evaluate("window.__marker = 1")


def expect_same_document(page):
    assert page.evaluate("window.__marker") == 1, "the board was fully reloaded instead of swapped by htmx"


def only_expected_errors(errors, status):
    """Console errors other than the ones a deliberate 4xx answer logs (browser and htmx)."""
    return [e for e in errors if str(status) not in e and "htmx:responseError" not in e]


# --- the database --------------------------------------------------------------------------------

def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def stage_changes(deal):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(DealStageChange).where(DealStageChange.deal_id == deal.id))


@pytest.fixture()
def rep():
    return make_user(team=make_team("Kinh doanh Quận 3"), email="minh.tran@example.vn", name="Trần Văn Minh")


@pytest.fixture()
def board(rep):
    """Two deals in Mới (10.000.000 ₫ and 5.000.000 ₫) and one in Đang tư vấn.

    1.234.566 ₫ makes the weighted Đang tư vấn total end in exactly half a đồng after the move.
    """
    big = make_deal(make_customer(rep, name="Công ty CP Xây dựng Hòa Bình"), "new",
                    title="Máy lọc nước văn phòng", value_vnd=10_000_000)
    small = make_deal(make_customer(rep, name="Nhà hàng Sen Vàng"), "new", title="Bảo trì định kỳ", value_vnd=5_000_000)
    consulting = make_deal(make_customer(rep, name="Trường Tiểu học Lê Lợi"), "consulting",
                           title="Lắp đặt 20 máy", value_vnd=1_234_566)
    return {"big": big, "small": small, "consulting": consulting}


def open_board(page, sign_in, rep):
    sign_in(rep.email)
    page.goto("/pipeline")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline")
    mark_document(page)
    return page


# --- 1. the tap menu ---------------------------------------------------------------------------------

def test_move_a_card_with_the_tap_menu(page, sign_in, console_errors, screenshot, rep, board):
    big, consulting = board["big"], board["consulting"]
    open_board(page, sign_in, rep)
    expect_head(page, "new", 2, 15_000_000)
    expect_head(page, "consulting", 1, 1_234_566)
    expect_in_column(page, big, "new")
    screenshot("pipeline-board")

    the_card = open_menu(page, big)
    choices = the_card.locator(".move-options").get_by_role("button")
    expect(choices).to_have_text(["Đang tư vấn", "Đã gửi báo giá", "Đàm phán"])  # not Mới: it is there already
    expect(the_card.get_by_role("button", name="Thắng", exact=True)).to_be_visible()
    expect(the_card.get_by_role("button", name="Thua", exact=True)).to_be_attached()
    screenshot("pipeline-card-menu")

    the_card.get_by_role("button", name="Đang tư vấn", exact=True).tap()

    expect_in_column(page, big, "consulting")
    expect(column_cards(page, "consulting").locator("li.deal-card").first).to_have_id(f"deal-{big.id}")  # on top
    expect_head(page, "new", 1, 5_000_000)
    expect_head(page, "consulting", 2, 11_234_566)
    assert weighted(11_234_566, 25) == 2_808_642  # 2.808.641,5 rounded half up
    expect(page.locator(f"#stage-{stage('consulting').id}-head [data-weighted]")).to_have_text("2.808.642 ₫")
    expect(page.locator(f"#stage-{stage('new').id}-head [data-weighted]")).to_have_text("500.000 ₫")
    expect(card(page, big).locator("details.move-menu")).not_to_have_attribute("open", "")  # the menu closed
    expect_same_document(page)
    assert fresh(Deal, big.id).stage.key == "consulting"
    assert stage_changes(big) == 1
    assert fresh(Deal, consulting.id).stage.key == "consulting"
    assert console_errors == []


# --- 2. dragging (desktop-sized page: on a phone the board shows one column per screen) ----------

@pytest.fixture()
def desktop_page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, has_touch=False, is_mobile=False,
                                  locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", base_url=live_server.url)
    desktop = context.new_page()
    desktop.set_default_timeout(5_000)
    yield desktop
    context.close()


def drag(page, source, target, steps=20):
    """A real mouse drag: press on source, move in steps to the middle of target, release."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2 + 10, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=steps)
    page.mouse.up()


def test_drag_a_card_to_the_next_column(desktop_page, live_server, rep, board):
    page, big = desktop_page, board["big"]
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(rep.email)
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto("/pipeline")
    expect_head(page, "new", 2, 15_000_000)
    mark_document(page)
    # The drag library loads after the page (only at widths where columns stand side by side): wait for it
    # as a user's first drag would, instead of dragging in the few milliseconds before it is there.
    for key in ("new", "consulting"):
        expect(column_cards(page, key)).to_have_attribute("data-sortable", "on")

    # Grab the card by its meta line: the card's link, menu and buttons are its tap targets.
    drag(page, card(page, big).locator(".card-meta"), column_cards(page, "consulting"))

    expect_head(page, "new", 1, 5_000_000)  # the headers only change once the server has answered
    expect_head(page, "consulting", 2, 11_234_566)
    expect_in_column(page, big, "consulting")
    expect(column_cards(page, "consulting").locator("li.deal-card").first).to_have_id(f"deal-{big.id}")
    expect_same_document(page)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "pipeline-desktop-after-drag.png"))
    assert fresh(Deal, big.id).stage.key == "consulting"
    change = db.session.scalars(select(DealStageChange).where(DealStageChange.deal_id == big.id)).all()
    assert [(c.from_stage.key, c.to_stage.key, c.changed_by_id) for c in change] == [("new", "consulting", rep.id)]
    # Sortable leaves style="transition: …" on the dropped card; htmx copies the old card's attributes onto
    # the new one (same id, same list) with setAttribute("style"), which the CSP blocks and reports.
    assert errors == []


# --- 3. lost needs a reason ----------------------------------------------------------------------

def test_lost_needs_a_reason(page, sign_in, console_errors, screenshot, rep, board):
    big = board["big"]
    moves = []
    page.on("request", lambda r: moves.append(r.url) if r.method == "POST" and r.url.endswith("/move") else None)
    open_board(page, sign_in, rep)
    the_card = open_menu(page, big)
    reason = the_card.get_by_label("Lý do thua")
    expect(the_card.locator(f"#lost-reasons-{big.id} option").first).to_have_attribute("value", "Giá cao hơn đối thủ")

    # Empty: the browser's `required` stops it before anything is sent.
    the_card.get_by_role("button", name="Thua", exact=True).tap()
    expect(reason).to_be_focused()
    assert reason.evaluate("el => el.validity.valueMissing")
    assert moves == []

    # Only spaces pass `required`; the server refuses and says why, and the card stays with its menu open.
    reason.fill("   ")
    the_card.get_by_role("button", name="Thua", exact=True).tap()
    expect(the_card.get_by_role("alert")).to_have_text(LOST_REASON_NEEDED)
    expect(the_card.locator("details.move-menu")).to_have_attribute("open", "")
    expect_in_column(page, big, "new")
    expect_head(page, "new", 2, 15_000_000)
    assert fresh(Deal, big.id).stage.key == "new"
    assert stage_changes(big) == 0
    screenshot("pipeline-lost-reason-needed")

    # A suggested reason (what picking it from the list types in), then Thua.
    the_card.get_by_label("Lý do thua").fill("Giá cao hơn đối thủ")
    the_card.get_by_role("button", name="Thua", exact=True).tap()

    expect_in_column(page, big, "lost")
    expect_head(page, "lost", 1, 10_000_000)
    expect_head(page, "new", 1, 5_000_000)
    expect(card(page, big).get_by_role("alert")).to_have_count(0)
    expect_same_document(page)
    deal = fresh(Deal, big.id)
    assert (deal.stage.key, deal.lost_reason) == ("lost", "Giá cao hơn đối thủ")
    assert deal.closed_at is not None
    assert stage_changes(big) == 1
    assert len(moves) == 2
    assert only_expected_errors(console_errors, 422) == []


# --- 4. won asks first ---------------------------------------------------------------------------

def test_won_asks_for_confirmation(page, sign_in, console_errors, rep, board):
    big = board["big"]
    questions = []
    open_board(page, sign_in, rep)

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    open_menu(page, big).get_by_role("button", name="Thắng", exact=True).tap()
    assert questions == ["Đánh dấu “Máy lọc nước văn phòng” là Thắng?"]
    expect_in_column(page, big, "new")
    expect_head(page, "won", 0, 0)
    assert fresh(Deal, big.id).stage.key == "new"
    assert stage_changes(big) == 0

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    card(page, big).get_by_role("button", name="Thắng", exact=True).tap()

    expect_in_column(page, big, "won")
    expect_head(page, "won", 1, 10_000_000)
    expect_head(page, "new", 1, 5_000_000)
    expect_same_document(page)
    assert len(questions) == 2
    deal = fresh(Deal, big.id)
    assert deal.stage.key == "won" and deal.closed_at is not None
    assert db.session.get(Customer, deal.customer_id).lifecycle == "customer"
    handover = db.session.scalars(select(Activity).where(Activity.deal_id == big.id)).all()
    assert [(a.subject, a.kind, a.owner_id, a.done_at) for a in handover] == [
        ("Bàn giao: Máy lọc nước văn phòng", "task", rep.id, None)
    ]
    assert stage_changes(big) == 1
    assert console_errors == []


def test_a_card_moved_into_an_empty_column_replaces_its_placeholder(page, sign_in, console_errors, rep, board):
    big = board["big"]
    open_board(page, sign_in, rep)
    placeholder = column_cards(page, "negotiation").get_by_text("Chưa có cơ hội nào.")
    expect(placeholder).to_be_visible()

    open_menu(page, big).get_by_role("button", name="Đàm phán", exact=True).tap()

    expect_in_column(page, big, "negotiation")
    expect_head(page, "negotiation", 1, 10_000_000)
    expect(placeholder).to_be_hidden()  # "no deals here" under a deal would be wrong
    assert console_errors == []


# --- 5. a card changed meanwhile ---------------------------------------------------------------

def test_stale_card_is_refreshed_not_moved(page, sign_in, console_errors, screenshot, rep, board):
    big = board["big"]
    open_board(page, sign_in, rep)
    expect(card(page, big).locator(".card-title")).to_have_text("Máy lọc nước văn phòng")

    deal = fresh(Deal, big.id)  # someone else edits the deal: its version goes up
    deal.title = "Đã đổi"
    db.session.commit()
    assert deal.version == 2

    open_menu(page, big).get_by_role("button", name="Đang tư vấn", exact=True).tap()

    the_card = card(page, big)
    expect(the_card.get_by_role("status")).to_have_text(STALE_NOTICE)
    expect(the_card.locator(".card-title")).to_have_text("Đã đổi")
    expect_in_column(page, big, "new")
    expect_head(page, "new", 2, 15_000_000)
    expect_head(page, "consulting", 1, 1_234_566)
    expect_same_document(page)
    assert fresh(Deal, big.id).stage.key == "new"
    assert stage_changes(big) == 0
    screenshot("pipeline-stale-card")

    # The refreshed card carries the new version: moving it now works.
    open_menu(page, big).get_by_role("button", name="Đang tư vấn", exact=True).tap()
    expect_in_column(page, big, "consulting")
    expect(card(page, big).get_by_role("status")).to_have_count(0)
    expect_head(page, "consulting", 2, 11_234_566)
    assert fresh(Deal, big.id).stage.key == "consulting"
    assert stage_changes(big) == 1
    assert only_expected_errors(console_errors, 409) == []


# --- 6. counted journey --------------------------------------------------------------------------

@pytest.mark.journey
def test_move_a_deal_to_the_next_stage_in_two_taps(page, sign_in, console_errors, rep, board):
    big = board["big"]
    open_board(page, sign_in, rep)
    counter = TapCounter(page)
    the_card = card(page, big)
    counter.tap(the_card.get_by_text("Chuyển sang…", exact=True))
    counter.tap(the_card.get_by_role("button", name="Đang tư vấn", exact=True))
    expect_in_column(page, big, "consulting")
    expect_head(page, "consulting", 2, 11_234_566)
    record("move a deal to the next stage", counter)
    assert counter.taps <= 2
    assert counter.keys == 0
    assert console_errors == []
