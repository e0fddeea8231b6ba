"""The price list: admin-only pages, validation, activation, the quote builder's picker, CSV import."""
import io
import unicodedata

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Product
from app.services.products.import_rows import parse_price, parse_vat
from tests.factories import make_product, make_user

VALID = {"sku": "MLN-01", "name": "Máy lọc nước RO", "unit": "cái", "price_vnd": "12.345.000", "vat_rate": "10",
         "description": ""}


def _products():
    return db.session.scalars(select(Product).order_by(Product.sku)).all()


def _html(response):
    return response.get_data(as_text=True)


@pytest.fixture()
def admin(auth):
    user = make_user(role="admin")
    auth.login(user.email)
    return user


# --- Access ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["rep", "manager"])
def test_only_admins_manage_products(client, auth, role):
    product = make_product()
    auth.login(make_user(role=role).email)
    token = auth.token()
    for method, url in [("GET", "/admin/products"), ("GET", "/admin/products/new"), ("POST", "/admin/products/new"),
                        ("GET", f"/admin/products/{product.id}"), ("POST", f"/admin/products/{product.id}"),
                        ("POST", f"/admin/products/{product.id}/active"), ("GET", "/admin/products/import"),
                        ("POST", "/admin/products/import")]:
        response = client.open(url, method=method, data={"csrf_token": token, **VALID, "active": "0"})
        assert response.status_code == 403, (method, url)
    db.session.expire_all()
    assert [(p.sku, p.active) for p in _products()] == [(product.sku, True)]


def test_the_more_page_links_to_products_for_admins_only(client, auth):
    rep = make_user()
    auth.login(rep.email)
    assert "/admin/products" not in _html(client.get("/more"))
    auth.logout()
    auth.login(make_user(role="admin").email)
    assert "/admin/products" in _html(client.get("/more"))


# --- Create, edit, validation ---------------------------------------------------------------------

def test_admin_creates_a_product(client, auth, admin):
    response = auth.post("/admin/products/new", {**VALID, "description": "Lọc 10 cấp"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/products"
    [product] = _products()
    assert (product.sku, product.name, product.unit, product.price_vnd, product.vat_rate, product.active,
            product.description) == ("MLN-01", "Máy lọc nước RO", "cái", 12_345_000, 10, True, "Lọc 10 cấp")
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.entity_type == "products")) == "product.created"
    html = _html(client.get("/admin/products"))
    assert "Máy lọc nước RO" in html and "12.345.000 ₫" in html


def test_not_subject_to_vat_is_stored_as_none_and_shown_selected(client, auth, admin):
    auth.post("/admin/products/new", {**VALID, "vat_rate": "None"})
    [product] = _products()
    assert product.vat_rate is None
    html = _html(client.get(f"/admin/products/{product.id}"))
    assert '<option selected value="None">' in html


def test_validation_errors_are_shown_next_to_the_fields_in_vietnamese(client, auth, admin):
    response = auth.post("/admin/products/new", {"sku": " ", "name": "", "unit": "", "price_vnd": "", "vat_rate": "7"})
    assert response.status_code == 400
    html = _html(response)
    assert '<p class="field-error" id="sku-error">Trường bắt buộc</p>' in html
    assert '<p class="field-error" id="name-error">Trường bắt buộc</p>' in html
    assert '<p class="field-error" id="price_vnd-error">Trường bắt buộc</p>' in html
    assert '<p class="field-error" id="vat_rate-error">Lựa chọn không hợp lệ.</p>' in html
    assert _products() == []


@pytest.mark.parametrize("price, message", [
    ("-5", "Số phải lớn hơn hoặc bằng 0."),
    ("mười nghìn", "Vui lòng nhập số nguyên."),
    ("12.5e3", "Vui lòng nhập số nguyên."),
])
def test_negative_or_non_numeric_prices_are_rejected(client, auth, admin, price, message):
    response = auth.post("/admin/products/new", {**VALID, "price_vnd": price})
    assert response.status_code == 400
    assert f'<p class="field-error" id="price_vnd-error">{message}</p>' in _html(response)
    assert _products() == []


