"""Admin: the periodic rules, their settings, what they did."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import roles
from app.blueprints.automation.forms import AutomationSettingsForm
from app.htmx import render_page_or_block
from app.jobs import run_automation_rules
from app.services.automation import registry as service
from app.services.automation import log as automation_log
from app.services.common.settings import contact_due_days

bp = Blueprint("automation", __name__)


def _page(form, status=200):
    silent, newest = automation_log.worker_silent()
    return render_page_or_block("automation/settings.html", form=form, rules=service.RULES.values(),
                                runs=automation_log.last_runs(), worker_silent=silent, newest_run=newest,
                                worker_command=automation_log.WORKER_COMMAND), status


@bp.route("/admin/automation", methods=["GET", "POST"])
@roles("admin")
def settings():
    form = AutomationSettingsForm(data={**service.rule_settings(), "contact_due_days": contact_due_days()})
    if form.validate_on_submit():
        try:
            service.save_settings(form.rule_values(), form.contact_due_days.data, current_user)
        except service.SettingsInvalid as invalid:
            form.add_errors(invalid.errors)
            return _page(form, 400)
        flash(_("Automation settings saved: the next pass uses them."), "success")
        return redirect(url_for("automation.settings"), code=303)
    return _page(form, 400 if request.method == "POST" else 200)


@bp.route("/admin/automation/run", methods=["POST"])
@roles("admin")
def run_now():
    run_automation_rules()  # queued for the worker (run at once when jobs are immediate)
    flash(_("A pass of the rules was started: its results appear below when it is done."), "success")
    return redirect(url_for("automation.settings"), code=303)


@bp.route("/admin/automation/log")
@roles("admin")
def log():
    rule = request.args.get("rule")
    rule = rule if rule in service.RULES else None  # allow-list: anything else shows every rule
    page = automation_log.clamp_page(request.args.get("page", 1, type=int))
    entries, has_more = automation_log.log_page(rule, page)
    return render_page_or_block("automation/log.html", entries=entries, has_more=has_more, page=page, rule=rule,
                                rules=service.RULES, action_labels=automation_log.ACTION_LABELS,
                                describe=automation_log.describe)
