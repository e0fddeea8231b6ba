"""The send-to-customer form."""
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField, SubmitField, TextAreaField
from wtforms.validators import Email, Length, Optional, ValidationError

from app.forms import BaseForm, strip


class SendQuoteForm(BaseForm):
    """to_email: a contact picked from the list (radio buttons), or the one address field when there are none;
    other_email: an address typed instead of the contacts, which wins when filled."""

    to_email = StringField(_l("Send to (email)"), filters=[strip], validators=[Length(max=254)])
    other_email = EmailField(_l("Or type another address"), filters=[strip],
                             validators=[Optional(), Email(), Length(max=254)])
    message = TextAreaField(_l("Message"), validators=[Length(max=5000)])
    submit = SubmitField(_l("Send to customer"))

    def validate_to_email(self, field):
        if self.other_email.data:
            return
        if not field.data:
            raise ValidationError(_l("Required field"))
        Email()(self, field)

    @property
    def recipient(self):
        """The address the quote goes to."""
        return self.other_email.data or self.to_email.data
