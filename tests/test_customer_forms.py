"""Creating and editing customers and contacts: validation, duplicates, version conflicts, owner, scope."""
import re
from datetime import date

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from app.extensions import db
from app.models import Contact, Customer, Tag
from app.services.customers.records import TaxCodeTaken, create_customer
from tests.factories import make_contact, make_customer, make_team, make_user


@pytest.fixture()
def team():
    return make_team("Miền Nam")


@pytest.fixture()
def rep(auth, team):
    user = make_user(email="an@example.vn", name="Nguyễn Văn An", team=team)
    auth.login(user.email)
    return user


def customer_count():
    return db.session.scalar(select(func.count(Customer.id)))


def fresh(customer):
    db.session.expire_all()
    return db.session.get(Customer, customer.id)


def error_of(html, field):
    """The error shown next to a field (the form macro's <p id="<field>-error">), or None."""
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    return match and match.group(1)


def vi(message):
    """A message as a Vietnamese user sees it (the English msgid until the catalogue has it)."""
    with force_locale("vi"):
        return gettext(message)


def new_customer_data(**overrides):
    data = {"name": "Công ty TNHH Đức Hưng", "kind": "company", "lifecycle": "prospect", "phone": "0903.123.456",
            "phone_alt": "", "email": " Lien.He@DucHung.VN ", "tax_code": "0312 345.678", "address": "12 Nguyễn Huệ",
            "ward": "Bến Nghé", "district": "Quận 1", "province": "TP. Hồ Chí Minh", "lat": "10,776889",
            "lng": "106.700806", "source": "referral", "tags": "VIP, khách sỉ , vip", "birthday": "05/09/1985",
            "notes": "Thích gọi buổi sáng", "score": "80"}
    data.update(overrides)
    return data


def post_new(auth, data):
    return auth.post("/customers/new", data, token_path="/customers/new")


def test_a_rep_creates_a_customer_with_everything_normalised(client, auth, rep):
    db.session.add(Tag(name="Khách sỉ"))
    db.session.commit()
    response = post_new(auth, new_customer_data())
    assert response.status_code == 303
    customer = db.session.scalar(select(Customer))
    assert response.headers["Location"] == f"/customers/{customer.id}"
    assert (customer.name, customer.phone, customer.email, customer.tax_code) == (
        "Công ty TNHH Đức Hưng", "+84903123456", "lien.he@duchung.vn", "0312345678")
    assert (customer.lat, customer.lng, customer.birthday, customer.score) == (10.776889, 106.700806, date(1985, 9, 5), 80)
    assert (customer.owner_id, customer.source, customer.lifecycle, customer.version) == (rep.id, "referral", "prospect", 1)
    assert sorted(t.name for t in customer.tags) == ["Khách sỉ", "VIP"]  # an existing tag is reused, whatever its case
    assert db.session.scalar(select(func.count(Tag.id))) == 2
    assert "Công ty TNHH Đức Hưng" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_edit_form_shows_phones_as_people_write_them(client, rep):
    customer = make_customer(rep, phone="+84903123456", birthday=date(1985, 9, 5))
    html = client.get(f"/customers/{customer.id}/edit").get_data(as_text=True)
    assert 'value="0903 123 456"' in html
    # A text box, not type="date": a date input cannot show dd/mm/yyyy and would save the birthday as empty.
    assert re.search(r'<input [^>]*id="birthday" [^>]*type="text" value="05/09/1985"', html)
    assert f'name="version" type="hidden" value="{customer.version}"' in html


