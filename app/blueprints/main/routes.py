"""Today's agenda (and tomorrow's, the week's), acting on it in place, and the health check."""
from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import text

from app.access import public, signed_in
from app.blueprints.main.forms import RescheduleForm
from app.blueprints.main.kit import agenda_kit
from app.extensions import db
from app.formatting import format_datetime, user_zone
from app.htmx import render_named_block, render_page_or_block, wants_fragment
from app.models.base import utcnow
from app.services.agenda import actions as agenda_actions
from app.services.agenda.today import action_count, build_agenda, upcoming

bp = Blueprint("main", __name__)

VIEW_ENDPOINTS = {"today": "main.today", "tomorrow": "main.tomorrow", "week": "main.week"}
UPCOMING_DAYS = {"tomorrow": 1, "week": 7}


def agenda_context(view, **extra):
    """What the agenda block of a view needs: Today's sections, or the coming days' activities by day."""
    if view == "today":
        agenda = build_agenda(current_user, zone=user_zone())
        g._today_badge = agenda.action_count  # the tab badge is the same count: no second query
        return {"view": view, "agenda": agenda, **extra}
    days, total = upcoming(current_user, UPCOMING_DAYS[view], zone=user_zone())
    return {"view": view, "days": days, "total": total, "shown": sum(len(items) for _day, items in days), **extra}


def agenda_template(view):
    return "main/today.html" if view == "today" else "main/upcoming.html"


@bp.app_context_processor
def _today_badge():
    """today_badge(): the Today tab's count (overdue and due today), read only by pages that show the tab bar."""
    def today_badge():
        if "_today_badge" not in g:
            g._today_badge = action_count(current_user, zone=user_zone()) if current_user.is_authenticated else 0
        return g._today_badge

    return {"today_badge": today_badge, "agenda_kit": agenda_kit}


@bp.route("/")
@signed_in
def today():
    return render_page_or_block(agenda_template("today"), **agenda_context("today"))


@bp.route("/agenda/tomorrow")
@signed_in
def tomorrow():
    return render_page_or_block(agenda_template("tomorrow"), **agenda_context("tomorrow"))


@bp.route("/agenda/week")
@signed_in
def week():
    return render_page_or_block(agenda_template("week"), **agenda_context("week"))


@bp.route("/agenda/activities/<int:activity_id>/reschedule")
@signed_in
def reschedule_form(activity_id):
    try:
        activity = agenda_actions.my_open_activity_or_404(activity_id, current_user)
    except agenda_actions.AlreadyDone:
        return _already_done(request.args.get("view"))
    return render_page_or_block("main/reschedule.html", block="form", activity=activity,
                                view=_view_arg(request.args.get("view")))


@bp.route("/agenda/activities/<int:activity_id>/reschedule", methods=["POST"])
@signed_in
def reschedule(activity_id):
    zone, now = user_zone(), utcnow()
    try:
        activity = agenda_actions.my_open_activity_or_404(activity_id, current_user)
    except agenda_actions.AlreadyDone:
        return _already_done(request.form.get("view"))
    form = RescheduleForm(activity=activity, zone=zone, now=now)
    if not form.validate_on_submit():
        return _agenda_answer(form.chosen_view, errors={activity.id: form.first_error}, status=422)
    agenda_actions.reschedule(activity, form.due)
    return _agenda_answer(form.chosen_view, message=_("Moved to %(when)s.", when=format_datetime(form.due)))


@bp.route("/agenda/activities/<int:activity_id>/done", methods=["POST"])
@signed_in
def done(activity_id):
    try:
        activity = agenda_actions.my_open_activity_or_404(activity_id, current_user)
    except agenda_actions.AlreadyDone:
        return _already_done(request.form.get("view"))
    agenda_actions.complete(activity, utcnow())
    return _agenda_answer(_view_arg(request.form.get("view")), message=_("Done: %(subject)s.", subject=activity.subject))


def _view_arg(value):
    return value if value in VIEW_ENDPOINTS else "today"


def _already_done(view):
    return _agenda_answer(_view_arg(view), message=_("That activity was already done."), status=409)


def _agenda_answer(view, message=None, errors=None, status=200):
    """htmx: the view's agenda block, the message and the tab badge out of band. Without JS: back to the page."""
    if not wants_fragment() and not errors:
        flash(message, "success" if status < 400 else "error")
        return redirect(url_for(VIEW_ENDPOINTS[view]), code=303)
    context = agenda_context(view, errors=errors or {})
    if not wants_fragment():  # the page again, the message next to the item's date
        return render_template(agenda_template(view), **context), status
    agenda_html = Markup(render_named_block(agenda_template(view), "agenda", **context))
    return render_template("main/_agenda_answer.html", agenda_html=agenda_html, message=message,
                           error=status >= 400, badge_count=action_count(current_user, zone=user_zone())), status


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except Exception:  # any database failure means unhealthy; the error is logged by SQLAlchemy
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
