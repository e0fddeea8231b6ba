"""Friendly error pages inside the shell; a 500 rolls the session back and shows an error id."""
import secrets

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from app.htmx import render_page_or_block

bp = Blueprint("errors", __name__)


def _titles():
    return {
        400: _("The request could not be understood"),
        403: _("You do not have access to this page"),
        404: _("Not found"),
        405: _("This action is not allowed here"),
        409: _("Someone changed this meanwhile"),
        413: _("The data sent is too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
    }


def _explanations():
    return {
        400: _("Please check what you entered and try again."),
        403: _("Ask an administrator if you think you should see it."),
        404: _("The page or record does not exist, or it is not yours to see."),
        405: _("Go back and use the buttons on the page."),
        413: _("Please send a smaller file or less text."),
        429: _("Please wait a minute before trying again."),
        500: _("We have been told about it. Please try again in a moment."),
    }


def render_error(code, message=None, error_id=None):
    """The error page (or fragment, for htmx) for an HTTP status code."""
    title = _titles().get(code, _("Something went wrong"))
    message = message or _explanations().get(code, "")
    body = render_page_or_block(
        "errors/error.html", block="content", code=code, title=title, message=message, error_id=error_id
    )
    return body, code


@bp.app_errorhandler(CSRFError)
def csrf_error(_error):
    return render_error(400, _("Your session has expired or the form is out of date. Reload the page and try again."))


@bp.app_errorhandler(HTTPException)
def http_error(error):
    if error.code is None or error.code < 400:
        return error
    response = render_error(error.code)
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        return response[0], 405, {"Allow": ", ".join(error.valid_methods)}
    return response


@bp.app_errorhandler(InternalServerError)
@bp.app_errorhandler(Exception)
def internal_error(error):
    if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
        return http_error(error)
    db.session.rollback()
    error_id = secrets.token_hex(4).upper()
    original = getattr(error, "original_exception", None) or error
    current_app.logger.error(
        "error %s on %s %s", error_id, request.method, request.path, exc_info=original
    )
    return render_error(500, error_id=error_id)
