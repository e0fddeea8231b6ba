"""Imports as jobs: a 50,000-row import runs while another user works (no "database is locked"), the progress
page polls until the report, the cell-size limit names its line, control characters are cleaned."""
import io
import threading
import time
from datetime import timedelta

from sqlalchemy import event, func, select, update

from app.extensions import db
from app.models import Activity, Customer, CustomerImport
from app.models.base import utcnow
from app.services.customers import imports as customer_import
from tests.factories import make_customer, make_user

ROWS = 50_000


def _upload(auth, raw, filename="khach-hang.csv"):
    return auth.post("/customers/import", {"file": (io.BytesIO(raw), filename)}, content_type="multipart/form-data")


def _latest_import():
    db.session.expire_all()
    return db.session.scalar(select(CustomerImport).order_by(CustomerImport.id.desc()))


def _run(auth, found):
    data = {f"columns-{i}": field for i, field in enumerate(found.mapping["columns"])}
    data.update({"on_duplicate": "skip", "run": "1"})
    return auth.post(f"/customers/import/{found.id}", data)


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


class WriteHolds:
    """The longest time the import thread held a write transaction: first INSERT/UPDATE to its COMMIT."""

    def __init__(self, engine, thread_id):
        self.longest, self.commits, self._started, self._thread = 0.0, 0, None, thread_id
        self._engine = engine
        event.listen(engine, "before_cursor_execute", self._execute)
        event.listen(engine, "commit", self._commit)

    def _execute(self, conn, cursor, statement, *args):
        if threading.get_ident() == self._thread() and self._started is None and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE"):
            self._started = time.perf_counter()

    def _commit(self, conn):
        if threading.get_ident() == self._thread() and self._started is not None:
            self.longest = max(self.longest, time.perf_counter() - self._started)
            self.commits += 1
            self._started = None

    def remove(self):
        event.remove(self._engine, "before_cursor_execute", self._execute)
        event.remove(self._engine, "commit", self._commit)


def test_a_50000_row_import_never_blocks_another_users_notes_or_sign_in(app, client, auth):
    importer = make_user(email="importer@example.vn", locale="en")
    other = make_user(email="other@example.vn", locale="en")
    customer = make_customer(other, name="Công ty Đức Hưng", phone="+84903999999")
    lines = ["Tên,SĐT,Email,Địa chỉ"] + [f"Khách hàng {n},0912{n:06d},khach{n}@example.vn,{n} Lê Lợi" for n in range(ROWS)]
    auth.login(importer.email)
    assert _upload(auth, ("\n".join(lines) + "\n").encode()).status_code == 303
    found = _latest_import()
    assert found.total_rows == ROWS
    # Queue it as the route does, but run the real job in a worker thread (not immediate mode) for this test.
    db.session.execute(update(CustomerImport).where(CustomerImport.id == found.id).values(status="queued"))
    db.session.commit()
    from app.jobs import run_customer_import

    worker = {}
    # Plain ids for the thread: reading found.id there would load the expired object through this thread's session.
    import_id, importer_id = found.id, importer.id

    def work():
        worker["id"] = threading.get_ident()
        with app.app_context():
            started = time.perf_counter()
            run_customer_import.call_local(import_id, importer_id, None)
            worker["seconds"] = time.perf_counter() - started
            db.session.remove()

    holds = WriteHolds(db.engine, lambda: worker.get("id"))
    thread = threading.Thread(target=work)
    try:
        thread.start()
        other_client = app.test_client()
        from tests.conftest import AuthActions

        other_auth = AuthActions(other_client)
        while _latest_import().status == "queued":
            time.sleep(0.05)
        latencies, statuses = [], []
        assert other_auth.login(other.email).status_code in (302, 303)
        for n in range(20):
            started = time.perf_counter()
            token = other_auth.token()
            response = other_client.post(f"/customers/{customer.id}/notes", headers={"HX-Request": "true", "X-CSRFToken": token},
                                         data={"outcome": "reached", "body": f"Ghi chú {n}", "next_step": "none",
                                               "client_key": f"import-note-{n:010d}", "origin": "card"})
            latencies.append(time.perf_counter() - started)
            statuses.append(response.status_code)
            if n == 10:  # and a sign-in in the middle of the import
                other_auth.logout()
                assert other_auth.login(other.email).status_code in (302, 303)
        running_meanwhile = _latest_import().status == "running"
        thread.join(timeout=300)
    finally:
        holds.remove()
    assert not thread.is_alive()
    assert statuses == [200] * 20
    db.session.expire_all()
    assert _count(Activity, Activity.customer_id == customer.id, Activity.body.like("Ghi chú %")) == 20
    found = _latest_import()
    assert (found.status, found.imported_count, found.rows_done) == ("imported", ROWS, ROWS)
    assert _count(Customer, Customer.owner_id == importer.id) == ROWS
    print(f"\nimport {worker['seconds']:.1f} s, {holds.commits} write commits, longest write hold {holds.longest * 1000:.0f} ms, "
          f"longest note save {max(latencies) * 1000:.0f} ms, import still running after the notes: {running_meanwhile}")
    assert holds.longest < 2.0  # each batch a short transaction, far from the 15 s busy timeout