@pytest.mark.parametrize("field, value, message", [
    ("name", "  ", "Trường bắt buộc"),
    ("phone", "12345", "Nhập số điện thoại Việt Nam, ví dụ 0903 123 456."),
    ("phone_alt", "0903 12", "Nhập số điện thoại Việt Nam, ví dụ 0903 123 456."),
    ("email", "khong-phai-email", "Nhập địa chỉ email hợp lệ."),
    ("score", "150", "Từ 0 đến 100."),
    ("score", "nhiều", "Vui lòng nhập số nguyên."),
    ("birthday", "31/02/1985", "Ngày không hợp lệ"),
    ("kind", "robot", "Lựa chọn không hợp lệ."),
    ("source", "<script>", "Lựa chọn không hợp lệ."),
])
def test_bad_input_is_shown_next_to_the_field_in_vietnamese_and_nothing_is_saved(client, auth, rep, field, value, message):
    response = post_new(auth, new_customer_data(**{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and '<html lang="vi">' in html
    assert message in (error_of(html, field) or "")
    assert customer_count() == 0


@pytest.mark.parametrize("overrides, field, message", [
    ({"lat": "100"}, "lat", "Between -90 and 90."),
    ({"lng": "200"}, "lng", "Between -180 and 180."),
    ({"lat": "10.77", "lng": ""}, "lng", "Enter both latitude and longitude, or neither."),
    ({"tags": ",".join(f"t{n}" for n in range(25))}, "tags", "At most %(num)d tags."),
])
def test_position_and_tag_limits(client, auth, rep, overrides, field, message):
    response = post_new(auth, new_customer_data(**overrides))
    assert response.status_code == 400
    assert error_of(response.get_data(as_text=True), field) == vi(message) % {"num": 20}
    assert customer_count() == 0


def test_a_tax_code_already_used_is_refused_next_to_the_field(client, auth, rep):
    other = make_customer(make_user(), name="Ai đó khác", tax_code="0312345678")
    response = post_new(auth, new_customer_data(tax_code="0312 345 678", name="Tên khác hẳn", phone="", email=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and error_of(html, "tax_code") == vi("Another customer already has this tax code.")
    assert "Ai đó khác" not in html  # whose it is stays hidden
    assert customer_count() == 1 and fresh(other).name == "Ai đó khác"


def test_a_tax_code_taken_at_the_last_moment_is_a_clear_error_not_a_crash(rep):
    make_customer(make_user(), tax_code="0312345678")
    with pytest.raises(TaxCodeTaken):
        create_customer(rep.id, {"name": "Đến sau", "tax_code": "0312345678"}, ["Mới"])
    assert customer_count() == 1 and db.session.scalar(select(func.count(Tag.id))) == 0


def test_likely_duplicates_are_shown_first_and_created_only_when_confirmed(client, auth, rep):
    existing = make_customer(rep, name="Quán Cà Phê Sáng", phone="+84903123456")
    make_customer(make_user(), name="Khách riêng của người khác", email="chung@example.vn")
    data = new_customer_data(name="Cà phê Sáng", phone="0903 123 456", email="chung@example.vn", tax_code="")
    warning = post_new(auth, data)
    html = warning.get_data(as_text=True)
    assert warning.status_code == 200 and customer_count() == 2
    assert f'href="/customers/{existing.id}"' in html and "Quán Cà Phê Sáng" in html
    assert "Khách riêng của người khác" not in html
    assert re.search(r"\b1\b[^<]*(colleague|đồng nghiệp)", html)  # counted, never named
    assert 'name="confirm" value="y"' in html
    assert html.index('class="btn btn-primary btn-block">') < html.index('name="confirm"')  # Enter never confirms
    confirmed = post_new(auth, dict(data, confirm="y"))
    assert confirmed.status_code == 303 and customer_count() == 3


def test_a_duplicate_by_the_other_phone_is_found_too(client, auth, rep):
    existing = make_customer(rep, name="Tiệm Vàng Kim", phone="+84912000111")
    html = post_new(auth, new_customer_data(name="Hoàn toàn khác", phone="", phone_alt="0912 000 111", email="",
                                            tax_code="")).get_data(as_text=True)
    assert f'href="/customers/{existing.id}"' in html and customer_count() == 1


def test_editing_warns_about_duplicates_only_when_phone_email_or_tax_code_change(client, auth, rep):
    twin = make_customer(rep, name="Đức Hưng chi nhánh 2", phone="+84911222333")
    customer = make_customer(rep, name="Đức Hưng", phone="+84903123456")
    data = new_customer_data(name="Đức Hưng", phone="0903 123 456", email="", tax_code="", version=str(customer.version))
    url = f"/customers/{customer.id}/edit"
    assert auth.post(url, data, token_path=url).status_code == 303  # same phone, similar name elsewhere: no warning
    customer = fresh(customer)
    changed = dict(data, phone="0911 222 333", version=str(customer.version))
    html = auth.post(url, changed, token_path=url).get_data(as_text=True)
    assert f'href="/customers/{twin.id}"' in html and f'href="/customers/{customer.id}"' not in html.split("<form")[0]
    assert fresh(customer).phone == "+84903123456"
    assert auth.post(url, dict(changed, confirm="y"), token_path=url).status_code == 303
    assert fresh(customer).phone == "+84911222333"


def test_a_stale_edit_gets_409_with_the_current_values_and_writes_nothing(client, auth, rep):
    customer = make_customer(rep, name="Bản đầu", phone="+84903123456")
    url = f"/customers/{customer.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form
    customer.name = "Bản của đồng nghiệp"
    db.session.commit()  # someone else saved meanwhile: version 2
    data = new_customer_data(name="Bản của tôi", phone="0903 123 456", email="", tax_code="", version="1")
    stale = auth.post(url, data, token_path=url)
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Dữ liệu vừa được người khác cập nhật" in html and 'value="Bản của đồng nghiệp"' in html
    assert 'name="version" type="hidden" value="2"' in html
    saved = fresh(customer)
    assert (saved.name, saved.version, saved.tags) == ("Bản của đồng nghiệp", 2, [])
    assert db.session.scalar(select(func.count(Tag.id))) == 0
    assert auth.post(url, dict(data, version="2"), token_path=url).status_code == 303
    saved = fresh(customer)
    assert (saved.name, saved.version) == ("Bản của tôi", 3)


def test_changing_only_the_tags_bumps_the_version(client, auth, rep):
    customer = make_customer(rep, name="Chỉ đổi nhãn")
    url = f"/customers/{customer.id}/edit"
    data = {"name": "Chỉ đổi nhãn", "kind": "company", "lifecycle": "lead", "tags": "Mới", "version": "1"}
    assert auth.post(url, data, token_path=url).status_code == 303
    saved = fresh(customer)
    assert [t.name for t in saved.tags] == ["Mới"] and saved.version == 2


def test_a_rep_cannot_set_the_owner_or_other_columns_through_the_form(client, auth, rep):
    colleague = make_user(email="binh@example.vn", team=rep.team)
    extra = {"owner_id": str(colleague.id), "owner": str(colleague.id), "id": "999", "version": "7",
             "last_contact_at": "2020-01-01", "search_text": "hack", "created_at": "2000-01-01"}
    assert 'name="owner_id"' not in auth._client.get("/customers/new").get_data(as_text=True)
    assert post_new(auth, new_customer_data(**extra)).status_code == 303
    customer = db.session.scalar(select(Customer))
    assert (customer.owner_id, customer.last_contact_at, customer.version) == (rep.id, None, 1)
    assert customer.id != 999 and "hack" not in customer.search_text
    url = f"/customers/{customer.id}/edit"
    response = auth.post(url, new_customer_data(**dict(extra, version="1")), token_path=url)
    assert response.status_code == 303 and fresh(customer).owner_id == rep.id


def test_a_manager_chooses_an_owner_from_the_team_only(client, auth, team):
    rep = make_user(email="an@example.vn", name="Nguyễn Văn An", team=team)
    outsider = make_user(email="chi@example.vn", name="Lê Minh Chi", team=make_team("Miền Bắc"))
    manager = make_user(role="manager", email="ha@example.vn", team=team)
    auth.login(manager.email)
    page = auth._client.get("/customers/new").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "Lê Minh Chi" not in page
    refused = post_new(auth, new_customer_data(owner_id=str(outsider.id)))
    assert refused.status_code == 400 and "Lựa chọn không hợp lệ." in error_of(refused.get_data(as_text=True), "owner_id")
    assert customer_count() == 0
    assert post_new(auth, new_customer_data(owner_id=str(rep.id))).status_code == 303
    assert db.session.scalar(select(Customer.owner_id)) == rep.id


def test_another_reps_customer_cannot_be_edited(client, auth, rep):
    other = make_customer(make_user(email="binh@example.vn"), name="Không phải của An")
    url = f"/customers/{other.id}/edit"
    assert auth._client.get(url).status_code == 404
    response = auth.post(url, new_customer_data(name="Sửa trộm", version="1"))
    assert response.status_code == 404 and fresh(other).name == "Không phải của An"


def test_a_post_without_csrf_token_is_refused_and_writes_nothing(client, rep):
    assert client.post("/customers/new", data=new_customer_data()).status_code == 400
    assert customer_count() == 0


def test_script_in_a_name_is_escaped_in_the_form_and_the_flash(client, auth, rep):
    evil = "<script>alert(1)</script>"
    invalid = post_new(auth, new_customer_data(name=evil, phone="xx")).get_data(as_text=True)
    assert "<script>alert" not in invalid and "&lt;script&gt;" in invalid
    created = post_new(auth, new_customer_data(name=evil))
    card = client.get(created.headers["Location"]).get_data(as_text=True)  # the flash is shown here
    assert "<script>alert" not in card and card.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2


# --- Contacts ---------------------------------------------------------------------------------

def test_contacts_are_added_edited_and_deleted(client, auth, rep):
    customer = make_customer(rep)
    url = f"/customers/{customer.id}/contacts/new"
    data = {"name": "Chị Lan", "title": "Kế toán", "phone": "0912.345.678", "email": "LAN@Example.vn",
            "birthday": "01/02/1990", "is_primary": "y"}
    assert auth.post(url, data, token_path=url).status_code == 303
    lan = db.session.scalar(select(Contact))
    assert (lan.phone, lan.email, lan.birthday, lan.is_primary) == ("+84912345678", "lan@example.vn", date(1990, 2, 1), True)
    assert auth.post(url, dict(data, name="Anh Minh"), token_path=url).status_code == 303
    db.session.expire_all()
    assert [(c.name, c.is_primary) for c in db.session.get(Customer, customer.id).contacts] == [
        ("Anh Minh", True), ("Chị Lan", False)]  # one main contact at a time
    edit = f"/contacts/{lan.id}/edit"
    assert auth.post(edit, dict(data, title="Giám đốc", is_primary=""), token_path=edit).status_code == 303
    db.session.expire_all()
    assert db.session.get(Contact, lan.id).title == "Giám đốc"
    assert client.get(f"/contacts/{lan.id}/delete").status_code == 405
    response = auth.post(f"/contacts/{lan.id}/delete", token_path=edit)
    assert response.status_code == 303 and response.headers["Location"] == f"/customers/{customer.id}"
    assert db.session.scalar(select(func.count(Contact.id))) == 1


def test_a_bad_contact_is_refused_next_to_the_field(client, auth, rep):
    customer = make_customer(rep)
    url = f"/customers/{customer.id}/contacts/new"
    response = auth.post(url, {"name": "", "phone": "abc"}, token_path=url)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and error_of(html, "name") == "Trường bắt buộc"
    assert error_of(html, "phone") == "Nhập số điện thoại Việt Nam, ví dụ 0903 123 456."
    assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_another_reps_contacts_cannot_be_added_edited_or_deleted(client, auth, rep):
    other = make_customer(make_user(email="binh@example.vn"))
    contact = make_contact(other, name="Người của Bình")
    assert auth.post(f"/customers/{other.id}/contacts/new", {"name": "Chen vào"}).status_code == 404
    assert auth.post(f"/contacts/{contact.id}/edit", {"name": "Sửa trộm"}).status_code == 404
    assert auth.post(f"/contacts/{contact.id}/delete").status_code == 404
    db.session.expire_all()
    assert [c.name for c in db.session.scalars(select(Contact))] == ["Người của Bình"]
