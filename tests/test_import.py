"""CSV import: encodings, header guessing, preview, per-row report, owner from the server, limits, atomicity."""
import csv
import io
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import AuditEvent, Contact, Customer, CustomerImport
from app.services.customers import imports as customer_import
from app.services.common.csv_safe import excel_csv, safe_cell
from tests.factories import make_customer, make_team, make_user

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture()
def people():
    south, north = make_team("Miền Nam"), make_team("Miền Bắc")
    return {
        "rep": make_user(team=south, locale="en"),
        "rep2": make_user(team=south, locale="en"),
        "manager": make_user(role="manager", team=south, locale="en"),
        "north_rep": make_user(team=north, locale="en"),
        "admin": make_user(role="admin", locale="en"),
    }


def _upload(auth, raw, filename="khach-hang.csv", **fields):
    data = {"file": (io.BytesIO(raw), filename), **fields}
    return auth.post("/customers/import", data, content_type="multipart/form-data")


def _upload_fixture(auth, name, **fields):
    return _upload(auth, (FIXTURES / name).read_bytes(), name, **fields)


def _latest_import():
    db.session.expire_all()
    return db.session.scalar(select(CustomerImport).order_by(CustomerImport.id.desc()))


def _run(auth, found, columns=None, on_duplicate="skip", action="run", **extra):
    data = {f"columns-{i}": field for i, field in enumerate(columns or found.mapping["columns"])}
    data.update({"on_duplicate": on_duplicate, action: "1", **extra})
    return auth.post(f"/customers/import/{found.id}", data)


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _csv(*lines):
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_header_guessing_ignores_diacritics_case_and_punctuation():
    headers = ["Tên khách hàng", "Số điện thoại", "SĐT 2", "E-mail", "Mã số thuế", "Địa chỉ", "Phường/Xã", "Quận/Huyện",
               "Tỉnh/Thành phố", "Nguồn", "Nhãn", "Ghi chú", "Ngày sinh", "Người liên hệ", "SĐT người liên hệ",
               "Email người liên hệ", "Giai đoạn", "Loại", "owner", "owner_id", "Người phụ trách", "Cột lạ"]
    assert customer_import.guess_mapping(headers) == [
        "name", "phone", "phone_alt", "email", "tax_code", "address", "ward", "district", "province", "source", "tags",
        "notes", "birthday", "contact_name", "contact_phone", "contact_email", "lifecycle", "kind",
        "ignore", "ignore", "ignore", "ignore"]
    assert customer_import.guess_mapping(["TÊN", "sdt", "MST", "Customer Name", "Phone Number", "Tax code", "City"]) == [
        "name", "phone", "tax_code", "ignore", "ignore", "ignore", "province"]  # a field is guessed once
    nfd = unicodedata.normalize("NFD", "Tên khách hàng")
    assert customer_import.guess_mapping([nfd]) == ["name"]


def test_encodings_and_delimiters_are_detected():
    for name, encoding, delimiter in [("import_messy.csv", "utf-8-sig", ";"), ("import_cp1252.csv", "cp1252", ","),
                                      ("import_cp1258.csv", "cp1258", "\t")]:
        parsed = customer_import.read_upload((FIXTURES / name).read_bytes(), 100)
        assert (parsed.encoding, parsed.delimiter) == (encoding, delimiter), name
    parsed = customer_import.read_upload((FIXTURES / "import_cp1258.csv").read_bytes(), 100)
    names = [cells[0] for _n, cells in parsed.rows]
    assert names == ["Công ty TNHH Đức Hưng Thịnh", "Nguyễn Thị Hồng Nhung", "Cửa hàng Điện máy Phước Lộc"]
    assert all(unicodedata.is_normalized("NFC", n) for n in names)
    utf16 = "Tên\tSĐT\nBà Năm\t0903 123 456\n".encode("utf-16")
    assert customer_import.read_upload(utf16, 10).rows[0][1] == ["Bà Năm", "0903 123 456"]


