"""Product imports as jobs: committed batches while another admin saves, the polled progress, a dead worker, a
double submission and a doubled job, a SKU saved by someone else during the import."""
import io

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AuditEvent, Product, ProductImport
from app.services.common import import_jobs
from app.services.products import imports as product_imports
from tests.conftest import AuthActions
from tests.factories import make_product, make_user

HEADER = "Mã hàng;Tên hàng;ĐVT;Đơn giá;Thuế suất\r\n"
NEW_PRODUCT = {"sku": "KHAC-01", "name": "Sản phẩm của người khác", "unit": "cái", "price_vnd": "1.000", "vat_rate": "10",
               "description": ""}


def _rows(count, start=0):
    return "".join(f"SP-{n:05d};Sản phẩm {n};cái;{1000 + n};10\r\n" for n in range(start, start + count))


def _upload(auth, raw, run=True, follow_redirects=False, **fields):
    data = {"file": (io.BytesIO(raw), "bang-gia.csv"), ("run" if run else "check"): "1", **fields}
    return auth.post("/admin/products/import", data, content_type="multipart/form-data", follow_redirects=follow_redirects)


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _latest():
    db.session.expire_all()
    return db.session.scalar(select(ProductImport).order_by(ProductImport.id.desc()))


def _stored(admin, raw):
    return product_imports.create_import(admin, "bang-gia.csv", raw, *product_imports.read_file(raw))


def test_a_5000_row_import_commits_in_batches_while_another_admin_saves(app, auth, monkeypatch):
    importer = make_user(role="admin", locale="en")
    other = make_user(role="admin", locale="en")
    other_auth = AuthActions(app.test_client())
    assert other_auth.login(other.email).status_code in (302, 303)
    saves, real_progress = [], import_jobs.progress

    def progress_then_another_admin_saves(model, import_id, done, total):
        real_progress(model, import_id, done, total)  # the batch is committed: the write lock is free again
        status = other_auth.post("/admin/products/new", {**NEW_PRODUCT, "sku": f"KHAC-{done}"}).status_code
        saves.append((done, status))

    monkeypatch.setattr(import_jobs, "progress", progress_then_another_admin_saves)
    auth.login(importer.email)
    response = _upload(auth, (HEADER + _rows(5_000)).encode())
    found = _latest()
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/admin/products/import/{found.id}/result")
    assert saves == [(done, 303) for done in range(500, 5_001, 500)]  # ten committed batches, each followed by a save
    assert (found.status, found.imported_count, found.rows_done, found.total_rows) == ("imported", 5_000, 5_000, 5_000)
    assert _count(Product, Product.sku.like("SP-%")) == 5_000 and _count(Product, Product.sku.like("KHAC-%")) == 10
    assert _count(AuditEvent, AuditEvent.action == "product.created") == 5_010
    assert import_jobs.stored_bytes(found) is None  # the uploaded file is removed


