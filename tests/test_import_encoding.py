"""A file mostly UTF-8 with a line that is not: that line is named and the user chooses the reading, for the
customer and the product import; a real Windows-1258 export is still read by itself."""
import io

from sqlalchemy import select

from app.extensions import db
from app.models import Customer, CustomerImport, Product, ProductImport
from tests.factories import make_user

# Line 3 (row 3 in a spreadsheet: the header is row 1) has "Café" typed in Windows-1252/1258: é is the byte E9.
CUSTOMERS = "Tên,SĐT\nNguyễn Văn Ân,0903 000 001\n".encode() + b"Caf\xe9 Sa,0903 000 002\n" + "Trần Bình,0903 000 003\n".encode()
PRODUCTS = "SKU;Name;Unit;Price;VAT\r\nA-1;Ống nhựa;mét;1000;10\r\n".encode() + b"B-2;Caf\xe9 s\xfaa;g\xf3i;2000;10\r\n"


def _latest(model):
    db.session.expire_all()
    return db.session.scalar(select(model).order_by(model.id.desc()))


def _customer_upload(auth, raw):
    return auth.post("/customers/import", {"file": (io.BytesIO(raw), "khach.csv")}, content_type="multipart/form-data")


def _customer_run(auth, found, **extra):
    data = {f"columns-{i}": field for i, field in enumerate(found.mapping["columns"])}
    return auth.post(f"/customers/import/{found.id}", {**data, "on_duplicate": "skip", "run": "1", **extra})


def test_customer_import_names_the_line_and_imports_with_the_reading_chosen(client, auth):
    auth.login(make_user(locale="en").email)
    assert _customer_upload(auth, CUSTOMERS).status_code == 303
    found = _latest(CustomerImport)
    page = client.get(f"/customers/import/{found.id}").get_data(as_text=True)
    assert "The file is UTF-8, except line 3: its characters are not UTF-8." in page
    assert "Read as UTF-8 and replace the bad characters (shown as �)" in page and "Caf� Sa" in page and "Café Sa" in page
    refused = _customer_run(auth, found)  # no reading chosen yet: a message next to the choice, nothing imported
    assert refused.status_code == 400 and "Choose how to read the file before importing it." in refused.get_data(as_text=True)
    assert db.session.scalar(select(Customer.id)) is None
    assert _customer_run(auth, found, reading="utf-8-replace").status_code == 303
    assert sorted(db.session.scalars(select(Customer.name))) == ["Caf� Sa", "Nguyễn Văn Ân", "Trần Bình"]


def test_customer_import_read_as_windows_1258(client, auth):
    auth.login(make_user(locale="en").email)
    _customer_upload(auth, CUSTOMERS)
    found = _latest(CustomerImport)
    preview = auth.post(f"/customers/import/{found.id}", {"columns-0": "name", "columns-1": "phone", "on_duplicate": "skip",
                                                           "reading": "cp1258-replace", "preview": "1"})
    assert preview.status_code == 200 and "<td>Café Sa</td>" in preview.get_data(as_text=True)
    assert _customer_run(auth, _latest(CustomerImport)).status_code == 303  # the choice is kept
    names = set(db.session.scalars(select(Customer.name)))
    assert "Café Sa" in names and "Nguyễn Văn Ân" not in names  # the whole file read as Windows-1258, as chosen


def test_an_unknown_reading_is_refused_next_to_the_field(client, auth):
    auth.login(make_user(locale="en").email)
    _customer_upload(auth, CUSTOMERS)
    response = _customer_run(auth, _latest(CustomerImport), reading="latin-1")
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalar(select(Customer.id)) is None


def test_a_real_windows_1258_file_is_still_detected_without_a_question(client, auth):
    auth.login(make_user(locale="en").email)
    raw = "Tên,SĐT\nCông ty Đức,0903 000 001\n".encode("utf-8").decode("utf-8")
    from tests.test_products import _cp1258

    assert _customer_upload(auth, _cp1258(raw)).status_code == 303
    found = _latest(CustomerImport)
    assert found.encoding == "cp1258" and found.encoding_question is None
    assert "except line" not in client.get(f"/customers/import/{found.id}").get_data(as_text=True)
    assert _customer_run(auth, found).status_code == 303
    assert db.session.scalar(select(Customer.name)) == "Công ty Đức"


def _product_upload(auth, raw, run):
    data = {"file": (io.BytesIO(raw), "bang-gia.csv"), ("run" if run else "check"): "1"}
    return auth.post("/admin/products/import", data, content_type="multipart/form-data")


def test_product_import_names_the_line_and_each_reading_gives_its_text(client, auth):
    auth.login(make_user(role="admin", locale="en").email)
    for run in (False, True):  # the check and the import both stop to ask
        response = _product_upload(auth, PRODUCTS, run=run)
        found = _latest(ProductImport)
        assert response.headers["Location"].endswith(f"/admin/products/import/{found.id}")
    page = client.get(f"/admin/products/import/{found.id}").get_data(as_text=True)
    assert "The file is UTF-8, except line 3: its characters are not UTF-8." in page
    refused = auth.post(f"/admin/products/import/{found.id}", {"run": "1"})
    assert refused.status_code == 400 and "Choose how to read the file before importing it." in refused.get_data(as_text=True)
    check = auth.post(f"/admin/products/import/{found.id}", {"reading": "cp1258-replace", "check": "1"}).get_data(as_text=True)
    assert "Check result: nothing was saved" in check and "<td>Café súa</td>" in check
    assert db.session.scalar(select(Product.id)) is None
    assert auth.post(f"/admin/products/import/{found.id}", {"run": "1"}).status_code == 303
    assert db.session.scalar(select(Product.name).where(Product.sku == "B-2")) == "Café súa"
    # The other reading: UTF-8 everywhere, the bytes that are not shown as �.
    _product_upload(auth, PRODUCTS.replace(b"A-1", b"C-3").replace(b"B-2", b"D-4"), run=True)
    found = _latest(ProductImport)
    assert auth.post(f"/admin/products/import/{found.id}", {"reading": "utf-8-replace", "run": "1"}).status_code == 303
    assert db.session.scalar(select(Product.name).where(Product.sku == "D-4")) == "Caf� s�a"
    assert db.session.scalar(select(Product.unit).where(Product.sku == "C-3")) == "mét"


def test_a_reading_that_loses_the_sku_column_is_refused_next_to_the_choice(client, auth):
    auth.login(make_user(role="admin", locale="en").email)
    raw = "Mã hàng;Tên hàng;ĐVT;Đơn giá;Thuế suất\r\nA-1;Ống;mét;1000;10\r\n".encode() + b"B-2;Caf\xe9;g\xf3i;2000;10\r\n"
    _product_upload(auth, raw, run=True)
    found = _latest(ProductImport)
    response = auth.post(f"/admin/products/import/{found.id}", {"reading": "cp1258-replace", "run": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "No SKU column found." in html and 'class="field-error"' in html
    assert _latest(ProductImport).needs_encoding_choice and db.session.scalar(select(Product.id)) is None
