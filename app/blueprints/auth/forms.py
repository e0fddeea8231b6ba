"""Sign-in and password forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

MIN_PASSWORD_LENGTH = 8


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[lambda value: value.strip() if value else value], validators=[DataRequired(_l("Required field")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Required field")), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in"), default=True)
    submit = SubmitField(_l("Sign in"))


class SetPasswordForm(FlaskForm):
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
