"""The private calendar feed (.ics with a revocable token) and its settings page."""
from flask import Blueprint, Response, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField

from app.access import public, signed_in
from app.extensions import db, limiter
from app.forms import BaseForm
from app.htmx import render_page_or_block
from app.models.users import hash_token
from app.services.agenda import calendar_feed as feeds

bp = Blueprint("calendar_feed", __name__)
NEW_TOKEN_KEY = "calendar_feed_new_token"


class DigestForm(BaseForm):
    enabled = BooleanField(_l("E-mail me my day every morning at 07:00"))


def _feed_limit():
    # Per link: phones and Google Calendar fetch a feed a few times an hour at most.
    return current_app.config.get("CALENDAR_FEED_RATE_LIMIT", "60 per hour")


def _feed_ip_limit():
    # Per address, generous: Google fetches every subscriber's feed from a few shared addresses.
    return current_app.config.get("CALENDAR_FEED_IP_RATE_LIMIT", "300 per minute")


def _feed_key():
    return "calendar-feed:" + hash_token(request.view_args.get("token") or "")


@bp.route("/calendar/<token>.ics")
@limiter.limit(_feed_limit, key_func=_feed_key)
@limiter.limit(_feed_ip_limit)
@public
def feed(token):
    user = feeds.user_for_token(token)
    if user is None:
        abort(404)  # the same 404 as any other page: nothing says whether this link ever existed
    response = Response(feeds.feed_ics(user), content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="fieldcrm.ics"'
    response.cache_control.private = True
    response.cache_control.max_age = 300
    response.add_etag()
    return response.make_conditional(request)


def _settings_page(feed_urls=None, digest_form=None, status=200):
    digest_form = digest_form or DigestForm(formdata=None, enabled=current_user.digest_enabled)
    return render_page_or_block("calendar_feed/reminders.html", digest_form=digest_form,
                                has_feed=feeds.has_feed(current_user), feed_urls=feed_urls), status


@bp.route("/more/reminders")
@signed_in
def settings():
    token = session.pop(NEW_TOKEN_KEY, None)  # a link just made: shown on this page, once
    return _settings_page(feed_urls=feeds.feed_urls(token) if token else None)


@bp.route("/more/reminders/digest", methods=["POST"])
@signed_in
def digest():
    form = DigestForm()
    if not form.validate_on_submit():
        return _settings_page(digest_form=form, status=400)
    current_user.digest_enabled = form.enabled.data
    db.session.commit()
    flash(_("The morning e-mail is on.") if form.enabled.data else _("The morning e-mail is off."), "success")
    return redirect(url_for("calendar_feed.settings"), code=303)


@bp.route("/more/reminders/calendar", methods=["POST"])
@signed_in
def create_link():
    replaced = feeds.has_feed(current_user)
    # Shown once, on the page this redirects to (303: a reload never posts again): the database keeps only the
    # token's hash, and the session hands the token to that one page view.
    session[NEW_TOKEN_KEY] = feeds.issue_token(current_user)
    flash(_("New calendar link made: the old one no longer works.") if replaced else _("Calendar link made."),
          "success")
    return redirect(url_for("calendar_feed.settings"), code=303)


@bp.route("/more/reminders/calendar/off", methods=["POST"])
@signed_in
def turn_off():
    if feeds.revoke(current_user):
        flash(_("Calendar link turned off: calendars using it stop updating."), "success")
    return redirect(url_for("calendar_feed.settings"), code=303)
