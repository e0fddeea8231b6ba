"""CSV import of customers: read the file, guess the columns, preview, then import every valid row in a job.

Documented behaviour: valid rows are imported and every other row is reported
(duplicate or error, with the reason) — nothing is dropped silently. The import
runs in the job queue (job "run_customer_import") in committed batches of
BATCH_SIZE rows, so that it never holds the database's write lock for more than
a fraction of a second; its progress (rows_done of total_rows) is on the record.
Duplicates are decided over the whole file before the first batch is written, so
a batch boundary never changes what counts as a duplicate. If the job stops
midway the rows of the batches already committed stay imported, the import is
marked failed and says so. The owner of the new customers is chosen on the
server, never read from the file. The file, the job's states and its report
are handled as for every import (app/services/common/import_jobs.py).
"""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import Contact, Customer, CustomerImport, Tag
from app.models.audit import record
from app.services.common import import_jobs
from app.services.common.csv_files import (  # noqa: F401 (read_upload, decode … are used through this module too)
    ParsedFile, UploadError, decode, decode_with, detect_delimiter, fold_header, parse, read_upload,
)
from app.services.common.import_jobs import (  # noqa: F401 (routes and tests use them through this module)
    STALE_AFTER, AlreadyRun, remove_stored_file, stored_bytes, upload_folder, utcnow,
)
from app.services.customers.import_report import (  # noqa: F401 (pages read the report through this module)
    STATUS_LABELS, failure_report, report_for_download, report_rows, report_text,
)
from app.services.customers.import_columns import (  # noqa: F401 (forms and pages use them through this module)
    FIELD_LABELS, FIELDS, IGNORE, guess_mapping,
)
from app.services.customers.dedup import FileDuplicates, existing_duplicates
from app.services.customers.import_rows import convert_row, row_candidate
from app.services.common.scope import visible_owner_condition

PREVIEW_ROWS = 10
BATCH_SIZE = import_jobs.BATCH_SIZE  # rows per committed transaction of the import job


# --- Reading the file ---------------------------------------------------------------------------

def stored_file(customer_import, limit=None):
    """The ParsedFile of an uploaded import (its first `limit` rows), read back from its stored file."""
    raw = stored_bytes(customer_import)
    if raw is None:
        raise UploadError(_("The uploaded file is no longer there. Upload it again."))
    text = decode_with(raw, customer_import.encoding)
    return parse(text, customer_import.mapping["delimiter"], customer_import.encoding, limit=limit)


def create_import(creator, owner, filename, raw, parsed):
    """Store an uploaded file (the mapping guessed from its header) until the user maps and imports it."""
    customer_import = CustomerImport(
        created_by_id=creator.id, owner_id=owner.id, filename=import_jobs.safe_filename(filename),
        encoding=parsed.encoding, encoding_question=parsed.question, stored_name=import_jobs.store_file("customers", raw),
        total_rows=len(parsed.rows),
        mapping={"delimiter": parsed.delimiter, "columns": guess_mapping(parsed.header), "on_duplicate": "skip"},
    )
    db.session.add(customer_import)
    db.session.commit()
    return customer_import


def evaluate(parsed, columns, on_duplicate, user):
    """RowResults for the file's rows, duplicates decided as the import decides them."""
    results = [convert_row(number, cells, columns) for number, cells in parsed.rows]
    valid = [r for r in results if r.status == "ok"]
    matches = existing_duplicates([row_candidate(r.values) for r in valid])
    visible = _visible_ids({m[0] for m in matches if m}, user)
    seen = FileDuplicates()
    for result, match in zip(valid, matches):
        candidate = row_candidate(result.values)
        earlier = seen.find(candidate)
        if match:
            customer_id, result.reasons = match
            result.duplicate_of_customer = customer_id if customer_id in visible else None
            result.duplicate_of_hidden = customer_id not in visible
            result.unique_conflict = "tax_code" in result.reasons
        elif earlier:
            result.duplicate_of_row, result.reasons = earlier
            result.unique_conflict = "tax_code" in result.reasons
        if (match or earlier) and (on_duplicate != "import" or result.unique_conflict):
            result.status = "duplicate"
        else:
            seen.add(candidate, result.row)
    return results