def test_a_duplicate_sku_is_refused_letter_case_aside(client, auth):
    make_product(sku="MLN-01", name="Cũ")
    auth.login(make_user(role="admin", locale="en").email)
    response = auth.post("/admin/products/new", {**VALID, "sku": "mln-01"})
    assert response.status_code == 400
    assert '<p class="field-error" id="sku-error">Another product already has this SKU.</p>' in _html(response)
    assert [p.name for p in _products()] == ["Cũ"]


def test_editing_keeps_its_own_sku_and_records_the_change(client, auth, admin):
    product = make_product(sku="MLN-01", price_vnd=1_000_000)
    response = auth.post(f"/admin/products/{product.id}", {**VALID, "price_vnd": "1.200.000", "vat_rate": "8"})
    assert response.status_code == 303
    db.session.expire_all()
    assert (product.price_vnd, product.vat_rate, product.name) == (1_200_000, 8, "Máy lọc nước RO")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "product.updated"))
    assert event.before["price_vnd"] == 1_000_000 and event.after["price_vnd"] == 1_200_000


def test_unknown_product_is_404(client, auth, admin):
    assert client.get("/admin/products/999999").status_code == 404
    assert auth.post("/admin/products/999999/active", {"active": "0"}).status_code == 404


def test_extra_fields_are_ignored(client, auth, admin):
    auth.post("/admin/products/new", {**VALID, "active": "0", "id": "77", "created_at": "2000-01-01"})
    [product] = _products()
    assert product.active is True and product.id != 77


def test_text_is_escaped(client, auth, admin):
    evil = '<script>alert("x")</script>'
    auth.post("/admin/products/new", {**VALID, "name": evil, "unit": "<b>u</b>"})
    for url in ("/admin/products", "/products/search?q=script", f"/admin/products/{_products()[0].id}"):
        html = _html(client.get(url))
        assert evil not in html and "<b>u</b>" not in html
        assert "&lt;script&gt;" in html


def test_csrf_is_required(client, auth, admin):
    product = make_product()
    assert client.post("/admin/products/new", data=VALID).status_code == 400
    assert client.post(f"/admin/products/{product.id}/active", data={"active": "0"}).status_code == 400
    response = client.post("/admin/products/import", data={"file": (io.BytesIO(b"sku\nA"), "a.csv"), "run": "1"},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    db.session.expire_all()
    assert [(p.sku, p.active) for p in _products()] == [(product.sku, True)]


# --- Listing and picking ---------------------------------------------------------------------------

def test_admin_list_searches_without_diacritics_and_pages(client, auth, admin):
    make_product(sku="MLN-01", name="Máy lọc nước RO")
    make_product(sku="BL-02", name="Bộ lọc thô")
    for n in range(55):
        make_product(sku=f"Z-{n:03d}", name=f"Zeta {n:03d}")
    html = _html(client.get("/admin/products?q=may loc"))
    assert "Máy lọc nước RO" in html and "Bộ lọc thô" not in html
    assert "Bộ lọc thô" in _html(client.get("/admin/products?q=bl-02"))
    fragment = _html(client.get("/admin/products?q=loc", headers={"HX-Request": "true"}))
    assert "<html" not in fragment and "Máy lọc nước RO" in fragment and "Bộ lọc thô" in fragment
    first = _html(client.get("/admin/products"))
    assert "page=2" in first and "Zeta 054" not in first
    second = _html(client.get("/admin/products?page=2", headers={"HX-Request": "true"}))
    assert "<html" not in second and "Zeta 054" in second


def test_picker_lists_active_products_with_data_for_the_builder(client, auth):
    chosen = make_product(sku="MLN-01", name="Máy lọc nước RO", unit="cái", price_vnd=12_345_000, vat_rate=None)
    make_product(sku="OLD-01", name="Máy lọc cũ", active=False)
    auth.login(make_user().email)  # any signed-in rep
    html = _html(client.get("/products/search?q=MAY LOC", headers={"HX-Request": "true"}))
    assert "<html" not in html
    assert html.count("<li") == 1 and "Máy lọc cũ" not in html
    assert f'data-product-id="{chosen.id}"' in html and 'data-price="12345000"' in html and 'data-vat="none"' in html
    assert 'data-unit="cái"' in html and 'data-name="Máy lọc nước RO"' in html
    assert f'<button type="submit" name="product_id" value="{chosen.id}"' in html
    assert "<form" not in html


def test_picker_returns_at_most_twenty(client, auth):
    for n in range(25):
        make_product(name=f"Ống nước {n}")
    auth.login(make_user().email)
    assert _html(client.get("/products/search?q=ong")).count("<li") == 20
    assert _html(client.get("/products/search")).count("<li") == 20


def test_deactivating_hides_from_the_picker_and_activating_brings_back(client, auth, admin):
    product = make_product(name="Máy lọc nước RO")
    assert "Máy lọc nước RO" in _html(client.get("/products/search?q=may"))
    for _ in range(2):  # a double tap withdraws it once, it does not flip back
        assert auth.post(f"/admin/products/{product.id}/active", {"active": "0"}).status_code == 303
    db.session.expire_all()
    assert product.active is False
    assert "Máy lọc nước RO" not in _html(client.get("/products/search?q=may"))
    assert "Máy lọc nước RO" in _html(client.get("/admin/products?q=may"))  # admins still see it
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "product.deactivated")) == 1
    auth.post(f"/admin/products/{product.id}/active", {"active": "1"})
    assert "Máy lọc nước RO" in _html(client.get("/products/search?q=may"))


