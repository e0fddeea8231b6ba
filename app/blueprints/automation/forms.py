"""The automation settings form: one sub-form per rule (its switch and parameters), built from the registry.

Validation messages come from the service (app/services/automation/registry.py param_error), so the page and
the service refuse exactly the same values.
"""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Form, FormField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from app.forms import BaseForm
from app.services.automation.registry import RULES, param_error

REQUIRED = _l("Required field")


class RuleForm(Form):
    """A rule's switch and parameters (no CSRF of its own: the page's form carries it)."""

    Meta = BaseForm.Meta  # WTForms' own messages through our catalogue, as every form of the app

    enabled = BooleanField(_l("Rule on"))


def _checked_by_service(param):
    def check(_form, field):
        if field.data is None:
            return  # not a number: the field already says so
        message = param_error(param, field.data)
        if message:
            raise ValidationError(message)

    return check


def _param_field(param):
    validators = [InputRequired(REQUIRED), _checked_by_service(param)]
    if param.is_text:
        return TextAreaField(param.label, validators=validators, description=param.hint or "")
    return IntegerField(param.label, validators=validators, description=param.hint or "")


def _rule_form(rule):
    fields = {param.name: _param_field(param) for param in rule.params}
    return type(f"{rule.key.title().replace('_', '')}Form", (RuleForm,), fields)


class AutomationSettingsForm(BaseForm):
    """Every rule's settings and the agenda's "due for contact" days: saved together or not at all."""

    contact_due_days = IntegerField(_l("Days without contact before a customer is due"), validators=[
        InputRequired(REQUIRED)])

    def validate_contact_due_days(self, field):
        if field.data is not None and not 1 <= field.data <= 365:
            raise ValidationError(_l("Enter a number from %(min)s to %(max)s.", min=1, max=365))

    def rule_values(self):
        """{rule_key: {"enabled": bool, <param>: value}} as submitted."""
        return {key: dict(self[key].data) for key in RULES}

    def add_errors(self, errors):
        """Show errors the service found ({rule_key: {param: message}}, "agenda") next to their fields."""
        for key, messages in errors.items():
            for name, message in messages.items():
                target = self.contact_due_days if key == "agenda" else self[key][name]
                target.errors = [*target.errors, message]


for _rule in RULES.values():
    setattr(AutomationSettingsForm, _rule.key, FormField(_rule_form(_rule), label=_rule.title))
