"""Demo data and the command-line tools."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, Customer, Deal, Product, Stage, User
from app.seed.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from tests.conftest import AuthActions


def counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in (User, Customer, Deal, Activity, Product, Stage)}


def test_demo_data_is_realistic_and_loads_once(runner):
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    first = counts()
    assert first["User"] == 5 and 50 <= first["Customer"] <= 80 and 30 <= first["Deal"] <= 60 and first["Product"] == 15
    assert {s.key for s in db.session.scalars(select(Stage))} == {"new", "consulting", "quote_sent", "negotiation", "won", "lost"}
    for email, _role in DEMO_LOGINS["users"]:
        assert email in result.output
    again = runner.invoke(args=["seed", "demo"])
    assert again.exit_code == 0 and counts() == first


def test_demo_rep_finds_duc_hung_without_diacritics_and_has_work_today(app):
    load_demo()
    client = app.test_client()
    AuthActions(client).login("an.nguyen@demo.fieldcrm.vn", password=DEMO_PASSWORD)
    html = client.get("/customers?q=duc hung").get_data(as_text=True)
    assert "Công ty TNHH Thương mại Đức Hưng" in html
    today = client.get("/").get_data(as_text=True)
    assert "Quá hạn" in today and "Nothing scheduled" not in today and "Hôm nay chưa có lịch." not in today


def test_cli_creates_users_and_refuses_duplicates(runner):
    result = runner.invoke(args=["users", "create", "--email", "Ha@Example.vn", "--name", "Phạm Thu Hà",
                                 "--role", "manager", "--team", "Miền Nam", "--password", "mat-khau-123"])
    assert result.exit_code == 0, result.output
    user = User.by_email("ha@example.vn")
    assert (user.role, user.team.name, user.name) == ("manager", "Miền Nam", "Phạm Thu Hà")
    assert user.check_password("mat-khau-123")
    duplicate = runner.invoke(args=["users", "create", "--email", "ha@example.vn", "--password", "mat-khau-123"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output


def test_cli_can_print_an_invitation_link_instead(runner):
    result = runner.invoke(args=["users", "create", "--email", "new@example.vn", "--invite"])
    assert result.exit_code == 0 and "/invite/" in result.output
    assert User.by_email("new@example.vn").password_hash is None