def test_activation_refuses_get(client, admin):
    product = make_product()
    assert client.get(f"/admin/products/{product.id}/active").status_code == 405


# --- CSV import ------------------------------------------------------------------------------------

def _import(auth, raw, run=True, filename="bang-gia.csv"):
    """Upload a price list; an import is queued (and, JOBS_IMMEDIATE, run) and its result page followed."""
    data = {"file": (io.BytesIO(raw), filename), ("run" if run else "check"): "1"}
    return auth.post("/admin/products/import", data, content_type="multipart/form-data", follow_redirects=run)


MESSY = (
    "\ufeffMã hàng;Tên hàng;Đơn vị tính;Đơn giá (VNĐ);Thuế suất (%);Ghi chú;Cột lạ\r\n"
    "MLN-01;Máy lọc nước RO 10 cấp;cái;13.500.000;10%;Bản mới;x\r\n"
    "LOI-02;Lõi lọc PP;cái;120 000 ₫;8;;\r\n"
    "BAD-03;Hàng lỗi giá;hộp;12,5 triệu;10;;\r\n"
    ";Không mã;cái;1000;10;;\r\n"
    ";;;;;;\r\n"
    "DV-04;Công lắp đặt;lần;500000;KCT;;\r\n"
    "VAT-05;Thuế lạ;cái;1000;7;;\r\n"
    "lOi-02;Lõi lọc trùng;cái;1;8;;\r\n"
    "NEW-06;Thiếu đơn vị;;1000;10;;\r\n"
).encode("utf-8")


def test_messy_csv_import_upserts_by_sku_and_reports_every_row(client, auth):
    make_product(sku="MLN-01", name="Máy lọc nước RO", price_vnd=12_000_000, vat_rate=10, description="Cũ")
    admin = make_user(role="admin", locale="en")
    auth.login(admin.email)
    response = _import(auth, MESSY)
    assert response.status_code == 200
    html = _html(response)
    products = {p.sku: p for p in _products()}
    assert set(products) == {"MLN-01", "LOI-02", "DV-04"}
    updated = products["MLN-01"]
    assert (updated.name, updated.price_vnd, updated.vat_rate, updated.description) == (
        "Máy lọc nước RO 10 cấp", 13_500_000, 10, "Bản mới")
    assert (products["LOI-02"].price_vnd, products["LOI-02"].vat_rate, products["LOI-02"].unit) == (120_000, 8, "cái")
    assert products["DV-04"].vat_rate is None and products["DV-04"].price_vnd == 500_000
    # every invalid row is listed with its row number and reason
    assert "Price “12,5 triệu” is not a whole number of đồng." in html
    assert "The SKU is empty." in html
    assert "VAT rate “7” is not 0, 5, 8 or 10 % or KCT (not subject)." in html
    assert "This SKU is already on row 3 of the file." in html
    assert "Unit is missing (needed for a new product)." in html
    for row in (4, 5, 8, 9, 10):
        assert f"<tr class=\"import-row-error\"><td>{row}</td>" in html
    assert '<div class="count-ok"><dt>Created</dt><dd>2</dd>' in html
    assert '<div class="count-duplicate"><dt>Updated</dt><dd>1</dd>' in html
    assert '<div class="count-error"><dt>Errors</dt><dd>5</dd>' in html


