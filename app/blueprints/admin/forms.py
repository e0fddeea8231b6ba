"""Forms for managing users and teams."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from app.blueprints.auth.forms import MIN_PASSWORD_LENGTH
from app.extensions import db
from app.forms import BaseForm, strip
from app.labels import ROLE_LABELS
from app.models import Team, User
from app.text import normalise_phone

REQUIRED = _l("Required field")


def role_choices():
    """Roles for a select field, with translated labels."""
    return [SelectChoice(code, label) for code, label in ROLE_LABELS.items()]


def team_choices():
    """Teams for a select field, "no team" (0) first."""
    teams = db.session.scalars(select(Team).order_by(Team.name))
    return [SelectChoice(0, "—")] + [SelectChoice(t.id, t.name) for t in teams]


def locale_choices():
    """Languages for a select field, each named in its own language."""
    return [SelectChoice("vi", "Tiếng Việt"), SelectChoice("en", "English")]


class UserForm(BaseForm):
    email = EmailField(_l("Email"), filters=[strip], validators=[DataRequired(REQUIRED), Email(_l("Enter a valid email address.")), Length(max=254)])
    name = StringField(_l("Full name"), filters=[strip], validators=[DataRequired(REQUIRED), Length(max=120)])
    phone = StringField(_l("Phone"), filters=[strip], validators=[Optional(), Length(max=30)])
    role = SelectField(_l("Role"), choices=role_choices, default="rep")
    team_id = SelectField(_l("Team"), coerce=int, default=0)
    locale = SelectField(_l("Language"), choices=locale_choices, default="vi")
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.team_id.choices = team_choices()

    def validate_email(self, field):
        email = User.normalise_email(field.data)
        clash = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if clash is not None and clash is not self.editing:
            raise ValidationError(_l("A user with this email already exists."))
        field.data = email

    def validate_phone(self, field):
        if field.data:
            phone = normalise_phone(field.data)
            if phone is None:
                raise ValidationError(_l("Enter a Vietnamese phone number, e.g. 0903 123 456."))
            field.data = phone

    def validate_team_id(self, field):
        if field.data and db.session.get(Team, field.data) is None:
            raise ValidationError(_l("Choose a team from the list."))


class NewUserForm(UserForm):
    password = PasswordField(
        _l("Password (leave empty to send an invitation link)"),
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("At least %(num)d characters.", num=MIN_PASSWORD_LENGTH))],
    )


class TeamForm(BaseForm):
    name = StringField(_l("Team name"), filters=[strip], validators=[DataRequired(REQUIRED), Length(max=120)])
    submit = SubmitField(_l("Add team"))

    def validate_name(self, field):
        if db.session.scalar(select(Team).where(func.lower(Team.name) == field.data.lower())):
            raise ValidationError(_l("A team with this name already exists."))


class StageForm(BaseForm):
    """One pipeline stage's settings (won/lost stay as they are: the pipeline needs exactly one of each)."""

    name_vi = StringField(_l("Name (Vietnamese)"), filters=[strip], validators=[DataRequired(REQUIRED), Length(max=80)])
    name_en = StringField(_l("Name (English)"), filters=[strip], validators=[DataRequired(REQUIRED), Length(max=80)])
    probability = IntegerField(_l("Win probability (%)"), validators=[
        InputRequired(REQUIRED), NumberRange(min=0, max=100, message=_l("Between 0 and 100."))])
    stale_after_days = IntegerField(_l("Stale after (days)"), validators=[
        InputRequired(REQUIRED), NumberRange(min=1, max=365, message=_l("Between 1 and 365 days."))])
    submit = SubmitField(_l("Save"))
