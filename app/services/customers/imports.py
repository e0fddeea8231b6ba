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
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
from app.services.customers.dedup import Candidate, FileDuplicates, existing_duplicates, normalise_email, normalise_tax_code
from app.services.common.scope import visible_owner_condition
from app.text import fold, normalise_phone, one_line

KIND_VALUES = {"company": "company", "cong ty": "company", "doanh nghiep": "company", "to chuc": "company",
               "organisation": "company", "organization": "company", "business": "company", "b2b": "company",
               "person": "person", "ca nhan": "person", "individual": "person", "khach le": "person", "b2c": "person"}
LIFECYCLE_VALUES = {"lead": "lead", "tiem nang": "lead", "moi": "lead", "prospect": "prospect",
                    "dang cham soc": "prospect", "quan tam": "prospect", "customer": "customer", "da mua hang": "customer",
                    "da mua": "customer", "khach hang": "customer", "churned": "churned", "da roi bo": "churned",
                    "roi bo": "churned", "ngung mua": "churned"}
MAX_LENGTHS = {"name": 200, "email": 254, "address": 255, "ward": 100, "district": 100, "province": 100, "source": 40,
               "contact_name": 120, "contact_email": 254}
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d")
PREVIEW_ROWS = 10
BATCH_SIZE = import_jobs.BATCH_SIZE  # rows per committed transaction of the import job
_TAX_CODE = re.compile(r"\d{10}(-\d{3})?|\d{12}")
_PHONE_SPLIT = re.compile(r"[/,;|]")


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


# --- Turning rows into customers ----------------------------------------------------------------

@dataclass
class RowResult:
    """What one row becomes: status "ok" (to import / imported), "duplicate" or "error", and why."""

    row: int
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    status: str = "ok"
    duplicate_of_customer: int | None = None  # only set when the user may see that customer
    duplicate_of_hidden: bool = False
    duplicate_of_row: int | None = None
    reasons: list = field(default_factory=list)
    unique_conflict: bool = False  # same tax code: never imported
    customer_id: int | None = None

    @property
    def name(self):
        return self.values.get("name") or ""

    def details(self):
        """The row's problems or notes, as one translated sentence list."""
        if self.errors:
            return " ".join(self.errors)
        reasons = ", ".join(str(REASON_LABELS[r]) for r in self.reasons)
        if self.duplicate_of_row:
            if self.unique_conflict:
                return _("Same tax code as row %(row)d: tax codes are unique.", row=self.duplicate_of_row)
            return _("Looks like row %(row)d (%(reasons)s).", row=self.duplicate_of_row, reasons=reasons)
        if self.duplicate_of_customer:
            if self.unique_conflict:
                return _("Same tax code as customer #%(id)d: tax codes are unique.", id=self.duplicate_of_customer)
            return _("Looks like customer #%(id)d (%(reasons)s).", id=self.duplicate_of_customer, reasons=reasons)
        if self.duplicate_of_hidden:
            if self.unique_conflict:
                return _("Same tax code as a customer of another salesperson: tax codes are unique.")
            return _("Looks like a customer of another salesperson (%(reasons)s).", reasons=reasons)
        return ""


REASON_LABELS = {"phone": _l("phone"), "email": _l("email"), "tax_code": _l("tax code"), "name": _l("similar name")}


def _text(value):
    return " ".join(one_line(value).split())


def _phone(value):
    """E.164 of a typed phone; Excel drops the leading 0 of a number column ("903123456"), so put it back."""
    phone = normalise_phone(value)
    digits = re.sub(r"\D", "", value)
    if phone is None and re.fullmatch(r"[\d .]+", value) and len(digits) in (9, 10) and digits[0] != "0":
        phone = normalise_phone("0" + digits)
    return phone


def _date(value):
    text = value.strip()[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]00:00(:00)?", value.strip()) else value.strip()
    for fmt in DATE_FORMATS:
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if 1900 <= day.year <= date.today().year:
            return day
    return None


