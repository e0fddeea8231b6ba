"""Customer list with search, and the customer card (editing arrives with issue #5)."""
from flask import Blueprint, request
from flask_login import current_user

from app.access import signed_in
from app.htmx import render_page_or_block
from app.services.customers import customer_card, search_customers

bp = Blueprint("customers", __name__)


@bp.route("/customers")
@signed_in
def index():
    query = request.args.get("q", "")[:100]
    page = request.args.get("page", 1, type=int)
    customers, has_more = search_customers(current_user, query, page)
    return render_page_or_block(
        "customers/index.html", block="rows", customers=customers, has_more=has_more, query=query, page=page
    )


@bp.route("/customers/<int:customer_id>")
@signed_in
def card(customer_id):
    customer, deals, activities = customer_card(current_user, customer_id)
    return render_page_or_block("customers/card.html", customer=customer, deals=deals, activities=activities)
