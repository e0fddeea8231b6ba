"""Sign-in and password forms."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectChoice, SelectField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from app.forms import BaseForm, strip

MIN_PASSWORD_LENGTH = 8


class LoginForm(BaseForm):
    email = EmailField(_l("Email"), filters=[strip], validators=[DataRequired(_l("Required field")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Required field")), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in"), default=True)
    submit = SubmitField(_l("Sign in"))


class SetPasswordForm(BaseForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Required field")),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("At least %(num)d characters.", num=MIN_PASSWORD_LENGTH)),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(_l("Required field")), EqualTo("password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Save password"))


class LanguageForm(BaseForm):
    lang = SelectField(choices=[SelectChoice("vi"), SelectChoice("en")])
    next = HiddenField()
