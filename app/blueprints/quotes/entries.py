"""Where a quote starts: the picker of the Quotes tab (a customer, then one of its open deals or a new deal) and
the one-tap POST that creates the draft and opens the builder — from a deal, the picker or the customer card."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import signed_in
from app.blueprints.quotes.forms import NewQuoteForm
from app.blueprints.quotes.routes import bp
from app.formatting import local_today
from app.htmx import fragment_target, render_page_or_block
from app.models import Customer, Deal
from app.services.common.scope import get_visible_or_404
from app.services.common.settings import contact_due_days
from app.services.customers.records import CustomerFilter, list_customers, open_deals_for
from app.services.quotes import editing as service


@bp.route("/quotes/start")
@signed_in
def start():
    """The picker: the user's customers (searched without diacritics), then the chosen one's open deals.

    htmx asks for the whole picker (opened inline on the Quotes tab, or a customer picked) or, from the search
    box, only the customer list; without JavaScript it is a plain page and a GET form."""
    customer_id = request.args.get("customer", type=int)
    if customer_id is not None:
        customer = get_visible_or_404(Customer, customer_id, current_user)
        return render_page_or_block("quotes/start.html", block="picker", customer=customer,
                                    deals=open_deals_for(current_user, customer))
    query = request.args.get("q", "")[:100].strip()
    customers, _more = list_customers(current_user, CustomerFilter(q=query), contact_due_days())
    block = "customers" if fragment_target() == "quote-start-customers" else "picker"
    return render_page_or_block("quotes/start.html", block=block, customer=None, customers=customers, query=query)


@bp.route("/quotes/new", methods=["GET", "POST"])
@signed_in
def new():
    """POST ?deal=: a draft for that deal. POST ?customer=: a new deal for the customer and a draft for it.

    GET ?deal= is the confirmation page for browsers that followed a link; GET ?customer= is the picker."""
    deal_id, customer_id = request.args.get("deal", type=int), request.args.get("customer", type=int)
    if deal_id is None and customer_id is None:
        abort(404)
    form = NewQuoteForm()
    if deal_id is None:
        customer = get_visible_or_404(Customer, customer_id, current_user)
        if request.method == "GET" or not form.validate_on_submit():
            return redirect(url_for("quotes.start", customer=customer.id), code=303)
        quote = service.create_quote_with_deal(customer, current_user, _("Quote for %(customer)s", customer=customer.name),
                                               local_today())
        flash(_("Quote %(number)s created with a new deal.", number=quote.label), "success")
        return redirect(url_for("quotes.show", quote_id=quote.id), code=303)
    deal = get_visible_or_404(Deal, deal_id, current_user)
    if form.validate_on_submit():
        quote = service.create_quote(deal, current_user, local_today())
        flash(_("Quote %(number)s created.", number=quote.label), "success")
        return redirect(url_for("quotes.show", quote_id=quote.id), code=303)
    return render_page_or_block("quotes/new.html", deal=deal, form=form), (400 if form.errors else 200)
