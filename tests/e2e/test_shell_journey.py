"""What a sales rep sees on a phone: the shell, the tabs, customer search, language, sign in and out."""
import re

import pytest
from playwright.sync_api import expect

from app.seed.demo import DEMO_PASSWORD, load_demo
from tests.e2e.conftest import PHONE_HEIGHT, PHONE_WIDTH
from tests.factories import make_activity, make_customer, make_team, make_user

TABS = ("Hôm nay", "Pipeline", "Khách hàng", "Báo giá", "Thêm")
TAB_PATHS = {"Hôm nay": "/", "Pipeline": "/pipeline", "Khách hàng": "/customers", "Báo giá": "/quotes", "Thêm": "/more"}
DEMO_REP = "an.nguyen@demo.fieldcrm.vn"
DUC_HUNG = "Công ty TNHH Thương mại Đức Hưng"


def tabbar(page):
    return page.get_by_role("navigation", name="Menu chính")


def tab(nav, label):
    """A tab link by its label (Today's accessible name goes on with its badge: "Hôm nay Việc hôm nay: 1")."""
    return nav.get_by_role("link", name=re.compile(rf"^{label}(\s|$)"))


def tab_labels(nav):
    return nav.locator("a.tab > span:not(.tab-badge)")


def mark_document(page):
    """Tag the current document; the tag survives htmx swaps but not a full page load."""
    page.evaluate("window.__sameDocument = true")


def expect_same_document(page):
    assert page.evaluate("window.__sameDocument === true"), "the page was fully reloaded instead of swapped by htmx"


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture()
def rep():
    """A sales rep in a team, with a customer and something due today."""
    user = make_user(team=make_team("Kinh doanh Quận 1"), email="lan.pham@example.vn", name="Phạm Ngọc Lan")
    customer = make_customer(user, name="Nhà thuốc Bình Minh")
    make_activity(user, customer=customer, subject="Gọi xác nhận đơn hàng")  # due later today, local time
    return user


