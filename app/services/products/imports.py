"""CSV import of the price list: upsert by SKU, every row reported.

Documented behaviour:
- the file is decoded and split like the customer import (UTF-8 with or without BOM, Windows-1258 or
  -1252; comma, semicolon or tab); columns are recognised by their header (Vietnamese or English);
- a row whose SKU exists (letter case aside) updates that product; other rows create products;
- an empty cell keeps the existing value on update; a new product needs a name, a unit, a price and a
  VAT rate (0, 5, 8, 10 or "KCT" / "không chịu thuế" for not subject) — the importer never guesses a tax;
- invalid rows, and a SKU repeated in the file, are reported with the reason and change nothing;
- all valid rows are saved in one transaction; a check run (dry_run) reports the same and saves nothing;
- at most MAX_ROWS rows per file; products keep their active state (an import never re-offers a
  withdrawn product).
"""
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Product
from app.models.audit import record
from app.models.products import VAT_RATES
from app.services.common.csv_files import UploadError, fold_header, read_upload
from app.services.products.catalogue import snapshot
from app.text import fold

MAX_ROWS = 5_000
MAX_LENGTHS = {"sku": 40, "name": 200, "unit": 30}
MAX_PRICE = 10**15  # a million billion đồng: anything above is a typo
HEADER_ALIASES = {
    "sku": {"sku", "ma hang", "ma hang hoa", "ma san pham", "ma sp", "ma", "ma vt", "ma vat tu", "product code",
            "item code", "code"},
    "name": {"ten hang", "ten hang hoa", "ten san pham", "ten sp", "san pham", "ten", "ten vat tu", "name",
             "product", "product name", "item", "item name"},
    "unit": {"don vi", "don vi tinh", "dvt", "dv", "unit", "uom", "unit of measure"},
    "price": {"don gia", "gia", "gia ban", "gia ban le", "don gia ban", "gia niem yet", "price", "unit price",
              "price vnd", "gia vnd", "don gia vnd", "sale price", "list price"},
    "vat": {"thue suat", "thue", "thue gtgt", "vat", "thue suat gtgt", "thue vat", "vat rate", "tax", "tax rate",
            "thue suat thue gtgt", "vat percent"},
    "description": {"mo ta", "ghi chu", "dien giai", "quy cach", "description", "details", "note", "notes"},
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
NOT_SUBJECT = {"kct", "khong chiu thue", "khong chiu thue gtgt", "not subject", "exempt", "none", "n a", "na",
               "-", "khong"}
_GROUPED = re.compile(r"\d{1,3}([.,])\d{3}(\1\d{3})*")
_MONEY_NOISE = re.compile(r"[\s\u00a0₫]|vnd|vnđ|dong|đồng|đ", re.IGNORECASE)


@dataclass
class RowResult:
    row: int  # the row number a spreadsheet shows (the header is row 1)
    sku: str
    name: str
    status: str  # created | updated | unchanged | error
    details: str = ""


@dataclass
class ImportReport:
    columns: dict  # field → header text, for the fields the file has
    rows: list = field(default_factory=list)
    dry_run: bool = False

    def count(self, status):
        return sum(1 for row in self.rows if row.status == status)

    @property
    def errors(self):
        return [row for row in self.rows if row.status == "error"]


def guess_columns(header):
    """{field: column index} from the header; the first column wins when two mean the same field."""
    columns = {}
    for index, text in enumerate(header):
        name = _ALIAS_TO_FIELD.get(fold_header(text))
        if name and name not in columns:
            columns[name] = index
    return columns


def parse_price(text):
    """Whole đồng from "12.345.000", "12,345,000 ₫", "12345000" or "12345000.00"; ValueError otherwise."""
    cleaned = _MONEY_NOISE.sub("", text)
    if _GROUPED.fullmatch(cleaned):
        return int(re.sub(r"[.,]", "", cleaned))
    if re.fullmatch(r"\d+([.,]0+)?", cleaned):
        return int(re.split(r"[.,]", cleaned)[0])
    raise ValueError(text)


def parse_vat(text):
    """A VAT rate (0, 5, 8, 10) or None for "not subject" from "10", "10%", "0.1", "KCT"; ValueError otherwise."""
    folded = fold(text)
    if folded in NOT_SUBJECT:
        return None
    number = folded.replace("%", "").replace(",", ".").strip()
    try:
        rate = Decimal(number)
    except InvalidOperation as error:
        raise ValueError(text) from error
    if not rate.is_finite():
        raise ValueError(text)
    if 0 < rate < 1 and "%" not in folded:
        rate *= 100  # Excel's percent cells come out as 0.08
    if rate != rate.to_integral_value() or int(rate) not in VAT_RATES:
        raise ValueError(text)
    return int(rate)


def _row_values(cells, columns):
    """{field: cleaned text} for the recognised columns of one row (missing cells are empty)."""
    return {name: (cells[index].strip() if index < len(cells) else "") for name, index in columns.items()}


def _validate(values, existing):
    """(changes, problems) for one row: changes holds the fields to write, problems the reasons it cannot."""
    changes, problems = {}, []
    for name in ("name", "unit", "description"):
        if values.get(name):
            if name in MAX_LENGTHS and len(values[name]) > MAX_LENGTHS[name]:
                problems.append(_("%(field)s is longer than %(max)s characters.", field=_field_label(name),
                                  max=MAX_LENGTHS[name]))
            else:
                changes[name] = values[name]
    if values.get("price"):
        try:
            price = parse_price(values["price"])
        except ValueError:
            problems.append(_("Price “%(value)s” is not a whole number of đồng.", value=values["price"]))
        else:
            if price > MAX_PRICE:
                problems.append(_("Price “%(value)s” is too large.", value=values["price"]))
            else:
                changes["price_vnd"] = price
    if values.get("vat"):
        try:
            changes["vat_rate"] = parse_vat(values["vat"])
        except ValueError:
            problems.append(_("VAT rate “%(value)s” is not 0, 5, 8 or 10 %% or KCT (not subject).",
                              value=values["vat"]))
    if existing is None:
        required = (("name", "name"), ("unit", "unit"), ("price_vnd", "price"), ("vat_rate", "vat"))
        for key, label in required:
            if key not in changes and not values.get(label):
                problems.append(_("%(field)s is missing (needed for a new product).", field=_field_label(label)))
    return changes, problems


def _field_label(name):
    return {"sku": _("SKU"), "name": _("Product name"), "unit": _("Unit"), "price": _("Unit price"),
            "vat": _("VAT rate"), "description": _("Description")}[name]


def _existing_by_sku(skus):
    """{lower-case SKU: product} for the SKUs of the file, read in chunks."""
    found, keys = {}, sorted({s.lower() for s in skus})
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        for product in db.session.scalars(select(Product).where(func.lower(Product.sku).in_(chunk))):
            found[product.sku.lower()] = product
    return found


def import_products(raw, actor, ip=None, dry_run=False):
    """Read an uploaded CSV and upsert its valid rows; the report lists every row. Raises UploadError."""
    parsed = read_upload(raw, MAX_ROWS)
    columns = guess_columns(parsed.header)
    if "sku" not in columns:
        raise UploadError(_("No SKU column found. Name the column “Mã hàng” or “SKU”."))
    report = ImportReport(columns={name: parsed.header[index] for name, index in columns.items()}, dry_run=dry_run)
    rows = [(number, _row_values(cells, columns)) for number, cells in parsed.rows]
    existing = _existing_by_sku(values["sku"] for _n, values in rows if values["sku"])
    first_row_of, created = {}, []
    for number, values in rows:
        sku, name = values["sku"], values.get("name", "")
        if not sku:
            report.rows.append(RowResult(number, "", name, "error", _("The SKU is empty.")))
            continue
        if len(sku) > MAX_LENGTHS["sku"]:
            report.rows.append(RowResult(number, sku, name, "error",
                                         _("%(field)s is longer than %(max)s characters.", field=_("SKU"), max=40)))
            continue
        if sku.lower() in first_row_of:
            report.rows.append(RowResult(number, sku, name, "error", _("This SKU is already on row %(row)s of the file.",
                                                                        row=first_row_of[sku.lower()])))
            continue
        first_row_of[sku.lower()] = number
        product = existing.get(sku.lower())
        changes, problems = _validate(values, product)
        if problems:
            report.rows.append(RowResult(number, sku, name, "error", " ".join(problems)))
            continue
        report.rows.append(_apply(product, sku, changes, number, actor, ip, created))
    if created and not dry_run:
        db.session.flush()  # one round of INSERTs; the audit events need the new ids
        for product in created:
            record("product.created", product, actor=actor, after=snapshot(product), ip=ip)
    if dry_run:
        db.session.rollback()
        return report
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise UploadError(_("Someone saved a product with one of these SKUs meanwhile. Nothing was imported; "
                            "please import the file again.")) from error
    return report


def _apply(product, sku, changes, number, actor, ip, created):
    """Write one valid row to the session (new products are appended to created) and say what happened to it."""
    if product is None:
        product = Product(sku=sku, active=True, **{"description": None, **changes})
        db.session.add(product)
        created.append(product)
        return RowResult(number, sku, product.name, "created")
    before = snapshot(product)
    for key, value in changes.items():
        setattr(product, key, value)
    after = snapshot(product)
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        return RowResult(number, sku, product.name, "unchanged")
    record("product.updated", product, actor=actor, before={k: before[k] for k in changed},
           after={k: after[k] for k in changed}, ip=ip)
    return RowResult(number, sku, product.name, "updated", ", ".join(_changed_label(k) for k in changed))


def _changed_label(key):
    return {"name": _("Product name"), "unit": _("Unit"), "price_vnd": _("Unit price"), "vat_rate": _("VAT rate"),
            "description": _("Description")}[key]