def test_messy_file_preview_then_import_with_a_per_row_report(client, auth, people):
    existing = make_customer(people["rep"], name="Nhà hàng Biển Xanh", phone="+84904555666")
    auth.login(people["rep"].email)
    response = _upload_fixture(auth, "import_messy.csv")
    found = _latest_import()
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/customers/import/{found.id}")
    assert found.encoding == "utf-8-sig" and found.total_rows == 11 and found.owner_id == people["rep"].id
    assert found.mapping["delimiter"] == ";" and found.mapping["columns"][-1] == "ignore"  # owner_id column

    page = client.get(f"/customers/import/{found.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<option selected value="tax_code">' in html and '<option selected value="birthday">' in html
    assert "Will be skipped: duplicate" in html and f"Looks like customer #{existing.id} (phone, similar name)" in html
    assert "Looks like row 6 (phone, similar name)" in html
    assert "The name is empty." in html and "Invalid phone number “12345”." in html
    assert "The row has 2 columns; the header has 11." in html and "Invalid email address “not-an-email”." in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Shop" in html and "<script>alert(1)" not in html
    assert _count(Customer) == 1  # the preview imports nothing

    response = _run(auth, found)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/customers/import/{found.id}/result")
    found = _latest_import()
    assert (found.status, found.imported_count, found.skipped_count, found.error_count) == ("imported", 4, 2, 5)
    assert found.content is None and found.finished_at is not None
    imported = db.session.scalars(select(Customer).where(Customer.id != existing.id).order_by(Customer.id)).all()
    assert [c.name for c in imported] == ["Công ty TNHH Minh Phát", "Tạp hóa Cô Ba",
                                          '=HYPERLINK("http://evil.example/","Bấm vào đây")', "<script>alert(1)</script> Shop"]
    assert {c.owner_id for c in imported} == {people["rep"].id}
    first = imported[0]
    assert (first.phone, first.email, first.tax_code, first.district, first.province, first.source, first.notes) == (
        "+84903111222", "minhphat@example.vn", "0312345001", "Quận 1", "TP. Hồ Chí Minh", "Hội chợ", "Khách quen")
    assert imported[1].tax_code == "0312345002" and imported[1].lifecycle == "lead" and imported[1].kind == "company"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "customer.import"))
    assert event.entity_id == found.id and event.after["imported"] == 4

    lines = {int(line["row"]): line for line in customer_import.report_rows(found)}
    assert sorted(lines) == list(range(2, 13))
    assert lines[2]["status"] == "imported" and lines[2]["customer_id"] == str(imported[0].id)
    assert lines[5]["status"] == "duplicate" and lines[5]["customer_id"] == str(existing.id)
    assert lines[7]["status"] == "duplicate" and "row 6" in lines[7]["details"]
    assert {n for n, line in lines.items() if line["status"] == "error"} == {3, 4, 10, 11, 12}
    assert "Unknown date “31/02/1990”" in lines[12]["details"]

    result = client.get(f"/customers/import/{found.id}/result").get_data(as_text=True)
    assert "Thiếu cột" in result and "Invalid phone number" in result and "<script>" not in result
    assert f"/customers/import/{found.id}/report.csv" in result


