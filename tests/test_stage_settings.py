"""An admin renames, reorders and tunes pipeline stages; everyone else gets 403."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Stage
from tests.factories import make_customer, make_deal, make_user, stage


@pytest.fixture()
def admin(auth):
    user = make_user(role="admin", email="admin@example.vn")
    auth.login(user.email)
    return user


def form(stage_obj, **values):
    data = {"name_vi": stage_obj.name_vi, "name_en": stage_obj.name_en, "probability": stage_obj.probability,
            "stale_after_days": stage_obj.stale_after_days}
    data.update(values)
    return {f"stage-{stage_obj.id}-{key}": value for key, value in data.items()}


def test_admin_renames_and_tunes_a_stage_and_the_board_follows(client, auth, admin):
    consulting = stage("consulting")
    make_deal(make_customer(admin), "consulting", value_vnd=10_000_000)
    response = auth.post(f"/admin/stages/{consulting.id}", form(consulting, name_vi="Khảo sát nhu cầu", probability=40,
                                                                stale_after_days=7), token_path="/admin/stages")
    assert response.status_code == 303
    db.session.expire_all()
    changed = db.session.get(Stage, consulting.id)
    assert (changed.name_vi, changed.probability, changed.stale_after_days) == ("Khảo sát nhu cầu", 40, 7)
    html = client.get("/pipeline").get_data(as_text=True)
    assert "Khảo sát nhu cầu" in html and "4.000.000 ₫" in html  # 40% of 10.000.000
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "stage.updated")).before["probability"] == 25


@pytest.mark.parametrize("values, message", [
    ({"probability": 101}, "Từ 0 đến 100."), ({"probability": "abc"}, "Vui lòng nhập số nguyên."),
    ({"stale_after_days": 0}, "Từ 1 đến 365 ngày."), ({"name_vi": ""}, "Trường bắt buộc"),
])
def test_bad_settings_are_refused_next_to_the_field(client, auth, admin, values, message):
    new = stage("new")
    response = auth.post(f"/admin/stages/{new.id}", form(new, **values), token_path="/admin/stages")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    db.session.expire_all()
    unchanged = db.session.get(Stage, new.id)
    assert (unchanged.name_vi, unchanged.probability, unchanged.stale_after_days) == ("Mới", 10, 14)


def test_admin_reorders_stages(client, auth, admin):
    consulting, quote_sent = stage("consulting"), stage("quote_sent")
    auth.post(f"/admin/stages/{quote_sent.id}/move", {"direction": "up"}, token_path="/admin/stages")
    order = db.session.scalars(select(Stage.key).order_by(Stage.position)).all()
    assert order[:3] == ["new", "quote_sent", "consulting"]
    auth.post(f"/admin/stages/{stage('new').id}/move", {"direction": "up"}, token_path="/admin/stages")  # already first
    assert db.session.scalars(select(Stage.key).order_by(Stage.position)).all() == order
    html = client.get("/pipeline").get_data(as_text=True)
    assert html.index("Đã gửi báo giá") < html.index("Đang tư vấn")


def test_reps_and_managers_cannot_change_stages(client, auth):
    new = stage("new")
    for role in ("rep", "manager"):
        user = make_user(role=role)
        auth.login(user.email)
        assert client.get("/admin/stages").status_code == 403
        assert auth.post(f"/admin/stages/{new.id}", form(new, probability=99)).status_code == 403
        auth.logout()
    db.session.expire_all()
    assert db.session.get(Stage, new.id).probability == 10
