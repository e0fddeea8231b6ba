"""Forms of the price list: one product, and a CSV file to import."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation, ValidationError

from app.forms import BaseForm, MoneyField, strip
from app.services.common.csv_files import reading_choices
from app.services.products.import_rows import MAX_PRICE
from app.services.products.catalogue import by_sku

REQUIRED = _l("Required field")
NOT_SUBJECT = "none"


def _stop_if_unreadable(_form, field):
    """No further messages when the text was not a number at all ("Not a valid integer value." says it)."""
    if field.process_errors:
        raise StopValidation()


class PriceField(MoneyField):
    """MoneyField where an empty box is "missing" (InputRequired says so), not "not a number"."""

    def process_formdata(self, valuelist):
        if valuelist and not (valuelist[0] or "").strip():
            self.data = None
            return
        super().process_formdata(valuelist)


def coerce_vat(value):
    """A VAT select value as the stored rate: "10" → 10, "none" (or None) → None (not subject to VAT)."""
    if value is None or value in (NOT_SUBJECT, "None", ""):
        return None
    return int(value)


def vat_choices():
    """The Vietnamese VAT rates, then "not subject", with translated labels."""
    return [SelectChoice(rate, f"{rate} %") for rate in (10, 8, 5, 0)] + [
        SelectChoice(None, _l("Not subject to VAT"))]


class ProductForm(BaseForm):
    """A product of the price list; `editing` is the product being edited (its own SKU is not a duplicate)."""

    sku = StringField(_l("SKU"), filters=[strip], validators=[DataRequired(REQUIRED), Length(max=40)])
    name = StringField(_l("Product name"), filters=[strip], validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Optional(), Length(max=5000)])
    unit = StringField(_l("Unit"), filters=[strip], validators=[DataRequired(REQUIRED), Length(max=30)])
    price_vnd = PriceField(_l("Unit price (đồng)"), validators=[
        _stop_if_unreadable, InputRequired(REQUIRED), NumberRange(min=0)])
    vat_rate = SelectField(_l("VAT rate"), choices=vat_choices, coerce=coerce_vat, default=10)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._editing = editing

    def validate_sku(self, field):
        if field.data and by_sku(field.data, excluding=self._editing) is not None:
            raise ValidationError(_l("Another product already has this SKU."))

    def validate_price_vnd(self, field):
        if field.data is not None and field.data > MAX_PRICE:
            raise ValidationError(_l("This price is too large."))

    def values(self):
        """The product fields from the form (description None when empty)."""
        return {"sku": self.sku.data, "name": self.name.data, "description": self.description.data or None,
                "unit": self.unit.data, "price_vnd": self.price_vnd.data, "vat_rate": self.vat_rate.data}


class ImportForm(BaseForm):
    """A price-list CSV; "check" reports what would happen and saves nothing; upload_key makes a double post one import."""

    file = FileField(_l("CSV file"), validators=[
        FileRequired(_l("Choose a CSV file.")),
        FileAllowed(["csv", "txt", "tsv"], _l("Choose a .csv file (in Excel: Save as → CSV UTF-8).")),
    ])
    upload_key = HiddenField(filters=[lambda value: (value or "").strip()[:40] or None])
    check = SubmitField(_l("Check the file"))
    run = SubmitField(_l("Import"))


class ReadingForm(BaseForm):
    """An uploaded price list: how to read a file that is partly not UTF-8, then check or import it."""

    reading = RadioField(_l("How should the file be read?"), choices=reading_choices, validators=[Optional()])
    check = SubmitField(_l("Check the file"))
    run = SubmitField(_l("Import"))
