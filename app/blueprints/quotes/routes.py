"""The quotes tab (the builder, approval and PDF arrive with issue #6)."""
from flask import Blueprint

from app.access import signed_in
from app.htmx import render_page_or_block

bp = Blueprint("quotes", __name__)


@bp.route("/quotes")
@signed_in
def index():
    return render_page_or_block("quotes/index.html")