def _visible_ids(ids, user):
    visible = set()
    ids = sorted(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        visible.update(db.session.scalars(select(Customer.id).where(Customer.id.in_(chunk), visible_owner_condition(Customer, user))))
    return visible


def preview(customer_import, columns, on_duplicate, user):
    """RowResults of the first PREVIEW_ROWS rows with this mapping."""
    return evaluate(stored_file(customer_import, limit=PREVIEW_ROWS), columns, on_duplicate, user)


def mapping_errors(columns, width):
    """Translated problems of a column mapping (wrong number of columns, a field twice, no name)."""
    problems = []
    if len(columns) != width:
        problems.append(_("The mapping does not match the file's columns. Reload the page."))
    chosen = [c for c in columns if c != IGNORE]
    for name in sorted({c for c in chosen if chosen.count(c) > 1}):
        problems.append(_("“%(field)s” is chosen for more than one column.", field=FIELD_LABELS[name]))
    if "name" not in chosen:
        problems.append(_("Choose the column that holds the customer's name."))
    return problems


def choose_reading(customer_import, encoding):
    """The user's choice of how to read a file that is partly not UTF-8."""
    import_jobs.choose_reading(customer_import, encoding)
    db.session.commit()


def save_mapping(customer_import, columns, on_duplicate):
    customer_import.mapping = {**customer_import.mapping, "columns": list(columns), "on_duplicate": on_duplicate}
    db.session.commit()


# --- Importing ---------------------------------------------------------------------------------

def queue_import(customer_import, actor, ip=None):
    """Hand the import to the job queue with the saved mapping (uploaded → queued); returns the import.

    Raises AlreadyRun when another request queued (or ran) it. With JOBS_IMMEDIATE the job runs here.
    """
    return import_jobs.queue(CustomerImport, customer_import, "run_customer_import", actor, ip)


def run_import(customer_import, actor, ip=None):
    """Queue the import and, in immediate mode, run it (kept for callers of the one-step API)."""
    return queue_import(customer_import, actor, ip)


def process_import(import_id, actor_id, ip=None):
    """The job: import the rows of a queued import in committed batches of BATCH_SIZE rows, progress on the record."""
    from app.models import User

    customer_import = import_jobs.start(CustomerImport, import_id)
    if customer_import is None:
        return  # already run (a doubled job), or cancelled
    actor = db.session.get(User, actor_id)
    with import_jobs.in_language_of(actor):
        _process(import_id, customer_import, actor, ip)


def _process(import_id, customer_import, actor, ip):
    results = []
    try:
        mapping = customer_import.mapping
        owner = customer_import.owner
        # Read-only phase: every row converted and its duplicates decided over the whole file (as the preview does).
        results = evaluate(stored_file(customer_import), mapping["columns"], mapping["on_duplicate"], actor)
        db.session.commit()  # end the read transaction before the first write
        owner_id, total = owner.id, len(results)
        done = 0
        for start in range(0, total, BATCH_SIZE):
            batch = results[start:start + BATCH_SIZE]
            to_import = [r for r in batch if r.status == "ok"]
            if to_import:
                _insert_batch(to_import, owner_id, _tags_for(to_import))
            done += len(batch)
            import_jobs.progress(CustomerImport, import_id, done, total)  # one short write transaction per batch
        counts = {status: sum(1 for r in results if r.status == status) for status in ("ok", "duplicate", "error")}
        customer_import = db.session.get(CustomerImport, import_id, populate_existing=True)
        import_jobs.finish(customer_import, (counts["ok"], 0, counts["duplicate"], counts["error"]), report_text(results))
        record("customer.import", customer_import, actor=actor, ip=ip,
               after={"owner_id": owner_id, "imported": counts["ok"], "skipped": counts["duplicate"], "errors": counts["error"]})
        db.session.commit()
    except Exception:
        db.session.rollback()
        done = [r for r in results if r.customer_id]
        _mark_failed(import_id, import_jobs.crash_message(import_id, len(done)), done)


def check_stale(customer_import):
    """Mark failed a running import whose worker died (no committed batch for STALE_AFTER); True if it did."""
    if not import_jobs.is_stale(customer_import):
        return False
    _mark_failed(customer_import.id, import_jobs.stale_message(customer_import), [], status="running")
    db.session.refresh(customer_import)
    return True


def _tags_for(results):
    """Tag rows for every tag name in the rows (existing ones matched case-insensitively, new ones added)."""
    wanted = {name.casefold(): name for r in results for name in r.values.get("tags", ())}
    if not wanted:
        return {}
    tags = {}
    folded = sorted(wanted)
    for start in range(0, len(folded), 500):
        for tag in db.session.scalars(select(Tag).where(func.lower(Tag.name).in_(folded[start:start + 500]))):
            tags.setdefault(tag.name.casefold(), tag)
    for key, name in wanted.items():
        if key not in tags:
            tags[key] = Tag(name=name)
            db.session.add(tags[key])
    return tags


def _insert_batch(results, owner_id, tags):
    customers = []
    for result in results:
        values = result.values
        # Every row sets the same columns (None included): the ORM then inserts a batch in a few statements.
        customer = Customer(owner_id=owner_id, **{k: values.get(k) for k in (
            "name", "kind", "lifecycle", "phone", "phone_alt", "email", "tax_code", "address", "ward", "district",
            "province", "source", "notes", "birthday")})
        if values.get("tags"):
            customer.tags = [tags[name.casefold()] for name in values["tags"]]
        if values.get("contact_name"):
            customer.contacts = [Contact(name=values["contact_name"], phone=values.get("contact_phone"),
                                         email=values.get("contact_email"), is_primary=True)]
        customers.append(customer)
    db.session.add_all(customers)
    db.session.flush()
    for result, customer in zip(results, customers):
        result.customer_id = customer.id


def _mark_failed(import_id, message, done_results, status=None):
    """Failed, with the message and the lines of the rows already imported; the stored file removed."""
    report = failure_report(message, report_text(done_results) if done_results else None)
    import_jobs.mark_failed(CustomerImport, import_id, report, imported=len(done_results), status=status)


# --- For the benchmark ----------------------------------------------------------------------------

def import_csv_bytes(raw, creator, owner, filename="import.csv", on_duplicate="skip", max_rows=None):
    """Upload, guess the mapping and import in one call (bench/import_bench.py times this); returns the import."""
    parsed = read_upload(raw, max_rows or current_app.config["IMPORT_MAX_ROWS"])
    customer_import = create_import(creator, owner, filename, raw, parsed)
    save_mapping(customer_import, customer_import.mapping["columns"], on_duplicate)
    queue_import(customer_import, creator)
    return db.session.get(CustomerImport, customer_import.id, populate_existing=True)
