"""Calls and visits on a phone: find a customer typed without diacritics, call, come back to the card and
the note sheet opens by itself; log a call from Today in three taps; check in and out at the customer."""
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Customer
from tests.e2e.taps import TapCounter, record
from tests.factories import make_activity, make_customer, make_team, make_user

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DUC_HUNG = "Công ty TNHH Thương mại Đức Hưng"
CUSTOMER_AT = (10.772450, 106.698060)  # Chợ Bến Thành

# The phone's dialer takes over a tel: link. Headless Chromium has none, and a tel: navigation there leaves
# a pending external-protocol launch that blocks the next taps; the dialer's part is played by cancelling the
# navigation after the page's own click handlers have seen the tap.
NO_DIALER = """document.addEventListener("click", (event) => {
    if (event.target.closest('a[href^="tel:"]')) event.preventDefault();
})"""


@pytest.fixture()
def rep():
    return make_user(team=make_team("Kinh doanh Quận 1"), email="hoa.le@example.vn", name="Lê Thị Hoa")


@pytest.fixture()
def duc_hung(rep):
    make_customer(rep, name="Cửa hàng Hưng Thịnh")  # "hung" alone matches it too: "duc hung" must not
    return make_customer(rep, name=DUC_HUNG, phone="+84903123456", lat=CUSTOMER_AT[0], lng=CUSTOMER_AT[1])


def sheet(page):
    return page.locator("#note-sheet")


def chip(page, value):
    """The outcome or next-step chip whose radio has this value."""
    return sheet(page).locator("label.chip-choice").filter(has=page.locator(f'input[value="{value}"]'))


def leave_and_come_back(page, away_ms):
    """The phone app (dialer, Zalo) takes the screen for away_ms, then the rep returns to the browser.

    Headless Chromium never hides a page, so the page is told it is hidden, and visible again, exactly as
    a phone's browser tells it: document.visibilityState and a visibilitychange event.
    """
    page.evaluate("""(away) => new Promise((resolve) => {
        const become = (state) => {
            Object.defineProperty(document, "visibilityState", { configurable: true, get: () => state });
            Object.defineProperty(document, "hidden", { configurable: true, get: () => state === "hidden" });
            document.dispatchEvent(new Event("visibilitychange"));
        };
        become("hidden");
        setTimeout(() => { become("visible"); resolve(); }, away);
    })""", away_ms)


def activities_of(customer):
    db.session.expire_all()
    return db.session.scalars(select(Activity).where(Activity.customer_id == customer.id).order_by(Activity.id)).all()


def local_due(days, hour=9):
    return datetime.combine(datetime.now(HCM).date() + timedelta(days=days), time(hour), tzinfo=HCM)


