"""One CSV row of a customer import turned into a customer's values, or the reasons it cannot be (RowResult).

Pure conversion: no database; the import (imports) decides duplicates and writes the rows.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.services.customers.dedup import Candidate, normalise_email, normalise_tax_code
from app.services.customers.import_columns import FIELD_LABELS, IGNORE
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
_TAX_CODE = re.compile(r"\d{10}(-\d{3})?|\d{12}")
_PHONE_SPLIT = re.compile(r"[/,;|]")


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


def row_candidate(values):
    """What a converted row would be matched by as a duplicate (phones, e-mail, tax code, name)."""
    phones = tuple(p for p in (values.get("phone"), values.get("phone_alt")) if p)
    return Candidate(name=values.get("name") or "", phones=phones, email=values.get("email"), tax_code=values.get("tax_code"))
