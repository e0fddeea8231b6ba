"""One price-list row: the columns recognised by their header, prices and VAT rates read as Vietnamese
spreadsheets write them, the values checked against the product with that SKU (RowResult, ImportReport).

No writes: the import (imports) plans and writes the rows.
"""
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import Product
from app.models.products import VAT_RATES
from app.services.common.csv_files import fold_header
from app.text import fold

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
    failure: str = ""  # why a job stopped (its rows then are the ones it had saved)

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


def row_values(cells, columns):
    """{field: cleaned text} for the recognised columns of one row (missing cells are empty)."""
    return {name: (cells[index].strip() if index < len(cells) else "") for name, index in columns.items()}


def validate_row(values, existing):
    """(changes, problems) for one row: changes holds the fields to write, problems the reasons it cannot."""
    changes, problems = {}, []
    for name in ("name", "unit", "description"):
        if values.get(name):
            if name in MAX_LENGTHS and len(values[name]) > MAX_LENGTHS[name]:
                problems.append(_("%(field)s is longer than %(max)s characters.", field=field_label(name),
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
                problems.append(_("%(field)s is missing (needed for a new product).", field=field_label(label)))
    return changes, problems


def field_label(name):
    return {"sku": _("SKU"), "name": _("Product name"), "unit": _("Unit"), "price": _("Unit price"),
            "vat": _("VAT rate"), "description": _("Description")}[name]


def existing_by_sku(skus):
    """{lower-case SKU: product} for the SKUs given, read in chunks."""
    found, keys = {}, sorted({s.lower() for s in skus})
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        for product in db.session.scalars(select(Product).where(func.lower(Product.sku).in_(chunk))):
            found[product.sku.lower()] = product
    return found
