"""The periodic automation rules: the registry, their admin settings, and running a pass.

Settings live in the Setting "automation" as {rule_key: {"enabled": bool, <param>: value}}; anything
absent or invalid there counts as the default. run_all_rules() (every 15 minutes, app/jobs.py) runs
each enabled rule in its own transaction and records an AutomationRun per rule; a rule that raises is
recorded with its error and the others still run.
"""
import string
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, text

from app.extensions import db
from app.models import AutomationRun
from app.models.base import utcnow
from app.services.automation import rules
from app.services.common import settings as stored_settings
from app.services.automation.passes import RulePass
from app.services.automation.stale import stale_deal
from app.services.automation.quote_reminders import quote_reminder

SETTING_KEY = "automation"
PLACEHOLDERS = ("name", "rep")
MAX_TEMPLATE = 1000
DEFAULT_GREETING = ("Chúc mừng sinh nhật {name}! Chúc anh/chị một tuổi mới nhiều sức khỏe, hạnh phúc và thành công. "
                    "— {rep}")
RUNS_KEPT = timedelta(days=90)


@dataclass(frozen=True)
class Param:
    """A rule's setting: a whole number within [minimum, maximum], or a message template (a str default)."""

    name: str
    label: object
    default: object
    minimum: int = 1
    maximum: int = 1
    hint: object = None

    @property
    def is_text(self):
        return isinstance(self.default, str)


@dataclass(frozen=True)
class Rule:
    key: str
    title: object
    summary: object
    run: Callable
    params: tuple = field(default=())


RULES = {rule.key: rule for rule in (
    Rule("quote_follow_up", _l("Follow up sent quotes"),
         _l("A quote sent and not answered after some days: a call task for its owner."), rules.quote_follow_up,
         (Param("after_days", _l("Days after sending"), 2, 1, 30),)),
    Rule("quote_reminder", _l("Remind the customer"),
         _l("Still no answer some hours after the follow-up call: one reminder e-mail to the customer, with the "
            "quote's PDF, logged on the customer's timeline."), quote_reminder,
         (Param("after_hours", _l("Hours after the follow-up call"), 48, 1, 720),)),
    Rule("uncontacted_lead", _l("New leads not contacted"),
         _l("A new lead without a call, visit or meeting: its owner's team manager is notified."),
         rules.uncontacted_lead, (Param("after_hours", _l("Hours after the lead was created"), 24, 1, 720),)),
    Rule("contract_renewal", _l("Contract renewals"),
         _l("A contract about to end: a renewal task for its owner."), rules.contract_renewal,
         (Param("days_before", _l("Days before the end date"), 30, 1, 365),)),
    Rule("birthday", _l("Birthdays"),
         _l("A customer's or contact's birthday: a greeting task for the owner, with this message."), rules.birthday,
         (Param("template", _l("Greeting message"), DEFAULT_GREETING, 1, MAX_TEMPLATE,
                _l("Use {name} for the person's name and {rep} for the rep's name.")),)),
    Rule("stale_deal", _l("Stale deals"),
         _l("An open deal longer in its stage than the stage's limit, with nothing scheduled: flagged on the "
            "agenda until it moves or gets a next step."), stale_deal),
)}


