"""Sign in, sign out, invitations and the language switch."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.access import public, signed_in
from app.blueprints.auth.forms import LanguageForm, LoginForm, SetPasswordForm
from app.blueprints.auth.session import is_safe_next
from app.extensions import db, limiter
from app.models import Invitation, User
from app.models.audit import record
from app.models.base import utcnow
from app.services.auth.signin import authenticate

bp = Blueprint("auth", __name__)


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_ip_limit():
    return current_app.config["LOGIN_IP_RATE_LIMIT"]


def _address_and_account():
    """Rate-limit key: client address plus the e-mail tried (a shared office IP is not one person)."""
    return f"{request.remote_addr}|{User.normalise_email(request.form.get('email'))}"


def _failed(response):
    """Only failed attempts count towards the limits: a successful sign-in redirects with 303."""
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, key_func=_address_and_account, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_ip_limit, methods=["POST"], deduct_when=_failed)
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.today"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("main.today"), code=303)
        # One message whatever went wrong: the page must not reveal which accounts exist.
        form.password.errors.append(_("Wrong email or password."))
    return render_template("auth/login.html", form=form), (400 if form.errors else 200)


def _reset_session():
    """Empty the session but keep the language and Flask-Login's instruction about the remember cookie."""
    kept = {key: session[key] for key in ("lang", "_remember") if key in session}
    session.clear()
    session.update(kept)


def _start_session(user, remember):
    _reset_session()  # a fresh session on sign-in: nothing from before survives
    if not remember:
        session["_remember"] = "clear"  # drop any remember-me cookie of an earlier user on this phone
    session.permanent = True
    login_user(user, remember=remember)
    user.last_login_at = utcnow()
    db.session.commit()


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    # Rotating the token invalidates every copy of this user's cookies (session and remember-me),
    # on every device: signed-cookie sessions cannot be revoked one by one.
    current_user.end_sessions()
    db.session.commit()
    logout_user()  # also tells Flask-Login to delete the remember-me cookie
    _reset_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@public
def accept_invitation(token):
    invitation = Invitation.find_usable(token)
    if invitation is None:
        return render_template("auth/invitation_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        user = invitation.user
        user.set_password(form.password.data)
        invitation.used_at = utcnow()
        record("invitation.accepted", user, actor=user, ip=request.remote_addr)
        db.session.commit()
        if current_user.is_authenticated:
            logout_user()
        _start_session(user, remember=False)
        flash(_("Welcome to FieldCRM, %(name)s!", name=user.name), "success")
        return redirect(url_for("main.today"), code=303)
    return render_template("auth/invitation.html", form=form, invitation=invitation), (400 if form.errors else 200)


@bp.route("/language", methods=["POST"])
@public
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        flash(_("Unknown language."), "error")
        return redirect(url_for("main.today"), code=303)
    session["lang"] = form.lang.data
    if current_user.is_authenticated:
        current_user.locale = form.lang.data
        db.session.commit()
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("main.today"), code=303)
