"""The customer's quote page behind the link in the e-mail: view, PDF, accept, decline.

The token opens one quote and nothing else: it never signs anyone in, an unknown token is a 404, and
an answered, expired or replaced quote answers 409 to a new answer without changing anything.
"""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app.access import public
from app.blueprints.delivery.routes import pdf_response
from app.blueprints.public.forms import AcceptForm, DeclineForm
from app.extensions import limiter
from app.formatting import local_today
from app.services.quotes import answers
from app.services.quotes import documents

bp = Blueprint("public", __name__)
GONE = ("expired", "superseded", "unavailable")


def _answer_limit():
    return current_app.config["PUBLIC_QUOTE_RATE_LIMIT"]


def _quote_or_404(token):
    """The quote this token opens; 404 (the customer's page, not the app's) for any other token."""
    quote = answers.quote_for_token(token)
    if quote is None:
        abort(404)
    return quote


@bp.errorhandler(404)
def _not_found(_error):
    return render_template("public/message.html", title=_("Not found"),
                           message=_("This link does not exist or is no longer valid.")), 404


@bp.errorhandler(CSRFError)
def _csrf_error(_error):
    return render_template("public/message.html", title=_("Please try again"),
                           message=_("The page was open for too long. Reload it and try again.")), 400


@bp.errorhandler(429)
def _too_many(_error):
    return render_template("public/message.html", title=_("Too many attempts"),
                           message=_("Please wait a minute before trying again.")), 429


def _page(quote, token, accept_form=None, decline_form=None, status=200):
    context = documents.document_context(quote, get_locale().language)
    return render_template("public/quote.html", token=token, state=answers.public_state(quote),
                           accept_form=accept_form or AcceptForm(), decline_form=decline_form or DeclineForm(),
                           **context), status


def _refused(quote, state):
    """409: this quote cannot be answered (any more); nothing was changed."""
    return render_template("public/answered.html", quote=quote, state=state), 409


@bp.route("/q/<token>")
@public
def quote(token):
    quote = _quote_or_404(token)
    if not current_user.is_authenticated:  # a rep previewing the link is not the customer viewing it
        answers.mark_viewed(quote)
    state = answers.public_state(quote)
    if state in GONE:
        return render_template("public/answered.html", quote=quote, state=state), 410
    return _page(quote, token)


@bp.route("/q/<token>.pdf")
@public
def quote_pdf(token):
    quote = _quote_or_404(token)
    if answers.public_state(quote) in GONE:
        return render_template("public/answered.html", quote=quote, state=answers.public_state(quote)), 410
    return pdf_response(lambda: documents.quote_pdf(quote), documents.quote_pdf_filename(quote))


@bp.route("/q/<token>/accept", methods=["POST"])
@limiter.limit(_answer_limit, methods=["POST"])
@public
def accept(token):
    quote = _quote_or_404(token)
    state = answers.public_state(quote)
    if state != "live":
        return _refused(quote, state)
    form = AcceptForm()  # only the name and the tick are read: posted totals or ids are ignored
    if not form.validate_on_submit():
        return _page(quote, token, accept_form=form, status=400)
    try:
        answers.accept_quote(quote, form.full_name.data, request.remote_addr, request.user_agent.string,
                              local_today())
    except answers.AnswerRefused as refused:
        return _refused(quote, refused.state)
    flash(_("Thank you! You accepted quote %(number)s.", number=quote.label), "success")
    return redirect(url_for("public.quote", token=token), code=303)


@bp.route("/q/<token>/decline", methods=["POST"])
@limiter.limit(_answer_limit, methods=["POST"])
@public
def decline(token):
    quote = _quote_or_404(token)
    state = answers.public_state(quote)
    if state != "live":
        return _refused(quote, state)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _page(quote, token, decline_form=form, status=400)
    try:
        answers.decline_quote(quote, form.reason.data)
    except answers.AnswerRefused as refused:
        return _refused(quote, refused.state)
    flash(_("You declined quote %(number)s. Thank you for letting us know.", number=quote.label), "info")
    return redirect(url_for("public.quote", token=token), code=303)