class SettingsInvalid(ValueError):
    """Settings refused; `errors` maps rule key → {param: message} ("agenda" → {"contact_due_days": …})."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


# --- settings -------------------------------------------------------------------------------------

def template_error(template):
    """Why a greeting template is refused (a lazy sentence, shown in the reader's language), or None."""
    if not isinstance(template, str) or not template.strip():
        return _l("Enter the message.")
    if len(template) > MAX_TEMPLATE:
        return _l("The message can have at most %(max)s characters.", max=MAX_TEMPLATE)
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return _l("A single { or } is not allowed: write {{ or }} to show a brace.")
    for _text, name, spec, conversion in parts:
        if name is not None and (name not in PLACEHOLDERS or spec or conversion):
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            return _l("Only {name} and {rep} can be used, not %(placeholder)s.", placeholder=shown)
    return None


def param_error(param, value):
    """Why value is refused for param (a lazy sentence: passes run outside any request), or None."""
    if param.is_text:
        return template_error(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return _l("Enter a whole number.")
    if not param.minimum <= value <= param.maximum:
        return _l("Enter a number from %(min)s to %(max)s.", min=param.minimum, max=param.maximum)
    return None


def rule_settings():
    """{rule_key: {"enabled": bool, <param>: value}}: the stored settings, defaults where absent or invalid."""
    saved_all = stored_settings.stored(SETTING_KEY)
    result = {}
    for rule in RULES.values():
        saved = saved_all.get(rule.key) if isinstance(saved_all.get(rule.key), dict) else {}
        values = {"enabled": saved["enabled"] if isinstance(saved.get("enabled"), bool) else True}
        for param in rule.params:
            value = saved.get(param.name)
            values[param.name] = value if value is not None and param_error(param, value) is None else param.default
        result[rule.key] = values
    return result


def settings_errors(values, contact_due_days):
    """{rule_key: {param: message}} for every refused value (empty when all are valid)."""
    errors = {}
    for rule in RULES.values():
        given = values.get(rule.key, {})
        for param in rule.params:
            message = param_error(param, given.get(param.name))
            if message:
                errors.setdefault(rule.key, {})[param.name] = message
    if isinstance(contact_due_days, bool) or not isinstance(contact_due_days, int) or not 1 <= contact_due_days <= 365:
        errors["agenda"] = {"contact_due_days": _l("Enter a number from %(min)s to %(max)s.", min=1, max=365)}
    return errors


def save_settings(values, contact_due_days, admin):
    """Store every rule's settings and the agenda's contact-due days together, or nothing (SettingsInvalid)."""
    errors = settings_errors(values, contact_due_days)
    if errors:
        raise SettingsInvalid(errors)
    clean = {rule.key: {"enabled": bool(values[rule.key].get("enabled")),
                        **{param.name: values[rule.key][param.name] for param in rule.params}}
             for rule in RULES.values()}
    stored_settings.save(SETTING_KEY, clean, admin)
    stored_settings.save_contact_due_days(contact_due_days, admin)
    db.session.commit()
    return clean


# --- running --------------------------------------------------------------------------------------

@dataclass
class RuleOutcome:
    """What one rule did in a pass: actions by kind, the time it took, or its error."""

    rule: str
    actions: int
    counts: dict
    seconds: float
    error: str | None = None


def begin_rule_transaction():
    """Start the rule's transaction. SQLite: take the write lock now (BEGIN IMMEDIATE), so that savepoints
    nest inside a real transaction and a concurrent writer waits instead of failing mid-pass."""
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("BEGIN IMMEDIATE"))


def run_rule(key, now=None, settings=None):
    """Run one rule in its own transaction and record the run; returns its RuleOutcome (never raises).

    settings: every rule's (rule_settings()), read once per pass; a rule may need another's."""
    rule = RULES[key]
    now = now or utcnow()
    settings = settings or rule_settings()
    started, clock = utcnow(), time.perf_counter()
    run = RulePass(key, settings[key], now, settings)
    try:
        begin_rule_transaction()
        rule.run(run)
        db.session.add(AutomationRun(rule=key, started_at=started, finished_at=utcnow(), actions=run.actions))
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - recorded on the run; the other rules still run
        db.session.rollback()
        current_app.logger.exception("automation rule %s failed", key)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        try:
            db.session.add(AutomationRun(rule=key, started_at=started, finished_at=utcnow(), actions=0, error=error))
            db.session.commit()
        except Exception:  # noqa: BLE001 - the database itself is down: the log above is all we can keep
            db.session.rollback()
        return RuleOutcome(key, 0, {}, time.perf_counter() - clock, error)
    for callback in run.after_commit:
        callback()
    return RuleOutcome(key, run.actions, {k: v for k, v in run.counts.items() if v}, time.perf_counter() - clock)


def run_all_rules(now=None, only=None):
    """One pass of every enabled rule (or of the rules named in only); returns their RuleOutcomes."""
    now = now or utcnow()
    settings = rule_settings()
    outcomes = [run_rule(key, now, settings) for key in RULES
                if settings[key]["enabled"] and (only is None or key in only)]
    db.session.execute(delete(AutomationRun).where(AutomationRun.started_at < now - RUNS_KEPT))
    db.session.commit()
    return outcomes
