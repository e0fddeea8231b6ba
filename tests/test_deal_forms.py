"""Creating and editing deals: server-side validation, next step, version conflicts, scope."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.formatting import local_today
from app.models import Activity, Deal, DealStageChange
from tests.factories import make_activity, make_customer, make_deal, make_user, stage


@pytest.fixture()
def rep(auth):
    user = make_user(email="an@example.vn")
    auth.login(user.email)
    return user


def deal_count():
    return db.session.scalar(select(func.count(Deal.id)))


def new_deal_data(customer, **overrides):
    data = {"customer_id": customer.id, "stage_id": stage("new").id, "title": "Lắp đặt 5 điều hòa",
            "value_vnd": "12.345.000", "expected_close": (local_today() + timedelta(days=20)).isoformat(),
            "next_step": "Gọi lại báo giá", "next_step_on": (local_today() + timedelta(days=2)).isoformat()}
    data.update(overrides)
    return data


def test_a_rep_creates_a_deal_from_the_customer_card_with_its_next_step(client, auth, rep):
    customer = make_customer(rep, name="Công ty Đức Hưng")
    page = client.get(f"/deals/new?customer={customer.id}").get_data(as_text=True)
    assert "Công ty Đức Hưng" in page
    response = auth.post(f"/deals/new?customer={customer.id}", new_deal_data(customer), token_path=f"/deals/new?customer={customer.id}")
    assert response.status_code == 303
    deal = db.session.scalar(select(Deal))
    assert (deal.title, deal.value_vnd, deal.owner_id, deal.stage.key) == ("Lắp đặt 5 điều hòa", 12_345_000, rep.id, "new")
    step = db.session.scalar(select(Activity).where(Activity.deal_id == deal.id))
    assert step.subject == "Gọi lại báo giá" and step.done_at is None
    assert db.session.scalar(select(func.count(DealStageChange.id))) == 1


@pytest.mark.parametrize("overrides, message", [
    ({"title": ""}, "Trường bắt buộc"),
    ({"value_vnd": "-5"}, "Giá trị không được âm."),
    ({"value_vnd": "mười triệu"}, "Vui lòng nhập số nguyên."),
    ({"next_step": ""}, "Cơ hội đang mở cần có bước tiếp theo"),
    ({"next_step_on": ""}, "Chọn ngày cho bước tiếp theo."),
    ({"next_step_on": "2020-01-01"}, "Bước tiếp theo không thể ở trong quá khứ."),
    ({"expected_close": "31/02/2026"}, "Ngày không hợp lệ"),
])
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(client, auth, rep, overrides, message):
    customer = make_customer(rep)
    response = auth.post("/deals/new", new_deal_data(customer, **overrides), token_path="/deals/new")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert deal_count() == 0 and db.session.scalar(select(func.count(Activity.id))) == 0


def test_a_deal_for_a_customer_the_user_cannot_see_is_refused(client, auth, rep):
    other = make_customer(make_user(email="binh@example.vn"))
    assert client.get(f"/deals/new?customer={other.id}").status_code == 404
    response = auth.post("/deals/new", new_deal_data(other), token_path="/deals/new")
    assert response.status_code in (400, 404) and deal_count() == 0


def test_editing_keeps_the_version_and_a_stale_edit_gets_409_with_the_latest_values(client, auth, rep):
    deal = make_deal(make_customer(rep), "new", title="Bản đầu", value_vnd=1_000_000)
    make_activity(rep, deal.customer, deal=deal, due_in=timedelta(days=1))
    form = client.get(f"/deals/{deal.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form
    # The value is shown as people write it, in a text field: a number field would show "1.000.000" as empty.
    assert re.search(r'<input[^>]*name="value_vnd"[^>]*type="text" value="1\.000\.000"', form)
    data = {"title": "Bản của tôi", "value_vnd": "2.000.000", "expected_close": "", "next_step": "", "next_step_on": "", "version": "1"}
    deal.title = "Bản của đồng nghiệp"
    db.session.commit()  # someone else saved meanwhile: version 2
    stale = auth.post(f"/deals/{deal.id}/edit", data, token_path=f"/deals/{deal.id}/edit")
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Dữ liệu vừa được người khác cập nhật" in html and "Bản của đồng nghiệp" in html
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).title == "Bản của đồng nghiệp"
    data["version"] = "2"
    assert auth.post(f"/deals/{deal.id}/edit", data, token_path=f"/deals/{deal.id}/edit").status_code == 303
    db.session.expire_all()
    saved = db.session.get(Deal, deal.id)
    assert (saved.title, saved.value_vnd, saved.version) == ("Bản của tôi", 2_000_000, 3)


def test_an_open_deal_without_a_scheduled_step_asks_for_one_when_saved(client, auth, rep):
    deal = make_deal(make_customer(rep), "consulting")
    data = {"title": deal.title, "value_vnd": "1000000", "next_step": "", "next_step_on": "", "version": str(deal.version)}
    response = auth.post(f"/deals/{deal.id}/edit", data, token_path=f"/deals/{deal.id}/edit")
    assert response.status_code == 400 and "cần có bước tiếp theo" in response.get_data(as_text=True)
    data.update(next_step="Hẹn gặp trình bày", next_step_on=(local_today() + timedelta(days=1)).isoformat())
    assert auth.post(f"/deals/{deal.id}/edit", data, token_path=f"/deals/{deal.id}/edit").status_code == 303
    assert db.session.scalar(select(Activity.subject).where(Activity.deal_id == deal.id)) == "Hẹn gặp trình bày"


def test_another_reps_deal_cannot_be_edited(client, auth, rep):
    deal = make_deal(make_customer(make_user(email="binh@example.vn")), "new", title="Không phải của An")
    assert client.get(f"/deals/{deal.id}/edit").status_code == 404
    response = auth.post(f"/deals/{deal.id}/edit", {"title": "Sửa trộm", "value_vnd": "1", "version": "1"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).title == "Không phải của An"
