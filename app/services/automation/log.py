"""What the admin sees of the rules: the last runs, whether the worker runs them, and the log, worded on display.

Log rows keep data (numbers, names) and codes (app/services/automation/passes.py log_detail); the words
are chosen here, when the page is shown, in the reader's language.
"""
from datetime import timedelta

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import AutomationLog, AutomationRun
from app.models.base import utcnow
from app.services.automation.registry import RULES, rule_settings
from app.services.automation.passes import detail_notes

PER_PAGE = 50
MAX_PAGE = 200  # 10,000 rows back: deeper pages are refused a huge OFFSET (as app/services/agenda/nearby.py)
SILENT_AFTER = timedelta(minutes=45)  # three missed quarter-hour passes
WORKER_COMMAND = ".venv/bin/huey_consumer app.jobs.huey --workers 2 --worker-type thread --flush-locks"

ACTION_LABELS = {
    "task_created": _l("Task created"), "manager_notified": _l("Manager notified"),
    "nobody_to_notify": _l("Nobody to notify"), "email_queued": _l("E-mail queued"),
    "email_sending": _l("E-mail being sent"), "email_sent": _l("E-mail sent"), "email_failed": _l("E-mail failed"),
    "email_gave_up": _l("E-mail failed for good"), "email_cancelled": _l("E-mail cancelled"),
    "skipped_no_email": _l("Skipped: no e-mail address"), "deal_flagged": _l("Deal flagged as stale"),
    "already_done": _l("Already done earlier"),
}
REASONS = {
    "deleted": _l("the quote was deleted"), "accepted": _l("the customer accepted the quote"),
    "declined": _l("the customer declined the quote"), "expired": _l("the quote has expired"),
    "superseded": _l("the quote was revised"), "deal_closed": _l("the deal was closed"),
    "resent": _l("the quote was sent again: its new sending gets its own reminder"),
    "not_delivered": _l("the quote's own e-mail was not delivered"), "no_email": _l("no e-mail address"),
}
LEGACY_DETAILS = {"skipped: no e-mail": REASONS["no_email"]}  # rows written before details were worded on display


def last_runs():
    """{rule_key: its latest AutomationRun}: one indexed lookup per rule."""
    runs = {}
    for key in RULES:
        run = db.session.scalar(select(AutomationRun).where(AutomationRun.rule == key)
                                .order_by(AutomationRun.started_at.desc(), AutomationRun.id.desc()).limit(1))
        if run is not None:
            runs[key] = run
    return runs


def worker_silent(now=None):
    """(True, newest pass's start or None) when rules are on but no pass started within SILENT_AFTER."""
    if not any(values["enabled"] for values in rule_settings().values()):
        return False, None
    newest = db.session.scalar(select(func.max(AutomationRun.started_at)))
    return newest is None or newest < (now or utcnow()) - SILENT_AFTER, newest


def clamp_page(page):
    """A page number within 1..MAX_PAGE, whatever was asked."""
    return min(max(page, 1), MAX_PAGE)


def log_page(rule=None, page=1, per_page=PER_PAGE):
    """(log rows, has_more): newest first, of one rule when rule is a known key."""
    stmt = select(AutomationLog).options(selectinload(AutomationLog.customer), selectinload(AutomationLog.user))
    if rule in RULES:
        stmt = stmt.where(AutomationLog.rule == rule)
    page = clamp_page(page)
    rows = db.session.scalars(stmt.order_by(AutomationLog.created_at.desc(), AutomationLog.id.desc())
                              .offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page and page < MAX_PAGE


def describe(detail):
    """A log row's detail in the reader's language: its data, then its notes (why, for whom, how often)."""
    if detail in LEGACY_DETAILS:
        return str(LEGACY_DETAILS[detail])
    notes = detail_notes(detail)
    parts = [notes["text"]] if notes.get("text") else []
    if notes.get("to"):
        parts.append(gettext("to %(address)s", address=notes["to"]))
    if notes.get("instead_of"):
        parts.append(gettext("given to a stand-in: %(name)s is no longer active", name=notes["instead_of"]))
    if notes.get("reason"):
        reason = notes["reason"]
        parts.append(str(REASONS[reason]) if reason in REASONS else reason)
    if notes.get("tries"):
        parts.append(ngettext("%(num)d attempt", "%(num)d attempts", int(notes["tries"])))
    if notes.get("error"):
        parts.append(notes["error"])
    return " · ".join(parts)
