"""Customer list (search, filters, sort, infinite scroll), the customer card and its timeline, all within scope."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import Activity
from app.models.base import utcnow
from tests.factories import (make_activity, make_contact, make_customer, make_deal, make_stage_change, make_team,
                             make_user)


@pytest.fixture()
def people():
    south, north = make_team("Miền Nam"), make_team("Miền Bắc")
    return {
        "rep": make_user(email="an@example.vn", name="Nguyễn Văn An", team=south),
        "colleague": make_user(email="binh@example.vn", name="Trần Thị Bình", team=south),
        "north": make_user(email="chi@example.vn", name="Lê Minh Chi", team=north),
        "manager": make_user(role="manager", email="ha@example.vn", name="Phạm Thu Hà", team=south),
    }


@pytest.fixture()
def rep(people, auth):
    auth.login(people["rep"].email)
    return people["rep"]


def names_in(html):
    """Customer names of the list rows, in order."""
    return re.findall(r'<a class="list-main" href="/customers/\d+">\s*<strong>([^<]+)</strong>', html)


def listing(client, query="", **headers):
    return client.get("/customers" + (f"?{query}" if query else ""), headers=headers).get_data(as_text=True)


# --- Search -----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["duc hung", "ĐỨC HƯNG", "Đức   hưng", "DUC", "đức"])
def test_search_ignores_diacritics_and_case(client, rep, typed):
    make_customer(rep, name="Công ty TNHH Đức Hưng")
    make_customer(rep, name="Nhà hàng Phố Biển")
    assert names_in(listing(client, f"q={typed}")) == ["Công ty TNHH Đức Hưng"]


@pytest.mark.parametrize("typed", ["0903 123 456", "0903.123.456", "+84 903 123 456", "84903123456", "903123456", "0903123"])
def test_a_phone_in_any_format_finds_the_customer(client, rep, typed):
    make_customer(rep, name="Quán Cà Phê Sáng", phone="+84903123456")
    make_customer(rep, name="Tiệm Vàng Kim", phone="+84912000111")
    assert names_in(listing(client, f"q={typed}")) == ["Quán Cà Phê Sáng"]


def test_search_finds_by_alternative_phone_and_tax_code(client, rep):
    make_customer(rep, name="Đại lý Hoa Mai", phone_alt="+84283822123", tax_code="0312345678")
    assert names_in(listing(client, "q=028 3822 123")) == ["Đại lý Hoa Mai"]
    assert names_in(listing(client, "q=0312345678")) == ["Đại lý Hoa Mai"]


def test_live_search_answers_with_the_results_fragment_and_a_clean_address(client, rep):
    make_customer(rep, name="Công ty Đức Hưng")
    response = client.get("/customers?q=duc+hung&lifecycle=&owner=&source=&tag=&sort=updated",
                          headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="customer-list"' in html and "Công ty Đức Hưng" in html
    assert response.headers["HX-Push-Url"] == "/customers?q=duc+hung"  # empty fields do not clutter the address
    assert "HX-Request" in response.headers["Vary"]


# --- Filters ----------------------------------------------------------------------------------

def test_filter_by_lifecycle(client, rep):
    make_customer(rep, name="Khách Tiềm năng", lifecycle="lead")
    make_customer(rep, name="Khách Chính thức", lifecycle="customer")
    assert names_in(listing(client, "lifecycle=customer")) == ["Khách Chính thức"]
    assert len(names_in(listing(client, "lifecycle=bogus"))) == 2  # unknown values are ignored


def test_filter_by_source_and_tag(client, rep):
    vip = _tag("VIP")
    make_customer(rep, name="Từ Zalo", source="zalo", tags=[vip])
    make_customer(rep, name="Từ Website", source="website")
    assert names_in(listing(client, "source=zalo")) == ["Từ Zalo"]
    assert names_in(listing(client, f"tag={vip.id}")) == ["Từ Zalo"]
    assert names_in(listing(client, "source=website&tag=" + str(vip.id))) == []


def test_filter_due_for_contact_uses_the_configured_number_of_days(app, client, rep, monkeypatch):
    now = utcnow()
    make_customer(rep, name="Chưa liên hệ bao giờ")
    make_customer(rep, name="Liên hệ 40 ngày trước", last_contact_at=now - timedelta(days=40))
    make_customer(rep, name="Liên hệ 10 ngày trước", last_contact_at=now - timedelta(days=10))
    make_customer(rep, name="Liên hệ hôm qua", last_contact_at=now - timedelta(days=1))
    assert sorted(names_in(listing(client, "due=1"))) == ["Chưa liên hệ bao giờ", "Liên hệ 40 ngày trước"]
    monkeypatch.setitem(app.config, "CONTACT_DUE_DAYS", 7)
    assert sorted(names_in(listing(client, "due=1"))) == ["Chưa liên hệ bao giờ", "Liên hệ 10 ngày trước",
                                                          "Liên hệ 40 ngày trước"]


def test_a_manager_filters_by_a_team_member_and_sees_only_the_team(client, auth, people):
    make_customer(people["rep"], name="Của An")
    make_customer(people["colleague"], name="Của Bình")
    make_customer(people["north"], name="Của Chi miền Bắc")
    auth.login(people["manager"].email)
    page = listing(client)
    assert sorted(names_in(page)) == ["Của An", "Của Bình"]
    owner_select = re.search(r'<select [^>]*id="filter-owner"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert "Trần Thị Bình" in owner_select and "Lê Minh Chi" not in owner_select
    assert names_in(listing(client, f"owner={people['colleague'].id}")) == ["Của Bình"]
    # An owner outside the team is dropped, not obeyed: the team's list, never Chi's customers.
    assert sorted(names_in(listing(client, f"owner={people['north'].id}"))) == ["Của An", "Của Bình"]


def test_a_rep_has_no_owner_choice_and_cannot_list_another_reps_customers(client, rep, people):
    make_customer(rep, name="Của An")
    make_customer(people["colleague"], name="Của Bình")
    page = listing(client)
    assert 'name="owner"' not in page
    assert names_in(listing(client, f"owner={people['colleague'].id}")) == ["Của An"]
    assert names_in(listing(client, "q=cua")) == ["Của An"]


def test_the_tag_filter_offers_only_tags_of_customers_in_scope(client, rep, people):
    make_customer(rep, name="Của An", tags=[_tag("Khách sỉ")])
    make_customer(people["colleague"], name="Của Bình", tags=[_tag("Bí mật của Bình")])
    page = listing(client)
    assert "Khách sỉ" in page and "Bí mật của Bình" not in page


def test_the_filter_form_works_without_javascript(client, rep):
    page = listing(client)
    form = re.search(r'<form id="customer-filters"[^>]*>', page).group(0)
    assert 'method="get"' in form and 'action="/customers"' in form
    assert 'hx-trigger="input changed delay:250ms, search"' in page and 'hx-push-url="true"' in form
    assert '<button type="submit" class="btn">' in page


# --- Sort -------------------------------------------------------------------------------------

@pytest.fixture()
def three(rep):
    now = utcnow()
    make_customer(rep, name="Bảo Minh", score=50, updated_at=now - timedelta(days=2), last_contact_at=now - timedelta(days=5))
    make_customer(rep, name="Đức Hưng", score=90, updated_at=now - timedelta(days=1))
    make_customer(rep, name="An Phát", score=10, updated_at=now - timedelta(days=3), last_contact_at=now - timedelta(days=60))


@pytest.mark.parametrize("sort, expected", [
    ("", ["Đức Hưng", "Bảo Minh", "An Phát"]),
    ("updated", ["Đức Hưng", "Bảo Minh", "An Phát"]),
    ("name", ["An Phát", "Bảo Minh", "Đức Hưng"]),  # Đ sorts with D, not after Z
    ("last_contact", ["Đức Hưng", "An Phát", "Bảo Minh"]),  # never contacted first, then the oldest
    ("score", ["Đức Hưng", "Bảo Minh", "An Phát"]),
    ("name; DROP TABLE customers", ["Đức Hưng", "Bảo Minh", "An Phát"]),
    ("id desc", ["Đức Hưng", "Bảo Minh", "An Phát"]),
    ("owner_id", ["Đức Hưng", "Bảo Minh", "An Phát"]),
])
def test_sort_comes_from_an_allow_list_and_anything_else_is_the_default_order(client, three, sort, expected):
    response = client.get(f"/customers?sort={sort}")
    assert response.status_code == 200
    assert names_in(response.get_data(as_text=True)) == expected


# --- Infinite scroll --------------------------------------------------------------------------

def test_infinite_scroll_keeps_the_filters_and_returns_only_rows(client, rep):
    now = utcnow()
    for n in range(25):
        make_customer(rep, name=f"Khách số {n:02d}", lifecycle="prospect", updated_at=now - timedelta(minutes=n))
    make_customer(rep, name="Khách khác loại", lifecycle="lead")
    first = listing(client, "lifecycle=prospect&sort=updated")
    assert len(names_in(first)) == 20
    more = re.search(r'<li class="more" hx-get="([^"]+)" hx-trigger="revealed"', first).group(1).replace("&amp;", "&")
    assert "lifecycle=prospect" in more and "page=2" in more
    response = client.get(more, headers={"HX-Request": "true"})
    rows = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in rows and 'id="customer-list"' not in rows
    assert names_in(rows) == [f"Khách số {n:02d}" for n in range(20, 25)]
    assert 'class="more"' not in rows and "HX-Push-Url" not in response.headers


def test_page_numbers_are_bounded(client, rep):
    make_customer(rep, name="Khách duy nhất")
    assert client.get("/customers?page=-3").status_code == 200
    assert names_in(listing(client, "page=999999")) == []


# --- Customer card ----------------------------------------------------------------------------

def test_the_card_shows_the_customer_and_one_tap_actions(client, rep):
    customer = make_customer(rep, name="Nhà hàng Phố Biển", kind="company", lifecycle="prospect", score=72,
                             phone="+84903123456", email="pho.bien@example.vn", lat=10.776889, lng=106.700806,
                             tags=[_tag("Nhà hàng")])
    make_contact(customer, name="Chị Lan", title="Kế toán", phone="+84912345678")
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Nhà hàng Phố Biển" in html and "72" in html and "Nguyễn Văn An" in html and "Chị Lan" in html
    assert 'href="tel:+84903123456"' in html
    assert 'href="https://zalo.me/0903123456"' in html
    assert 'href="mailto:pho.bien@example.vn"' in html
    assert 'href="https://www.google.com/maps/dir/?api=1&amp;destination=10.776889,106.700806"' in html
    assert f'href="/deals/new?customer={customer.id}"' in html
    assert f'href="/customers/{customer.id}/edit"' in html and f'href="/customers/{customer.id}/contacts/new"' in html


def test_directions_fall_back_to_the_address_and_disappear_without_either(client, rep):
    by_address = make_customer(rep, address="12 Nguyễn Huệ", ward="Bến Nghé", district="Quận 1", province="TP. Hồ Chí Minh")
    html = client.get(f"/customers/{by_address.id}").get_data(as_text=True)
    assert ("https://www.google.com/maps/dir/?api=1&amp;destination=12%20Nguy%E1%BB%85n%20Hu%E1%BB%87,"
            "%20B%E1%BA%BFn%20Ngh%C3%A9,%20Qu%E1%BA%ADn%201,%20TP.%20H%E1%BB%93%20Ch%C3%AD%20Minh") in html
    nowhere = make_customer(rep, name="Không địa chỉ")
    html = client.get(f"/customers/{nowhere.id}").get_data(as_text=True)
    assert "google.com/maps" not in html and "tel:" not in html and "zalo.me" not in html and "mailto:" not in html


def test_the_card_lists_open_deals_only_and_placeholders_for_later_issues(client, rep):
    customer = make_customer(rep)
    make_deal(customer, "consulting", title="Lắp điều hòa", value_vnd=12_345_000)
    make_deal(customer, "won", title="Đã thắng năm ngoái")
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    deals = re.search(r'<h2>[^<]*</h2>\s*<ul class="list">(.*?)</ul>\s*</section>\s*<section class="section" id="customer-quotes">', html, re.S).group(1)
    assert "Lắp điều hòa" in deals and "12.345.000 ₫" in deals and "Đang tư vấn" in deals
    assert "Đã thắng năm ngoái" not in deals
    assert html.count('class="section later"') == 2  # contracts, tickets: empty states, no fake data


# --- Timeline ---------------------------------------------------------------------------------

def entry_titles(html):
    return re.findall(r'<li class="list-item timeline-entry">.*?<strong>([^<]+)</strong>', html, re.S)


def test_the_timeline_merges_activities_and_stage_changes_newest_first_in_pages_of_20(client, rep):
    customer = make_customer(rep)
    deal = make_deal(customer, "consulting", title="Cơ hội điều hòa")
    start = utcnow() - timedelta(days=30)
    expected = []
    for n in range(30):  # every third entry is a stage change; two share an instant with an activity
        at = start + timedelta(hours=n if n != 7 else 6)
        if n % 3 == 0:
            make_stage_change(deal, "quote_sent", changed_at=at, by=rep, from_key="consulting")
            expected.append((at, 0, "Cơ hội điều hòa"))
        else:
            make_activity(rep, customer, subject=f"Việc {n:02d}", created_at=at, done_at=at)
            expected.append((at, 1, f"Việc {n:02d}"))
    expected = [title for _at, _rank, title in sorted(expected, key=lambda e: (e[0], e[1]), reverse=True)]

    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert entry_titles(html) == expected[:20]
    assert "Đang tư vấn → Đã gửi báo giá" in html
    more = re.search(r'<li class="more"><a class="btn" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    response = client.get(more, headers={"HX-Request": "true"})
    page_two = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in page_two
    assert entry_titles(page_two) == expected[20:]
    assert 'class="more"' not in page_two
    # Without JavaScript the same link is a page of its own.
    assert "<html" in client.get(more).get_data(as_text=True)


def test_the_timeline_shows_outcomes_and_check_ins(client, rep):
    customer = make_customer(rep)
    now = utcnow()
    make_activity(rep, customer, kind="call", subject="Gọi giới thiệu", outcome="no_answer", done_at=now)
    make_activity(rep, customer, kind="visit", subject="Ghé thăm", done_at=now, checked_in_at=now - timedelta(minutes=30),
                  checked_out_at=now, distance_m=35)
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert re.search(r'<span class="chip chip-outcome">([^<]+)</span>', html).group(1) != "no_answer"  # a label
    assert "35 m" in html


def test_the_timeline_shows_only_what_the_viewer_may_see(client, auth, people):
    customer = make_customer(people["rep"], name="Khách chung")
    own = make_deal(customer, title="Cơ hội của An")
    secret = make_deal(customer, title="Cơ hội bí mật của Chi", owner=people["north"])
    make_stage_change(own, "consulting", by=people["rep"])
    make_stage_change(secret, "negotiation", by=people["north"])
    make_activity(people["rep"], customer, subject="Ghi chú của An")
    make_activity(people["north"], customer, subject="Ghi chú bí mật của Chi")
    auth.login(people["rep"].email)
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Ghi chú của An" in html and "Cơ hội của An" in html
    assert "bí mật" not in html
    page = client.get(f"/customers/{customer.id}/timeline").get_data(as_text=True)
    assert "Ghi chú của An" in page and "bí mật" not in page


def test_a_bad_cursor_starts_from_the_newest(client, rep):
    customer = make_customer(rep)
    make_activity(rep, customer, subject="Mới nhất")
    for cursor in ("garbage", "2026-01-01T00:00:00_x1", "2026-01-01T00:00:00_a12", "_a"):
        response = client.get(f"/customers/{customer.id}/timeline?after={cursor}", headers={"HX-Request": "true"})
        assert response.status_code == 200 and "Mới nhất" in response.get_data(as_text=True)


def test_a_timeline_page_with_a_thousand_activities_costs_a_few_queries(app, client, rep):
    customer = make_customer(rep)
    start = utcnow() - timedelta(days=400)
    db.session.add_all([Activity(kind="note", subject=f"Ghi chú {n}", owner=rep, customer=customer,
                                 created_at=start + timedelta(hours=n)) for n in range(1200)])
    db.session.commit()
    first = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert entry_titles(first)[0] == "Ghi chú 1199"
    cursor = re.search(r'<li class="more"><a class="btn" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = client.get(cursor, headers={"HX-Request": "true"}).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert entry_titles(page) == [f"Ghi chú {n}" for n in range(1179, 1159, -1)]
    assert len(statements) <= 10, "one query per entry would mean an N+1"


# --- Scope ------------------------------------------------------------------------------------

def test_another_reps_customer_is_404_everywhere(client, rep, people):
    other = make_customer(people["colleague"], name="Khách của Bình")
    contact = make_contact(other, name="Người của Bình")
    for url in (f"/customers/{other.id}", f"/customers/{other.id}/edit", f"/customers/{other.id}/contacts/new",
                f"/customers/{other.id}/timeline", f"/contacts/{contact.id}/edit"):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 404, url
            assert "Bình" not in response.get_data(as_text=True), url
    assert "Khách của Bình" not in listing(client, "q=binh")


# --- Escaping ---------------------------------------------------------------------------------

def test_script_in_customer_fields_is_shown_as_text(client, rep):
    evil = "<script>alert(1)</script>"
    customer = make_customer(rep, name=f"Khách {evil}", notes=evil, address=evil, tags=[_tag(f"T{evil}")])
    make_contact(customer, name=evil, title=evil)
    make_activity(rep, customer, subject=evil, body=evil)
    make_stage_change(make_deal(customer, title=evil), "consulting", by=rep)
    for url, headers in ((f"/customers/{customer.id}", {}), ("/customers", {}), ("/customers?q=khach", {"HX-Request": "true"}),
                         (f"/customers/{customer.id}/timeline", {"HX-Request": "true"}), (f"/customers/{customer.id}/edit", {})):
        html = client.get(url, headers=headers).get_data(as_text=True)
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def _tag(name):
    from app.models import Tag

    tag = Tag(name=name)
    db.session.add(tag)
    db.session.commit()
    return tag
