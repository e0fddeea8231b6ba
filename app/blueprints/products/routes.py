"""The price list: admins list, edit, withdraw and import products; everyone picks them for quotes."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.forms import page_arg
from app.access import roles, signed_in
from app.blueprints.products.forms import ImportForm, ProductForm
from app.extensions import db
from app.htmx import render_page_or_block
from app.models import Product
from app.services.common.csv_files import UploadError
from app.services.products.imports import MAX_ROWS, import_products
from app.services.products.catalogue import SkuTaken, list_products, pick_products, save_product, set_active

bp = Blueprint("products", __name__)

REPORT_ROWS_SHOWN = 300  # changed rows listed on the page; every error row is always listed


@bp.route("/admin/products")
@roles("admin")
def index():
    query = request.args.get("q", "").strip()[:100]
    page = page_arg()
    found = list_products(query, page)
    return render_page_or_block("products/index.html", block="rows" if page > 1 else "results", query=query,
                                page=page, products=found.products, has_more=found.has_more, total=found.total)


@bp.route("/admin/products/new", methods=["GET", "POST"])
@roles("admin")
def new():
    return _edit(None)


@bp.route("/admin/products/<int:product_id>", methods=["GET", "POST"])
@roles("admin")
def edit(product_id):
    return _edit(db.get_or_404(Product, product_id))


def _edit(product):
    """The product form, for a new product (None) or an existing one; saves and goes back to the list."""
    form = ProductForm(obj=product, editing=product)
    if form.validate_on_submit():
        try:
            saved = save_product(product, form.values(), current_user, ip=request.remote_addr)
            db.session.commit()
        except (SkuTaken, IntegrityError):  # IntegrityError: the same SKU saved by someone else just now
            db.session.rollback()
            form.sku.errors = [*form.sku.errors, _("Another product already has this SKU.")]
        else:
            flash(_("Product %(name)s saved.", name=saved.name), "success")
            return redirect(url_for(".index"), code=303)
    return render_page_or_block("products/form.html", form=form, product=product), (400 if form.errors else 200)


@bp.route("/admin/products/<int:product_id>/active", methods=["POST"])
@roles("admin")
def activate(product_id):
    product = db.get_or_404(Product, product_id)
    active = request.form.get("active") == "1"  # an explicit value: a double tap cannot flip it back
    set_active(product, active, current_user, ip=request.remote_addr)
    db.session.commit()
    flash(_("%(name)s can be quoted again.", name=product.name) if active
          else _("%(name)s is no longer offered in new quotes.", name=product.name), "success")
    back_to_form = request.form.get("from") == "edit"
    return redirect(url_for(".edit", product_id=product.id) if back_to_form else url_for(".index"), code=303)


@bp.route("/admin/products/import", methods=["GET", "POST"])
@roles("admin")
def import_csv():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        try:
            report = import_products(form.file.data.read(), current_user, ip=request.remote_addr,
                                     dry_run=not form.run.data)
        except UploadError as error:
            form.file.errors.append(str(error))
    status = 400 if form.errors else 200
    return render_page_or_block("products/import.html", form=form, report=report, max_rows=f"{MAX_ROWS:,}".replace(",", "."),
                                shown=REPORT_ROWS_SHOWN), status


@bp.route("/products/search")
@signed_in
def search():
    """The quote builder's picker: <li> items of active products, each with a product_id submit button."""
    query = request.args.get("q", "").strip()[:100]
    return render_template("products/_picker.html", products=pick_products(query), query=query)
