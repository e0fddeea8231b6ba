"""Ownership scope: rep sees own, manager sees the team's, admin sees all; others' records are 404."""
import re

import pytest

from app.services.common.scope import visible_to
from app.extensions import db
from app.models import Customer
from tests.factories import make_customer, make_deal, make_team, make_user


@pytest.fixture()
def people():
    north, south = make_team("Miền Bắc"), make_team("Miền Nam")
    return {
        "rep_a": make_user(email="a@example.vn", team=south),
        "rep_b": make_user(email="b@example.vn", team=south),
        "rep_north": make_user(email="north@example.vn", team=north),
        "manager_south": make_user(role="manager", email="ms@example.vn", team=south),
        "manager_north": make_user(role="manager", email="mn@example.vn", team=north),
        "admin": make_user(role="admin", email="admin@example.vn"),
    }


@pytest.mark.parametrize(
    "viewer, expected",
    [("rep_a", 200), ("rep_b", 404), ("rep_north", 404), ("manager_south", 200), ("manager_north", 404), ("admin", 200)],
)
def test_customer_card_access_by_role(client, auth, people, viewer, expected):
    customer = make_customer(people["rep_a"], name="Nhà hàng Phố Biển")
    auth.login(people[viewer].email)
    response = client.get(f"/customers/{customer.id}")
    assert response.status_code == expected
    assert ("Nhà hàng Phố Biển" in response.get_data(as_text=True)) is (expected == 200)


def test_another_reps_customer_looks_exactly_like_a_missing_one(client, auth, people):
    customer = make_customer(people["rep_a"], name="Bí mật")
    auth.login(people["rep_b"].email)
    other = client.get(f"/customers/{customer.id}")
    missing = client.get("/customers/999999")
    assert other.status_code == missing.status_code == 404
    # Identical but for the CSRF token, which carries a timestamp.
    token = re.compile(r'"X-CSRFToken": "[^"]+"|name="csrf_token" value="[^"]+"')
    assert token.sub("", other.get_data(as_text=True)) == token.sub("", missing.get_data(as_text=True))
    fragment = client.get(f"/customers/{customer.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and "Bí mật" not in fragment.get_data(as_text=True)


def test_a_card_shows_only_the_deals_and_notes_the_viewer_may_see(client, auth, people):
    from tests.factories import make_activity

    customer = make_customer(people["rep_a"], name="Khách chung")
    make_deal(customer, title="Cơ hội của A")
    make_deal(customer, title="Cơ hội bí mật của Bắc", owner=people["rep_north"])
    make_activity(people["rep_a"], customer, subject="Ghi chú của A")
    make_activity(people["rep_north"], customer, subject="Ghi chú bí mật của Bắc")
    auth.login(people["rep_a"].email)
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Cơ hội của A" in html and "Ghi chú của A" in html
    assert "bí mật" not in html
    auth.logout()
    auth.login(people["admin"].email)
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Cơ hội bí mật của Bắc" in html and "Ghi chú bí mật của Bắc" in html


def test_anonymous_gets_login_not_the_record(client, people):
    customer = make_customer(people["rep_a"])
    assert client.get(f"/customers/{customer.id}").status_code == 302


def test_lists_and_search_show_only_records_in_scope(client, auth, people):
    make_customer(people["rep_a"], name="Công ty Đức Hưng A")
    make_customer(people["rep_b"], name="Công ty Đức Hưng B")
    make_customer(people["rep_north"], name="Công ty Đức Hưng Bắc")
    auth.login(people["rep_a"].email)
    html = client.get("/customers?q=duc hung").get_data(as_text=True)
    assert "Đức Hưng A" in html and "Đức Hưng B" not in html and "Bắc" not in html
    auth.logout()
    auth.login(people["manager_south"].email)
    html = client.get("/customers?q=duc hung").get_data(as_text=True)
    assert "Đức Hưng A" in html and "Đức Hưng B" in html and "Bắc" not in html


def test_pipeline_totals_count_only_visible_deals(client, auth, people):
    make_deal(make_customer(people["rep_a"]), value_vnd=12_345_000)
    make_deal(make_customer(people["rep_north"]), value_vnd=99_000_000)
    auth.login(people["rep_a"].email)
    html = client.get("/pipeline").get_data(as_text=True)
    assert "12.345.000 ₫" in html and "99.000.000 ₫" not in html
    auth.logout()
    auth.login(people["admin"].email)
    html = client.get("/pipeline").get_data(as_text=True)
    assert "111.345.000 ₫" in html


def test_scope_query_for_a_manager_without_team_is_own_only(people):
    lonely = make_user(role="manager", email="lonely@example.vn")
    mine = make_customer(lonely)
    make_customer(people["rep_a"])
    ids = db.session.scalars(visible_to(Customer, lonely).with_only_columns(Customer.id)).all()
    assert ids == [mine.id]


def test_malformed_ids_are_404(client, auth, people):
    auth.login(people["admin"].email)
    for path in ("/customers/abc", "/customers/1e3", "/customers/-1", "/admin/users/x",
                 "/customers/9223372036854775808", "/admin/users/99999999999999999999", "/deals/9223372036854775808"):
        assert client.get(path).status_code == 404


def test_customer_search_by_phone_in_any_format(client, auth, people):
    make_customer(people["rep_a"], name="Tiệm bánh Hương Xưa", phone="+84903123456")
    auth.login(people["rep_a"].email)
    for query in ("0903 123 456", "0903123456", "+84 903 123 456", "0903", "huong xua", "HƯƠNG XƯA"):
        assert "Tiệm bánh Hương Xưa" in client.get(f"/customers?q={query}").get_data(as_text=True), query
    assert "Tiệm bánh Hương Xưa" not in client.get("/customers?q=0912").get_data(as_text=True)
