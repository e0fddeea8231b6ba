"""Only in bench mode (FIELDCRM_BENCH=1): the floor page and Server-Timing headers.

The floor is the cheapest real page this stack serves: 50 cards from one
indexed query, in the shell. Every page's cost is reported as a ratio to it.
"""
import time

from flask import Blueprint, g
from flask_login import current_user
from sqlalchemy import select

from app.access import signed_in
from app.extensions import db
from app.htmx import render_page_or_block
from app.models import Customer

bp = Blueprint("bench", __name__, url_prefix="/bench")


@bp.route("/floor")
@signed_in
def floor():
    cards = db.session.scalars(
        select(Customer).where(Customer.owner_id == current_user.id).order_by(Customer.updated_at.desc()).limit(50)
    ).all()
    return render_page_or_block("bench/floor.html", cards=cards)


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
