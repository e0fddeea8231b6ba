"""Only in bench mode (FIELDCRM_BENCH=1): the floor page and Server-Timing headers.

The floor is the cheapest real page this stack serves: 50 cards from one
indexed query, in the shell. Every page's cost is reported as a ratio to it.
"""
import time
from pathlib import Path

from flask import Blueprint, current_app, g, render_template
from flask_login import current_user
from sqlalchemy import select

from app.access import signed_in
from app.extensions import db
from app.formatting import in_locale
from app.htmx import render_page_or_block
from app.models import Customer, Quote
from app.services.quotes.documents import document_context, document_locale
from app.services.common.scope import get_visible_or_404

bp = Blueprint("bench", __name__, url_prefix="/bench")


@bp.route("/floor")
@signed_in
def floor():
    # The two columns the cards show, not 50 whole customers: the list costs a third of the ORM entities' time.
    cards = db.session.execute(
        select(Customer.name, Customer.district).where(Customer.owner_id == current_user.id)
        .order_by(Customer.updated_at.desc()).limit(50)
    ).all()
    return render_page_or_block("bench/floor.html", cards=cards)


@bp.route("/bare-pdf/<int:quote_id>")
@signed_in
def bare_pdf(quote_id):
    """The quote's PDF HTML rendered by WeasyPrint directly, in this process, with its default settings: the
    yardstick for /quotes/<id>.pdf (which adds the static-only fetcher, the time-capped render process, scope)."""
    import weasyprint  # lazily, as app.pdf does: the import costs half a second

    quote = get_visible_or_404(Quote, quote_id, current_user)
    locale = document_locale()
    with in_locale(locale):
        html = render_template("pdf/quote.html", **document_context(quote, locale))
    base_url = Path(current_app.static_folder).resolve().as_uri() + "/"
    body = weasyprint.HTML(string=html, base_url=base_url).write_pdf()
    return body, 200, {"Content-Type": "application/pdf"}


def _start_timer():
    g.bench_started = time.perf_counter()


def _server_timing(response):
    started = g.pop("bench_started", None)
    if started is not None:
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
    return response


def init_timing(app):
    """Time every request from the first before-hook to the last after-hook (compression included)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request_funcs.setdefault(None, []).insert(0, _server_timing)  # after-request hooks run last-first
