"""The pipeline board and stage moves over HTTP: totals, scope, filters, moves, conflicts, bad input."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.formatting import local_today
from app.models import Deal, DealStageChange
from tests.factories import make_activity, make_customer, make_deal, make_team, make_user, stage

HTMX = {"HX-Request": "true"}


@pytest.fixture()
def team():
    south = make_team("Miền Nam")
    return {
        "rep": make_user(email="an@example.vn", name="Nguyễn Văn An", team=south),
        "colleague": make_user(email="binh@example.vn", name="Trần Thị Bình", team=south),
        "manager": make_user(role="manager", email="ha@example.vn", name="Phạm Thu Hà", team=south),
        "outsider": make_user(email="north@example.vn", name="Lê Bắc"),
    }


def head(html, key):
    """The text of a column header on the page."""
    stage_id = stage(key).id
    block = re.search(rf'<header class="column-head" id="stage-{stage_id}-head"[^>]*>(.*?)</header>', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", block).split())


def test_columns_show_count_total_and_weighted_value(client, auth, team):
    customer = make_customer(team["rep"], name="Nhà hàng Phố Biển")
    make_deal(customer, "new", value_vnd=10_000_000)
    make_deal(customer, "new", value_vnd=5_000_005)
    make_deal(customer, "negotiation", value_vnd=1_234_567)
    auth.login("an@example.vn")
    html = client.get("/pipeline").get_data(as_text=True)
    assert head(html, "new") == "Mới 2 15.000.005 ₫ 10% · Dự kiến 1.500.001 ₫"  # 1.500.000,5 rounds half up
    assert head(html, "negotiation") == "Đàm phán 1 1.234.567 ₫ 75% · Dự kiến 925.925 ₫"
    assert head(html, "won") == "Thắng 0 0 ₫ 100% · Dự kiến 0 ₫"
    # The first column with deals comes with its cards; the others load theirs when they scroll into view.
    assert html.count('class="deal-card') == 2 and "Nhà hàng Phố Biển" in html
    lazy = re.search(rf'hx-get="(/pipeline/stages/{stage("negotiation").id}/cards[^"]*)"', html).group(1)
    assert client.get(lazy.replace("&amp;", "&"), headers=HTMX).get_data(as_text=True).count('class="deal-card') == 1


def test_each_role_sees_its_scope_and_owner_filters_are_allow_listed(client, auth, team):
    for who in ("rep", "colleague", "outsider"):
        make_deal(make_customer(team[who]), "new", title=f"Cơ hội của {team[who].name}")
    auth.login("an@example.vn")
    for url in ("/pipeline", f"/pipeline?owner={team['colleague'].id}", "/pipeline?owner=all", "/pipeline?owner=team"):
        html = client.get(url).get_data(as_text=True)
        assert "Cơ hội của Nguyễn Văn An" in html and "Trần Thị Bình" not in html and "Lê Bắc" not in html, url
    auth.logout()
    auth.login("ha@example.vn")
    html = client.get("/pipeline").get_data(as_text=True)
    assert "Cơ hội của Nguyễn Văn An" in html and "Cơ hội của Trần Thị Bình" in html and "Lê Bắc" not in html
    html = client.get(f"/pipeline?owner={team['colleague'].id}").get_data(as_text=True)
    assert "Cơ hội của Trần Thị Bình" in html and "Cơ hội của Nguyễn Văn An" not in html
    html = client.get(f"/pipeline?owner={team['outsider'].id}").get_data(as_text=True)
    assert "Lê Bắc" not in html  # not in her team: falls back to the team


def test_search_ignores_diacritics_and_closing_this_month_filters(client, auth, team):
    today = local_today()
    duc_hung = make_customer(team["rep"], name="Công ty Đức Hưng")
    make_deal(duc_hung, "new", title="Máy lọc nước", expected_close=today)
    make_deal(make_customer(team["rep"], name="Tiệm bánh Hương Xưa"), "new", title="Điều hòa Inverter",
              expected_close=today + timedelta(days=62))
    auth.login("an@example.vn")
    html = client.get("/pipeline?q=duc hung").get_data(as_text=True)
    assert "Máy lọc nước" in html and "Điều hòa Inverter" not in html
    html = client.get("/pipeline?q=DIEU HOA").get_data(as_text=True)
    assert "Điều hòa Inverter" in html and "Máy lọc nước" not in html
    html = client.get("/pipeline?closing=month").get_data(as_text=True)
    assert "Máy lọc nước" in html and "Điều hòa Inverter" not in html
    fragment = client.get("/pipeline?q=duc", headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="board"' in fragment


def test_a_column_loads_20_cards_then_the_rest_on_scroll(client, auth, team):
    customer = make_customer(team["rep"])
    for n in range(25):
        make_deal(customer, "new", title=f"Cơ hội số {n:02d}")
    auth.login("an@example.vn")
    html = client.get("/pipeline").get_data(as_text=True)
    assert html.count('class="deal-card') == 20
    shown = set(re.findall(r'id="deal-(\d+)"', html))
    make_deal(customer, "new", title="Mới thêm trong lúc xem")  # lands on top of the column meanwhile
    more = re.search(r'hx-get="([^"]+)" hx-trigger="intersect once[^"]*"', html).group(1).replace("&amp;", "&")
    rest = client.get(more, headers=HTMX).get_data(as_text=True)
    assert rest.count('class="deal-card') == 5 and "intersect once" not in rest
    assert not shown & set(re.findall(r'id="deal-(\d+)"', rest))  # nothing repeated, nothing skipped
    assert client.get(f"/pipeline/stages/{stage('new').id}/cards?after=garbage", headers=HTMX).status_code == 200


def count_queries(client, url):
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_query_count_does_not_grow_with_the_number_of_deals(client, auth, team):
    customer = make_customer(team["rep"])
    for key in ("new", "consulting", "won"):
        make_deal(customer, key)
    auth.login("an@example.vn")
    few = count_queries(client, "/pipeline")
    for n in range(40):
        deal = make_deal(make_customer(team["rep"]), ("new", "consulting", "won")[n % 3])
        make_activity(team["rep"], deal.customer, deal=deal, due_in=timedelta(days=n % 5 - 2))
    assert count_queries(client, "/pipeline") == few


def assert_not_moved(deal, stage_key):
    """The deal is still in stage_key and no stage change was recorded."""
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).stage.key == stage_key
    assert db.session.scalar(select(func.count(DealStageChange.id))) == 0


def move(auth, deal, stage_key, version=None, headers=HTMX, **extra):
    data = {"stage_id": stage(stage_key).id, "version": deal.version if version is None else version, **extra}
    return auth.post(f"/deals/{deal.id}/move", data, token_path="/pipeline", headers=headers)


def test_a_move_answers_with_the_card_and_both_headers_in_a_small_response(client, auth, team):
    customer = make_customer(team["rep"])
    deal = make_deal(customer, "new", value_vnd=10_000_000)
    make_deal(customer, "consulting", value_vnd=2_000_000)
    auth.login("an@example.vn")
    response = move(auth, deal, "consulting")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and len(response.get_data()) <= 4096
    assert f'hx-swap-oob="afterbegin:#stage-{stage("consulting").id}-cards"' in html and f'id="deal-{deal.id}"' in html
    assert head(html, "new") == "Mới 0 0 ₫ 10% · Dự kiến 0 ₫"
    assert head(html, "consulting") == "Đang tư vấn 2 12.000.000 ₫ 25% · Dự kiến 3.000.000 ₫"
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).stage.key == "consulting"
    assert db.session.scalar(select(func.count(DealStageChange.id))) == 1


def test_a_stale_version_gets_409_with_the_current_card_and_nothing_moves(client, auth, team):
    deal = make_deal(make_customer(team["rep"]), "new", title="Bản cũ")
    old_version = deal.version
    deal.title = "Bản mới của đồng nghiệp"
    db.session.commit()
    auth.login("an@example.vn")
    response = move(auth, deal, "consulting", version=old_version)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Dữ liệu vừa được người khác cập nhật" in html and "Bản mới của đồng nghiệp" in html
    assert_not_moved(deal, "new")


def test_bad_moves_are_refused_with_a_message_and_change_nothing(client, auth, team):
    deal = make_deal(make_customer(team["rep"]), "negotiation")
    auth.login("an@example.vn")
    lost = move(auth, deal, "lost", lost_reason="   ")
    assert lost.status_code == 422 and "Hãy nhập lý do thua." in lost.get_data(as_text=True)
    unknown = auth.post(f"/deals/{deal.id}/move", {"stage_id": 9999, "version": deal.version}, token_path="/pipeline", headers=HTMX)
    assert unknown.status_code == 422 and "Chọn một giai đoạn trong danh sách." in unknown.get_data(as_text=True)
    garbage = auth.post(f"/deals/{deal.id}/move", {"stage_id": "abc", "version": "x"}, token_path="/pipeline", headers=HTMX)
    assert garbage.status_code == 422
    assert_not_moved(deal, "negotiation")


def test_another_reps_deal_cannot_be_seen_or_moved(client, auth, team):
    deal = make_deal(make_customer(team["outsider"]), "new")
    auth.login("an@example.vn")
    assert client.get(f"/deals/{deal.id}").status_code == 404
    assert move(auth, deal, "consulting").status_code == 404
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).stage.key == "new"


def test_moving_needs_post_and_works_without_javascript(client, auth, team):
    deal = make_deal(make_customer(team["rep"]), "new")
    auth.login("an@example.vn")
    assert client.get(f"/deals/{deal.id}/move").status_code == 405
    plain = move(auth, deal, "consulting", headers={})
    assert plain.status_code == 303 and plain.headers["Location"] == f"/deals/{deal.id}"
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "Lịch sử giai đoạn" in page and "Đang tư vấn" in page


def test_cards_flag_deals_without_a_next_step(client, auth, team):
    customer = make_customer(team["rep"])
    planned = make_deal(customer, "new", title="Có lịch hẹn")
    make_activity(team["rep"], customer, deal=planned, subject="Gọi lại báo giá", due_in=timedelta(days=1))
    make_deal(customer, "new", title="Bị bỏ quên")
    auth.login("an@example.vn")
    html = client.get("/pipeline").get_data(as_text=True)
    cards = dict(re.findall(r'<strong class="card-title">([^<]+)</strong>(.*?)</li>', html, re.S))
    assert "Gọi lại báo giá" in cards["Có lịch hẹn"] and "Chưa có bước tiếp theo" not in cards["Có lịch hẹn"]
    assert "Chưa có bước tiếp theo" in cards["Bị bỏ quên"]
