"""What customer and product imports share as jobs (models with ImportJobMixin).

The uploaded file waits in IMPORT_UPLOAD_FOLDER (outside the web root) until its import has run. Every
change of state is a conditional UPDATE, so a double submission (uploaded → queued) and a doubled job
(queued → running) each win once; the job commits its progress with every batch of BATCH_SIZE rows, and a
running import without a committed batch for STALE_AFTER has lost its worker and is marked failed.
"""
import csv
import io
import os
import secrets
from contextlib import contextmanager
from datetime import timedelta

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.extensions import db
from app.formatting import in_locale
from app.models.base import utcnow
from app.queue import enqueue

BATCH_SIZE = 500  # rows per committed transaction of an import job
STALE_AFTER = timedelta(minutes=5)


class AlreadyRun(Exception):
    """This import has already been queued or run (a double submission)."""


# --- The uploaded file -----------------------------------------------------------------------------

def upload_folder():
    """IMPORT_UPLOAD_FOLDER (instance/imports/ by default), created when missing."""
    folder = current_app.config["IMPORT_UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    return folder


def store_file(prefix, raw):
    """Write an uploaded file under a generated name; returns that name."""
    stored_name = f"{prefix}-{secrets.token_hex(16)}.csv"
    with open(os.path.join(upload_folder(), stored_name), "wb") as handle:
        handle.write(raw)
    return stored_name


def _stored_path(found):
    return os.path.join(upload_folder(), found.stored_name) if found.stored_name else None


def stored_bytes(found):
    """The uploaded file's bytes (or a legacy content column's), or None once removed."""
    path = _stored_path(found)
    if path and os.path.exists(path):
        with open(path, "rb") as handle:
            return handle.read()
    return getattr(found, "content", None)


def remove_stored_file(found):
    path = _stored_path(found)
    if path and os.path.exists(path):
        os.remove(path)
    if hasattr(found, "content"):
        found.content = None


ABANDONED_AFTER = timedelta(days=1)


def remove_abandoned_uploads(models, older_than=ABANDONED_AFTER):
    """Delete uploaded files nobody went on with: of imports still "uploaded" (never mapped or never run) after
    older_than, and files in the folder that no import names (an upload interrupted between the file and its
    record). Such an import's page then asks for the file again. Returns the number of files removed."""
    cutoff = utcnow() - older_than
    removed = 0
    for model in models:
        stale = db.session.scalars(select(model).where(model.status == "uploaded", model.stored_name.is_not(None),
                                                       model.created_at < cutoff))
        for found in stale:
            path = _stored_path(found)
            if path and os.path.exists(path):
                os.remove(path)
                removed += 1
            found.stored_name = None
    db.session.commit()
    folder = upload_folder()
    named = {name for model in models for name in db.session.scalars(select(model.stored_name)
                                                                    .where(model.stored_name.is_not(None)))}
    for entry in os.scandir(folder):
        if entry.is_file() and entry.name not in named and entry.name.endswith(".csv") \
                and entry.stat().st_mtime < cutoff.timestamp():
            os.remove(entry.path)
            removed += 1
    return removed


def safe_filename(filename):
    """The last part of an uploaded file's name, as the import list shows it."""
    return (filename or "import.csv").replace("\\", "/").split("/")[-1][:255]


def mine_or_404(model, import_id, user, *options):
    """The import with this id if `user` created it; 404 otherwise (also for admins: an upload is its creator's)."""
    found = db.session.scalar(select(model).options(*options).where(model.id == import_id, model.created_by_id == user.id))
    if found is None:
        abort(404)
    return found


def choose_reading(found, encoding):
    """The user's choice of how to read a file that is partly not UTF-8 (the caller commits)."""
    found.encoding = encoding
    found.encoding_question = {**found.encoding_question, "chosen": True}


# --- The job's states --------------------------------------------------------------------------------

def queue(model, found, job_name, actor, ip=None):
    """uploaded → queued, then enqueue job_name(id, actor id, ip); the refreshed import. Raises AlreadyRun.

    With JOBS_IMMEDIATE the job runs here.
    """
    import_id = found.id
    db.session.commit()  # end the read transaction: the claim must see the latest state (SQLite snapshots)
    claimed = db.session.execute(
        update(model).where(model.id == import_id, model.status == "uploaded").values(status="queued", rows_done=0)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        raise AlreadyRun(import_id)
    enqueue(job_name, import_id, actor.id, ip)
    return db.session.get(model, import_id, populate_existing=True)


def start(model, import_id):
    """queued → running for the job; None when another copy of the job took it (or it was cancelled)."""
    db.session.commit()
    now = utcnow()
    claimed = db.session.execute(
        update(model).where(model.id == import_id, model.status == "queued")
        .values(status="running", started_at=now, heartbeat_at=now, rows_done=0)
    ).rowcount
    db.session.commit()
    return db.session.get(model, import_id, populate_existing=True) if claimed == 1 else None


def progress(model, import_id, done, total):
    """Record rows_done and the heartbeat, and commit the batch with them."""
    db.session.execute(update(model).where(model.id == import_id)
                       .values(rows_done=done, heartbeat_at=utcnow(), total_rows=total))
    db.session.commit()


@contextmanager
def in_language_of(actor):
    """The importer's language: a worker has no request to read it from."""
    with in_locale(getattr(actor, "locale", None) or current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")):
        yield


def finish(found, counts, report):
    """imported, with its counts (imported, updated, skipped, errors) and report; the stored file removed."""
    found.status = "imported"
    found.imported_count, found.updated_count, found.skipped_count, found.error_count = counts
    found.report = report
    found.finished_at = utcnow()
    remove_stored_file(found)


def crash_message(import_id, done):
    """Log the running exception with an error id; the message for the report (done: rows already saved)."""
    error_id = secrets.token_hex(4).upper()
    current_app.logger.exception("import %s failed (error %s)", import_id, error_id)
    if done:
        return _("The import stopped because of an unexpected error after %(done)d imported rows; those rows stay "
                 "imported (see the report), the others were not. Error id: %(id)s.", done=done, id=error_id)
    return _("The import stopped because of an unexpected error; nothing was imported. Error id: %(id)s.", id=error_id)


def mark_failed(model, import_id, report, imported=None, status=None):
    """failed with this report (and imported rows count), the stored file removed; only from queued/running."""
    found = db.session.get(model, import_id, populate_existing=True)
    if found is None or found.status not in ((status,) if status else ("queued", "running")):
        return
    found.status = "failed"
    if imported:
        found.imported_count = imported
    found.finished_at = utcnow()
    found.report = report
    remove_stored_file(found)
    db.session.commit()


def is_stale(found):
    """A running import whose worker has not committed a batch for STALE_AFTER."""
    last = found.heartbeat_at or found.started_at or found.created_at
    return found.status == "running" and last <= utcnow() - STALE_AFTER


def stale_message(found):
    return _("The import stopped: its worker was stopped before it finished (%(done)d of %(total)d rows dealt with). "
             "Rows of the batches it had saved stay imported; check them before importing the file again.",
             done=found.rows_done, total=found.total_rows)


# --- The stored report (CSV text) --------------------------------------------------------------------

def csv_text(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def csv_dicts(text, columns):
    """The lines of a stored report as dicts (its first line names the columns)."""
    if not text:
        return []
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None) or columns
    return [dict(zip(header, line)) for line in reader]


def failure_report(columns, message, done_report=None):
    """A report that says why the import stopped (status "failed"), then the lines of the rows it had saved."""
    failed = {name: "" for name in columns} | {"status": "failed", "details": message}
    lines = [columns, [failed[name] for name in columns]]
    if done_report:
        lines += list(csv.reader(io.StringIO(done_report)))[1:]
    return csv_text(lines)
