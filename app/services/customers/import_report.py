"""The per-row report of a customer import: stored as CSV on the import, shown on its page, downloaded for Excel."""
from flask_babel import lazy_gettext as _l

from app.services.common import import_jobs

STATUS_LABELS = {"imported": _l("Imported"), "duplicate": _l("Skipped: duplicate"), "error": _l("Error")}

REPORT_COLUMNS = ["row", "status", "details", "customer_id", "name"]
REPORT_HEADERS = {"row": _l("Row"), "status": _l("Status"), "details": _l("Details"), "customer_id": _l("Customer id"),
                  "name": _l("Name")}


def report_text(results):
    """The stored report: one line per row (status code, translated details, customer id, name)."""
    lines = [REPORT_COLUMNS]
    for r in results:
        status = "imported" if r.status == "ok" else r.status
        customer_id = r.customer_id if r.status == "ok" else r.duplicate_of_customer
        lines.append([r.row, status, r.details(), customer_id or "", r.name])
    return import_jobs.csv_text(lines)


def failure_report(message, done_report=None):
    """The stored report of an import that stopped: one line saying why, then the lines of the rows it had imported."""
    return import_jobs.failure_report(REPORT_COLUMNS, message, done_report)


def report_rows(customer_import):
    """The report's lines as dicts (row, status, details, customer_id, name)."""
    return import_jobs.csv_dicts(customer_import.report, REPORT_COLUMNS)


def report_for_download(customer_import):
    """Header and lines of the report in the reader's language, ready for excel_csv()."""
    labels = {**STATUS_LABELS, "failed": _l("Failed")}
    rows = [[str(REPORT_HEADERS[c]) for c in REPORT_COLUMNS]]
    for line in report_rows(customer_import):
        rows.append([line["row"], str(labels.get(line["status"], line["status"])), line["details"],
                     line["customer_id"], line["name"]])
    return rows