def test_progress_fragment_polls_until_the_report(client, auth):
    admin = make_user(role="admin", locale="en")
    auth.login(admin.email)
    found = _stored(admin, (HEADER + _rows(2) + ";Không mã;cái;1;10\r\n").encode())
    db.session.execute(update(ProductImport).where(ProductImport.id == found.id).values(status="running", rows_done=1))
    db.session.commit()
    page = client.get(f"/admin/products/import/{found.id}/result").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in page and "<progress" in page and "1 of 3 rows" in page
    fragment = client.get(f"/admin/products/import/{found.id}/progress", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'hx-trigger="every 1s"' in fragment
    db.session.execute(update(ProductImport).where(ProductImport.id == found.id).values(status="queued", rows_done=0))
    db.session.commit()
    product_imports.process_import(found.id, admin.id)
    fragment = client.get(f"/admin/products/import/{found.id}/progress", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "every 1s" not in fragment and "Import result" in fragment
    assert '<div class="count-ok"><dt>Created</dt><dd>2</dd>' in fragment
    assert '<tr class="import-row-error"><td>4</td>' in fragment and "The SKU is empty." in fragment


def test_another_admin_never_sees_someone_elses_import(client, auth):
    admin = make_user(role="admin", locale="en")
    found = _stored(admin, (HEADER + _rows(1)).encode())
    auth.login(make_user(role="admin").email)
    for path in ("", "/result", "/progress"):
        assert client.get(f"/admin/products/import/{found.id}{path}").status_code == 404
    auth.logout()
    auth.login(make_user(role="rep").email)
    assert client.get(f"/admin/products/import/{found.id}/result").status_code == 403  # admin pages, as every one


def test_a_running_import_whose_worker_died_is_marked_failed(client, auth):
    admin = make_user(role="admin", locale="en")
    auth.login(admin.email)
    found = _stored(admin, (HEADER + _rows(1)).encode())
    long_ago = import_jobs.utcnow() - import_jobs.STALE_AFTER * 2
    db.session.execute(update(ProductImport).where(ProductImport.id == found.id).values(
        status="running", started_at=long_ago, heartbeat_at=long_ago))
    db.session.commit()
    page = client.get(f"/admin/products/import/{found.id}/result").get_data(as_text=True)
    assert "worker was stopped" in page and "every 1s" not in page
    assert _latest().status == "failed" and import_jobs.stored_bytes(_latest()) is None


def test_a_double_submission_and_a_doubled_job_import_once(client, auth):
    admin = make_user(role="admin", locale="en")
    auth.login(admin.email)
    raw = (HEADER + _rows(3)).encode()
    first = _upload(auth, raw, upload_key="same-form-posted-twice")
    second = _upload(auth, raw, upload_key="same-form-posted-twice")
    assert first.status_code == second.status_code == 303 and first.headers["Location"] == second.headers["Location"]
    assert _count(ProductImport) == 1 and _count(AuditEvent, AuditEvent.action == "product.created") == 3
    found = _latest()
    try:
        product_imports.queue_import(found, admin)
        raise AssertionError("queued twice")
    except import_jobs.AlreadyRun:
        pass
    # A doubled job finds the import taken (another copy runs it) and does nothing.
    db.session.execute(update(ProductImport).where(ProductImport.id == found.id).values(status="running"))
    db.session.commit()
    product_imports.process_import(found.id, admin.id)
    assert _count(AuditEvent) == 3 and _latest().status == "running"


def test_a_sku_saved_by_someone_else_during_the_import_is_updated_or_reported(client, auth, monkeypatch):
    admin = make_user(role="admin", locale="en")
    auth.login(admin.email)
    make_product(sku="SP-00001", name="Đã có", price_vnd=5)
    real_lookup = product_imports.existing_by_sku
    calls = []

    def lookup_that_misses_it_once(skus):
        calls.append(1)  # the batch's lookup runs before the other user's save; the row-by-row retry after it
        found = real_lookup(skus)
        return {} if len(calls) == 1 else found

    monkeypatch.setattr(product_imports, "existing_by_sku", lookup_that_misses_it_once)
    response = _upload(auth, (HEADER + _rows(3)).encode(), follow_redirects=True)
    assert response.status_code == 200
    found = _latest()
    assert (found.status, found.imported_count, found.updated_count) == ("imported", 2, 1)
    assert db.session.scalar(select(Product.name).where(Product.sku == "SP-00001")) == "Sản phẩm 1"
    # When the SKU still conflicts row by row, that row is reported and the others are imported.
    monkeypatch.setattr(product_imports, "existing_by_sku", lambda skus: {})
    html = _upload(auth, (HEADER + _rows(2, start=10) + "SP-00001;Lại;cái;9;10\r\n").encode(),
                   follow_redirects=True).get_data(as_text=True)
    assert "Someone saved a product with this SKU during the import" in html
    assert '<tr class="import-row-error"><td>4</td>' in html
    assert (_latest().status, _latest().imported_count, _latest().error_count) == ("imported", 2, 1)


def test_an_upload_left_for_a_day_loses_its_file_and_its_page_asks_for_it_again(client, auth):
    import os
    from datetime import timedelta

    from app.jobs import remove_abandoned_import_files
    from app.models.base import utcnow
    from app.services.common import import_jobs

    admin = make_user(role="admin", locale="en")
    found = _stored(admin, (HEADER + _rows(2)).encode())
    path = os.path.join(import_jobs.upload_folder(), found.stored_name)
    assert os.path.exists(path)
    remove_abandoned_import_files.call_local()
    assert os.path.exists(path)  # less than a day old: kept
    db.session.execute(update(ProductImport).where(ProductImport.id == found.id)
                       .values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    remove_abandoned_import_files.call_local()
    assert not os.path.exists(path) and _latest().stored_name is None
    auth.login(admin.email)
    page = client.get(f"/admin/products/import/{found.id}", follow_redirects=True)
    assert page.status_code == 200 and "The uploaded file is no longer there. Upload it again." in page.get_data(as_text=True)
