"""The bell: unread count (polled), the list, marking read."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import signed_in
from app.blueprints.auth.session import is_safe_next
from app.htmx import render_page_or_block
from app.services.notifications import bell as service

bp = Blueprint("notifications", __name__)


def bell_count():
    """The signed-in user's unread count for the bell, one query per request and only when a page shows the bell."""
    if "_bell_count" not in g:
        g._bell_count = service.unread_count(current_user) if current_user.is_authenticated else 0
    return g._bell_count


@bp.app_context_processor
def _bell_context():
    return {"bell_count": bell_count, "bell_badge": service.badge_text}


@bp.route("/notifications/bell")
@signed_in
def bell():
    # Polled every 60 s by every open page: a fragment from one COUNT query, never a whole page.
    return render_template("notifications/_bell_poll.html")


@bp.route("/notifications")
@signed_in
def index():
    page = service.page_for(current_user, service.parse_cursor(request.args.get("after")))
    return render_page_or_block("notifications/index.html", page=page, unread=bell_count())


@bp.route("/notifications/more")
@signed_in
def more():
    page = service.page_for(current_user, service.parse_cursor(request.args.get("after")))
    return render_page_or_block("notifications/more.html", block="items", page=page)


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@signed_in
def open_one(notification_id):
    notification = service.mark_read(current_user, notification_id)
    if notification is None:
        abort(404)  # another user's notification: exactly like one that does not exist
    # Only a path of this site: a stored "//evil.example" or "https://…" never sends anyone away.
    target = notification.url if is_safe_next(notification.url) else url_for("notifications.index")
    return redirect(target, code=303)


@bp.route("/notifications/read-all", methods=["POST"])
@signed_in
def read_all():
    if service.mark_all_read(current_user):
        flash(_("All notifications marked as read."), "success")
    return redirect(url_for("notifications.index"), code=303)
