"""Quote forms: a line, a free line, the quote's terms, a decision, the approval rules.

Totals are never fields: the server computes them from the stored lines.
"""
from decimal import Decimal, InvalidOperation

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import TextInput

from app.forms import BaseForm, MoneyField, strip

REQUIRED = _l("Required field")
MAX_QUANTITY = Decimal("99999999999")  # Numeric(14, 3)
MAX_PRICE_VND = 10**13
NO_VAT = "none"
VAT_CHOICES = [SelectChoice("10", "10%"), SelectChoice("8", "8%"), SelectChoice("5", "5%"), SelectChoice("0", "0%"),
               SelectChoice(NO_VAT, _l("Not subject to VAT"))]


def local_number(value):
    """A Decimal without trailing zeros, with the decimal mark of the user's language: 1.500 → "1,5" (vi), "1.5" (en)."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    locale = get_locale()
    return text.replace(".", ",") if locale is None or locale.language == "vi" else text


def vat_value(choice):
    """The stored VAT rate of a select value: an int, or None for "not subject to VAT"."""
    return None if choice == NO_VAT else int(choice)


def vat_choice(rate):
    return NO_VAT if rate is None else str(rate)


class LocalDecimalField(DecimalField):
    """A decimal as people type it on a Vietnamese phone: "1,5" or "1.5"; "1.234,5" and "1,234.5" too.

    A text input: a number input would refuse "1,5" and show nothing for a value written with a comma.
    """

    widget = TextInput()

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = (valuelist[0] or "").strip().replace(" ", "").replace("%", "")
        if "," in text and "." in text:
            decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
            thousands = "." if decimal_mark == "," else ","
            text = text.replace(thousands, "").replace(decimal_mark, ".")
        else:
            text = text.replace(",", ".")
        if text == "":
            self.data = None
            return
        try:
            self.data = Decimal(text)
        except InvalidOperation:
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value.")) from None
        if not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return local_number(self.data)


def _decimals(value):
    """Digits after the decimal point that matter: 1.50 has one."""
    return max(0, -value.normalize().as_tuple().exponent)


def percent_to_bp(value):
    """12.5 (%) → 1250 basis points."""
    return int((value or Decimal(0)) * 100)


QUANTITY_STEPS = {"+1": 1, "-1": -1}  # the line's − / + buttons (name="step")
STEPPED_MINIMUM = Decimal(1)


def stepped_quantity(quantity, step):
    """quantity after a tap on − (step -1) or + (+1): one less never goes below 1 (1.5 → 1, and 1 or 0.5 stay
    as they are: a smaller quantity is typed), one more never above the largest a line holds; decimals stay."""
    if quantity is None or not step:
        return quantity
    if step < 0:
        return max(quantity - 1, STEPPED_MINIMUM) if quantity > STEPPED_MINIMUM else quantity
    return min(quantity + 1, MAX_QUANTITY)


class StepField(StringField):
    """The stepper button that submitted the line form: +1, -1, or 0 (a change, or any other value)."""

    def process_formdata(self, valuelist):
        self.data = QUANTITY_STEPS.get(valuelist[0] if valuelist else "", 0)


def check_percent(field):
    if field.data is None:
        return
    if field.data < 0 or field.data > 100:
        raise ValidationError(_l("A discount is between 0 and 100 %."))
    if _decimals(field.data) > 2:
        raise ValidationError(_l("At most two decimals, e.g. 12.5 %."))


class LineForm(BaseForm):
    """One line's editable figures."""

    quantity = LocalDecimalField(_l("Quantity"), validators=[InputRequired(_l("Enter a quantity, e.g. 2 or 1.5."))])
    unit = StringField(_l("Unit"), filters=[strip], validators=[DataRequired(REQUIRED), Length(max=30)])
    unit_price_vnd = MoneyField(_l("Unit price (₫)"), widget=TextInput(), validators=[
        InputRequired(_l("Enter the price in đồng, e.g. 12.345.000.")),
        NumberRange(min=0, max=MAX_PRICE_VND, message=_l("The price cannot be negative."))])
    discount_pct = LocalDecimalField(_l("Discount %"), validators=[Optional()])
    vat_rate = SelectField(_l("VAT"), choices=VAT_CHOICES, default="10")
    step = StepField(default=0)

    def validate_quantity(self, field):
        if field.data is None:
            return
        if field.data <= 0:
            raise ValidationError(_l("The quantity must be more than 0."))
        if field.data > MAX_QUANTITY:
            raise ValidationError(_l("The quantity is too large."))
        if _decimals(field.data) > 3:
            raise ValidationError(_l("At most three decimals, e.g. 1.125."))

    def validate_discount_pct(self, field):
        check_percent(field)

    def values(self):
        """The line's stored values (quantity, unit, unit_price_vnd, discount_bp, vat_rate); a stepper's ±1 applied."""
        step = self.step.data if self.step is not None else 0
        return {"quantity": stepped_quantity(self.quantity.data, step), "unit": self.unit.data,
                "unit_price_vnd": self.unit_price_vnd.data,
                "discount_bp": percent_to_bp(self.discount_pct.data), "vat_rate": vat_value(self.vat_rate.data)}

    def fill_from(self, line):
        """Show a stored line (formdata is not used)."""
        self.quantity.data = line.quantity
        self.unit.data = line.unit
        self.unit_price_vnd.data = line.unit_price_vnd
        self.discount_pct.data = Decimal(line.discount_bp) / 100
        self.vat_rate.data = vat_choice(line.vat_rate)


