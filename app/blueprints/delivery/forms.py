"""The send-to-customer form."""
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

from app.forms import BaseForm, strip


class SendQuoteForm(BaseForm):
    to_email = EmailField(_l("Send to (email)"), filters=[strip],
                          validators=[DataRequired(_l("Required field")), Email(), Length(max=254)])
    message = TextAreaField(_l("Message"), validators=[Length(max=5000)])
    submit = SubmitField(_l("Send to customer"))
