"""The "More" tab: profile, language, administration, sign out."""
from flask import Blueprint

from app.access import signed_in
from app.htmx import render_page_or_block

bp = Blueprint("more", __name__)


@bp.route("/more")
@signed_in
def index():
    return render_page_or_block("more/index.html")