def test_a_check_run_saves_nothing(client, auth):
    make_product(sku="MLN-01", price_vnd=12_000_000)
    auth.login(make_user(role="admin", locale="en").email)
    html = _html(_import(auth, MESSY, run=False))
    assert "Check result: nothing was saved" in html
    assert "<dd>2</dd>" in html
    db.session.expire_all()
    assert [(p.sku, p.price_vnd) for p in _products()] == [("MLN-01", 12_000_000)]
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def _cp1258(text):
    """Text as Windows-1258 writes it: a base letter, then the tone mark as a combining character."""
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            out += unicodedata.normalize("NFC", decomposed[:-1]).encode("cp1258") + decomposed[-1].encode("cp1258")
    return out


def test_import_reads_windows_1258_and_commas(client, auth, admin):
    text = "SKU,Name,Unit,Price,VAT\r\nA-1,Ống nhựa Đạt Hòa,mét,\"25,000\",5\r\n"
    assert _import(auth, _cp1258(text)).status_code == 200
    [product] = _products()
    assert (product.name, product.unit, product.price_vnd, product.vat_rate) == ("Ống nhựa Đạt Hòa", "mét", 25_000, 5)


def test_import_refuses_files_without_sku_column_or_too_many_rows(client, auth):
    auth.login(make_user(role="admin", locale="en").email)
    response = _import(auth, "Tên hàng;Đơn giá\r\nA;1000\r\n".encode())
    assert response.status_code == 400 and "No SKU column found." in _html(response)
    rows = "".join(f"S{n};Tên {n};cái;1000;10\r\n" for n in range(5_001))
    response = _import(auth, ("Mã hàng;Tên hàng;ĐVT;Đơn giá;Thuế suất\r\n" + rows).encode())
    assert response.status_code == 400 and "at most 5,000" in _html(response).replace(".", ",")
    assert _products() == []


def test_imported_text_is_escaped_in_the_report(client, auth, admin):
    raw = 'Mã hàng;Tên hàng;ĐVT;Đơn giá;Thuế suất\r\n<img src=x onerror=alert(1)>;<script>x</script>;cái;abc;10\r\n'
    html = _html(_import(auth, raw.encode()))
    assert "<script>x</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert _products() == []


@pytest.mark.parametrize("text, value", [
    ("12.345.000", 12_345_000), ("12,345,000", 12_345_000), ("12 345 000 ₫", 12_345_000), ("12345000", 12_345_000),
    ("12345000.00", 12_345_000), ("500.000 đ", 500_000), ("0", 0), ("1.000 VND", 1_000),
])
def test_parse_price(text, value):
    assert parse_price(text) == value


@pytest.mark.parametrize("text", ["-5", "12.5", "1.23.456", "abc", "12,5 triệu", "1e6"])
def test_parse_price_refuses(text):
    with pytest.raises(ValueError):
        parse_price(text)


@pytest.mark.parametrize("text, rate", [("10", 10), ("10%", 10), ("8 %", 8), ("0", 0), ("0.05", 5), ("0,08", 8),
                                        ("KCT", None), ("Không chịu thuế", None), ("not subject", None)])
def test_parse_vat(text, rate):
    assert parse_vat(text) == rate


@pytest.mark.parametrize("text", ["7", "12", "abc", "nan", "inf", "0.07"])
def test_parse_vat_refuses(text):
    with pytest.raises(ValueError):
        parse_vat(text)
