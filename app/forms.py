"""The base of every form (WTForms' own messages go through our catalogue), shared fields, and the
rules for integers read from a request (query string or form)."""
import re

from flask import request
from flask_babel import get_translations, gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from werkzeug.datastructures import ImmutableMultiDict
from wtforms.widgets import TextInput

from app.text import BIGINT_MAX, INT_MAX, db_int, multi_line, one_line

TOO_LARGE = _l("Number is too large.")


def in_int_range(value, maximum=INT_MAX):
    """Whether value fits an integer column (INTEGER unless told; non-integers are not this check's business)."""
    return not isinstance(value, int) or isinstance(value, bool) or db_int(value, maximum) is not None


class BoundedArgs(ImmutableMultiDict):
    """request.args / request.form: `.get(name, type=int)` reads an integer no id column can hold as the
    nearest one it can (-2**31 or 2**31-1: ids are PostgreSQL INTEGER).

    The same rule as <int:…> paths, for every integer a view reads from the query string or a form
    (?tag=, ?customer=, ?deal=, product_id, …): 2**63 or -10**30 is an id that is never found and a page
    past the last, not an OverflowError from the database driver. A text value read with `.get()` (?q=, ?source=) loses
    its NUL characters, which PostgreSQL refuses in a query. Forms read through WTForms fields instead.
    """

    def get(self, key, default=None, type=None):
        value = super().get(key, default, type)
        if isinstance(value, str):
            return value.replace("\x00", "")
        if type is not None and isinstance(value, int) and not isinstance(value, bool):
            return min(max(value, -INT_MAX - 1), INT_MAX)
        return value


def page_arg(name="page", last=10_000):
    """The page number asked for in the query string, between 1 and last (an offset the database accepts)."""
    return min(max(request.args.get(name, 1, type=int), 1), last)


class _AppTranslations:
    """WTForms' messages through our catalogue, left un-interpolated: WTForms fills %(min)d/%(max)d itself.

    flask_babel.ngettext would `%`-format the message with only `num`, so "%(max)d" raised KeyError (a
    500 for any over-long field); the catalogue's own ngettext returns the plural form as written.
    """

    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ungettext(singular, plural, n)


def _with_filter(unbound_field, options, extra):
    options["filters"] = [*unbound_field.kwargs.get("filters", ()), extra]


def _refuse_huge_numbers(field):
    """Wrap field.process: an integer beyond its column's range becomes None with "Number is too large".

    Money is stored as BIGINT; every other number (ids, versions, days, scores) as INTEGER.
    """
    process = field.process
    maximum = BIGINT_MAX if isinstance(field, MoneyField) else INT_MAX

    def bounded_process(*args, **kwargs):
        process(*args, **kwargs)
        values = field.data if isinstance(field.data, list) else [field.data]
        if not all(in_int_range(value, maximum) for value in values):
            field.data = [] if isinstance(field.data, list) else None
            field.process_errors.append(gettext("Number is too large."))

    field.process = bounded_process


class BaseMeta:
    """Every form's meta: our catalogue, control characters dropped, integers kept in the database's range.

    One place for rules no field may forget: one-line text fields go through text.one_line (a CR, LF or
    NUL pasted into a name is never stored), text areas through text.multi_line (line breaks kept, NUL
    and other controls dropped), and number or choice fields refuse integers a column cannot hold.
    Passwords are left exactly as typed.
    """

    def get_translations(self, form):
        return _AppTranslations()

    def bind_field(self, form, unbound_field, options):
        field_class = unbound_field.field_class
        if issubclass(field_class, TextAreaField):
            _with_filter(unbound_field, options, multi_line)
        elif issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
            _with_filter(unbound_field, options, one_line)
        field = unbound_field.bind(form=form, **options)
        if isinstance(field, (IntegerField, SelectField, SelectMultipleField, RadioField)):
            _refuse_huge_numbers(field)
        return field


class BaseForm(FlaskForm):
    """FlaskForm whose built-in validation messages are translated by the app's catalogue."""

    Meta = BaseMeta


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
    _l("Not a valid integer value."), TOO_LARGE, _l("Not a valid decimal value."), _l("Not a valid float value."),
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