def test_rep_sees_the_phone_shell(page, sign_in, console_errors, screenshot, rep):
    sign_in(rep.email)

    expect(page.get_by_role("heading", level=1)).to_have_text("Hôm nay")
    expect(page.get_by_role("link", name="FieldCRM")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Tìm kiếm")).to_be_visible()
    account = page.get_by_role("link", name=f"Tài khoản: {rep.name}")
    expect(account.locator('[aria-hidden="true"]')).to_have_text("PL")  # initials shown, full name announced
    expect(page.get_by_text("Gọi xác nhận đơn hàng")).to_be_visible()

    nav = tabbar(page)
    expect(nav).to_be_visible()
    tabs = nav.get_by_role("link")
    expect(tabs).to_have_count(len(TABS))
    expect(tab_labels(nav)).to_have_text(list(TABS))
    expect(nav.locator("#today-badge")).to_have_text("Việc hôm nay: 1")  # the call due today; "1" is what shows
    for label in TABS:
        link = tab(nav, label)
        expect(link).to_be_in_viewport(ratio=1)
        box = link.bounding_box()
        assert box["height"] >= 44, f"tab {label!r} is {box['height']} px tall"
        assert box["width"] >= 44, f"tab {label!r} is {box['width']} px wide"
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH, f"tab {label!r} sticks out sideways: {box}"
        assert box["y"] + box["height"] <= PHONE_HEIGHT, f"tab {label!r} is below the screen: {box}"
    expect(tab(nav, "Hôm nay")).to_have_attribute("aria-current", "page")

    assert page_width(page) <= PHONE_WIDTH
    screenshot("shell-today")
    assert console_errors == []


def test_tabs_navigate_without_reloading(page, sign_in, console_errors, screenshot, live_server, rep):
    sign_in(rep.email)
    mark_document(page)
    nav = tabbar(page)

    for label in (*TABS[1:], TABS[0]):
        tab(nav, label).tap()
        expect(page).to_have_url(live_server.url + TAB_PATHS[label])
        expect(page.get_by_role("heading", level=1)).to_have_text(label)
        expect(page).to_have_title(f"{label} · FieldCRM")
        expect(nav.locator("[aria-current=page] > span:not(.tab-badge)")).to_have_text(label)
        assert page_width(page) <= PHONE_WIDTH, f"{label}: the page scrolls sideways"
        screenshot(f"tab-{TAB_PATHS[label].strip('/') or 'today'}")

    expect_same_document(page)
    assert console_errors == []


def test_live_customer_search_with_demo_data(page, sign_in, console_errors, screenshot, live_server):
    load_demo()
    sign_in(DEMO_REP, DEMO_PASSWORD)
    tabbar(page).get_by_role("link", name="Khách hàng").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Khách hàng")
    rows = page.locator("#customer-list > li.list-item")
    expect(rows.first).to_be_visible()
    shown = rows.count()
    assert shown > 5, f"the demo rep should see his customers, saw {shown}"
    mark_document(page)

    page.get_by_role("main").get_by_role("searchbox", name="Tìm kiếm").fill("duc hung")

    result = page.get_by_role("link", name=DUC_HUNG)
    expect(result).to_be_visible()
    expect(page).to_have_url(re.compile(r"/customers\?q=duc(\+|%20)hung$"))
    assert rows.count() < shown, "the list was not filtered"
    expect_same_document(page)
    assert page_width(page) <= PHONE_WIDTH
    screenshot("customers-search")

    result.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(DUC_HUNG)
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    expect(tabbar(page).locator("[aria-current=page] > span:not(.tab-badge)")).to_have_text("Khách hàng")
    assert page_width(page) <= PHONE_WIDTH
    screenshot("customer-card")
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    screenshot("customer-card-bottom")

    page.go_back()  # the search is still there when coming back
    expect(page).to_have_url(re.compile(r"/customers\?q=duc(\+|%20)hung$"))
    expect(page.get_by_role("main").get_by_role("searchbox", name="Tìm kiếm")).to_have_value("duc hung")
    expect(page.get_by_role("link", name=DUC_HUNG)).to_be_visible()
    assert console_errors == []


def test_search_box_with_no_match_says_so(page, sign_in, console_errors, rep):
    sign_in(rep.email)
    page.goto("/customers")
    page.locator("#customer-search").fill("không có ai")
    expect(page.locator("#customer-list")).to_have_text("Không có khách hàng nào khớp với “không có ai”.")
    assert console_errors == []


def test_switch_language_on_more_page(page, sign_in, console_errors, screenshot, live_server, rep):
    sign_in(rep.email)
    nav = tabbar(page)
    nav.get_by_role("link", name="Thêm").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thêm")
    expect(page.get_by_role("button", name="Tiếng Việt")).to_have_attribute("aria-pressed", "true")

    page.get_by_role("button", name="English").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("More")
    expect(page).to_have_url(live_server.url + "/more")
    english_nav = page.get_by_role("navigation", name="Main menu")
    expect(tab_labels(english_nav)).to_have_text(["Today", "Pipeline", "Customers", "Quotes", "More"])
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot("more-english")

    page.reload()  # the choice is remembered, not just swapped in once
    expect(english_nav.get_by_role("link", name="Today")).to_be_visible()

    page.get_by_role("button", name="Tiếng Việt").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thêm")
    expect(tab_labels(tabbar(page))).to_have_text(list(TABS))
    assert console_errors == []


def test_wrong_password_stays_on_login(page, console_errors, screenshot, live_server, rep):
    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("FieldCRM")
    expect(page.get_by_role("navigation", name="Menu chính")).to_have_count(0)
    page.get_by_label("Email", exact=True).fill(rep.email)
    page.get_by_label("Mật khẩu", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Đăng nhập", exact=True).tap()

    password = page.get_by_label("Mật khẩu", exact=True)
    expect(password).to_have_accessible_description("Email hoặc mật khẩu không đúng.")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_value("")
    expect(page.get_by_label("Email", exact=True)).to_have_value(rep.email)
    expect(page.locator(".field-error")).to_have_text(["Email hoặc mật khẩu không đúng."])
    expect(page).to_have_url(live_server.url + "/login")
    assert page_width(page) <= PHONE_WIDTH
    screenshot("login-wrong-password")
    # The 400 answer is logged by the browser and by htmx; nothing else (no CSP violation, no JS error).
    unexpected = [e for e in console_errors if "400" not in e and "htmx:responseError" not in e]
    assert unexpected == []


def sign_out_and_check(page, live_server, screenshot, name):
    tabbar(page).get_by_role("link", name="Thêm").tap()
    page.get_by_role("button", name="Đăng xuất").tap()

    expect(page).to_have_url(live_server.url + "/login")
    expect(page.get_by_role("status")).to_have_text("Bạn đã đăng xuất.")
    expect(page.get_by_role("button", name="Đăng nhập", exact=True)).to_be_visible()
    expect(page.get_by_role("navigation", name="Menu chính")).to_have_count(0)
    screenshot(name)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)$"))
    expect(page.get_by_role("button", name="Đăng nhập", exact=True)).to_be_visible()
    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/login"))


def test_sign_out_from_more(page, sign_in, console_errors, screenshot, live_server, rep):
    sign_in(rep.email, remember=False)
    sign_out_and_check(page, live_server, screenshot, "signed-out")
    assert console_errors == []


def test_sign_out_when_kept_signed_in(page, sign_in, live_server, rep):
    sign_in(rep.email)  # "Ghi nhớ đăng nhập" is ticked by default
    tabbar(page).get_by_role("link", name="Thêm").tap()
    page.get_by_role("button", name="Đăng xuất").tap()
    expect(page.get_by_role("status")).to_have_text("Bạn đã đăng xuất.")
    expect(page).to_have_url(live_server.url + "/login", timeout=1_000)


def test_content_clears_the_tab_bar_right_after_sign_in(page, sign_in, rep):
    for n in range(12):
        make_activity(rep, subject=f"Việc số {n + 1}")
    sign_in(rep.email)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    last = page.locator("#agenda > :last-child").bounding_box()  # the end of the agenda (the note sheet is hidden)
    bar = tabbar(page).bounding_box()
    assert last["y"] + last["height"] <= bar["y"], "the end of the page is hidden under the tab bar"


def test_html_lang_follows_the_language_switch(page, sign_in, rep):
    sign_in(rep.email)
    page.goto("/more")
    page.get_by_role("button", name="English").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("More")
    expect(page.locator("html")).to_have_attribute("lang", "en", timeout=1_000)


def test_untouched_login_fields_are_not_announced_as_invalid(page):
    page.goto("/login")
    for label in ("Email", "Mật khẩu"):
        field = page.get_by_label(label, exact=True)
        expect(field).not_to_have_attribute("aria-invalid", "None", timeout=1_000)
        expect(field).not_to_have_attribute("aria-describedby", "None", timeout=1_000)


def test_field_with_an_error_is_highlighted(page, rep):
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(rep.email)
    page.get_by_label("Mật khẩu", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Đăng nhập", exact=True).tap()
    password = page.get_by_label("Mật khẩu", exact=True)
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_css("border-top-color", "rgb(180, 35, 24)", timeout=1_000)  # --danger
