"""The base of every form (WTForms' own messages go through our catalogue) and shared fields."""
import re

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.widgets import TextInput


class _AppTranslations:
    def gettext(self, string):
        return gettext(string)

    def ngettext(self, singular, plural, n):
        return ngettext(singular, plural, n)


class BaseForm(FlaskForm):
    """FlaskForm whose built-in validation messages are translated by the app's catalogue."""

    class Meta:
        def get_translations(self, form):
            return _AppTranslations()


def strip(value):
    """Field filter: surrounding spaces never count (names, e-mails and phones pasted from Zalo carry them)."""
    return value.strip() if isinstance(value, str) else value


# WTForms' built-in messages, listed so that `make extract-messages` puts them in our catalogue.
WTFORMS_MESSAGES = (
    _l("This field is required."), _l("Invalid input."), _l("Invalid email address."), _l("Invalid URL."),
    _l("Not a valid choice."), _l("Invalid Choice: could not coerce."), _l("Choices cannot be None."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("Field must be equal to %(other_name)s."), _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."), _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."), _l("Date must be at least %(min)s."),
    _l("Date must be at most %(max)s."), _l("Date must be between %(min)s and %(max)s."),
    _l("Not a valid datetime value."), _l("Not a valid date value."), _l("Not a valid time value."),
    _l("Not a valid integer value."), _l("Not a valid decimal value."), _l("Not a valid float value."),
    lazy_ngettext("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", 1),
    lazy_ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 1),
    lazy_ngettext("Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long.", 1),
)


class MoneyField(IntegerField):
    """Whole đồng as people type it: "12.345.000", "12 345 000 ₫" or "12345000"; never a float.

    A text input (with inputmode="numeric" in the template): a number input would show "12.345.000"
    as empty, and saving would lose the value.
    """

    widget = TextInput()

    def process_formdata(self, valuelist):
        if valuelist:
            cleaned = re.sub(r"[\s.,₫đ]", "", valuelist[0] or "", flags=re.IGNORECASE)
            valuelist = [cleaned]
        super().process_formdata(valuelist)

    def _value(self):
        return "" if self.data is None else f"{self.data:,}".replace(",", ".")
