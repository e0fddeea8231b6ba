"""CSV import of the price list: upsert by SKU, every row reported.

Documented behaviour:
- the file is decoded and split like the customer import (UTF-8 with or without BOM, Windows-1258 or
  -1252; comma, semicolon or tab); columns are recognised by their header (Vietnamese or English);
- a row whose SKU exists (letter case aside) updates that product; other rows create products;
- an empty cell keeps the existing value on update; a new product needs a name, a unit, a price and a
  VAT rate (0, 5, 8, 10 or "KCT" / "không chịu thuế" for not subject) — the importer never guesses a tax;
- invalid rows, and a SKU repeated in the file, are reported with the reason and change nothing;
- the check (check_file) reads the database only and reports what the import would do; the import itself
  runs as a job ("run_product_import") in committed batches of BATCH_SIZE rows, each batch deciding
  create-or-update against the products as they are when it runs; a SKU another user saves meanwhile makes
  that batch go again row by row, and a row that still conflicts is reported, never a crash;
- at most MAX_ROWS rows per file; products keep their active state (an import never re-offers a
  withdrawn product).
The file, the job's states and its report are handled as for every import (app/services/common/import_jobs.py).
"""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Product, ProductImport
from app.models.audit import record
from app.services.common import import_jobs
from app.services.common.csv_files import UploadError, read_upload
from app.services.products.catalogue import snapshot
from app.services.products.import_rows import (MAX_LENGTHS, ImportReport, RowResult, existing_by_sku, guess_columns,
                                                row_values, validate_row)

MAX_ROWS = 5_000
BATCH_SIZE = import_jobs.BATCH_SIZE
REPORT_COLUMNS = ["row", "status", "sku", "name", "details"]


# --- Reading the file ----------------------------------------------------------------------------

def read_file(raw, encoding=None):
    """(ParsedFile, {field: column index}) of an uploaded price list; raises UploadError (also: no SKU column)."""
    parsed = read_upload(raw, MAX_ROWS, encoding)
    columns = guess_columns(parsed.header)
    if "sku" not in columns:
        raise UploadError(_("No SKU column found. Name the column “Mã hàng” or “SKU”."))
    return parsed, columns


def _plan(parsed, columns):
    """Every row in file order: a RowResult when it is refused whatever the database holds, else (number, values)."""
    plan, first_row_of = [], {}
    for number, cells in parsed.rows:
        values = row_values(cells, columns)
        sku, name = values["sku"], values.get("name", "")
        if not sku:
            plan.append(RowResult(number, "", name, "error", _("The SKU is empty.")))
        elif len(sku) > MAX_LENGTHS["sku"]:
            plan.append(RowResult(number, sku, name, "error",
                                  _("%(field)s is longer than %(max)s characters.", field=_("SKU"), max=40)))
        elif sku.lower() in first_row_of:
            plan.append(RowResult(number, sku, name, "error", _("This SKU is already on row %(row)s of the file.",
                                                                 row=first_row_of[sku.lower()])))
        else:
            first_row_of[sku.lower()] = number
            plan.append((number, values))
    return plan


def _outcome(number, values, product):
    """(RowResult, changes) of one planned row against the product with its SKU (None: a new one); writes nothing."""
    sku, name = values["sku"], values.get("name", "")
    changes, problems = validate_row(values, product)
    if problems:
        return RowResult(number, sku, name, "error", " ".join(problems)), None
    if product is None:
        return RowResult(number, sku, changes["name"], "created"), changes
    before = snapshot(product)
    changed = [key for key, value in changes.items() if before[key] != value]
    if not changed:
        return RowResult(number, sku, product.name, "unchanged"), None
    return RowResult(number, sku, changes.get("name", product.name), "updated",
                     ", ".join(_changed_label(k) for k in changed)), {k: changes[k] for k in changed}


def check_file(raw, encoding=None):
    """The dry run: the report an import of this file would give now. Reads the database only; raises UploadError."""
    parsed, columns = read_file(raw, encoding)
    report = ImportReport(columns=_column_headers(parsed, columns), dry_run=True)
    plan = _plan(parsed, columns)
    existing = existing_by_sku(item[1]["sku"] for item in plan if not isinstance(item, RowResult))
    for item in plan:
        report.rows.append(item if isinstance(item, RowResult) else _outcome(*item, existing.get(item[1]["sku"].lower()))[0])
    db.session.rollback()  # end the read transaction
    return report


def _column_headers(parsed, columns):
    return {name: parsed.header[index] for name, index in columns.items()}


# --- The import job --------------------------------------------------------------------------------

def create_import(actor, filename, raw, parsed, columns, upload_key=None):
    """Store an uploaded price list (status uploaded) until it is queued; the same upload_key twice → the first one."""
    if upload_key:
        earlier = db.session.scalar(select(ProductImport).where(ProductImport.upload_key == upload_key))
        if earlier is not None and (earlier.created_by_id, earlier.filename) == (actor.id, import_jobs.safe_filename(filename)):
            return earlier
        upload_key = None if earlier is not None else upload_key  # the form re-used for another file: a new import
    found = ProductImport(created_by_id=actor.id, filename=import_jobs.safe_filename(filename), encoding=parsed.encoding,
                          encoding_question=parsed.question, stored_name=import_jobs.store_file("products", raw),
                          total_rows=len(parsed.rows), columns=_column_headers(parsed, columns), upload_key=upload_key)
    db.session.add(found)
    try:
        db.session.commit()
    except IntegrityError:  # the same form posted twice at once: the other request stored it
        db.session.rollback()
        import_jobs.remove_stored_file(found)
        return db.session.scalar(select(ProductImport).where(ProductImport.upload_key == upload_key))
    return found