def test_call_a_customer_and_the_note_sheet_opens_on_return(page, sign_in, console_errors, screenshot, rep, duc_hung):
    sign_in(rep.email)
    counter = TapCounter(page)
    counter.tap(page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Khách hàng"))
    search = page.locator("#customer-search")
    counter.tap(search)
    counter.type(search, "duc hung")
    expect(page.get_by_role("link", name=re.compile("Hưng Thịnh"))).to_have_count(0)
    counter.tap(page.get_by_role("link", name=re.compile("Đức Hưng")))
    expect(page.get_by_role("heading", level=1)).to_have_text(DUC_HUNG)
    assert counter.taps <= 3  # "find a customer and open the card" (recorded by test_journeys.py)
    expect(sheet(page)).to_be_hidden()

    page.evaluate(NO_DIALER)
    page.locator('a[href^="tel:"]').first.tap()
    leave_and_come_back(page, 400)  # a flick back to the browser: not a call, no sheet
    page.wait_for_timeout(300)
    expect(sheet(page)).to_be_hidden()
    leave_and_come_back(page, 3_300)  # the call

    expect(sheet(page)).to_be_visible()
    expect(sheet(page).locator("form[data-note-form]")).to_contain_text(DUC_HUNG)
    expect(chip(page, "in_2_days").locator("input")).to_be_checked()  # the default next step
    assert page.evaluate("sessionStorage.getItem('fieldcrm.noteAfterCall')") is None  # the pending call is used up
    assert page.evaluate("localStorage.length") == 0
    screenshot("customer-note-sheet")

    chip(page, "call_back").tap()
    sheet(page).locator("textarea[name=body]").fill("Anh Hưng hẹn gọi lại sau khi họp <b>giá</b>")
    sheet(page).locator("button[type=submit]").tap()

    expect(sheet(page)).to_be_hidden()
    timeline = page.locator("#customer-timeline")
    expect(timeline).to_contain_text("Anh Hưng hẹn gọi lại sau khi họp <b>giá</b>")  # shown as text, not markup
    expect(page.locator("#flashes .flash-success")).to_be_visible()
    screenshot("customer-note-saved")
    note, follow_up = activities_of(duc_hung)
    assert (note.kind, note.outcome, note.done_at is not None) == ("call", "call_back", True)
    assert (follow_up.kind, follow_up.done_at, follow_up.due_at) == ("call", None, local_due(2))
    assert db.session.get(Customer, duc_hung.id).last_contact_at == note.done_at

    # Back again later without a new call: the sheet stays closed.
    leave_and_come_back(page, 3_300)
    page.wait_for_timeout(300)
    expect(sheet(page)).to_be_hidden()
    assert console_errors == []


@pytest.mark.journey
def test_log_a_call_note_from_today_in_three_taps(page, sign_in, console_errors, screenshot, rep, duc_hung):
    item = make_activity(rep, customer=duc_hung, subject="Gọi xác nhận đơn hàng", due_in=-timedelta(hours=1))
    make_activity(rep, customer=duc_hung, subject="Gửi báo giá", kind="task", due_in=-timedelta(hours=2))
    sign_in(rep.email)
    row = page.locator("#agenda li").filter(has_text="Gọi xác nhận đơn hàng")
    expect(row).to_have_count(1)
    screenshot("today-with-note-buttons")

    counter = TapCounter(page)
    counter.tap(row.locator("[data-note-open]"))
    expect(sheet(page)).to_be_visible()
    expect(sheet(page).locator("form[data-note-form]")).to_contain_text(DUC_HUNG)
    counter.tap(chip(page, "reached"))
    screenshot("today-note-sheet")
    counter.tap(sheet(page).locator("button[type=submit]"))

    expect(sheet(page)).to_be_hidden()
    expect(row).to_have_count(0)  # answered: off the agenda
    expect(page.locator("#agenda li").filter(has_text="Gửi báo giá")).to_have_count(1)
    record("log a call note from Today", counter)
    assert counter.taps <= 3
    assert counter.keys == 0
    db.session.expire_all()
    assert db.session.get(Activity, item.id).done_at is not None
    calls = [a for a in activities_of(duc_hung) if a.kind == "call" and a.id != item.id]
    assert [(a.outcome, a.done_at is None) for a in calls] == [("reached", False), (None, True)]
    assert console_errors == []


def test_check_in_and_out_at_the_customer(page, sign_in, console_errors, screenshot, live_server, rep, duc_hung):
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": CUSTOMER_AT[0] + 0.00108, "longitude": CUSTOMER_AT[1], "accuracy": 15})
    sign_in(rep.email)
    page.goto(f"/customers/{duc_hung.id}")

    page.locator("form[data-checkin] button").tap()

    status = page.locator("[data-visit-status]")
    expect(status).to_contain_text("120 m")
    [visit] = [a for a in activities_of(duc_hung) if a.kind == "visit"]
    assert (visit.distance_m, visit.accuracy_m, visit.checked_out_at) == (120, 15, None)
    expect(page.locator("#customer-timeline li").first).to_contain_text("120 m")
    screenshot("customer-checked-in")

    page.locator(f'form[action="/visits/{visit.id}/checkout"] button').tap()
    expect(page.locator("form[data-checkin] button")).to_be_visible()  # "Check in" again
    expect(status).to_contain_text("Viếng thăm 0 phút")
    db.session.expire_all()
    assert db.session.get(Activity, visit.id).checked_out_at is not None
    assert console_errors == []


def test_check_in_when_location_is_refused(page, sign_in, console_errors, rep, duc_hung):
    page.context.clear_permissions()
    sign_in(rep.email)
    page.goto(f"/customers/{duc_hung.id}")
    page.locator("form[data-checkin] button").tap()
    expect(page.locator("[data-visit-status]")).to_be_visible()
    [visit] = [a for a in activities_of(duc_hung) if a.kind == "visit"]
    assert (visit.lat, visit.distance_m) == (None, None)
    assert visit.body in ("Không có vị trí: chưa được cấp quyền", "Không có vị trí: không xác định được vị trí")
    assert console_errors == []
