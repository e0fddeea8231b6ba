"""Forms of the quick call note and of a visit check-in."""
import math

from flask_babel import lazy_gettext as _l
from wtforms import DateField, FloatField, HiddenField, RadioField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional, Regexp, StopValidation

from app.forms import BaseForm, strip
from app.labels import OUTCOME_LABELS
from app.models.activities import OUTCOMES
from app.services.activities.notes import NEXT_STEP_CHOICES
from app.services.activities.visits import NO_LOCATION_REASONS

NOTE_MAX_CHARS = 2000
ORIGINS = ("card", "deal", "nearby", "today", "tomorrow", "week")  # where the sheet was opened: what its answer updates
# Made by app.js (a UUID) or by the server for the page without JavaScript; ":next" is appended for the next step.
CLIENT_KEY = [InputRequired(_l("This form is out of date. Close it and open it again.")),
              Regexp(r"^[A-Za-z0-9-]{16,59}$", message=_l("This form is out of date. Close it and open it again."))]
NEXT_STEP_LABELS = {
    "in_2_days": _l("In 2 days"), "tomorrow": _l("Tomorrow"), "next_week": _l("Next week"),
    "date": _l("Pick a date"), "none": _l("No next step"),
}
OUTCOME_MISSING = _l("Choose how the call went.")
PAST = _l("The next step cannot be in the past.")


class NoteForm(BaseForm):
    """Outcome, note and next step of a call; `today` and `now` (aware, the user's zone) check the date."""

    outcome = RadioField(_l("How did the call go?"), choices=[SelectChoice(o, OUTCOME_LABELS[o]) for o in OUTCOMES],
                         validate_choice=False,
                         validators=[InputRequired(OUTCOME_MISSING), AnyOf(OUTCOMES, OUTCOME_MISSING)])
    body = TextAreaField(_l("Note"), filters=[strip], validators=[
        Length(max=NOTE_MAX_CHARS, message=_l("The note is too long: at most %(max)d characters."))])
    deal_id = SelectField(_l("Deal"), coerce=int, default=0)  # choices: "no deal" and the customer's open deals
    next_step = RadioField(_l("Next step"), choices=[SelectChoice(c, NEXT_STEP_LABELS[c]) for c in NEXT_STEP_CHOICES],
                           default="in_2_days", validate_choice=False,
                           validators=[AnyOf(NEXT_STEP_CHOICES, _l("Choose the next step."))])
    next_on = DateField(_l("Date"), format=["%Y-%m-%d", "%d/%m/%Y"], validators=[Optional()])
    next_at = TimeField(_l("Time (optional)"), validators=[Optional()])
    client_key = HiddenField(validators=CLIENT_KEY)
    origin = HiddenField(default="card", validators=[AnyOf(ORIGINS)])
    activity_id = HiddenField()  # the agenda item the call answers, if any

    def __init__(self, *args, today=None, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today, self.now = today, now

    def validate(self, extra_validators=None):
        """Field checks, then the chosen date: given, and not in the past."""
        valid = super().validate(extra_validators)
        day, at = self.next_on, self.next_at
        if self.next_step.data == "date" and not day.errors and not at.errors:
            if not day.data:
                day.errors.append(_l("Pick the day of the next step."))
            elif self.today and day.data < self.today:
                day.errors.append(PAST)
            elif self.now and day.data == self.today and at.data and at.data < self.now.time():
                at.errors.append(PAST)
        return valid and not day.errors and not at.errors

    @property
    def deal_choice(self):
        """The chosen deal id, or None."""
        return self.deal_id.data or None


def finite(_form, field):
    """NaN and infinity parse as floats but are no position."""
    if field.data is not None and not math.isfinite(field.data):
        raise StopValidation(_l("Not a valid number."))


class CheckInForm(BaseForm):
    """A position from the phone (or none, with the reason); numbers out of range are refused, not dropped."""

    lat = FloatField(_l("Latitude"), validators=[Optional(), finite, NumberRange(
        min=-90, max=90, message=_l("The latitude must be between -90 and 90."))])
    lng = FloatField(_l("Longitude"), validators=[Optional(), finite, NumberRange(
        min=-180, max=180, message=_l("The longitude must be between -180 and 180."))])
    accuracy = FloatField(_l("Accuracy"), validators=[Optional(), finite, NumberRange(
        min=0, message=_l("The accuracy cannot be negative."))])
    reason = StringField(validators=[Optional(), AnyOf(NO_LOCATION_REASONS)])
    client_key = HiddenField(validators=CLIENT_KEY)

    def validate(self, extra_validators=None):
        """Latitude and longitude come together or not at all."""
        valid = super().validate(extra_validators)
        if valid and (self.lat.data is None) != (self.lng.data is None):
            self.lat.errors.append(_l("The position needs both latitude and longitude."))
            return False
        return valid

    @property
    def error_text(self):
        return " ".join(str(e) for errors in self.errors.values() for e in errors)