def stored_file(found):
    """The stored upload's ParsedFile and columns, read as the import says (UploadError once it is gone)."""
    raw = import_jobs.stored_bytes(found)
    if raw is None:
        raise UploadError(_("The uploaded file is no longer there. Upload it again."))
    return read_file(raw, found.encoding)


def choose_reading(found, encoding):
    """The user's choice of how to read a file that is partly not UTF-8; UploadError (choice not kept) when the file
    cannot be imported read that way (its header's text changes with the reading)."""
    raw = import_jobs.stored_bytes(found)
    if raw is None:
        raise UploadError(_("The uploaded file is no longer there. Upload it again."))
    columns = _column_headers(*read_file(raw, encoding))
    import_jobs.choose_reading(found, encoding)
    found.columns = columns
    db.session.commit()


def queue_import(found, actor, ip=None):
    """uploaded → queued and the job queued; raises AlreadyRun for a second submission."""
    return import_jobs.queue(ProductImport, found, "run_product_import", actor, ip)


def process_import(import_id, actor_id, ip=None):
    """The job: upsert the rows of a queued import in committed batches, its progress on the record."""
    from app.models import User

    found = import_jobs.start(ProductImport, import_id)
    if found is None:
        return  # a doubled job: the other copy has it
    actor = db.session.get(User, actor_id)
    with import_jobs.in_language_of(actor):
        _process(import_id, found, actor, ip)


def _process(import_id, found, actor, ip):
    results = []
    try:
        plan = _plan(*stored_file(found))
        db.session.commit()  # end the read transaction before the first write
        for start in range(0, len(plan), BATCH_SIZE):
            results += _write_batch(plan[start:start + BATCH_SIZE], actor, ip)
            import_jobs.progress(ProductImport, import_id, len(results), len(plan))  # commits the batch
        found = db.session.get(ProductImport, import_id, populate_existing=True)
        counts = [sum(1 for r in results if r.status == status) for status in ("created", "updated", "unchanged", "error")]
        import_jobs.finish(found, counts, report_text(results))
        db.session.commit()
    except Exception:
        db.session.rollback()
        saved = [r for r in results if r.status != "error"]
        report = import_jobs.failure_report(REPORT_COLUMNS, import_jobs.crash_message(import_id, len(saved)),
                                            report_text(results) if results else None)
        import_jobs.mark_failed(ProductImport, import_id, report, imported=sum(1 for r in saved if r.status == "created"))


def _write_batch(batch, actor, ip):
    """Upsert one batch in the session (the caller commits); row by row when a SKU was saved by someone meanwhile."""
    existing = existing_by_sku(item[1]["sku"] for item in batch if not isinstance(item, RowResult))
    try:
        results, created = [], []
        for item in batch:
            results.append(item if isinstance(item, RowResult) else
                           _write(*item, existing.get(item[1]["sku"].lower()), actor, ip, created))
        db.session.flush()
        _record_created(created, actor, ip)
        return results
    except IntegrityError:
        db.session.rollback()
    return [item if isinstance(item, RowResult) else _write_alone(*item, actor, ip) for item in batch]


def _write_alone(number, values, actor, ip):
    """One row in its own savepoint, against the product as it is now; a SKU conflict is reported on the row."""
    try:
        with db.session.begin_nested():
            created = []
            result = _write(number, values, existing_by_sku([values["sku"]]).get(values["sku"].lower()), actor, ip, created)
            db.session.flush()
            _record_created(created, actor, ip)
        return result
    except IntegrityError:
        return RowResult(number, values["sku"], values.get("name", ""), "error",
                         _("Someone saved a product with this SKU during the import; this row changed nothing. "
                           "Import the file again to update it."))


def _write(number, values, product, actor, ip, created):
    """Apply one planned row to the session (new products appended to created) and say what happened to it."""
    result, changes = _outcome(number, values, product)
    if changes is None:
        return result
    if product is None:
        product = Product(sku=values["sku"], active=True, **{"description": None, **changes})
        db.session.add(product)
        created.append(product)
        return result
    before = snapshot(product)
    for key, value in changes.items():
        setattr(product, key, value)
    record("product.updated", product, actor=actor, before={k: before[k] for k in changes},
           after={k: getattr(product, k) for k in changes}, ip=ip)
    return result


def _record_created(created, actor, ip):
    for product in created:  # after the flush: the audit events need the new ids
        record("product.created", product, actor=actor, after=snapshot(product), ip=ip)


def check_stale(found):
    """Mark failed a running import whose worker died; True if it did."""
    if not import_jobs.is_stale(found):
        return False
    report = import_jobs.failure_report(REPORT_COLUMNS, import_jobs.stale_message(found))
    import_jobs.mark_failed(ProductImport, found.id, report, status="running")
    db.session.refresh(found)
    return True


# --- The report ------------------------------------------------------------------------------------

def report_text(results):
    """The stored report: one CSV line per row."""
    return import_jobs.csv_text([REPORT_COLUMNS] + [[r.row, r.status, r.sku, r.name, r.details] for r in results])


def stored_report(found):
    """The ImportReport of a finished (or failed) import, read back from its stored report."""
    report = ImportReport(columns=found.columns or {})
    for line in import_jobs.csv_dicts(found.report, REPORT_COLUMNS):
        if line["status"] == "failed":
            report.failure = line["details"]
        else:
            report.rows.append(RowResult(int(line["row"]), line["sku"], line["name"], line["status"], line["details"]))
    return report


def _changed_label(key):
    return {"name": _("Product name"), "unit": _("Unit"), "price_vnd": _("Unit price"), "vat_rate": _("VAT rate"),
            "description": _("Description")}[key]
