"""Flask-Login hooks: loading the user of a session cookie, and what happens when there is none."""
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.htmx import is_htmx, redirect_for_htmx, wants_fragment
from app.models import User
from app.services.auth.shell import user_with_counts


def load_user(cookie_id):
    """The active user of a session cookie "id:token", or None (which ends the session)."""
    user_id, _sep, token = (cookie_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    if not _shows_the_shell():
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active and user.session_token == token else None
    found = user_with_counts(db.session, int(user_id), current_app.config["BABEL_DEFAULT_TIMEZONE"],
                             with_today=request.endpoint != "main.today")  # Today counts it with its agenda
    user, unread, today = found or (None, 0, None)
    if user is None or not user.active or user.session_token != token:
        return None
    g._bell_count = unread  # read by bell_count() and today_badge(), which otherwise query on their own
    if today is not None:
        g._today_badge = today
    return user


def _shows_the_shell():
    """True for requests whose answer shows the bell and the Today tab: whole pages, and the bell's poll."""
    return request.method == "GET" and (not wants_fragment() or request.endpoint == "notifications.bell")


def is_safe_next(target):
    """True only for a path on this site: "/customers?q=x", never "//evil.com" or "https://…"."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def unauthorized():
    """Send an anonymous visitor to the login page, keeping where they wanted to go."""
    next_path = request.full_path.rstrip("?") if request.method == "GET" else None
    login_url = url_for("auth.login", next=next_path) if is_safe_next(next_path) else url_for("auth.login")
    if is_htmx():
        return redirect_for_htmx(login_url)
    flash(_("Please sign in to continue."), "info")
    return redirect(login_url)