def test_progress_fragment_polls_until_the_report(client, auth):
    rep = make_user(locale="en")
    auth.login(rep.email)
    _upload(auth, b"Ten,SDT\nKhach 1,0903 000 001\nKhach 2,0903 000 001\n")
    found = _latest_import()
    # Queued (a worker has not taken it yet): the page shows a progress bar polled every second.
    db.session.execute(update(CustomerImport).where(CustomerImport.id == found.id).values(status="running", total_rows=2,
                                                                                          rows_done=1))
    db.session.commit()
    page = client.get(f"/customers/import/{found.id}/result").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in page and "<progress" in page and "1 of 2 rows" in page
    fragment = client.get(f"/customers/import/{found.id}/progress", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'hx-trigger="every 1s"' in fragment
    # Done: the fragment is the report, without the polling.
    db.session.execute(update(CustomerImport).where(CustomerImport.id == found.id).values(status="queued", rows_done=0))
    db.session.commit()
    customer_import.process_import(found.id, rep.id)
    fragment = client.get(f"/customers/import/{found.id}/progress", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "every 1s" not in fragment and "Skipped: duplicate" in fragment and "row 2" in fragment
    assert f"/customers/import/{found.id}/report.csv" in fragment


def test_a_running_import_whose_worker_died_is_marked_failed(client, auth, app):
    rep = make_user(locale="en")
    auth.login(rep.email)
    _upload(auth, b"Ten,SDT\nKhach 1,0903 000 001\n")
    found = _latest_import()
    long_ago = customer_import.utcnow() - customer_import.STALE_AFTER * 2
    db.session.execute(update(CustomerImport).where(CustomerImport.id == found.id).values(
        status="running", started_at=long_ago, heartbeat_at=long_ago))
    db.session.commit()
    page = client.get(f"/customers/import/{found.id}/result").get_data(as_text=True)
    assert "worker was stopped" in page and "every 1s" not in page
    assert _latest_import().status == "failed"


def test_a_cell_beyond_the_csv_limit_is_refused_naming_its_line(client, auth):
    auth.login(make_user(locale="en").email)
    raw = b"Ten,SDT\nKhach 1,0903 000 001\nKhach 2,0903 000 002\n\"" + b"x" * 200_000 + b"\",0903 000 003\n"
    response = _upload(auth, raw)
    assert response.status_code == 400
    assert "Line 4: a cell is longer than the limit (131.072 characters)" in response.get_data(as_text=True)
    assert _count(CustomerImport) == 0


def test_nul_cr_lf_and_tabs_are_cleaned_from_one_line_cells(client, auth):
    rep = make_user(locale="en")
    auth.login(rep.email)
    raw = 'Tên,SĐT,Email,Địa chỉ,Ghi chú\n"Công\x00 ty\r\nAn\tPhát",0903 000 001,an\x00@example.vn,"12\x00 Lê\nLợi","dòng 1\ndòng 2\x00"\n'
    assert _upload(auth, raw.encode()).status_code == 303
    assert _run(auth, _latest_import()).status_code == 303
    customer = db.session.scalar(select(Customer))
    assert (customer.name, customer.email, customer.address) == ("Công ty An Phát", "an@example.vn", "12 Lê Lợi")
    assert customer.notes == "dòng 1\ndòng 2"


def test_files_of_imports_nobody_went_on_with_are_removed_after_a_day(app, client, auth):
    import os

    from app.jobs import remove_abandoned_import_files
    from app.services.common import import_jobs

    rep = make_user(locale="en")
    auth.login(rep.email)
    assert _upload(auth, b"Ten,SDT\nKhach 1,0903 000 001\n").status_code == 303
    left = _latest_import()
    left_path = os.path.join(import_jobs.upload_folder(), left.stored_name)
    assert _upload(auth, b"Ten,SDT\nKhach 2,0903 000 002\n").status_code == 303
    fresh_upload = _latest_import()
    db.session.execute(update(CustomerImport).where(CustomerImport.id == left.id)
                       .values(created_at=utcnow() - timedelta(days=1, minutes=1)))
    db.session.commit()
    orphan = os.path.join(import_jobs.upload_folder(), "customers-orphan.csv")  # the record was never written
    with open(orphan, "wb") as handle:
        handle.write(b"Ten\nKhach\n")
    old = time.time() - 2 * 86400
    os.utime(orphan, (old, old))

    remove_abandoned_import_files.call_local()

    assert not os.path.exists(left_path) and not os.path.exists(orphan)
    db.session.expire_all()
    assert db.session.get(CustomerImport, left.id).stored_name is None
    kept = db.session.get(CustomerImport, fresh_upload.id)
    assert os.path.exists(os.path.join(import_jobs.upload_folder(), kept.stored_name))  # less than a day old: kept
    # The abandoned import's page sends the user to upload it again, saying why.
    page = client.get(f"/customers/import/{left.id}", follow_redirects=True)
    assert page.status_code == 200 and "The uploaded file is no longer there. Upload it again." in page.get_data(as_text=True)
