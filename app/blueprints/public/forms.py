"""The customer's answers: accept (typed full name and a confirmation) or decline (a reason)."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import BaseForm, strip


class AcceptForm(BaseForm):
    full_name = StringField(_l("Your full name"), filters=[strip],
                            validators=[DataRequired(_l("Required field")), Length(min=2, max=200)])
    confirm = BooleanField(_l("I have read this quote and accept it"),
                           validators=[DataRequired(_l("Please tick the box to confirm."))])
    submit = SubmitField(_l("Accept the quote"))


class DeclineForm(BaseForm):
    reason = TextAreaField(_l("Reason (optional)"), filters=[strip], validators=[Length(max=2000)])
    submit = SubmitField(_l("Decline"))
