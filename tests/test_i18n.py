"""Vietnamese by default and complete; English complete; the choice sticks to the user."""
import subprocess
import sys

from babel.messages.pofile import read_po

from app.extensions import db
from app.models import User
from tests.factories import make_user

PO_PATH = "app/translations/vi/LC_MESSAGES/messages.po"


def test_every_message_in_the_code_has_a_vietnamese_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_ngettext:1,2", "-k", "gettext_once", "-k", "lazy_pgettext:1c,2",
         "--ignore-dirs", ".* __pycache__", "-o", str(pot), "."],
        check=True, capture_output=True,
    )
    with open(pot, "rb") as fh:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    with open(PO_PATH, "rb") as fh:
        catalog = read_po(fh, locale="vi")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and "fuzzy" not in m.flags and (m.string if isinstance(m.string, str) else all(m.string))
    }
    missing = sorted(extracted - translated)
    assert missing == [], f"untranslated into Vietnamese: {missing}"


def test_login_page_is_vietnamese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html and "Mật khẩu" in html and "Ghi nhớ đăng nhập" in html


def test_anonymous_visitor_can_switch_to_english(client, auth):
    auth.post("/language", {"lang": "en", "next": "/login"}, token_path="/login")
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign in" in html and "Password" in html


def test_the_choice_is_saved_on_the_user_and_follows_them(app, client, auth):
    make_user(email="an@example.vn")
    auth.login("an@example.vn")
    assert auth.post("/language", {"lang": "en", "next": "/more"}).headers["Location"] == "/more"
    db.session.expire_all()
    assert User.by_email("an@example.vn").locale == "en"
    other = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(other).login("an@example.vn")
    assert "Today" in other.get("/").get_data(as_text=True)


def test_unknown_language_changes_nothing(client, auth):
    make_user(email="an@example.vn")
    auth.login("an@example.vn")
    auth.post("/language", {"lang": "fr"})
    assert User.by_email("an@example.vn").locale == "vi"
    assert "Hôm nay" in client.get("/").get_data(as_text=True)


def test_money_on_pages_follows_the_language(client, auth):
    from tests.factories import make_customer, make_deal

    user = make_user(email="an@example.vn")
    make_deal(make_customer(user), value_vnd=12_345_000)
    auth.login("an@example.vn")
    assert "12.345.000 ₫" in client.get("/pipeline").get_data(as_text=True)
    auth.post("/language", {"lang": "en"})
    assert "12,345,000 ₫" in client.get("/pipeline").get_data(as_text=True)
