"""Deal forms: moving between stages, creating and editing (with the next step)."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.forms import BaseForm, MoneyField, strip

REQUIRED = _l("Required field")


class MoveForm(BaseForm):
    stage_id = IntegerField(validators=[DataRequired(_l("Choose a stage."))])
    version = IntegerField(validators=[InputRequired(), NumberRange(min=0)])
    lost_reason = StringField(_l("Lost reason"), filters=[strip], validators=[Length(max=500)])


class DealForm(BaseForm):
    """Title, value, expected close and the next step; customer and stage only when creating."""

    customer_id = SelectField(_l("Customer"), coerce=int, validators=[DataRequired(REQUIRED)])
    stage_id = SelectField(_l("Stage"), coerce=int)
    title = StringField(_l("Title"), filters=[strip], validators=[DataRequired(REQUIRED), Length(max=200)])
    value_vnd = MoneyField(_l("Value (₫)"), validators=[InputRequired(_l("Enter the value in đồng, e.g. 12.345.000.")),
                                                        NumberRange(min=0, max=10**13, message=_l("The value cannot be negative."))])
    expected_close = DateField(_l("Expected close date"), format=["%Y-%m-%d", "%d/%m/%Y"], validators=[Optional()])
    next_step = StringField(_l("Next step"), filters=[strip], validators=[Length(max=200)])
    next_step_on = DateField(_l("Next step on"), format=["%Y-%m-%d", "%d/%m/%Y"], validators=[Optional()])
    version = HiddenField()

    def __init__(self, *args, needs_next_step=True, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_next_step = needs_next_step
        self.today = today

    def validate(self, extra_validators=None):
        """Field checks, then the next step's: what and when go together, and not in the past."""
        valid = super().validate(extra_validators)
        step, day = self.next_step, self.next_step_on
        if self.needs_next_step and not step.data:
            step.errors.append(_l("An open deal needs a next step: what will you do, and when?"))
        if step.data and not day.data and not day.errors:
            day.errors.append(_l("Pick the day of the next step."))
        if day.data and self.today and day.data < self.today:
            day.errors.append(_l("The next step cannot be in the past."))
        return valid and not step.errors and not day.errors