class FreeLineForm(LineForm):
    """A line that is not in the price list."""

    description = StringField(_l("Description"), filters=[strip], validators=[DataRequired(REQUIRED), Length(max=500)])
    quantity = LocalDecimalField(_l("Quantity"), default=Decimal(1),
                                 validators=[InputRequired(_l("Enter a quantity, e.g. 2 or 1.5."))])
    unit = StringField(_l("Unit"), filters=[strip], default="", validators=[DataRequired(REQUIRED), Length(max=30)])
    step = None  # no stepper on the new free line: its quantity is typed

    def values(self):
        return {**super().values(), "description": self.description.data}


class TermsForm(BaseForm):
    """The quote's own discount, validity, payment terms and notes."""

    discount_pct = LocalDecimalField(_l("Quote discount %"), validators=[Optional()])
    valid_until = DateField(_l("Valid until"), format=["%d/%m/%Y", "%Y-%m-%d"], widget=TextInput(),
                            validators=[InputRequired(_l("Enter a date as dd/mm/yyyy."))])
    payment_terms = TextAreaField(_l("Payment terms"), filters=[strip], validators=[Length(max=5000)])
    notes = TextAreaField(_l("Notes"), filters=[strip], validators=[Length(max=5000)])

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_discount_pct(self, field):
        check_percent(field)

    def validate_valid_until(self, field):
        if field.data and self.today and field.data < self.today:
            raise ValidationError(_l("The validity date cannot be in the past."))

    def values(self):
        return {"discount_bp": percent_to_bp(self.discount_pct.data), "valid_until": self.valid_until.data,
                "payment_terms": self.payment_terms.data or None, "notes": self.notes.data or None}

    def fill_from(self, quote):
        self.discount_pct.data = Decimal(quote.discount_bp) / 100
        self.valid_until.data = quote.valid_until
        self.payment_terms.data = quote.payment_terms
        self.notes.data = quote.notes


class VersionForm(BaseForm):
    """A button that changes a quote as the user saw it (submit, revise, remove or move a line)."""

    version = IntegerField(validators=[InputRequired(), NumberRange(min=0)])


class DecisionForm(VersionForm):
    decision = SelectField(choices=[SelectChoice("approve", _l("Approve")), SelectChoice("reject", _l("Reject"))],
                           validators=[DataRequired(_l("Approve or reject."))])
    comment = TextAreaField(_l("Comment"), filters=[strip], validators=[Length(max=1000)])


class ApprovalRulesForm(BaseForm):
    max_discount_pct = LocalDecimalField(_l("Largest discount without approval (%)"),
                                         validators=[InputRequired(REQUIRED)])
    max_total_vnd = MoneyField(_l("Largest grand total without approval (₫)"), widget=TextInput(), validators=[
        InputRequired(REQUIRED), NumberRange(min=0, max=MAX_PRICE_VND * 10, message=_l("The amount cannot be negative."))])

    def validate_max_discount_pct(self, field):
        check_percent(field)


class NewQuoteForm(BaseForm):
    """Confirms creating a quote for the deal in the address: only the CSRF token."""
