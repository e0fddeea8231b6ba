"""axe-core on every main page at 390×844: serious or critical violations fail."""
from pathlib import Path

import pytest

from app.seed.demo import DEMO_PASSWORD, load_demo

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
MAIN_PAGES = ["/", "/pipeline", "/customers", "/customers/{customer}", "/quotes", "/more", "/admin/users",
              "/customers/new", "/customers/{customer}/edit", "/customers/{customer}/notes/new", "/customers/import",
              "/customers/imports", "/customers/duplicates", "/customers/merges", "/customers/merge?a={customer}&b={other}"]


@pytest.fixture()
def axe_page(browser, browser_context_args):
    if not AXE.exists():
        pytest.fail("axe-core missing: run `npm ci` (make test does it)", pytrace=False)
    # bypass_csp: the page forbids injected scripts, and axe has to be injected.
    context = browser.new_context(**browser_context_args, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def violations(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def test_login_page_has_no_serious_violations(axe_page):
    axe_page.goto("/login")
    assert violations(axe_page) == []


def test_main_pages_have_no_serious_violations(axe_page):
    load_demo()
    from app.extensions import db
    from app.models import Customer, User

    admin = User.by_email("admin@demo.fieldcrm.vn")
    customer, other = db.session.scalars(db.select(Customer).order_by(Customer.id).limit(2)).all()
    axe_page.goto("/login")
    axe_page.get_by_label("Email", exact=True).fill(admin.email)
    axe_page.get_by_label("Mật khẩu", exact=True).fill(DEMO_PASSWORD)
    axe_page.get_by_role("button", name="Đăng nhập", exact=True).tap()
    axe_page.wait_for_url("**/")
    found = {}
    for path in MAIN_PAGES:
        axe_page.goto(path.format(customer=customer.id, other=other.id))
        problems = violations(axe_page)
        if problems:
            found[path] = problems
    assert found == {}
