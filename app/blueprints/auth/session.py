"""Flask-Login hooks: loading the user of a session cookie, and what happens when there is none."""
from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.htmx import is_htmx, redirect_for_htmx
from app.models import User


def load_user(cookie_id):
    """The active user of a session cookie "id:token", or None (which ends the session)."""
    user_id, _sep, token = (cookie_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


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
