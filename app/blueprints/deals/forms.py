"""The stage move form (sent by the tap menu and by drag and drop)."""
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.forms import BaseForm, strip


class MoveForm(BaseForm):
    stage_id = IntegerField(validators=[DataRequired(_l("Choose a stage."))])
    version = IntegerField(validators=[InputRequired(), NumberRange(min=0)])
    lost_reason = StringField(_l("Lost reason"), filters=[strip], validators=[Length(max=500)])
