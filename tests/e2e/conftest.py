"""Browser journeys: Debian's Chromium driven by Playwright, posing as a phone, against the live server."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
PHONE_WIDTH, PHONE_HEIGHT = 390, 844


def pytest_collection_modifyitems(config, items):
    """Every test under tests/e2e is a browser journey."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium missing: apt-get install -y chromium", pytrace=False)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {
        **browser_context_args,
        "viewport": {"width": PHONE_WIDTH, "height": PHONE_HEIGHT},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
        "user_agent": IPHONE_SAFARI,
        "locale": "vi-VN",
        "timezone_id": "Asia/Ho_Chi_Minh",
        "base_url": live_server.url,
    }


@pytest.fixture(autouse=True)
def _quick_failures(page):
    """A page here answers in milliseconds: fail after 5 s rather than Playwright's 30 s."""
    page.set_default_timeout(5_000)


@pytest.fixture()
def console_errors(page):
    """Console errors and uncaught exceptions of the page (a CSP violation shows up as a console error)."""
    errors = []

    def on_console(msg):
        if msg.type == "error":
            where = msg.location
            errors.append(f"console: {msg.text} [{page.url} @ {where.get('url')}:{where.get('lineNumber')}]")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    yield errors


@pytest.fixture()
def sign_in(page, live_server):
    """sign_in(email, password=PASSWORD, remember=True): through the real login form, ending on Today."""

    def _sign_in(email, password=PASSWORD, remember=True):
        page.goto("/login")
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Mật khẩu", exact=True).fill(password)
        page.get_by_label("Ghi nhớ đăng nhập").set_checked(remember)
        page.get_by_role("button", name="Đăng nhập", exact=True).tap()
        expect(page).to_have_url(f"{live_server.url}/")
        return page

    return _sign_in


@pytest.fixture()
def screenshot(page):
    """screenshot(name): save what the phone's screen shows to test-results/<name>.png.

    Not full_page: a full-page capture draws the fixed tab bar in the middle of the page.
    """

    def _screenshot(name, full_page=False):
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        # caret="initial": hiding the caret leaves style="" on the focused input, and htmx's next
        # history snapshot re-parses it, which the CSP reports as a blocked inline style.
        page.screenshot(path=str(path), full_page=full_page, caret="initial")
        return path

    return _screenshot