def test_report_csv_is_excel_safe_and_only_for_its_creator(client, auth, people):
    auth.login(people["rep"].email)
    _upload_fixture(auth, "import_messy.csv")
    found = _latest_import()
    _run(auth, found)
    response = client.get(f"/customers/import/{found.id}/report.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="import-{found.id}-report.csv"'
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeffRow,Status,Details,Customer id,Name\r\n")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    names = [row[4] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://evil.example/\",\"Bấm vào đây\")" in names
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert rows[1][:2] == ["2", "Imported"]
    auth.logout()
    for other in ("rep2", "admin"):
        auth.login(people[other].email)
        assert client.get(f"/customers/import/{found.id}/report.csv").status_code == 404
        assert client.get(f"/customers/import/{found.id}/result").status_code == 404
        assert client.get(f"/customers/import/{found.id}").status_code == 404
        auth.logout()


def test_cp1252_and_cp1258_files_import_with_their_letters(client, auth, people):
    auth.login(people["rep"].email)
    for name in ("import_cp1252.csv", "import_cp1258.csv"):
        assert _upload_fixture(auth, name).status_code == 303
        assert _run(auth, _latest_import()).status_code == 303
        assert _latest_import().imported_count == 3
    names = set(db.session.scalars(select(Customer.name)))
    assert names == {"Café de Paris", "Müller & Söhne", "Señor Ñandú", "Công ty TNHH Đức Hưng Thịnh",
                     "Nguyễn Thị Hồng Nhung", "Cửa hàng Điện máy Phước Lộc"}
    thinh = db.session.scalar(select(Customer).where(Customer.tax_code == "0301234567"))
    assert thinh.phone == "+842838221234" and thinh.province == "TP. Hồ Chí Minh" and thinh.notes == "Gặp anh Tuấn"
    assert db.session.scalar(select(Customer.notes).where(Customer.name == "Müller & Söhne")) == "Größe: groß"


def test_owner_is_never_read_from_the_file(client, auth, people):
    auth.login(people["rep"].email)
    raw = _csv("Name,owner,owner_id,Phone", f"Khách A,{people['rep2'].email},{people['rep2'].id},0903 000 001")
    _upload(auth, raw)
    found = _latest_import()
    assert found.mapping["columns"] == ["name", "ignore", "ignore", "phone"]
    response = _run(auth, found, columns=["name", "owner", "owner_id", "phone"])
    assert response.status_code == 400  # "owner" is not a field one can map
    assert _count(Customer) == 0
    _run(auth, found)
    assert db.session.scalar(select(Customer.owner_id)) == people["rep"].id


def test_a_rep_cannot_import_for_someone_else(client, auth, people):
    auth.login(people["rep"].email)
    assert 'name="owner_id"' not in client.get("/customers/import").get_data(as_text=True)
    _upload(auth, _csv("Tên,SĐT", "Khách B,0903 000 002"), owner_id=str(people["rep2"].id))
    found = _latest_import()
    assert found.owner_id == people["rep"].id
    _run(auth, found, owner_id=str(people["rep2"].id), created_by_id=str(people["rep2"].id))
    assert db.session.scalar(select(Customer.owner_id)) == people["rep"].id


def test_a_manager_imports_for_the_team_only(client, auth, people):
    auth.login(people["manager"].email)
    form = client.get("/customers/import").get_data(as_text=True)
    assert f'value="{people["rep2"].id}"' in form and f'value="{people["north_rep"].id}"' not in form
    response = _upload(auth, _csv("Tên,SĐT", "Khách C,0903 000 003"), owner_id=str(people["north_rep"].id))
    assert response.status_code == 400 and _count(CustomerImport) == 0
    assert _upload(auth, _csv("Tên,SĐT", "Khách C,0903 000 003"), owner_id=str(people["rep2"].id)).status_code == 303
    found = _latest_import()
    assert found.owner_id == people["rep2"].id and found.created_by_id == people["manager"].id
    _run(auth, found)
    assert db.session.scalar(select(Customer.owner_id)) == people["rep2"].id


def test_import_anyway_keeps_duplicates_but_never_a_used_tax_code(client, auth, people):
    existing = make_customer(people["rep"], name="Đức Hưng", phone="+84903123456", tax_code="0311111111")
    auth.login(people["rep"].email)
    raw = _csv("Tên;SĐT;MST", "Cty Đức Hưng;0903 123 456;", "Đức Hưng 2;;0311111111", "Mới;0911 222 333;0322222222",
               "Mới lại;0911 222 334;0322222222")
    _upload(auth, raw)
    _run(auth, _latest_import(), on_duplicate="import")
    found = _latest_import()
    assert (found.imported_count, found.skipped_count, found.error_count) == (2, 2, 0)
    lines = {int(line["row"]): line for line in customer_import.report_rows(found)}
    assert lines[2]["status"] == "imported"
    assert f"Same tax code as customer #{existing.id}" in lines[3]["details"]
    assert "Same tax code as row 4" in lines[5]["details"]


def test_a_duplicate_outside_ones_scope_is_not_identified(client, auth, people):
    hidden = make_customer(people["north_rep"], name="Bí Mật", phone="+84903999888")
    auth.login(people["rep"].email)
    _upload(auth, _csv("Tên,SĐT", "Khách D,0903 999 888"))
    found = _latest_import()
    html = client.get(f"/customers/import/{found.id}").get_data(as_text=True)
    assert "Looks like a customer of another salesperson (phone)" in html and f"#{hidden.id}" not in html
    _run(auth, found)
    line = customer_import.report_rows(_latest_import())[0]
    assert line["status"] == "duplicate" and line["customer_id"] == ""


def test_row_cap_refuses_the_whole_file(client, auth, people, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 5)
    auth.login(people["rep"].email)
    response = _upload(auth, _csv("Tên,SĐT", *[f"Khách {n},0903 000 {n:03d}" for n in range(6)]))
    assert response.status_code == 400
    assert "The file has 6 rows; at most 5 can be imported at once." in response.get_data(as_text=True)
    assert _count(CustomerImport) == 0 and _count(Customer) == 0
    assert _upload(auth, _csv("Tên,SĐT", *[f"Khách {n},0903 000 {n:03d}" for n in range(5)])).status_code == 303


def test_uploads_above_the_app_limit_but_within_the_import_limit_are_accepted(client, auth, people):
    auth.login(people["rep"].email)
    notes = "x" * 3000
    raw = _csv("Tên,Ghi chú", *[f"Khách {n},{notes}" for n in range(1000)])
    assert len(raw) > 2 * 1024 * 1024
    assert _upload(auth, raw).status_code == 303
    assert _latest_import().total_rows == 1000
    # Other forms keep the app-wide limit.
    assert auth.post("/language", {"lang": "en", "padding": "x" * (3 * 1024 * 1024)}).status_code == 413


def test_a_20_mb_upload_gets_a_413_page_saying_the_limit(client, auth, people):
    auth.login(people["rep"].email)
    response = _upload(auth, b"a" * (20 * 1024 * 1024))
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "The file is larger than 10 MB" in html and 'class="tabbar"' in html
    assert _count(CustomerImport) == 0


def test_upload_needs_a_csrf_token_and_a_csv(client, auth, people):
    auth.login(people["rep"].email)
    response = client.post("/customers/import", data={"file": (io.BytesIO(_csv("Tên", "A")), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and _count(CustomerImport) == 0
    response = _upload(auth, b"PK\x03\x04" + b"\x00" * 100, "khach.csv")
    assert response.status_code == 400 and "spreadsheet, not a CSV file" in response.get_data(as_text=True)
    assert _upload(auth, _csv("Tên", "A"), "khach.exe").status_code == 400
    assert _upload(auth, _csv("Tên")).status_code == 400
    assert _count(CustomerImport) == 0


def test_mapping_problems_are_shown_and_nothing_is_imported(client, auth, people):
    auth.login(people["rep"].email)
    _upload(auth, _csv("Tên,SĐT", "Khách E,0903 000 005"))
    found = _latest_import()
    response = _run(auth, found, columns=["phone", "phone"])
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is chosen for more than one column" in html and "Choose the column that holds the customer" in html
    assert _run(auth, found, columns=["name"]).status_code == 400
    assert _count(Customer) == 0 and _latest_import().status == "uploaded"
    preview = _run(auth, found, columns=["name", "ignore"], action="preview")
    assert preview.status_code == 200 and _latest_import().mapping["columns"] == ["name", "ignore"]


def test_running_twice_imports_once(client, auth, people):
    auth.login(people["rep"].email)
    _upload(auth, _csv("Tên,SĐT", "Khách F,0903 000 006"))
    found = _latest_import()
    first = _run(auth, found)
    second = _run(auth, found)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"].endswith(f"/customers/import/{found.id}/result")
    assert _count(Customer) == 1
    assert client.get(f"/customers/import/{found.id}").status_code == 303  # the mapping page is gone


def test_a_crash_midway_keeps_the_committed_batches_and_marks_the_import_failed(client, auth, people, monkeypatch):
    monkeypatch.setattr(customer_import, "BATCH_SIZE", 2)  # the first batch is committed before the crash
    if db.engine.dialect.name == "sqlite":
        statements = ["CREATE TRIGGER crash_import BEFORE INSERT ON customers WHEN NEW.name = 'Gây lỗi' "
                      "BEGIN SELECT RAISE(ABORT, 'boom'); END"]
        cleanup = ["DROP TRIGGER IF EXISTS crash_import"]
    else:
        statements = ["CREATE FUNCTION crash_import() RETURNS trigger AS $$ BEGIN IF NEW.name = 'Gây lỗi' THEN "
                      "RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                      "CREATE TRIGGER crash_import BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION crash_import()"]
        cleanup = ["DROP TRIGGER IF EXISTS crash_import ON customers", "DROP FUNCTION IF EXISTS crash_import()"]
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    try:
        auth.login(people["rep"].email)
        _upload(auth, _csv("Tên,SĐT", "Khách 1,0903 000 011", "Khách 2,0903 000 012", "Khách 3,0903 000 013",
                           "Gây lỗi,0903 000 014"))
        found = _latest_import()
        assert _run(auth, found).status_code == 303
        found = _latest_import()
        assert found.status == "failed" and found.content is None and found.imported_count == 2
        assert customer_import.stored_bytes(found) is None  # the uploaded file is removed
        # The batch committed before the crash stays (and is reported), the failing batch is rolled back as a whole.
        assert sorted(db.session.scalars(select(Customer.name))) == ["Khách 1", "Khách 2"]
        lines = customer_import.report_rows(found)
        assert [line["status"] for line in lines] == ["failed", "imported", "imported"]
        result = client.get(f"/customers/import/{found.id}/result").get_data(as_text=True)
        assert "after 2 imported rows" in result and "Error id" in result
    finally:
        db.session.rollback()
        with db.engine.begin() as conn:
            for statement in cleanup:
                conn.execute(text(statement))


def test_tags_contacts_and_dates_are_imported(client, auth, people):
    auth.login(people["rep"].email)
    raw = _csv("Tên,Nhãn,Người liên hệ,SĐT người liên hệ,Ngày sinh,Giai đoạn,Loại,SĐT",
               'Khách G,"VIP, Q1",Chị Hoa,0912 000 111,05/09/1985,Đã mua hàng,Cá nhân,903000777',
               "Khách H,vip,,0912 000 222,,,,")
    _upload(auth, raw)
    _run(auth, _latest_import())
    found = _latest_import()
    assert (found.imported_count, found.error_count) == (1, 1)
    g = db.session.scalar(select(Customer).where(Customer.name == "Khách G"))
    assert sorted(t.name for t in g.tags) == ["Q1", "VIP"]
    assert [(c.name, c.phone, c.is_primary) for c in g.contacts] == [("Chị Hoa", "+84912000111", True)]
    assert (g.birthday.isoformat(), g.lifecycle, g.kind, g.phone) == ("1985-09-05", "customer", "person", "+84903000777")
    assert "needs a contact name" in customer_import.report_rows(found)[1]["details"]


def test_imports_list_shows_mine_newest_first(client, auth, people):
    auth.login(people["rep2"].email)
    _upload(auth, _csv("Tên", "Của người khác"), "khac.csv")
    auth.logout()
    auth.login(people["rep"].email)
    _upload(auth, _csv("Tên", "A"), "cu.csv")
    _upload(auth, _csv("Tên", "B"), "moi.csv")
    html = client.get("/customers/imports").get_data(as_text=True)
    assert html.index("moi.csv") < html.index("cu.csv") and "khac.csv" not in html
    fragment = client.get("/customers/imports", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "moi.csv" in fragment


def test_more_page_links_to_the_tools_by_role(client, auth, people):
    auth.login(people["rep"].email)
    html = client.get("/more").get_data(as_text=True)
    assert "/customers/import" in html and "/customers/imports" in html and "/customers/duplicates" not in html
    auth.logout()
    auth.login(people["manager"].email)
    html = client.get("/more").get_data(as_text=True)
    assert "/customers/duplicates" in html and "/customers/merges" in html


def test_safe_cell_and_excel_csv():
    assert [safe_cell(v) for v in ("=1+1", "+84903", "-x", "@SUM(A1)", " =1", "\t=1", "ok", None, -5, 3)] == [
        "'=1+1", "'+84903", "'-x", "'@SUM(A1)", "' =1", "'\t=1", "ok", "", -5, 3]
    assert excel_csv([["a", "b"], ["=x", 'say "hi"']]) == '\ufeffa,b\r\n\'=x,"say ""hi"""\r\n'


def test_batch_matcher_answers_the_same_for_a_preview_and_a_whole_file(people):
    from app.services.customers.dedup import NAME_PREFILTER_BUCKETS, Candidate, existing_duplicates

    duc = make_customer(people["rep"], name="Công ty TNHH Đức Hưng", phone="+84903123456", email="duc@example.vn")
    make_customer(people["rep"], name="Nhà thuốc An Khang 12")
    few = [Candidate(name="Duc Hungg"), Candidate(name="Nhà thuốc An Khang 14"),
           Candidate(name="Khác", phones=("+84903123456",), email="duc@example.vn"), Candidate(name="Nhà thuốc An Khang 12")]
    fillers = [Candidate(name=f"{chr(97 + n // 26)}{chr(97 + n % 26)}x Store") for n in range(NAME_PREFILTER_BUCKETS + 5)]
    expected = [(duc.id, ["name"]), None, (duc.id, ["phone", "email"]), (duc.id + 1, ["name"])]
    assert existing_duplicates(few) == expected
    assert existing_duplicates(few + fillers)[:4] == expected


def test_pages_answer_htmx_with_a_fragment(client, auth, people):
    auth.login(people["rep"].email)
    _upload(auth, _csv("Tên,SĐT", "Khách I,0903 000 009"))
    found = _latest_import()
    paths = ["/customers/import", f"/customers/import/{found.id}", "/customers/imports"]
    for path in paths:
        response = client.get(path, headers={"HX-Request": "true"})
        assert response.status_code == 200 and "<html" not in response.get_data(as_text=True), path
    _run(auth, found)
    response = client.get(f"/customers/import/{found.id}/result", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
