"""Customer and contact forms: phones to +84, e-mail lower-case, tax code normalised and unique."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (BooleanField, DateField, EmailField, FloatField, HiddenField, IntegerField, SelectChoice, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from app.extensions import db
from app.forms import BaseForm, strip
from app.labels import LIFECYCLE_LABELS
from app.models import Customer
from app.services.customers.records import KIND_LABELS, SOURCE_LABELS
from app.services.customers.dedup import normalise_tax_code
from app.text import format_phone, normalise_phone

REQUIRED = _l("Required field")
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
MAX_TAGS = 20
TAX_CODE_TAKEN = _l("Another customer already has this tax code.")


def choices_of(labels):
    """SelectChoices from a {code: translated label} dict."""
    return [SelectChoice(code, label) for code, label in labels.items()]


def lower(value):
    """Field filter: e-mail addresses are stored lower-case."""
    return value.lower() if isinstance(value, str) else value


class PhoneField(StringField):
    """A Vietnamese phone typed in any format; data becomes +84… once validated, shown as 0903 123 456."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_phone(self.data) if self.data else ""

    def pre_validate(self, form):
        if self.data:
            phone = normalise_phone(self.data)
            if phone is None:
                raise ValidationError(_l("Enter a Vietnamese phone number, e.g. 0903 123 456."))
            self.data = phone
        else:
            self.data = None


class CoordinateField(FloatField):
    """Latitude or longitude; a decimal comma ("10,7769") is read as a point."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0]:
            valuelist = [valuelist[0].strip().replace(",", ".")]
        super().process_formdata(valuelist)


class TagListField(StringField):
    """Tags as comma-separated names; data is a list of distinct names."""

    def process_data(self, value):
        self.data = [tag.name if hasattr(tag, "name") else str(tag) for tag in (value or [])]

    def process_formdata(self, valuelist):
        if valuelist:
            seen, names = set(), []
            for name in (valuelist[0] or "").split(","):
                name = " ".join(name.split())
                if name and name.lower() not in seen:
                    seen.add(name.lower())
                    names.append(name)
            self.data = names

    def _value(self):
        return ", ".join(self.data or [])

    def pre_validate(self, form):
        if len(self.data or []) > MAX_TAGS:
            raise ValidationError(_l("At most %(num)d tags.", num=MAX_TAGS))
        if any(len(name) > 60 for name in self.data or []):
            raise ValidationError(_l("A tag has at most 60 characters."))


class CustomerForm(BaseForm):
    """Everything a rep types about a customer; owner only for managers and admins (removed otherwise)."""

    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=lambda: choices_of(KIND_LABELS), default="company")
    lifecycle = SelectField(_l("Lifecycle"), choices=lambda: choices_of(LIFECYCLE_LABELS), default="lead")
    owner_id = SelectField(_l("Owner"), coerce=int)
    phone = PhoneField(_l("Phone"), filters=[strip], validators=[Length(max=30)])
    phone_alt = PhoneField(_l("Other phone"), filters=[strip], validators=[Length(max=30)])
    email = EmailField(_l("Email"), filters=[strip, lower],
                       validators=[Optional(), Email(_l("Enter a valid email address.")), Length(max=254)])
    tax_code = StringField(_l("Tax code"), filters=[normalise_tax_code], validators=[Optional(), Length(max=20)])
    address = StringField(_l("Address"), filters=[strip], validators=[Length(max=255)])
    ward = StringField(_l("Ward"), filters=[strip], validators=[Length(max=100)])
    district = StringField(_l("District"), filters=[strip], validators=[Length(max=100)])
    province = StringField(_l("Province/City"), filters=[strip], validators=[Length(max=100)])
    lat = CoordinateField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90, _l("Between -90 and 90."))])
    lng = CoordinateField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180, _l("Between -180 and 180."))])
    source = SelectField(_l("Source"), default="", filters=[lambda value: value or ""])  # stored NULL is "—"
    tags = TagListField(_l("Tags"))
    birthday = DateField(_l("Birthday"), format=DATE_FORMATS, validators=[Optional()])
    notes = TextAreaField(_l("Notes"), filters=[strip], validators=[Length(max=5000)])
    score = IntegerField(_l("Score"), default=0, validators=[Optional(), NumberRange(0, 100, _l("Between 0 and 100."))])
    version = HiddenField()
    confirm = BooleanField()  # "create anyway" despite likely duplicates: a button, never a hidden field

    def __init__(self, *args, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        current = editing.source if editing is not None else None
        self.source.choices = [SelectChoice("", "—")] + choices_of(SOURCE_LABELS) + (
            [SelectChoice(current)] if current and current not in SOURCE_LABELS else [])

    def validate_tax_code(self, field):
        if not field.data:
            field.data = None
            return
        clash = db.session.scalar(select(Customer.id).where(Customer.tax_code == field.data))
        if clash is not None and (self.editing is None or clash != self.editing.id):
            raise ValidationError(TAX_CODE_TAKEN)

    def validate(self, extra_validators=None):
        """Field checks, then: a position needs both latitude and longitude."""
        valid = super().validate(extra_validators)
        if (self.lat.data is None) != (self.lng.data is None) and not (self.lat.errors or self.lng.errors):
            (self.lng if self.lng.data is None else self.lat).errors.append(_l("Enter both latitude and longitude, or neither."))
            return False
        return valid

    def values(self):
        """The customer columns this form may write (never owner, version or anything else posted)."""
        values = {name: getattr(self, name).data for name in ("name", "kind", "lifecycle", "lat", "lng", "birthday")}
        for name in ("phone", "phone_alt", "email", "tax_code", "address", "ward", "district", "province", "source", "notes"):
            values[name] = getattr(self, name).data or None  # an empty box stores NULL, not ""
        values["score"] = self.score.data or 0
        return values


class ContactForm(BaseForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(REQUIRED), Length(max=120)])
    title = StringField(_l("Job title"), filters=[strip], validators=[Length(max=120)])
    phone = PhoneField(_l("Phone"), filters=[strip], validators=[Length(max=30)])
    email = EmailField(_l("Email"), filters=[strip, lower],
                       validators=[Optional(), Email(_l("Enter a valid email address.")), Length(max=254)])
    birthday = DateField(_l("Birthday"), format=DATE_FORMATS, validators=[Optional()])
    is_primary = BooleanField(_l("Main contact"))

    def values(self):
        """The contact columns this form may write."""
        return {"name": self.name.data, "title": self.title.data or None, "phone": self.phone.data,
                "email": self.email.data or None, "birthday": self.birthday.data, "is_primary": self.is_primary.data}
