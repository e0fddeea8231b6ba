"""Customer list (search, filters, CSV export), the customer card and its timeline, creating and editing."""
from flask import Blueprint, Response, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.forms import page_arg
from app.access import signed_in
from app.blueprints.customers.forms import TAX_CODE_TAKEN, ContactForm, CustomerForm
from app.extensions import db
from app.formatting import local_today
from app.htmx import push_url, render_page_or_block, wants_fragment
from app.models import Customer
from app.services.common.settings import contact_due_days
from app.services.customers.contacts import delete_contact, directions_url, save_contact, visible_contact_or_404, zalo_url
from app.services.customers.records import (KIND_LABELS, SOURCE_LABELS, CustomerFilter, StaleCustomer, TaxCodeTaken,
                                    create_customer, customer_card, export_csv, filter_choices, list_customers,
                                    parse_timeline_cursor, possible_duplicates, timeline, update_customer)
from app.services.quotes.editing import last_quote_to_repeat, quotes_for
from app.services.common.scope import get_visible_or_404, users_visible_to

bp = Blueprint("customers", __name__)


@bp.context_processor
def _labels():
    return {"kind_labels": KIND_LABELS, "source_labels": SOURCE_LABELS}


def _due_days():
    return contact_due_days()


@bp.route("/customers")
@signed_in
def index():
    customer_filter = CustomerFilter.from_args(request.args, current_user)
    page = page_arg()
    customers, has_more = list_customers(current_user, customer_filter, _due_days(), page)
    choices = None if wants_fragment() else filter_choices(current_user)
    body = render_page_or_block(
        "customers/index.html", block="rows" if page > 1 else "results", customers=customers, has_more=has_more,
        list_filter=customer_filter, query=customer_filter.q, page=page, choices=choices, due_days=_due_days())
    response = make_response(body)
    if wants_fragment() and page <= 1:
        # The address bar shows the filters that are set, not every empty field of the form.
        push_url(response, url_for("customers.index", **customer_filter.as_args()))
    return response


@bp.route("/customers/export.csv")
@signed_in
def export():
    customer_filter = CustomerFilter.from_args(request.args, current_user)
    chunks = export_csv(current_user, customer_filter, _due_days())
    filename = f"customers-{local_today().isoformat()}.csv"
    return Response(chunks, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/customers/<int:customer_id>")
@signed_in
def card(customer_id):
    customer, deals = customer_card(current_user, customer_id)
    entries, has_more = timeline(current_user, customer)
    return render_page_or_block("customers/card.html", customer=customer, deals=deals, entries=entries,
                                has_more=has_more, zalo_url=zalo_url(customer.phone), directions_url=directions_url(customer),
                                quotes=quotes_for(current_user, customer=customer),
                                last_quote=last_quote_to_repeat(current_user, customer))


@bp.route("/customers/<int:customer_id>/timeline")
@signed_in
def timeline_page(customer_id):
    customer = get_visible_or_404(Customer, customer_id, current_user)
    entries, has_more = timeline(current_user, customer, parse_timeline_cursor(request.args.get("after")))
    return render_page_or_block("customers/timeline.html", block="entries", customer=customer, entries=entries,
                                has_more=has_more)


@bp.route("/customers/new", methods=["GET", "POST"])
@signed_in
def new():
    form = CustomerForm()
    _offer_owners(form)
    duplicates = None
    if form.validate_on_submit():
        values = form.values()
        duplicates = None if form.confirm.data else possible_duplicates(current_user, values)
        if not duplicates:
            owner_id = form.owner_id.data if "owner_id" in form else current_user.id
            try:
                customer = create_customer(owner_id, values, form.tags.data)
            except TaxCodeTaken:
                form.tax_code.errors.append(TAX_CODE_TAKEN)
            else:
                flash(_("Customer %(name)s created.", name=customer.name), "success")
                return redirect(url_for("customers.card", customer_id=customer.id), code=303)
    return render_page_or_block("customers/form.html", form=form, customer=None, duplicates=duplicates), (
        400 if form.errors else 200)


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@signed_in
def edit(customer_id):
    customer = get_visible_or_404(Customer, customer_id, current_user)
    form = CustomerForm(obj=customer, editing=customer)
    _offer_owners(form, customer)
    duplicates = None
    if form.validate_on_submit():
        values = form.values()
        duplicates = None if form.confirm.data else possible_duplicates(current_user, values, customer)
        if not duplicates:
            owner_id = form.owner_id.data if "owner_id" in form else None
            try:
                update_customer(customer, form.version.data, values, form.tags.data, owner_id=owner_id)
            except StaleCustomer as stale:
                return _stale(stale.customer)
            except TaxCodeTaken:
                form.tax_code.errors.append(TAX_CODE_TAKEN)
            else:
                flash(_("Changes saved."), "success")
                return redirect(url_for("customers.card", customer_id=customer.id), code=303)
    return render_page_or_block("customers/form.html", form=form, customer=customer, duplicates=duplicates), (
        400 if form.errors else 200)


def _stale(customer):
    """409 with the customer as it is now: nothing of the stale edit was written."""
    fresh = CustomerForm(formdata=None, obj=customer, editing=customer)
    _offer_owners(fresh, customer)
    notice = _("Someone changed this meanwhile — here is the latest version.")
    return render_page_or_block("customers/form.html", form=fresh, customer=customer, notice=notice), 409


def _offer_owners(form, customer=None):
    """Managers and admins choose the owner among the people they see; a rep's form has no owner field."""
    if current_user.role not in ("manager", "admin"):
        del form.owner_id
        return
    choices = [SelectChoice(user.id, user.name) for user in db.session.scalars(users_visible_to(current_user))]
    if customer is not None and customer.owner_id not in {choice.value for choice in choices}:
        choices.append(SelectChoice(customer.owner_id, customer.owner.name))  # e.g. a deactivated owner: kept as it is
    form.owner_id.choices = choices
    if form.owner_id.data is None:
        form.owner_id.data = current_user.id


@bp.route("/customers/<int:customer_id>/contacts/new", methods=["GET", "POST"])
@signed_in
def new_contact(customer_id):
    customer = get_visible_or_404(Customer, customer_id, current_user)
    form = ContactForm()
    if form.validate_on_submit():
        contact = save_contact(customer, form.values())
        flash(_("Contact %(name)s added.", name=contact.name), "success")
        return redirect(url_for("customers.card", customer_id=customer.id), code=303)
    return render_page_or_block("customers/contact_form.html", form=form, customer=customer, contact=None), (
        400 if form.errors else 200)


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@signed_in
def edit_contact(contact_id):
    contact = visible_contact_or_404(current_user, contact_id)
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        save_contact(contact.customer, form.values(), contact)
        flash(_("Changes saved."), "success")
        return redirect(url_for("customers.card", customer_id=contact.customer_id), code=303)
    return render_page_or_block("customers/contact_form.html", form=form, customer=contact.customer, contact=contact), (
        400 if form.errors else 200)


@bp.route("/contacts/<int:contact_id>/delete", methods=["POST"])
@signed_in
def remove_contact(contact_id):
    contact = visible_contact_or_404(current_user, contact_id)
    customer_id, name = contact.customer_id, contact.name
    delete_contact(contact)
    flash(_("Contact %(name)s deleted.", name=name), "success")
    return redirect(url_for("customers.card", customer_id=customer_id), code=303)