def convert_row(number, cells, columns):
    """RowResult with the customer's values from one row, or the reasons it cannot be imported."""
    result = RowResult(row=number)
    extra = cells[len(columns):]
    if len(cells) < len(columns) or any(cell.strip() for cell in extra):
        result.errors.append(_("The row has %(cells)d columns; the header has %(columns)d.", cells=len(cells), columns=len(columns)))
        result.values["name"] = _text(cells[columns.index("name")]) if "name" in columns and columns.index("name") < len(cells) else ""
        result.status = "error"
        return result
    # Every one-line cell through one_line (CR/LF/tab → space, NUL and other controls dropped); notes keep their lines.
    raw = {name: (cells[i].replace("\x00", "").strip() if name == "notes" else one_line(cells[i]))
           for i, name in enumerate(columns) if name != IGNORE}
    values, errors = result.values, result.errors
    for name in ("name", "address", "ward", "district", "province", "source", "contact_name"):
        if raw.get(name):
            values[name] = _text(raw[name])
    if raw.get("notes"):
        values["notes"] = raw["notes"]
    if not values.get("name"):
        errors.append(_("The name is empty."))
    values["kind"] = KIND_VALUES.get(fold(raw.get("kind", "")), None) if raw.get("kind") else "company"
    if values["kind"] is None:
        errors.append(_("Unknown kind “%(value)s” (company or person).", value=raw["kind"]))
    values["lifecycle"] = LIFECYCLE_VALUES.get(fold(raw.get("lifecycle", "")), None) if raw.get("lifecycle") else "lead"
    if values["lifecycle"] is None:
        errors.append(_("Unknown lifecycle “%(value)s”.", value=raw["lifecycle"]))
    _convert_phones(raw, values, errors)
    for name in ("email", "contact_email"):
        if raw.get(name):
            try:
                validate_email(raw[name], check_deliverability=False)
                values[name] = normalise_email(raw[name])
            except EmailNotValidError:
                errors.append(_("Invalid email address “%(value)s”.", value=raw[name]))
    if raw.get("tax_code"):
        tax_code = normalise_tax_code(raw["tax_code"])
        if re.fullmatch(r"\d{13}", tax_code):
            tax_code = f"{tax_code[:10]}-{tax_code[10:]}"
        if _TAX_CODE.fullmatch(tax_code):
            values["tax_code"] = tax_code
        else:
            errors.append(_("Invalid tax code “%(value)s” (10 or 12 digits, or 10 digits, a dash and 3 digits).", value=raw["tax_code"]))
    if raw.get("birthday"):
        values["birthday"] = _date(raw["birthday"])
        if values["birthday"] is None:
            errors.append(_("Unknown date “%(value)s” (use dd/mm/yyyy).", value=raw["birthday"]))
    if raw.get("tags"):
        tags = {}
        for tag in re.split(r"[,;|]", raw["tags"]):
            tag = _text(tag)
            if len(tag) > 60:
                errors.append(_("The tag “%(value)s” is longer than 60 characters.", value=tag[:60] + "…"))
            elif tag:
                tags.setdefault(tag.casefold(), tag)
        values["tags"] = list(tags.values())
    if (values.get("contact_phone") or values.get("contact_email")) and not values.get("contact_name"):
        errors.append(_("A contact phone or email needs a contact name."))
    for name, limit in MAX_LENGTHS.items():
        if len(values.get(name) or "") > limit:
            errors.append(_("%(field)s is longer than %(max)d characters.", field=FIELD_LABELS[name], max=limit))
    result.status = "error" if errors else "ok"
    return result


def _convert_phones(raw, values, errors):
    for name in ("phone", "phone_alt", "contact_phone"):
        if not raw.get(name):
            continue
        parts = [p.strip() for p in _PHONE_SPLIT.split(raw[name]) if p.strip()]
        phones = [_phone(p) for p in parts]
        # "0903 123 456 / 0283 822 1234" in the phone column: the second number becomes the other phone.
        room = 2 if name == "phone" and not raw.get("phone_alt") else 1
        if None in phones or len(phones) > room:
            errors.append(_("Invalid phone number “%(value)s”.", value=raw[name]))
            continue
        values[name] = phones[0]
        if len(phones) == 2:
            values["phone_alt"] = phones[1]


def _candidate(values):
    phones = tuple(p for p in (values.get("phone"), values.get("phone_alt")) if p)
    return Candidate(name=values.get("name") or "", phones=phones, email=values.get("email"), tax_code=values.get("tax_code"))


def evaluate(parsed, columns, on_duplicate, user):
    """RowResults for the file's rows, duplicates decided as the import decides them."""
    results = [convert_row(number, cells, columns) for number, cells in parsed.rows]
    valid = [r for r in results if r.status == "ok"]
    matches = existing_duplicates([_candidate(r.values) for r in valid])
    visible = _visible_ids({m[0] for m in matches if m}, user)
    seen = FileDuplicates()
    for result, match in zip(valid, matches):
        candidate = _candidate(result.values)
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
