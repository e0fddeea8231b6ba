"""Rescheduling an agenda item: tomorrow, next week, or a date (and time); never into the past."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, StringField, TimeField
from wtforms.validators import AnyOf, Optional

from app.forms import BaseForm
from app.services.agenda.actions import RESCHEDULE_CHOICES, rescheduled_due

AGENDA_VIEWS = ("today", "tomorrow", "week")
PAST = _l("Choose a time in the future: an activity cannot be moved into the past.")


class RescheduleForm(BaseForm):
    when = StringField(validators=[AnyOf(RESCHEDULE_CHOICES, _l("Choose when to move it to."))])
    on = DateField(_l("New date"), format=["%Y-%m-%d", "%d/%m/%Y"], validators=[Optional()])
    at = TimeField(_l("Time"), validators=[Optional()])
    view = HiddenField(default="today", validators=[Optional(), AnyOf(AGENDA_VIEWS)])

    def __init__(self, *args, activity=None, zone=None, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.activity, self.zone, self.now, self.due = activity, zone, now, None

    def validate(self, extra_validators=None):
        """Field checks, then the new time: a date when "date" is chosen, and later than now."""
        if not super().validate(extra_validators):
            return False
        if self.when.data == "date" and not self.on.data:
            self.on.errors.append(_l("Pick the new date."))
            return False
        due = rescheduled_due(self.activity, self.when.data, self.zone, self.now, self.on.data, self.at.data)
        if due <= self.now:
            (self.at if self.at.data and self.on.data == self.now.astimezone(self.zone).date() else self.on).errors.append(PAST)
            return False
        self.due = due
        return True

    @property
    def first_error(self):
        return next((str(e) for field in (self.when, self.on, self.at, self.view) for e in field.errors), None)

    @property
    def chosen_view(self):
        return self.view.data if self.view.data in AGENDA_VIEWS and not self.view.errors else "today"
